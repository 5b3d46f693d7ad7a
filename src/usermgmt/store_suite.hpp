// The contract every Store must keep, as one typed test suite. Each test
// binary instantiates it for the stores it can build (store_test.cpp: none,
// memory, json; store_pgtest.cpp: postgres). A `Maker` provides
//   static StorePtr make();          a fresh, empty store
//   static constexpr bool kKeeps;    false only for the "none" store
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "usermgmt/store.hpp"

namespace cloudlet::usermgmt::testing {

inline ValidNewUser valid(std::string name, std::int32_t age) {
  return *validate(std::move(name), age);
}

template <class Maker>
class StoreContract : public ::testing::Test {
 protected:
  void SetUp() override { store_ = Maker::make(); }
  User create(std::string name, std::int32_t age) {
    auto user = store_->create(valid(std::move(name), age));
    EXPECT_TRUE(user.ok()) << user.error().message;
    return *user;
  }
  std::vector<User> list(UserQuery query = {}) {
    auto users = store_->list(query);
    EXPECT_TRUE(users.ok()) << users.error().message;
    return *users;
  }
  static std::vector<User> kept(std::vector<User> users) {
    return Maker::kKeeps ? users : std::vector<User>{};
  }

  StorePtr store_;
};

TYPED_TEST_SUITE_P(StoreContract);

TYPED_TEST_P(StoreContract, CreateReturnsTheUserWithIncreasingIds) {
  User alice = this->create("Alice", 43);
  User bob = this->create("Bob", 30);
  EXPECT_EQ(alice.name, "Alice");
  EXPECT_EQ(alice.age, 43);
  EXPECT_GT(alice.id, 0);
  EXPECT_EQ(bob.name, "Bob");
  EXPECT_GT(bob.id, alice.id);
}

TYPED_TEST_P(StoreContract, ListsEveryUserInIdOrder) {
  std::vector<User> created;
  for (int i = 0; i < 5; ++i) created.push_back(this->create("user" + std::to_string(i), 20 + i));
  EXPECT_EQ(this->list(), this->kept(created));
}

TYPED_TEST_P(StoreContract, FiltersByExactNamePrefixAndAge) {
  User ann = this->create("Ann", 30);
  User anna = this->create("Anna", 30);
  User annie = this->create("Annie", 41);
  this->create("Bob", 30);
  EXPECT_EQ(this->list({.name = "Ann"}), this->kept({ann}));
  EXPECT_EQ(this->list({.name = "Ann", .name_match = NameMatch::kPrefix}),
            this->kept({ann, anna, annie}));
  EXPECT_EQ(this->list({.name = "Ann", .name_match = NameMatch::kPrefix, .age = 30}),
            this->kept({ann, anna}));
  EXPECT_EQ(this->list({.age = 41}), this->kept({annie}));
  EXPECT_EQ(this->list({.name = "Nobody"}), std::vector<User>{});
}

TYPED_TEST_P(StoreContract, PrefixMatchesWildcardCharactersLiterally) {
  User pct = this->create("a%b", 1);
  User under = this->create("a_b", 2);
  User slash = this->create("a\\b", 3);
  this->create("axb", 4);
  EXPECT_EQ(this->list({.name = "a%", .name_match = NameMatch::kPrefix}), this->kept({pct}));
  EXPECT_EQ(this->list({.name = "a_", .name_match = NameMatch::kPrefix}), this->kept({under}));
  EXPECT_EQ(this->list({.name = "a\\", .name_match = NameMatch::kPrefix}), this->kept({slash}));
}

TYPED_TEST_P(StoreContract, PagesByIdWithALimit) {
  std::vector<User> created;
  for (int i = 0; i < 5; ++i) created.push_back(this->create("p", i));
  auto first = this->list({.limit = 2});
  EXPECT_EQ(first, this->kept({created[0], created[1]}));
  auto rest = this->list({.after_id = created[1].id});
  EXPECT_EQ(rest, this->kept({created[2], created[3], created[4]}));
}

TYPED_TEST_P(StoreContract, GetsAndRemovesById) {
  User alice = this->create("Alice", 43);
  auto got = this->store_->get(alice.id);
  if (!TypeParam::kKeeps) {
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, ErrorCode::kNotFound);
    return;
  }
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, alice);
  auto removed = this->store_->remove(alice.id);
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_EQ(*removed, alice);
  EXPECT_EQ(this->store_->get(alice.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(this->store_->remove(alice.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(this->list(), std::vector<User>{});
  // Ids are never reused, even after a delete.
  EXPECT_GT(this->create("Bob", 30).id, alice.id);
}

TYPED_TEST_P(StoreContract, UnknownIdIsNotFound) {
  EXPECT_EQ(this->store_->get(424242).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(this->store_->remove(424242).error().code, ErrorCode::kNotFound);
}

TYPED_TEST_P(StoreContract, ConcurrentCreatesGetDistinctIds) {
  constexpr int kThreads = 8;
  constexpr int kEach = 100;
  std::vector<std::vector<std::int32_t>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto u = this->store_->create(valid("t" + std::to_string(t), i));
        if (u.ok()) ids[static_cast<std::size_t>(t)].push_back(u->id);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::int32_t> distinct;
  for (const auto& v : ids) {
    EXPECT_EQ(v.size(), std::size_t{kEach});
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));  // increasing per caller
    distinct.insert(v.begin(), v.end());
  }
  EXPECT_EQ(distinct.size(), std::size_t{kThreads * kEach});
  EXPECT_EQ(this->list().size(), TypeParam::kKeeps ? std::size_t{kThreads * kEach} : 0u);
}

TYPED_TEST_P(StoreContract, IsHealthy) { EXPECT_TRUE(this->store_->health().ok()); }

REGISTER_TYPED_TEST_SUITE_P(StoreContract, CreateReturnsTheUserWithIncreasingIds,
                            ListsEveryUserInIdOrder, FiltersByExactNamePrefixAndAge,
                            PrefixMatchesWildcardCharactersLiterally, PagesByIdWithALimit,
                            GetsAndRemovesById, UnknownIdIsNotFound,
                            ConcurrentCreatesGetDistinctIds, IsHealthy);

}  // namespace cloudlet::usermgmt::testing
