#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <ostream>
#include <thread>

#include "core/pg_pool.hpp"
#include "core/tcp_proxy_testing.hpp"
#include "pg_harness.hpp"

namespace cloudlet {
// Failures name the code (gtest would print its bytes).
void PrintTo(ErrorCode code, std::ostream* os) { *os << to_string(code); }
}  // namespace cloudlet

namespace cloudlet::pg {
namespace {

TEST(PgPool, RunsParameterisedQueries) {
  Pool pool({.url = testing::fresh_database(), .size = 2});
  auto rows = pool.query("SELECT $1::int + 1, $2::text IS NULL", {"41", std::nullopt});
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_EQ(rows->text(0, 0), "42");
  EXPECT_EQ(rows->text(0, 1), "t");
}

TEST(PgPool, PreparesStatementsOncePerConnection) {
  Pool pool({.url = testing::fresh_database(), .size = 1});
  Statement stmt{"add_one", "SELECT $1::int + 1"};
  for (int i = 0; i < 3; ++i) {
    auto rows = pool.execute(stmt, {std::to_string(i)});
    ASSERT_TRUE(rows.ok()) << rows.error().message;
    EXPECT_EQ(rows->integer(0, 0).value(), i + 1);
  }
  auto count = pool.query("SELECT count(*) FROM pg_prepared_statements WHERE name = 'add_one'");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->text(0, 0), "1");
}

TEST(PgPool, ErrorsCarrySqlstateAndCode) {
  Pool pool({.url = testing::fresh_database(), .size = 1});
  auto dup = pool.query("INSERT INTO companies (id, name) VALUES (1, 'again')");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().sqlstate, "23505");
  EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists);
  auto fk = pool.query(
      "INSERT INTO contacts (company_id, first_name, last_name, email) VALUES (999, 'a', 'b', "
      "'a@b')");
  ASSERT_FALSE(fk.ok());
  EXPECT_EQ(fk.error().code, ErrorCode::kFailedPrecondition);
  auto syntax = pool.query("SELEC nonsense FROM secret_table");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.error().sqlstate, "42601");
  EXPECT_EQ(syntax.error().message.find("secret_table"), std::string::npos)
      << "no SQL text in errors";
  // The connection is still usable after errors.
  EXPECT_TRUE(pool.ping().ok());
}

TEST(PgPool, ParametersWithNulAreRefusedNotTruncated) {
  Pool pool({.url = testing::fresh_database(), .size = 1});
  auto r = pool.query("SELECT $1::text", {std::string("Al\0ice", 6)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("$1"), std::string::npos);
  auto p = pool.execute_pipelined({"echo", "SELECT $1::text"}, {std::string("x\0", 2)});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
}

TEST(PgPool, QueryTimeoutCancelsOnTheServer) {
  Pool pool({.url = testing::fresh_database(),
             .size = 1,
             .query_timeout = std::chrono::milliseconds(200)});
  auto slow = pool.query("SELECT pg_sleep(5)");
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().code, ErrorCode::kDeadlineExceeded);
  auto after = pool.query("SELECT 1");
  ASSERT_TRUE(after.ok()) << after.error().message;
}

TEST(PgPool, BoundedSizeWaitsThenGivesUp) {
  Pool pool({.url = testing::fresh_database(),
             .size = 1,
             .acquire_timeout = std::chrono::milliseconds(100)});
  auto held = pool.acquire();
  ASSERT_TRUE(held.ok());
  auto second = pool.acquire();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kResourceExhausted);
}

TEST(PgPool, ConcurrentCallersShareConnections) {
  Pool pool({.url = testing::fresh_database(), .size = 3});
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if (pool.query("SELECT pg_backend_pid()").ok()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 200);
  auto backends = pool.query(
      "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cloudlet' AND datname = "
      "current_database()");
  ASSERT_TRUE(backends.ok());
  EXPECT_LE(backends->integer(0, 0).value(), 3);
}

