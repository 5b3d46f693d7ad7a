#include "events/pg_array.hpp"

#include <gtest/gtest.h>

namespace cloudlet::events {
namespace {

TEST(ArrayLiteral, QuotesEveryTextElementSoNothingIsReadAsSyntax) {
  EXPECT_EQ(text_array({"a", "", "NULL", "x,y", "{}", " s "}),
            R"({"a","","NULL","x,y","{}"," s "})");
}

TEST(ArrayLiteral, EscapesQuotesAndBackslashes) {
  EXPECT_EQ(text_array({R"({"k":"v\n"})"}), R"({"{\"k\":\"v\\n\"}"})");
}

TEST(ArrayLiteral, NulloptIsAnUnquotedNull) {
  ArrayLiteral literal;
  literal.add(std::optional<std::string_view>("x"));
  literal.add(std::optional<std::string_view>());
  EXPECT_EQ(literal.take(), R"({"x",NULL})");
}

TEST(ArrayLiteral, EmptyArrays) {
  EXPECT_EQ(text_array({}), "{}");
  EXPECT_EQ(bigint_array({}), "{}");
}

TEST(ArrayLiteral, Numbers) {
  EXPECT_EQ(bigint_array({1, -2, 9007199254740993}), "{1,-2,9007199254740993}");
}

TEST(ArrayLiteral, TakeLeavesTheBuilderEmptyForReuse) {
  ArrayLiteral literal;
  literal.add(std::string_view("a"));
  EXPECT_EQ(literal.take(), R"({"a"})");
  literal.add(std::int64_t{7});
  EXPECT_EQ(literal.take(), "{7}");
}

}  // namespace
}  // namespace cloudlet::events
