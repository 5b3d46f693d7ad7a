// The RPC logic, constructed directly over a memory store.
#include "usermgmt/handler.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cloudlet::usermgmt {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class HandlerTest : public ::testing::Test {
 protected:
  ::usermgmt::User create(const std::string& name, std::int32_t age) {
    ::usermgmt::NewUser request;
    request.set_name(name);
    request.set_age(age);
    auto user = handler_.create_new_user(request);
    EXPECT_TRUE(user.ok()) << user.error().message;
    return *user;
  }
  static std::vector<std::int32_t> ids(const ::usermgmt::UsersList& list) {
    std::vector<std::int32_t> out;
    for (const auto& u : list.users()) out.push_back(u.id());
    return out;
  }

  StorePtr store_ = make_memory_store();
  Handler handler_{*store_};
};

TEST_F(HandlerTest, SeedCallsBehaveAsTheSeed) {
  auto alice = create("Alice", 43);
  auto bob = create("Bob", 30);
  EXPECT_EQ(alice.name(), "Alice");
  EXPECT_EQ(alice.age(), 43);
  // GetUsersParams{} (what the seed sends) lists everyone, in id order, unpaged.
  auto all = handler_.get_users({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(ids(*all), (std::vector<std::int32_t>{alice.id(), bob.id()}));
  EXPECT_EQ(all->next_page_token(), "");
}

TEST_F(HandlerTest, InvalidInputNamesTheField) {
  ::usermgmt::NewUser empty;
  empty.set_age(3);
  EXPECT_THAT(handler_.create_new_user(empty).error().message, StartsWith("name"));
  ::usermgmt::NewUser long_name;
  long_name.set_name(std::string(257, 'n'));
  EXPECT_THAT(handler_.create_new_user(long_name).error().message, StartsWith("name"));
  ::usermgmt::NewUser old;
  old.set_name("Methuselah");
  old.set_age(969);
  auto r = handler_.create_new_user(old);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(r.error().message, StartsWith("age"));

  ::usermgmt::GetUserRequest zero;
  EXPECT_THAT(handler_.get_user(zero).error().message, StartsWith("id"));
  ::usermgmt::DeleteUserRequest negative;
  negative.set_id(-4);
  EXPECT_EQ(handler_.delete_user(negative).error().code, ErrorCode::kInvalidArgument);

  ::usermgmt::GetUsersParams bad_page;
  bad_page.set_page_size(-1);
  EXPECT_THAT(handler_.get_users(bad_page).error().message, StartsWith("page_size"));
  ::usermgmt::GetUsersParams bad_token;
  bad_token.set_page_token("garbage");
  EXPECT_THAT(handler_.get_users(bad_token).error().message, StartsWith("page_token"));
  ::usermgmt::GetUsersParams bad_age;
  bad_age.set_age(-1);
  EXPECT_THAT(handler_.get_users(bad_age).error().message, HasSubstr("age"));
}

TEST_F(HandlerTest, PagesThroughEveryMatchingUserOnce) {
  std::vector<std::int32_t> expected;
  for (int i = 0; i < 7; ++i) expected.push_back(create("page" + std::to_string(i), 30).id());
  create("other", 31);
  ::usermgmt::GetUsersParams request;
  request.set_age(30);
  request.set_page_size(3);
  std::vector<std::int32_t> seen;
  int pages = 0;
  for (;;) {
    auto page = handler_.get_users(request);
    ASSERT_TRUE(page.ok()) << page.error().message;
    ++pages;
    auto got = ids(*page);
    EXPECT_LE(got.size(), 3u);
    seen.insert(seen.end(), got.begin(), got.end());
    if (page->next_page_token().empty()) break;
    request.set_page_token(page->next_page_token());
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(pages, 3);
}

TEST_F(HandlerTest, ExactPageLeavesNoDanglingToken) {
  create("a", 1);
  create("b", 2);
  ::usermgmt::GetUsersParams request;
  request.set_page_size(2);
  auto page = handler_.get_users(request);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->users_size(), 2);
  EXPECT_EQ(page->next_page_token(), "");
}

TEST_F(HandlerTest, FiltersByNamePrefix) {
  auto ann = create("Ann", 30);
  auto anna = create("Anna", 31);
  create("Bob", 30);
  ::usermgmt::GetUsersParams request;
  request.set_name("Ann");
  EXPECT_EQ(ids(*handler_.get_users(request)), std::vector<std::int32_t>{ann.id()});
  request.set_name_match(::usermgmt::NAME_MATCH_PREFIX);
  EXPECT_EQ(ids(*handler_.get_users(request)), (std::vector<std::int32_t>{ann.id(), anna.id()}));
}

TEST_F(HandlerTest, GetAndDeleteById) {
  auto alice = create("Alice", 43);
  ::usermgmt::GetUserRequest get;
  get.set_id(alice.id());
  EXPECT_EQ(handler_.get_user(get)->name(), "Alice");
  ::usermgmt::DeleteUserRequest del;
  del.set_id(alice.id());
  EXPECT_EQ(handler_.delete_user(del)->name(), "Alice");
  EXPECT_EQ(handler_.get_user(get).error().code, ErrorCode::kNotFound);
}

TEST(PageToken, RoundTripsAndRejectsForgeries) {
  EXPECT_EQ(*decode_page_token(encode_page_token(42)), 42);
  for (const char* bad :
       {"", "after:", "after:-1", "after:0", "after:12x", "after:99999999999", "42"}) {
    EXPECT_FALSE(decode_page_token(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace cloudlet::usermgmt