TEST(PgPool, UnreachableServerIsUnavailableWithoutDetails) {
  Pool pool({.url = "postgresql://cloudlet:topsecret@127.0.0.1:1/none",
             .size = 1,
             .connect_timeout = std::chrono::milliseconds(1000)});
  auto r = pool.query("SELECT 1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(r.error().message.find("topsecret"), std::string::npos);
}

// ---- pipeline lanes: many callers' statements in flight on one connection.

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Polls a condition (no sleeping to synchronise); false after 30 s.
bool eventually(const std::function<bool()>& condition) {
  auto give_up = steady_clock::now() + std::chrono::seconds(30);
  while (!condition()) {
    if (steady_clock::now() > give_up) return false;
    std::this_thread::yield();
  }
  return true;
}

// The backend pid behind the pool's only lane.
std::string lane_pid(Pool& pool) {
  auto r = pool.execute_pipelined({"lane_pid", "SELECT pg_backend_pid()"});
  return r.ok() ? std::string(r->text(0, 0)) : std::string();
}

// A Lease holding companies locked, so that lane statements reading it wait
// on the server until release().
struct CompaniesLocked {
  explicit CompaniesLocked(Pool& pool) : lease(pool.acquire()) {
    if (!lease.ok()) return;
    locked = lease->query("BEGIN").ok() &&
             lease->query("LOCK TABLE companies IN ACCESS EXCLUSIVE MODE").ok();
  }
  void release() { (void)lease->query("COMMIT"); }
  Result<Lease> lease;
  bool locked = false;
};

// The activity of a backend: whether it waits on a lock, and when its
// current statement started.
std::string activity(Pool& pool, const std::string& pid) {
  auto r = pool.query(
      "SELECT coalesce(wait_event_type, '') || ' ' || coalesce(query_start::text, '') FROM "
      "pg_stat_activity WHERE pid = $1::int",
      {pid});
  return r.ok() && r->size() == 1 ? std::string(r->text(0, 0)) : std::string();
}

TEST(PgPoolPipeline, ConcurrentCallersEachGetTheirOwnResult) {
  Pool pool({.url = testing::fresh_database(), .size = 2, .pipeline_lanes = 1});
  Statement echo{"echo_plus", "SELECT $1::int + 1000"};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        int n = t * 1000 + i;
        auto r = pool.execute_pipelined(echo, {std::to_string(n)});
        if (!r.ok() || r->integer(0, 0).value() != n + 1000) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(PgPoolPipeline, AFailingStatementDoesNotDisturbOthers) {
  Pool pool({.url = testing::fresh_database(), .size = 1, .pipeline_lanes = 1});
  Statement divide{"divide", "SELECT 100 / $1::int"};
  std::atomic<int> failures{0}, successes{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        bool zero = (i + t) % 3 == 0;
        auto r = pool.execute_pipelined(divide, {zero ? "0" : "4"});
        if (zero) {
          if (!r.ok() && r.error().sqlstate == "22012")
            ++failures;
          else
            ++wrong;
        } else {
          if (r.ok() && r->integer(0, 0).value() == 25)
            ++successes;
          else
            ++wrong;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(failures.load(), 0);
  EXPECT_GT(successes.load(), 0);
}

TEST(PgPoolPipeline, WritesThroughALaneAreCommitted) {
  Pool pool({.url = testing::fresh_database(), .size = 1, .pipeline_lanes = 1});
  Statement insert{"insert_company", "INSERT INTO companies (name) VALUES ($1) RETURNING id"};
  for (int i = 0; i < 20; ++i) {
    auto r = pool.execute_pipelined(insert, {"lane company " + std::to_string(i)});
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  auto count = pool.query("SELECT count(*) FROM companies WHERE name LIKE 'lane company %'");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->text(0, 0), "20");
}

TEST(PgPoolPipeline, ASlowStatementTimesOutAndTheLaneRecovers) {
  Pool pool({.url = testing::fresh_database(),
             .size = 1,
             .query_timeout = std::chrono::milliseconds(200),
             .pipeline_lanes = 1});
  auto slow = pool.execute_pipelined({"sleep", "SELECT pg_sleep(5)"});
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().code, ErrorCode::kDeadlineExceeded);
  Statement one{"one", "SELECT 1"};
  (void)pool.execute_pipelined(one);  // may see the lane being replaced
  auto after = pool.execute_pipelined(one);
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(after->text(0, 0), "1");
}

// Issue: only the head's deadline was checked, and a head whose cancel the
// server ignores held everyone behind it for another query_timeout. A
// stopped backend answers nothing, not even the cancel.
TEST(PgPoolPipeline, EveryCallerGetsAnAnswerWithinItsOwnTimeout) {
  const auto timeout = milliseconds(1000);
  Pool pool(
      {.url = testing::fresh_database(), .size = 1, .query_timeout = timeout, .pipeline_lanes = 1});
  std::string pid = lane_pid(pool);
  ASSERT_FALSE(pid.empty());
  if (::kill(std::stoi(pid), SIGSTOP) != 0) GTEST_SKIP() << "cannot stop the server's backend";
  struct Resume {
    int pid;
    ~Resume() { ::kill(pid, SIGCONT); }
  } resume{std::stoi(pid)};
  constexpr int kCallers = 4;
  std::vector<std::optional<Error>> errors(kCallers);
  std::vector<milliseconds> took(kCallers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      auto start = steady_clock::now();
      auto r = pool.execute_pipelined({"one", "SELECT 1"});
      took[static_cast<std::size_t>(i)] =
          std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
      if (!r.ok()) errors[static_cast<std::size_t>(i)] = r.error();
    });
  }
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < kCallers; ++i) {
    ASSERT_TRUE(errors[i].has_value()) << "caller " << i << " got an answer from a stopped server";
    EXPECT_EQ(errors[i]->code, ErrorCode::kDeadlineExceeded) << errors[i]->message;
    // Generous, for a loaded CI machine: the bug held the k-th follower for
    // about 2k x query_timeout (up to 8 s here).
    EXPECT_LT(took[i], 3 * timeout) << "caller " << i;
  }
}

