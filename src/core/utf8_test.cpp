#include "core/utf8.hpp"

#include <gtest/gtest.h>

namespace cloudlet::utf8 {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  for (std::string_view s : {"", "ascii", "caf\xC3\xA9", "\xE1\x88\xB4", "\xF0\x9F\x98\x80",
                             "\xEF\xBF\xBD", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_TRUE(valid(s)) << s;
    EXPECT_EQ(sanitize(s), s);
  }
}

TEST(Utf8, RefusesWhatRfc3629Excludes) {
  for (std::string_view s : {"\x80", "\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xED\xA0\x80",
                             "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "\xC3", "a\xE1\x88"}) {
    EXPECT_FALSE(valid(s)) << testing::PrintToString(s);
    EXPECT_TRUE(valid(sanitize(s))) << testing::PrintToString(s);
  }
}

TEST(Utf8, ReplacesEachInvalidSubpartOnce) {
  EXPECT_EQ(sanitize("a\xFF"
                     "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(sanitize("\xE1\x88"
                     "x"),
            "\xEF\xBF\xBD"
            "x");
  EXPECT_EQ(sanitize("\x80\x80"), "\xEF\xBF\xBD");
  EXPECT_EQ(sanitize("caf\xC3\xA9\xFF"), "caf\xC3\xA9\xEF\xBF\xBD");
}

}  // namespace
}  // namespace cloudlet::utf8
