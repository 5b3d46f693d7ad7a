#include "core/result.hpp"

#include <gtest/gtest.h>

namespace cloudlet {
namespace {

TEST(Result, HoldsValueOrError) {
  Result<int> ok = 7;
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 7);
  Result<int> bad = Error::not_found("no such contact");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(bad.error().message, "no such contact");
}

TEST(Status, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  Status failed = Error::unavailable("db down");
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(to_string(failed.error().code), "UNAVAILABLE");
}

TEST(ResultDeathTest, ReadingValueOfErrorAborts) {
  Result<int> bad = Error::internal("x");
  EXPECT_DEATH((void)bad.value(), "value\\(\\) of an error Result");
}

}  // namespace
}  // namespace cloudlet