// Issue: a lane connected while holding its mutex, so while the server could
// not be reached every caller queued behind one connect attempt after
// another. The listener accepts connections and never answers.
TEST(PgPoolPipeline, CallersFailFastWhileTheLaneCannotConnect) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(::listen(fd, 64), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const auto connect_timeout = milliseconds(1000);
  Pool pool({.url = "postgresql://nobody@127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) +
                    "/none?sslmode=disable",
             .size = 1,
             .connect_timeout = connect_timeout,
             .pipeline_lanes = 1});
  Statement one{"one", "SELECT 1"};
  // The lane's first connection is waited for; it fails, so the lane is down.
  auto first = pool.execute_pipelined(one);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code, ErrorCode::kUnavailable);

  constexpr int kCallers = 4;
  std::atomic<int> unavailable{0}, slow{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&] {
      auto start = steady_clock::now();
      auto r = pool.execute_pipelined(one);
      if (!r.ok() && r.error().code == ErrorCode::kUnavailable) ++unavailable;
      if (steady_clock::now() - start >= connect_timeout) ++slow;
    });
  }
  for (auto& t : threads) t.join();
  ::close(fd);
  EXPECT_EQ(unavailable.load(), kCallers);
  // One of them tries to reconnect; the others do not wait for it.
  EXPECT_LE(slow.load(), 1);
}

