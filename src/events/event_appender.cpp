#include "events/event_appender.hpp"

#include <algorithm>
#include <optional>
#include <utility>

namespace cloudlet::events {

// Lives on the caller's stack until it has its answer.
struct EventAppender::Call {
  std::vector<NewEvent> events;
  std::optional<Result<std::vector<std::int64_t>>> answer;  // set under mu_
  std::condition_variable answered;
};

EventAppender::EventAppender(EventStore& store, Options options)
    : store_(store), options_(options) {
  for (std::size_t i = 0; i < std::max<std::size_t>(options_.writers, 1); ++i) {
    writers_.emplace_back([this] { write_batches(); });
  }
}

EventAppender::~EventAppender() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  queued_.notify_all();
  for (std::thread& writer : writers_) writer.join();
}

std::size_t EventAppender::batches_written() const {
  std::lock_guard lock(mu_);
  return batches_;
}

std::size_t EventAppender::calls_waiting() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

Result<std::vector<std::int64_t>> EventAppender::append(std::vector<NewEvent> events) {
  if (events.empty()) return std::vector<std::int64_t>{};
  Call call{std::move(events), std::nullopt, {}};
  std::unique_lock lock(mu_);
  if (stopping_) return Error::unavailable("the event appender is shutting down");
  queue_.push_back(&call);
  ++waiting_;
  queued_.notify_one();
  call.answered.wait(lock, [&] { return call.answer.has_value(); });
  return std::move(*call.answer);
}

namespace {

std::size_t envelope_bytes(const std::vector<NewEvent>& events) {
  std::size_t bytes = 0;
  for (const NewEvent& e : events) bytes += e.envelope_json.size();
  return bytes;
}

}  // namespace

void EventAppender::write_batches() {
  std::unique_lock lock(mu_);
  for (;;) {
    queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything queued is answered

    std::vector<Call*> calls;
    std::size_t events = 0, bytes = 0;
    while (!queue_.empty()) {
      Call* next = queue_.front();
      std::size_t next_bytes = envelope_bytes(next->events);
      bool fits = events + next->events.size() <= options_.max_batch_events &&
                  bytes + next_bytes <= options_.max_batch_bytes;
      if (!calls.empty() && !fits) break;
      calls.push_back(next);
      queue_.pop_front();
      events += next->events.size();
      bytes += next_bytes;
    }
    lock.unlock();

    std::vector<NewEvent> batch;
    batch.reserve(events);
    for (Call* c : calls) {
      for (NewEvent& e : c->events) batch.push_back(std::move(e));
    }
    auto seqs = store_.append_events(batch);
    if (seqs.ok() && seqs->size() != batch.size()) {
      seqs = Error::internal("append_events answered for a different number of entries");
    }

    lock.lock();
    ++batches_;
    std::size_t offset = 0;
    for (Call* c : calls) {
      std::size_t n = c->events.size();
      if (seqs.ok()) {
        auto first = seqs->begin() + static_cast<std::ptrdiff_t>(offset);
        c->answer.emplace(std::vector<std::int64_t>(first, first + static_cast<std::ptrdiff_t>(n)));
      } else {
        c->answer.emplace(seqs.error());
      }
      offset += n;
      --waiting_;
      // Under mu_: the caller cannot return (and destroy the Call) before
      // this notify is done.
      c->answered.notify_one();
    }
  }
}

}  // namespace cloudlet::events
