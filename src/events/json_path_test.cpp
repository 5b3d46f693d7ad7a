#include "events/json_path.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "events/json_text.hpp"

namespace cloudlet::events {
namespace {

const boost::json::value kEvent = boost::json::parse(
    R"({"version":"0","detail-type":"sampledata","resources":["arn:a","arn:b"],)"
    R"("detail":{"a":{"b":7},"list":[{"x":1},{"x":[true]}],"aws:region":"eu","":"empty"}})");

std::string at(std::string_view path) {
  auto parsed = JsonPath::parse(path);
  EXPECT_TRUE(parsed.ok()) << path;
  if (!parsed.ok()) return "<invalid>";
  const auto* v = parsed->find(kEvent);
  return v == nullptr ? "<missing>" : to_json(*v);
}

TEST(JsonPath, DollarIsTheWholeEvent) { EXPECT_EQ(at("$"), to_json(kEvent)); }

TEST(JsonPath, FindsTheSpecExamples) {
  EXPECT_EQ(at("$.detail.a"), R"({"b":7})");
  EXPECT_EQ(at("$.detail.a.b"), "7");
  EXPECT_EQ(at("$.resources[0]"), R"("arn:a")");
  EXPECT_EQ(at("$.resources[1]"), R"("arn:b")");
}

TEST(JsonPath, NamesMayHoldDashesAndColons) {
  EXPECT_EQ(at("$.detail-type"), R"("sampledata")");
  EXPECT_EQ(at("$.detail.aws:region"), R"("eu")");
}

TEST(JsonPath, StepsChainThroughArraysAndObjects) {
  EXPECT_EQ(at("$.detail.list[1].x[0]"), "true");
  EXPECT_EQ(at("$.detail.list[0].x"), "1");
}

TEST(JsonPath, MissingOrMistypedStepsFindNothing) {
  EXPECT_EQ(at("$.nope"), "<missing>");
  EXPECT_EQ(at("$.detail.a.b.c"), "<missing>");  // a number has no members
  EXPECT_EQ(at("$.resources[2]"), "<missing>");  // past the end
  EXPECT_EQ(at("$.detail[0]"), "<missing>");     // an object has no index
  EXPECT_EQ(at("$.resources.length"), "<missing>");
  EXPECT_EQ(at("$.Detail"), "<missing>");  // names are case-sensitive
}

TEST(JsonPath, KeepsItsText) {
  auto p = JsonPath::parse("$.detail.list[1]");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->text(), "$.detail.list[1]");
  ASSERT_EQ(p->steps().size(), 3u);
  EXPECT_EQ(std::get<std::size_t>(p->steps()[2]), 1u);
}

TEST(JsonPath, RejectsWhatIsNotInTheSubset) {
  for (const char* bad : {"",         "detail",   "$$",
                          "$.",       "$..a",     "$.a.",
                          "$[",       "$[]",      "$[a]",
                          "$['a b']", "$[\"a\"]", "$[01]",
                          "$[1",      "$.a b",    "$.a]",
                          " $.a",     "$.a ",     "$[*]",
                          "$[-1]",    "$a",       "$[99999999999999999999999999]"}) {
    EXPECT_FALSE(JsonPath::parse(bad).ok()) << bad;
  }
}

TEST(JsonPath, RefusesTheWildcardRatherThanReadItAsAName) {
  // jayway JsonPath would read `*` as every member; AWS documents only plain
  // dot notation, so a `*` is refused instead of silently matching nothing.
  EXPECT_FALSE(JsonPath::parse("$.detail.*").ok());
  EXPECT_FALSE(JsonPath::parse("$.a*b").ok());
}

TEST(JsonText, WritesDoublesAsJavaDoes) {
  const auto text = [](std::string_view number) { return to_json(boost::json::parse(number)); };
  EXPECT_EQ(text("1.0"), "1.0");
  EXPECT_EQ(text("300.0"), "300.0");
  EXPECT_EQ(text("1e5"), "100000.0");
  EXPECT_EQ(text("9999999.5"), "9999999.5");
  EXPECT_EQ(text("1e7"), "1.0E7");
  EXPECT_EQ(text("1.5e-5"), "1.5E-5");
  EXPECT_EQ(text("0.001"), "0.001");
  EXPECT_EQ(text("-0.0"), "-0.0");
  EXPECT_EQ(text("0.1"), "0.1");
  EXPECT_EQ(text("1.7976931348623157e308"), "1.7976931348623157E308");
  EXPECT_EQ(text("1e400"), "1e999");
  EXPECT_EQ(text("-1e400"), "-1e999");
  EXPECT_EQ(boost::json::parse(text("1e400")), boost::json::parse("1e400"));
}

TEST(JsonText, WritesIntegersExactly) {
  const auto text = [](std::string_view number) { return to_json(boost::json::parse(number)); };
  EXPECT_EQ(text("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(text("18446744073709551615"), "18446744073709551615");
  EXPECT_EQ(text("0"), "0");
}

TEST(JsonText, EscapesStringsAndKeys) {
  EXPECT_EQ(to_json(boost::json::parse(R"({"a\"b":"\u0001\n\t\"\\/é"})")),
            "{\"a\\\"b\":\"\\u0001\\n\\t\\\"\\\\/é\"}");
}

TEST(JsonText, FormatsEventTimes) {
  using namespace std::chrono;
  EXPECT_EQ(format_event_time(sys_seconds{}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_event_time(sys_days{year{2024} / 2 / 29} + 23h + 59min + 59s),
            "2024-02-29T23:59:59Z");
  EXPECT_EQ(format_event_time(sys_seconds{seconds{-1}}), "1969-12-31T23:59:59Z");
}

}  // namespace
}  // namespace cloudlet::events