// Issue: a statement was marked prepared when its Prepare was queued, so a
// caller queued behind a Prepare that then failed got 26000 (kInternal)
// instead of the Prepare's own error.
TEST(PgPoolPipeline, AFailedPrepareDoesNotFailCallersQueuedBehindIt) {
  Pool pool({.url = testing::fresh_database(), .size = 2, .pipeline_lanes = 1});
  CompaniesLocked lock(pool);
  ASSERT_TRUE(lock.locked);
  // Holds the lane's server side busy until the lock is released.
  std::thread head([&] {
    auto r = pool.execute_pipelined({"count_companies", "SELECT count(*) FROM companies"});
    EXPECT_TRUE(r.ok()) << r.error().message;
  });
  ASSERT_TRUE(eventually([&] { return pool.pipelined_in_flight() == 1; }));
  Statement later{"read_later", "SELECT count(*) FROM later_table"};
  std::vector<std::optional<Error>> errors(2);
  std::vector<std::thread> callers;
  for (std::size_t i = 0; i < 2; ++i) {
    callers.emplace_back([&, i] {
      auto r = pool.execute_pipelined(later);
      if (!r.ok()) errors[i] = r.error();
    });
  }
  // Both queued: one sent the Prepare, the other only its Execute.
  ASSERT_TRUE(eventually([&] { return pool.pipelined_in_flight() == 3; }));
  lock.release();
  head.join();
  for (auto& t : callers) t.join();
  for (const auto& e : errors) {
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->sqlstate, "42P01") << e->message;  // undefined table, not 26000
  }
  ASSERT_TRUE(pool.query("CREATE TABLE later_table (id int)").ok());
  auto r = pool.execute_pipelined(later);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->text(0, 0), "0");
}

// Issue: PQcancel cancels whatever the server runs, so a cancel meant for a
// head that had just finished could hit the next statement, whose caller
// then got a false kDeadlineExceeded. A cancel from outside stands in for
// the stray one: it hits a statement well within its deadline.
TEST(PgPoolPipeline, AStrayCancelIsNotReportedAsATimeout) {
  Pool pool({.url = testing::fresh_database(), .size = 2, .pipeline_lanes = 1});
  std::string pid = lane_pid(pool);
  ASSERT_FALSE(pid.empty());
  CompaniesLocked lock(pool);
  ASSERT_TRUE(lock.locked);
  std::atomic<bool> finished{false};
  std::optional<Error> error;
  std::thread caller([&] {
    auto r = pool.execute_pipelined({"count_companies", "SELECT count(*) FROM companies"});
    if (!r.ok()) error = r.error();
    finished = true;
  });
  std::string waiting;
  ASSERT_TRUE(eventually([&] {
    waiting = activity(pool, pid);
    return waiting.starts_with("Lock ");
  }));
  auto cancel = pool.query("SELECT pg_cancel_backend($1::int)", {pid});
  ASSERT_TRUE(cancel.ok()) << cancel.error().message;
  // Either the caller gave up (the bug), or its statement was sent again and
  // waits on the lock once more.
  ASSERT_TRUE(eventually([&] {
    if (finished) return true;
    std::string now = activity(pool, pid);
    return now.starts_with("Lock ") && now != waiting;
  }));
  lock.release();
  caller.join();
  EXPECT_FALSE(error.has_value()) << error->message;
}

// ---- what a failure says about the statement: not applied, unknown, or
// cancelled. A TCP proxy between the pool and the server breaks the
// connection at the moment each case needs.

using cloudlet::testing::TcpProxy;

// Runs `call` on a thread and gives it `bound` to return; past that, calls
// `unblock` (so the thread can finish and be joined) and returns nullopt.
std::optional<Result<Rows>> returns_within(std::chrono::seconds bound,
                                           const std::function<Result<Rows>()>& call,
                                           const std::function<void()>& unblock) {
  std::packaged_task<Result<Rows>()> task(call);
  auto answer = task.get_future();
  std::thread thread(std::move(task));
  bool in_time = answer.wait_for(bound) == std::future_status::ready;
  if (!in_time) unblock();
  thread.join();
  if (!in_time) return std::nullopt;
  return answer.get();
}

