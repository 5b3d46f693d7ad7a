// The store contract for the postgres store, plus what only a database can
// show: concurrent writers across pools, riding out a restart, and what a
// connection lost mid-call tells the client.
#include <gmock/gmock.h>

#include <ostream>
#include <set>
#include <thread>

#include "core/pg_pool.hpp"
#include "core/tcp_proxy_testing.hpp"
#include "pg_harness.hpp"
#include "usermgmt/client.hpp"
#include "usermgmt/grpc_status.hpp"
#include "usermgmt/server.hpp"
#include "usermgmt/store_suite.hpp"

namespace cloudlet {
// Failures name the code (gtest would print its bytes).
void PrintTo(ErrorCode code, std::ostream* os) { *os << to_string(code); }
}  // namespace cloudlet

namespace cloudlet::usermgmt::testing {
namespace {

std::shared_ptr<pg::Pool> pool_for(const std::string& url) {
  return std::make_shared<pg::Pool>(pg::PoolSettings{.url = url, .size = 8});
}

struct PgMaker {
  static constexpr bool kKeeps = true;
  static StorePtr make() { return make_pg_store(pool_for(cloudlet::testing::fresh_database())); }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, StoreContract, ::testing::Types<PgMaker>);

// 8 threads x 1,000 creates: 8,000 distinct ids, every one there for a new
// pool and store (a server restart).
TEST(PgStore, EightThousandConcurrentCreatesSurviveARestart) {
  std::string url = cloudlet::testing::fresh_database();
  constexpr int kThreads = 8;
  constexpr int kEach = 1000;
  std::set<std::int32_t> ids;
  {
    StorePtr store = make_pg_store(pool_for(url));
    std::vector<std::vector<std::int32_t>> got(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          auto u = store->create(valid("t" + std::to_string(t), i % 200));
          if (u.ok()) got[static_cast<std::size_t>(t)].push_back(u->id);
        }
      });
    }
    for (auto& th : threads) th.join();
    for (const auto& v : got) ids.insert(v.begin(), v.end());
  }
  ASSERT_EQ(ids.size(), std::size_t{kThreads * kEach});
  StorePtr store = make_pg_store(pool_for(url));
  auto users = store->list({});
  ASSERT_TRUE(users.ok()) << users.error().message;
  std::set<std::int32_t> reloaded;
  for (const auto& u : *users) reloaded.insert(u.id);
  EXPECT_EQ(reloaded, ids);
}

TEST(PgStore, IsUnavailableWhileTheDatabaseIsDownAndRecoversByItself) {
  std::string url = cloudlet::testing::fresh_database();
  StorePtr store = make_pg_store(pool_for(url));
  User before = *store->create(valid("before", 1));

  ASSERT_TRUE(cloudlet::testing::cluster().stop().ok());
  auto during = store->create(valid("during", 2));
  ASSERT_FALSE(during.ok());
  EXPECT_EQ(during.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(store->list({}).error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(store->health().ok());

  ASSERT_TRUE(cloudlet::testing::cluster().start().ok());
  // No action on our side: the pool replaces the dead connections itself.
  auto after = store->create(valid("after", 3));
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_TRUE(store->health().ok());
  auto users = store->list({});
  ASSERT_TRUE(users.ok());
  EXPECT_EQ(*users, (std::vector<User>{before, *after}));
}

// Issue: a CreateNewUser whose connection was lost after the insert was
// sent answered UNAVAILABLE, which gRPC clients retry by default: a second
// user. The proxy drops the connection right after forwarding the insert.
TEST(PgStore, ACreateLostAfterItWasSentIsUnknownOverGrpc) {
  cloudlet::testing::TcpProxy proxy(cloudlet::testing::fresh_database());
  auto pool = std::make_shared<pg::Pool>(pg::PoolSettings{.url = proxy.url(), .size = 1});
  UserManagementServer server(ServerOptions{.name = "usermgmt-postgres", .listen = "127.0.0.1:0"},
                              [pool] { return Result<StorePtr>(make_pg_store(pool)); });
  Status started = server.start();
  ASSERT_TRUE(started.ok()) << started.error().message;
  Client client("127.0.0.1:" + std::to_string(server.port()));
  ::usermgmt::NewUser first;
  first.set_name("first");
  first.set_age(1);
  auto created = client.create_new_user(first);
  ASSERT_TRUE(created.ok()) << created.error().message;

  proxy.drop_after_client_sends("lost after send");
  ::usermgmt::NewUser lost;
  lost.set_name("lost after send");
  lost.set_age(2);
  auto r = client.create_new_user(lost);
  ASSERT_EQ(proxy.drops(), 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnknown) << r.error().message;
  EXPECT_THAT(r.error().message, ::testing::StartsWith("UNKNOWN: "));
  EXPECT_THAT(r.error().message, ::testing::Not(::testing::HasSubstr("connection")))
      << "the pool's detail stays in the server";
  server.stop();
}

// A delete is a change too (kUnknown, gRPC UNKNOWN); a read has nothing to
// duplicate and is kUnavailable (retry).
TEST(PgStore, ADeleteLostAfterItWasSentIsUnknownAndAReadUnavailable) {
  cloudlet::testing::TcpProxy proxy(cloudlet::testing::fresh_database());
  auto pool = std::make_shared<pg::Pool>(pg::PoolSettings{.url = proxy.url(), .size = 1});
  StorePtr store = make_pg_store(pool);
  // An id that no other message on the wire contains.
  ASSERT_TRUE(pool->query("INSERT INTO users (id, name, age) OVERRIDING SYSTEM VALUE VALUES "
                          "(424242, 'marked', 3)")
                  .ok());

  proxy.drop_after_client_sends("424242");
  auto got = store->get(424242);
  ASSERT_EQ(proxy.drops(), 1);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kUnavailable) << got.error().message;

  proxy.drop_after_client_sends("marked");
  auto listed = store->list({.name = "marked"});
  ASSERT_EQ(proxy.drops(), 2);
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.error().code, ErrorCode::kUnavailable) << listed.error().message;

  proxy.drop_after_client_sends("424242");
  auto removed = store->remove(424242);
  ASSERT_EQ(proxy.drops(), 3);
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.error().code, ErrorCode::kUnknown) << removed.error().message;
  EXPECT_EQ(to_grpc_status(removed.error()).error_code(), grpc::StatusCode::UNKNOWN);
}

TEST(PgStore, ADatabaseConstraintIsInvalidArgumentNotInternal) {
  // validate() stops bad input first; the table's CHECKs are the backstop.
  auto pool = pool_for(cloudlet::testing::fresh_database());
  auto r = pool->query("INSERT INTO users (name, age) VALUES ('x', 500)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace cloudlet::usermgmt::testing
