#include "http/target.hpp"

#include <gtest/gtest.h>

namespace cloudlet::http {
namespace {

TEST(ParseTarget, SplitsPathAndRawQuery) {
  auto t = parse_target("/contacts?page_size=2&search=a%20b+c");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/contacts");
  EXPECT_EQ(t->query, "page_size=2&search=a%20b+c");
}

TEST(ParseTarget, KeepsEverythingAfterTheFirstQuestionMarkAsQuery) {
  auto t = parse_target("/a?b=1?c=2");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/a");
  EXPECT_EQ(t->query, "b=1?c=2");
}

TEST(ParseTarget, EmptyQueryAfterQuestionMark) {
  auto t = parse_target("/a?");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/a");
  EXPECT_EQ(t->query, "");
}

TEST(ParseTarget, KeepsPercentEscapesInThePath) {
  auto t = parse_target("/contacts/some%20name/%2F");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/contacts/some%20name/%2F");
}

// The path is normalised the way SigV4 canonicalises it, so the router sees
// the path the signature covers.
TEST(ParseTarget, DropsDotAndEmptySegmentsAsSigV4Does) {
  struct Case {
    std::string_view raw, path;
  };
  for (const Case& c :
       {Case{"/", "/"}, Case{"//", "/"}, Case{"/./", "/"}, Case{"/example/..", "/"},
        Case{"/a/b/../..", "/"}, Case{"//example//", "/example/"}, Case{"/./example", "/example"},
        Case{"/x/../contacts//1", "/contacts/1"}, Case{"/../../etc", "/etc"},
        Case{"/contacts/", "/contacts/"}, Case{"/%2E%2E/a", "/%2E%2E/a"}}) {
    auto t = parse_target(c.raw);
    ASSERT_TRUE(t.ok()) << c.raw;
    EXPECT_EQ(t->path, c.path) << c.raw;
  }
}

TEST(ParseTarget, DoesNotNormaliseTheQuery) {
  auto t = parse_target("/a?x=/../b");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->query, "x=/../b");
}

TEST(ParseTarget, AcceptsEveryCharacterRfc3986AllowsAndBrackets) {
  auto t = parse_target("/-._~!$&'()*+,;=:@%41?q=[]&r=/?:@!$'()*+,;=");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/-._~!$&'()*+,;=:@%41");
  EXPECT_EQ(t->query, "q=[]&r=/?:@!$'()*+,;=");
}

TEST(ParseTarget, RefusesAFragmentAnywhere) {
  for (std::string_view raw : {"/contacts#x", "/contacts?#&page_size=2", "/contacts?a=1#", "/#",
                               "/contacts?X-Amz-Signature=abc#&search=Pearl"}) {
    auto t = parse_target(raw);
    ASSERT_FALSE(t.ok()) << raw;
    EXPECT_EQ(t.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(t.error().message.find("fragment"), std::string::npos);
  }
}

TEST(ParseTarget, RefusesBytesAbove0x7F) {
  for (std::string_view raw : {"/\xE1\x88\xB4", "/a?x=\xC3\xA9", "/\x80", "/\xFF"}) {
    auto t = parse_target(raw);
    ASSERT_FALSE(t.ok()) << raw;
    EXPECT_NE(t.error().message.find("non-ASCII"), std::string::npos);
  }
}

TEST(ParseTarget, RefusesThePrintableCharactersUrisExclude) {
  for (char c : std::string_view("\"<>\\^`{|}")) {
    for (std::string raw : {std::string("/a") + c, std::string("/a?q=") + c}) {
      auto t = parse_target(raw);
      ASSERT_FALSE(t.ok()) << raw;
      EXPECT_NE(t.error().message.find("exclude"), std::string::npos) << raw;
    }
  }
}

// Beast refuses these before us; refusing them again costs nothing and keeps
// the function safe for any caller.
TEST(ParseTarget, RefusesControlsSpaceAndDel) {
  for (std::string raw : {std::string("/a b"), std::string("/a\x7F"), std::string("/a\t"),
                          std::string("/a\0b", 4), std::string("/a\r\n")}) {
    EXPECT_FALSE(parse_target(raw).ok());
  }
}

TEST(ParseTarget, RefusesAbsoluteAndAsteriskForms) {
  for (std::string_view raw : {"http://host/a", "*", "", "a/b", "?x=1"}) {
    auto t = parse_target(raw);
    ASSERT_FALSE(t.ok()) << raw;
    EXPECT_NE(t.error().message.find("origin-form"), std::string::npos);
  }
}

}  // namespace
}  // namespace cloudlet::http
