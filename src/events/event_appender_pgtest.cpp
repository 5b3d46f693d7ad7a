// EventAppender against a real PostgreSQL: concurrent callers all get their
// seqs, a failed transaction fails every call in it, the destructor drains,
// and (printed, not asserted) the throughput of 16 threads x 10 entries.
//
// To hold the writer inside a transaction while more calls queue, a test
// locks pending_events from another connection: the writer's INSERT waits for
// the lock, and everything appended meanwhile must go into the next batch.
#include <gmock/gmock.h>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "core/pg_pool.hpp"
#include "events/event_appender.hpp"
#include "events/store.hpp"
#include "pg_harness.hpp"

namespace cloudlet::events {
namespace {

using namespace std::chrono_literals;

NewEvent event(const std::string& id) {
  return NewEvent{"default", id,
                  R"({"version":"0","id":")" + id +
                      R"(","detail-type":"sampledata","source":"com.srcecde.app",)"
                      R"("account":"000000000000","time":"2026-12-03T10:00:00Z",)"
                      R"("region":"us-east-1","resources":[],)"
                      R"("detail":{"name":"trigger_usermgmt_op4_db_postgres","n":12345}})",
                  Clock::now(), std::nullopt};
}

std::vector<NewEvent> events(const std::string& prefix, int n) {
  std::vector<NewEvent> out;
  for (int i = 0; i < n; ++i) out.push_back(event(prefix + "-" + std::to_string(i)));
  return out;
}

class AppenderTest : public ::testing::Test {
 protected:
  AppenderTest() : url_(cloudlet::testing::fresh_database()), pool_({.url = url_, .size = 4}) {}

  long long count(const std::string& sql) {
    auto rows = pool_.query(sql);
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return rows.ok() ? *rows->integer(0, 0) : -1;
  }
  std::map<std::string, std::int64_t> seq_by_event_id() {
    std::map<std::string, std::int64_t> out;
    auto rows = pool_.query("SELECT event_id, seq FROM pending_events");
    EXPECT_TRUE(rows.ok());
    for (int i = 0; rows.ok() && i < rows->size(); ++i) {
      out[std::string(rows->text(i, 0))] = *rows->integer(i, 1);
    }
    return out;
  }
  // Waits (bounded, so a bug fails instead of hanging) until `done` holds.
  template <class F>
  bool eventually(F done) {
    for (int i = 0; i < 2000; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }
  bool a_statement_waits_for_a_lock() {
    return count(
               "SELECT count(*) FROM pg_stat_activity"
               " WHERE datname = current_database() AND wait_event_type = 'Lock'") > 0;
  }

  std::string url_;
  pg::Pool pool_;
  EventStore store_{pool_};
};

// Holds an exclusive lock on pending_events until release() or destruction.
class InboxLock {
 public:
  explicit InboxLock(const std::string& url) : pool_({.url = url, .size = 1}) {
    auto lease = pool_.acquire();
    EXPECT_TRUE(lease.ok());
    lease_.emplace(std::move(*lease));
    EXPECT_TRUE(lease_->query("BEGIN").ok());
    EXPECT_TRUE(lease_->query("LOCK TABLE pending_events IN EXCLUSIVE MODE").ok());
  }
  ~InboxLock() { release(); }
  void release() {
    if (lease_) (void)lease_->query("ROLLBACK");
    lease_.reset();
  }