long long companies_named(Pool& pool, const std::string& name) {
  auto r = pool.query("SELECT count(*) FROM companies WHERE name = $1", {name});
  return r.ok() ? r->integer(0, 0).value() : -1;
}

// Issue: a connection lost after an INSERT was sent was kUnavailable, which
// tells the caller to retry ("not applied"), and a retry could insert twice.
TEST(PgPoolOutcome, AStatementSentBeforeTheConnectionWasLostIsUnknown) {
  TcpProxy proxy(testing::fresh_database());
  Pool pool({.url = proxy.url(), .size = 1});
  ASSERT_TRUE(pool.ping().ok());

  proxy.drop_after_client_sends("lost after send");
  auto r = pool.query("INSERT INTO companies (name) VALUES ('lost after send') RETURNING id");
  ASSERT_EQ(proxy.drops(), 1);
  ASSERT_FALSE(r.ok()) << "the answer cannot have come back";
  EXPECT_EQ(r.error().code, ErrorCode::kUnknown) << r.error().message;
  EXPECT_EQ(r.error().sqlstate, "08006");

  // A prepared statement (prepared by an earlier call on this connection).
  Statement insert{"insert_company", "INSERT INTO companies (name) VALUES ($1) RETURNING id"};
  auto first = pool.execute(insert, {"prepared first"});
  ASSERT_TRUE(first.ok()) << first.error().message;
  proxy.drop_after_client_sends("lost after execute");
  auto lost = pool.execute(insert, {"lost after execute"});
  ASSERT_EQ(proxy.drops(), 2);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, ErrorCode::kUnknown) << lost.error().message;

  // The lost connection was not reused.
  auto after = pool.query("SELECT 1");
  ASSERT_TRUE(after.ok()) << after.error().message;
}

// The Prepare before a statement's first use is not the statement: losing
// the connection then is kUnavailable, and the statement did not run.
TEST(PgPoolOutcome, AConnectionLostWhilePreparingIsUnavailable) {
  TcpProxy proxy(testing::fresh_database());
  Pool pool({.url = proxy.url(), .size = 1});
  ASSERT_TRUE(pool.ping().ok());
  Statement insert{"insert_lost_prepare",
                   "INSERT INTO companies (name) VALUES ($1) RETURNING id -- lost while preparing"};
  proxy.drop_after_client_sends("lost while preparing");
  auto r = pool.execute(insert, {"never inserted"});
  ASSERT_EQ(proxy.drops(), 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable) << r.error().message;
  EXPECT_EQ(companies_named(pool, "never inserted"), 0);
}

// A connection found closed before the statement was sent: kUnavailable,
// and nothing ran. (A Lease, because the pool replaces an idle connection
// the server closed before handing it out.)
TEST(PgPoolOutcome, AConnectionLostBeforeSendingIsUnavailable) {
  TcpProxy proxy(testing::fresh_database());
  Pool pool({.url = proxy.url(), .size = 1});
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease.ok()) << lease.error().message;
    ASSERT_TRUE(lease->query("SELECT 1").ok());
    proxy.drop_all();
    // The close has reached the client's socket.
    ASSERT_TRUE(eventually([&] {
      pollfd pfd{PQsocket(lease->raw()), POLLIN, 0};
      return ::poll(&pfd, 1, 0) > 0;
    }));
    auto r = lease->query("INSERT INTO companies (name) VALUES ('never sent') RETURNING id");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kUnavailable) << r.error().message;
  }
  EXPECT_EQ(companies_named(pool, "never sent"), 0);
}

