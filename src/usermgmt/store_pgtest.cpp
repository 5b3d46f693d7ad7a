// The store contract for the postgres store, plus what only a database can
// show: concurrent writers across pools, and riding out a restart.
#include <set>
#include <thread>

#include "core/pg_pool.hpp"
#include "pg_harness.hpp"
#include "usermgmt/store_suite.hpp"

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

TEST(PgStore, ADatabaseConstraintIsInvalidArgumentNotInternal) {
  // validate() stops bad input first; the table's CHECKs are the backstop.
  auto pool = pool_for(cloudlet::testing::fresh_database());
  auto r = pool->query("INSERT INTO users (name, age) VALUES ('x', 500)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace cloudlet::usermgmt::testing