 private:
  pg::Pool pool_;
  std::optional<pg::Lease> lease_;
};

TEST_F(AppenderTest, ConcurrentAppendsAllGetTheirSeqsAndEveryRowExists) {
  constexpr int kThreads = 16, kCalls = 40, kEntries = 10;
  EventAppender appender(store_);
  std::vector<std::map<std::string, std::int64_t>> got(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int c = 0; c < kCalls; ++c) {
        std::string prefix = "t" + std::to_string(t) + "c" + std::to_string(c);
        auto seqs = appender.append(events(prefix, kEntries));
        if (!seqs.ok() || seqs->size() != kEntries) {
          ++failures;
          continue;
        }
        for (int i = 0; i < kEntries; ++i) {
          got[static_cast<std::size_t>(t)][prefix + "-" + std::to_string(i)] =
              (*seqs)[static_cast<std::size_t>(i)];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);

  std::map<std::string, std::int64_t> stored = seq_by_event_id();
  EXPECT_EQ(stored.size(), std::size_t{kThreads * kCalls * kEntries});
  std::set<std::int64_t> distinct;
  for (const auto& per_thread : got) {
    for (const auto& [id, seq] : per_thread) {
      EXPECT_EQ(stored[id], seq) << id;
      distinct.insert(seq);
    }
  }
  EXPECT_EQ(distinct.size(), std::size_t{kThreads * kCalls * kEntries});
  EXPECT_EQ(appender.calls_waiting(), 0u);
}

TEST_F(AppenderTest, CallsQueuedDuringACommitShareTheNextTransaction) {
  EventAppender appender(store_, {.writers = 1});  // two would split the queue
  auto lock = std::make_unique<InboxLock>(url_);
  std::thread first([&] { EXPECT_TRUE(appender.append(events("first", 1)).ok()); });
  ASSERT_TRUE(eventually([&] { return a_statement_waits_for_a_lock(); }));
  std::vector<std::thread> queued;
  for (int i = 0; i < 5; ++i) {
    queued.emplace_back(
        [&, i] { EXPECT_TRUE(appender.append(events("q" + std::to_string(i), 3)).ok()); });
  }
  ASSERT_TRUE(eventually([&] { return appender.calls_waiting() == 6; }));
  lock->release();
  first.join();
  for (auto& th : queued) th.join();
  EXPECT_EQ(appender.batches_written(), 2u);
  EXPECT_EQ(count("SELECT count(*) FROM pending_events"), 16);
}

TEST_F(AppenderTest, AFailedBatchFailsEveryCallInItAndStoresNoneOfIt) {
  EventAppender appender(store_, {.writers = 1});  // so "bad" and "good" share a batch
  auto lock = std::make_unique<InboxLock>(url_);
  std::thread first([&] { EXPECT_TRUE(appender.append(events("ok", 2)).ok()); });
  ASSERT_TRUE(eventually([&] { return a_statement_waits_for_a_lock(); }));

  Result<std::vector<std::int64_t>> bad_answer = Error::internal("not answered");
  Result<std::vector<std::int64_t>> good_answer = Error::internal("not answered");
  std::thread bad([&] {
    std::vector<NewEvent> e = events("bad", 1);
    e[0].envelope_json = "{\"x\":\"\xff\"}";  // not UTF-8: the server refuses the batch
    bad_answer = appender.append(std::move(e));
  });
  std::thread good([&] { good_answer = appender.append(events("good", 2)); });
  ASSERT_TRUE(eventually([&] { return appender.calls_waiting() == 3; }));
  lock->release();
  first.join();
  bad.join();
  good.join();

  ASSERT_FALSE(bad_answer.ok());
  ASSERT_FALSE(good_answer.ok());
  EXPECT_EQ(bad_answer.error().code, good_answer.error().code);
  EXPECT_EQ(bad_answer.error().sqlstate, good_answer.error().sqlstate);
  EXPECT_EQ(count("SELECT count(*) FROM pending_events"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM pending_events WHERE event_id LIKE 'ok-%'"), 2);

  // The appender carries on after a failed batch.
  EXPECT_TRUE(appender.append(events("after", 1)).ok());
}

TEST_F(AppenderTest, TheDestructorAnswersEveryCallAlreadyMade) {
  auto appender = std::make_unique<EventAppender>(store_);
  auto lock = std::make_unique<InboxLock>(url_);
  constexpr int kCalls = 8;
  std::vector<Result<std::vector<std::int64_t>>> answers(kCalls, Error::internal("not answered"));
  std::vector<std::thread> callers;
  for (int i = 0; i < kCalls; ++i) {
    callers.emplace_back([&, i] {
      answers[static_cast<std::size_t>(i)] = appender->append(events("d" + std::to_string(i), 4));
    });
  }
  ASSERT_TRUE(eventually([&] { return appender->calls_waiting() == kCalls; }));
  std::thread destroyer([&] { appender.reset(); });
  lock->release();
  destroyer.join();
  for (auto& th : callers) th.join();
  for (const auto& a : answers) {
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a->size(), 4u);
  }
  EXPECT_EQ(count("SELECT count(*) FROM pending_events"), kCalls * 4);
}

TEST_F(AppenderTest, EmptyAppendsAnswerAtOnce) {
  EventAppender appender(store_);
  auto seqs = appender.append({});
  ASSERT_TRUE(seqs.ok());
  EXPECT_TRUE(seqs->empty());
  EXPECT_EQ(appender.batches_written(), 0u);
}

// Prints entries/s for one and two writers; asserts only that everything was
// stored. The harness's cluster runs with fsync off, so this measures
// everything but the disk.
TEST_F(AppenderTest, ThroughputOfSixteenThreadsAppendingTenEntriesPerCall) {
  constexpr int kThreads = 16, kCalls = 150, kEntries = 10, kTotal = kThreads * kCalls * kEntries;
  pg::Pool pool({.url = url_, .size = 3});
  EventStore store(pool);
  for (std::size_t writers : {std::size_t{1}, std::size_t{2}}) {
    ASSERT_TRUE(pool.query("TRUNCATE pending_events").ok());
    EventAppender appender(store, {.writers = writers});
    std::vector<std::vector<NewEvent>> prepared;
    for (int t = 0; t < kThreads * kCalls; ++t) {
      prepared.push_back(events("p" + std::to_string(t), kEntries));
    }
    std::atomic<int> failures{0};
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int c = 0; c < kCalls; ++c) {
          auto& entries = prepared[static_cast<std::size_t>(t * kCalls + c)];
          if (!appender.append(std::move(entries)).ok()) ++failures;
        }
      });
    }
    for (auto& th : threads) th.join();
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(count("SELECT count(*) FROM pending_events"), kTotal);
    std::size_t batches = appender.batches_written();
    std::printf(
        "[ appender ] %zu writer(s): %d entries in %.3f s: %.0f entries/s, %zu transactions "
        "(%.1f entries each)\n",
        writers, kTotal, elapsed, kTotal / elapsed, batches,
        static_cast<double>(kTotal) / static_cast<double>(batches));
  }
}

}  // namespace
}  // namespace cloudlet::events