TEST(PgPoolOutcome, ACancelledStatementIsDeadlineExceededAndThePoolRecovers) {
  Pool pool({.url = testing::fresh_database(),
             .size = 1,
             .query_timeout = std::chrono::milliseconds(200)});
  auto slow = pool.query("INSERT INTO companies (name) SELECT 'slow' FROM pg_sleep(5)");
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().code, ErrorCode::kDeadlineExceeded) << slow.error().message;
  EXPECT_EQ(slow.error().sqlstate, "57014");
  EXPECT_EQ(companies_named(pool, "slow"), 0) << "a cancelled statement is rolled back";
}

// Issue: a statement that committed before its cancel landed was reported
// kDeadlineExceeded ("not applied"). The proxy holds the server's answer
// back until the cancel was served, so the cancel finds nothing running.
TEST(PgPoolOutcome, AStatementThatFinishedBeforeItsCancelLandedReturnsItsResult) {
  TcpProxy proxy(testing::fresh_database());
  Pool pool({.url = proxy.url(), .size = 1, .query_timeout = milliseconds(1000)});
  ASSERT_TRUE(pool.ping().ok());
  proxy.hold_replies();
  std::thread releaser([&] {
    (void)eventually([&] { return proxy.cancels_answered() >= 1; });
    proxy.release_replies();
  });
  auto r = pool.query(
      "INSERT INTO companies (name) VALUES ('committed before the cancel') RETURNING id");
  releaser.join();
  EXPECT_EQ(proxy.cancel_requests(), 1) << "the statement was to time out and be cancelled";
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->size(), 1);
  EXPECT_EQ(companies_named(pool, "committed before the cancel"), 1);
}

// Issue: PQcancel has no timeout, so a server that took the cancel request
// and never answered it held the caller past every deadline. The proxy holds
// cancel requests open: they get no answer until the test lets them go.
TEST(PgPoolCancel, AnUnansweredCancelDoesNotHoldTheCaller) {
  TcpProxy proxy(testing::fresh_database());
  Pool pool({.url = proxy.url(),
             .size = 1,
             .query_timeout = milliseconds(300),
             .cancel_timeout = milliseconds(500)});
  ASSERT_TRUE(pool.ping().ok());
  proxy.set_accept(TcpProxy::Accept::kHoldCancels);
  auto r = returns_within(
      std::chrono::seconds(20), [&] { return pool.query("SELECT pg_sleep(30)"); },
      [&] { proxy.release_held_cancels(); });
  ASSERT_TRUE(r.has_value()) << "the call waited for the cancel's answer";
  EXPECT_EQ(proxy.cancel_requests(), 1);
  ASSERT_FALSE(r->ok());
  // The statement may still run (and, were it a change, commit).
  EXPECT_EQ(r->error().code, ErrorCode::kUnknown) << r->error().message;
  EXPECT_EQ(pool.stuck_cancels(), 1u);

  // That connection is given up, not reused: the next call gets a new one.
  auto after = pool.query("SELECT 1");
  ASSERT_TRUE(after.ok()) << after.error().message;
  proxy.release_held_cancels();
  EXPECT_TRUE(eventually([&] { return pool.stuck_cancels() == 0; }));
}

TEST(PgPoolCancel, StuckCancelsAreCappedAndThenNotTried) {
  TcpProxy proxy(testing::fresh_database());
  Pool pool({.url = proxy.url(),
             .size = 1,
             .query_timeout = milliseconds(300),
             .cancel_timeout = milliseconds(300),
             .max_stuck_cancels = 1});
  proxy.set_accept(TcpProxy::Accept::kHoldCancels);
  for (int i = 0; i < 2; ++i) {
    auto r = returns_within(
        std::chrono::seconds(20), [&] { return pool.query("SELECT pg_sleep(30)"); },
        [&] { proxy.release_held_cancels(); });
    ASSERT_TRUE(r.has_value()) << "call " << i;
    ASSERT_FALSE(r->ok());
    EXPECT_EQ(r->error().code, ErrorCode::kUnknown) << r->error().message;
  }
  // The second timeout found one helper stuck already and sent no cancel.
  EXPECT_EQ(proxy.cancel_requests(), 1);
  EXPECT_EQ(pool.stuck_cancels(), 1u);
  proxy.release_held_cancels();
  EXPECT_TRUE(eventually([&] { return pool.stuck_cancels() == 0; }));
}

