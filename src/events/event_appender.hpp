// Group commit for the inbox: many threads call append(), and everything
// queued while one transaction commits goes into the next one, so N
// concurrent PutEvents calls pay about one commit (one fsync) between them.
//
// Design: writer threads (Options::writers, default 2) take every queued call
// (up to the batch limits), write them with a single
// EventStore::append_events, and answer each call. Callers only enqueue and
// wait. Two writers keep two transactions in flight, so the next batch is
// on the wire while the previous one commits, and on a 2-core machine both
// cores serve inserts (measured: README.md, "Store"). A leader/follower
// scheme (the first caller writes for everyone queued behind it) would save
// one thread wake-up per batch, microseconds against a commit's round trip,
// but makes a caller's latency depend on other callers' batches and the
// destructor's drain harder to get right; writer threads keep both simple.
//
// Contract:
// - append() blocks until the transaction holding its entries has committed
//   (or failed) and returns their seqs in input order. A call's entries are
//   never split across transactions.
// - A failed batch fails every call in it with the store's error (kUnknown:
//   the entries may or may not have been stored); never a partial success.
// - The destructor waits until every append() already called has its answer;
//   an append() racing with the destructor gets kUnavailable.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "events/store.hpp"

namespace cloudlet::events {

struct AppenderOptions {
  // Bounds on one transaction; a single call larger than these goes alone.
  std::size_t max_batch_events = 1000;
  std::size_t max_batch_bytes = 8 * 1024 * 1024;  // envelopes' bytes
  // Writer threads, so this many transactions can be in flight at once: while
  // one commits, the next batch is already being written on another
  // connection (the pool needs that many connections free).
  std::size_t writers = 2;
};

class EventAppender {
 public:
  using Options = AppenderOptions;

  explicit EventAppender(EventStore& store, Options options = {});
  ~EventAppender();
  EventAppender(const EventAppender&) = delete;
  EventAppender& operator=(const EventAppender&) = delete;

  Result<std::vector<std::int64_t>> append(std::vector<NewEvent> events);

  // Transactions written so far, and calls waiting for their answer (queued
  // or in the transaction being written). For tests and metrics.
  std::size_t batches_written() const;
  std::size_t calls_waiting() const;

 private:
  struct Call;
  void write_batches();

  EventStore& store_;
  const Options options_;
  mutable std::mutex mu_;
  std::condition_variable queued_;
  std::deque<Call*> queue_;           // guarded by mu_
  bool stopping_ = false;             // guarded by mu_
  std::size_t batches_ = 0;           // guarded by mu_
  std::size_t waiting_ = 0;           // guarded by mu_
  std::vector<std::thread> writers_;  // last: start after everything above exists
};

}  // namespace cloudlet::events
