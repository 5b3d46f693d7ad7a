// The store contract for the stores that need no database.
#include "usermgmt/store_suite.hpp"
#include "usermgmt/test_support.hpp"

namespace cloudlet::usermgmt::testing {
namespace {

struct NoneMaker {
  static constexpr bool kKeeps = false;
  static StorePtr make() { return make_none_store(); }
};
struct MemoryMaker {
  static constexpr bool kKeeps = true;
  static StorePtr make() { return make_memory_store(); }
};
struct JsonMaker {
  static constexpr bool kKeeps = true;
  static StorePtr make() {
    auto store = open_json_store(temp_dir() / "users.json");
    if (!store.ok()) ADD_FAILURE() << store.error().message;
    return std::move(*store);
  }
};

using Stores = ::testing::Types<NoneMaker, MemoryMaker, JsonMaker>;
INSTANTIATE_TYPED_TEST_SUITE_P(Local, StoreContract, Stores);

TEST(Validate, AcceptsTheSeedsUsers) {
  EXPECT_TRUE(validate("Alice", 43).ok());
  EXPECT_TRUE(validate(std::string(256, 'x'), 0).ok());
  EXPECT_TRUE(validate("Zoë", 200).ok());
}

TEST(Validate, RejectsBadNamesNamingTheField) {
  for (const std::string& name :
       {std::string(), std::string(257, 'x'), std::string("\xff\xfe"), std::string("\xc0\xaf"),
        std::string("\xed\xa0\x80"), std::string("Al\0ice", 6)}) {
    auto r = validate(name, 30);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message, ::testing::StartsWith("name"));
  }
}

TEST(Validate, RejectsAgesOutsideZeroTo200NamingTheField) {
  for (std::int32_t age : {-1, 201, std::numeric_limits<std::int32_t>::min()}) {
    auto r = validate("Alice", age);
    ASSERT_FALSE(r.ok()) << age;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message, ::testing::StartsWith("age"));
  }
}

}  // namespace
}  // namespace cloudlet::usermgmt::testing