// The same for a pipeline lane, whose reader cancels the statement at the
// head of the lane once its deadline has passed.
TEST(PgPoolCancel, AnUnansweredCancelDoesNotHoldALane) {
  TcpProxy proxy(testing::fresh_database());
  Pool pool({.url = proxy.url(),
             .size = 1,
             .query_timeout = milliseconds(300),
             .cancel_timeout = milliseconds(500),
             .pipeline_lanes = 1});
  Statement one{"one", "SELECT 1"};
  ASSERT_TRUE(pool.execute_pipelined(one).ok());
  proxy.set_accept(TcpProxy::Accept::kHoldCancels);
  auto release = [&] { proxy.release_held_cancels(); };
  auto slow = returns_within(
      std::chrono::seconds(20),
      [&] {
        return pool.execute_pipelined({"sleep", "SELECT pg_sleep(30)"});
      },
      release);
  ASSERT_TRUE(slow.has_value());
  ASSERT_FALSE(slow->ok());
  EXPECT_EQ(slow->error().code, ErrorCode::kDeadlineExceeded) << slow->error().message;
  // The next caller reads the lane, finds the head past its deadline and
  // cancels it; unconfirmed, the lane is given up.
  auto next = returns_within(
      std::chrono::seconds(20), [&] { return pool.execute_pipelined(one); }, release);
  ASSERT_TRUE(next.has_value()) << "the lane's reader waited for the cancel's answer";
  EXPECT_EQ(proxy.cancel_requests(), 1);
  ASSERT_FALSE(next->ok());
  EXPECT_EQ(next->error().code, ErrorCode::kUnavailable) << next->error().message;
  EXPECT_NE(next->error().message.find("may or may not have run"), std::string::npos);
  // The lane reconnects.
  auto after = pool.execute_pipelined(one);
  ASSERT_TRUE(after.ok()) << after.error().message;
  release();
  EXPECT_TRUE(eventually([&] { return pool.stuck_cancels() == 0; }));
}

// Runs last in this binary (stops the shared cluster for a moment).
TEST(PgPoolZ, RecoversAfterServerRestart) {
  Pool pool({.url = testing::fresh_database(), .size = 4});
  // Warm every connection so all of them are stale after the restart.
  {
    std::vector<Lease> leases;
    for (int i = 0; i < 4; ++i) {
      auto l = pool.acquire();
      ASSERT_TRUE(l.ok());
      leases.push_back(std::move(*l));
    }
  }
  Statement count_stmt{"count_contacts", "SELECT count(*) FROM contacts"};
  ASSERT_TRUE(pool.execute_pipelined(count_stmt).ok());  // opens a lane before the restart
  ASSERT_TRUE(testing::cluster().stop().ok());
  auto down = pool.query("SELECT 1");
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code, ErrorCode::kUnavailable);
  Status restarted = testing::cluster().start();
  ASSERT_TRUE(restarted.ok()) << restarted.error().message;
  // A lane may report the lost connection once while it reconnects.
  (void)pool.execute_pipelined(count_stmt);
  for (int i = 0; i < 10; ++i) {
    auto lane = pool.execute_pipelined(count_stmt);
    ASSERT_TRUE(lane.ok()) << "pipelined " << i << " after restart: " << lane.error().message;
    EXPECT_EQ(lane->text(0, 0), "3");
  }
  for (int i = 0; i < 10; ++i) {
    auto r = pool.query("SELECT count(*) FROM contacts");
    ASSERT_TRUE(r.ok()) << "query " << i << " after restart: " << r.error().message;
    EXPECT_EQ(r->text(0, 0), "3");
  }
}

}  // namespace
}  // namespace cloudlet::pg
