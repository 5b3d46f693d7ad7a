#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/pg_pool.hpp"
#include "pg_harness.hpp"

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
