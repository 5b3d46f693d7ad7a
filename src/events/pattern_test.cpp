// The AWS-checked conformance lines (testdata/patterns.jsonl), each through
// both matchers, and the validation texts and limits of spec §2.4/§2.6.
#include "events/pattern.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "events/matcher.hpp"

namespace cloudlet::events {
namespace {

namespace json = boost::json;

struct ConformanceCase {
  std::string name, pattern, event, expect, message;
};

std::vector<ConformanceCase> load_conformance() {
  std::ifstream in(std::string(CLOUDLET_EVENTS_TESTDATA) + "/patterns.jsonl");
  std::vector<ConformanceCase> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const json::object o = json::parse(line).as_object();
    ConformanceCase c;
    c.name = std::string(o.at("name").as_string());
    c.pattern = o.contains("pattern_text") ? std::string(o.at("pattern_text").as_string())
                                           : json::serialize(o.at("pattern"));
    c.event = json::serialize(o.at("event"));
    c.expect = std::string(o.at("expect").as_string());
    if (const auto* e = o.if_contains("error"); e && e->as_object().contains("message")) {
      c.message = std::string(e->as_object().at("message").as_string());
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

// Patterns that share paths and operators with the conformance lines but
// decide otherwise, so an index that mixes rules up shows.
const char* const kDecoys[] = {
    R"({"source":["test-source-not"]})",
    R"({"detail":{"state":[{"prefix":"zzz"}]}})",
    R"({"detail":{"state":["pending"],"c-count":[{"numeric":[">",1000]}]}})",
    R"({"id":[{"exists":false}]})",
    R"({"resources":[{"suffix":"nope"}],"region":["us-east-2"]})",
    R"({"detail":{"FileName":[{"anything-but":{"suffix":".bak"}}]}})",
    R"({"$or":[{"FileName":[{"wildcard":"*.gif"}]},{"my_key":["other"]}]})",
    R"({"detail":{"x-limit":[{"numeric":["=",100]}]}})",
    R"({"dynamodb":{"NewImage":{"homemade":{"S":[{"exists":true}]}}}})",
    R"({"detail-type":[{"equals-ignore-case":"TEST-DETAIL-TYPEX"}]})",
};

TEST(PatternConformance, EveryLineMatchesAwsThroughBothMatchers) {
  const std::vector<ConformanceCase> cases = load_conformance();
  ASSERT_GE(cases.size(), 39u);
  for (const ConformanceCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto pattern = parse_pattern(c.pattern);
    if (c.expect == "invalid") {
      ASSERT_FALSE(pattern.ok());
      EXPECT_EQ(pattern.error().code, ErrorCode::kInvalidArgument);
      if (!c.message.empty()) {
        EXPECT_EQ(pattern.error().message, c.message);
      }
      continue;
    }
    ASSERT_TRUE(pattern.ok()) << pattern.error().message;
    const bool expected = c.expect == "match";
    EXPECT_EQ(matches(*pattern, c.event), expected);

    MatcherBuilder builder;
    std::vector<bool> decoy_matches;
    for (std::uint32_t i = 0; i < std::size(kDecoys); ++i) {
      auto decoy = parse_pattern(kDecoys[i]);
      ASSERT_TRUE(decoy.ok()) << kDecoys[i];
      builder.add(i + 1, *decoy);
      decoy_matches.push_back(matches(*decoy, c.event));
    }
    builder.add(0, *pattern);
    const Matcher matcher = std::move(builder).build();
    std::vector<std::uint32_t> keys;
    matcher.match(c.event, keys);
    std::vector<std::uint32_t> want;
    if (expected) want.push_back(0);
    for (std::uint32_t i = 0; i < decoy_matches.size(); ++i) {
      if (decoy_matches[i]) want.push_back(i + 1);
    }
    EXPECT_EQ(keys, want);
  }
}

std::string reason(std::string_view pattern) {
  auto p = parse_pattern(pattern);
  if (p.ok()) return "<valid>";
  const std::string prefix = "Event pattern is not valid. Reason: ";
  const std::string& m = p.error().message;
  return m.rfind(prefix, 0) == 0 ? m.substr(prefix.size()) : "<other> " + m;
}

TEST(PatternValidation, StructureErrorsCarryAwsReasons) {
  EXPECT_EQ(reason(R"([1])"), "Filter is not an object");
  EXPECT_EQ(reason(R"("x")"), "Filter is not an object");
  EXPECT_EQ(reason(R"({})"), "Empty objects are not allowed");
  EXPECT_EQ(reason(R"({"a":{}})"), "Empty objects are not allowed");
  EXPECT_EQ(reason(R"({"a":[]})"), "Empty arrays are not allowed");
  EXPECT_EQ(reason(R"({"a":"x"})"), "\"a\" must be an object or an array");
  EXPECT_EQ(reason(R"({"a":{"b":3}})"), "\"b\" must be an object or an array");
  EXPECT_EQ(reason(R"({"a":[[1]]})"), "Match value must be String, number, true, false, or null");
  EXPECT_EQ(reason(R"({"a":[{"prefix":"x","suffix":"y"}]})"),
            "Only one key allowed in match expression");
  EXPECT_EQ(reason(R"({"a":[{"EXISTS":true}]})"), "Unrecognized match type EXISTS");
  EXPECT_EQ(reason(R"({"a":[{"NUMERIC":[">",1]}]})"), "Unrecognized match type NUMERIC");
  // Malformed JSON: AWS's prefix, then the parser's own words.
  EXPECT_EQ(
      parse_pattern(R"({"a":)").error().message.rfind("Event pattern is not valid. Reason: ", 0),
      0u);
}

TEST(PatternValidation, StringOperatorErrors) {
  EXPECT_EQ(reason(R"({"a":[{"prefix":1}]})"), "prefix match pattern must be a string");
  EXPECT_EQ(reason(R"({"a":[{"prefix":["x"]}]})"), "prefix match pattern must be a string");
  EXPECT_EQ(reason(R"({"a":[{"suffix":123}]})"), "suffix match pattern must be a string");
  EXPECT_EQ(reason(R"({"a":[{"equals-ignore-case":1}]})"),
            "equals-ignore-case match pattern must be a string");
  EXPECT_EQ(reason(R"({"a":[{"wildcard":["x"]}]})"), "wildcard match pattern must be a string");
  EXPECT_EQ(reason(R"({"a":[{"exists":"true"}]})"),
            "exists match pattern must be either true or false.");
  EXPECT_EQ(reason(R"({"a":[{"prefix":""}]})"), "<valid>");
  EXPECT_EQ(reason(R"({"a":[{"prefix":{"equals-ignore-case":"Ab"}}]})"), "<valid>");
  EXPECT_EQ(reason(R"({"a":[{"suffix":{"equals-ignore-case":"Ab"}}]})"), "<valid>");
}

TEST(PatternValidation, WildcardErrorsGivePositions) {
  EXPECT_EQ(reason(R"({"a":[{"wildcard":"ab**"}]})"), "Consecutive wildcard characters at pos 3");
  EXPECT_EQ(reason(R"({"a":[{"wildcard":"**"}]})"), "Consecutive wildcard characters at pos 1");
  EXPECT_EQ(reason(R"({"a":[{"wildcard":"a\\*\\\\*"}]})"), "<valid>");
  EXPECT_EQ(reason(R"({"a":[{"wildcard":"a\\*"}]})"), "<valid>");
  EXPECT_EQ(reason(R"({"a":[{"wildcard":"ab\\x"}]})"), "Invalid escape character at pos 3");
  EXPECT_EQ(reason(R"({"a":[{"wildcard":"*:*:*:*:*:event-bus/*"}]})"),
            "Rule is too complex - try using fewer wildcard characters or fewer repeating "
            "character sequences after a wildcard character");
  EXPECT_EQ(reason(R"({"a":[{"wildcard":"*:*:*:*:*"}]})"), "<valid>");
}

TEST(PatternValidation, AnythingButErrors) {
  const std::string shape = "Value of anything-but must be an array or single string/number value.";
  EXPECT_EQ(reason(R"({"a":[{"anything-but":null}]})"), shape);
  EXPECT_EQ(reason(R"({"a":[{"anything-but":true}]})"), shape);
  EXPECT_EQ(reason(R"({"a":[{"anything-but":{"prefix":{"equals-ignore-case":"x"}}}]})"), shape);
  EXPECT_EQ(reason(R"({"a":[{"anything-but":["x",null]}]})"),
            "Inside anything but list, start|null|boolean is not supported.");
  EXPECT_EQ(reason(R"({"a":[{"anything-but":[false]}]})"),
            "Inside anything but list, start|null|boolean is not supported.");
  EXPECT_EQ(reason(R"({"a":[{"anything-but":["x",1]}]})"),
            "Inside anything but list, either all values are number or string, mixed type is not "
            "supported");
  EXPECT_EQ(reason(R"({"a":[{"anything-but":{"prefix":""}}]})"), "Null prefix/suffix not allowed");
  EXPECT_EQ(reason(R"({"a":[{"anything-but":{"suffix":["x",""]}}]})"),
            "Null prefix/suffix not allowed");
  EXPECT_EQ(reason(R"({"a":[{"anything-but":{"prefix":1}}]})"),
            "prefix/suffix match pattern must be a string");
  EXPECT_EQ(reason(R"({"a":[{"anything-but":{"equals-ignore-case":[1]}}]})"),
            "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not "
            "supported.");
  EXPECT_EQ(reason(R"({"a":[{"anything-but":{"wildcard":1}}]})"),
            "wildcard match pattern must be a string");
  EXPECT_EQ(reason(R"({"a":[{"anything-but":{"numeric":[">",1]}}]})"),
            "Unsupported anything-but pattern: numeric");
  EXPECT_EQ(reason(R"({"a":[{"anything-but":{"wildcard":""}}]})"), "<valid>");
  EXPECT_EQ(reason(R"({"a":[{"anything-but":[1,2.5]}]})"), "<valid>");
}

TEST(PatternValidation, NumericErrors) {
  EXPECT_EQ(reason(R"({"a":[{"numeric":5}]})"), "Value of numeric must be an array.");
  EXPECT_EQ(reason(R"({"a":[{"numeric":[5]}]})"), "Invalid member in numeric match: 5");
  EXPECT_EQ(reason(R"({"a":[{"numeric":["!",5]}]})"), "Unrecognized numeric range operator: !");
  EXPECT_EQ(reason(R"({"a":[{"numeric":["<"]}]})"), "Value of < must be numeric");
  EXPECT_EQ(reason(R"({"a":[{"numeric":["=","5"]}]})"), "Value of equals must be numeric");
  EXPECT_EQ(reason(R"({"a":[{"numeric":["<",5,">",1]}]})"),
            "Too many elements in numeric expression");
  EXPECT_EQ(reason(R"({"a":[{"numeric":[">",0,">",0]}]})"), "Bad numeric range operator: >");
  EXPECT_EQ(reason(R"({"a":[{"numeric":[">",0,5]}]})"), "Bad value in numeric range: 5");
  EXPECT_EQ(reason(R"({"a":[{"numeric":[">",0,"<",5,"<"]}]})"),
            "Too many terms in numeric range expression");
  EXPECT_EQ(reason(R"({"a":[{"numeric":[">",5,"<",5]}]})"), "Bottom must be less than top");
  EXPECT_EQ(reason(R"({"a":[{"numeric":[">",0,"<=","x"]}]})"), "Value of <= must be numeric");
  EXPECT_EQ(reason(R"({"a":[{"numeric":[">=",0,"<",5]}]})"), "<valid>");
}

TEST(PatternValidation, CidrErrors) {
  EXPECT_EQ(reason(R"({"a":[{"cidr":1}]})"), "prefix match pattern must be a string");
  EXPECT_EQ(reason(R"({"a":[{"cidr":"10.0.0.0"}]})"), "Malformed CIDR, one '/' required");
  EXPECT_EQ(reason(R"({"a":[{"cidr":"10.0.0.0/8/8"}]})"), "Malformed CIDR, one '/' required");
  EXPECT_EQ(reason(R"({"a":[{"cidr":"10.0.0.0/x"}]})"),
            "Malformed CIDR, mask bits must be an integer");
  EXPECT_EQ(reason(R"({"a":[{"cidr":"10.0.0.0/-1"}]})"),
            "Malformed CIDR, mask bits must not be negative");
  EXPECT_EQ(reason(R"({"a":[{"cidr":"10.0.0.256/8"}]})"), "Nonstandard IP address: 10.0.0.256");
  EXPECT_EQ(reason(R"({"a":[{"cidr":"10.0.0.0/32"}]})"), "IPv4 mask bits must be < 32");
  EXPECT_EQ(reason(R"({"a":[{"cidr":"::/128"}]})"), "IPv6 mask bits must be < 128");
  EXPECT_EQ(reason(R"({"a":[{"cidr":"2001:db8:1234:1a00::/64"}]})"), "<valid>");
}

TEST(PatternValidation, OrRulesAndCombinationLimit) {
  EXPECT_EQ(reason(R"({"$or":[{"a":[1]}]})"),
            "There must have at least 2 Objects in $or relationship.");
  EXPECT_EQ(reason(R"({"$or":[{"a":[1]},[1]]})"),
            "Only JSON object is allowed in array of $or relationship.");
  EXPECT_EQ(reason(R"({"$or":[{"a":[1]},{}]})"), "Empty objects are not allowed");
  // 10 x 10 x 10 = 1000 alternatives is the limit; one more $or of 2 is over.
  std::string ors;
  auto or_of = [](const std::string& field, int n) {
    std::string s = "\"$or\":[";
    for (int i = 0; i < n; ++i)
      s += (i ? ",{\"" : "{\"") + field + "\":[" + std::to_string(i) + "]}";
    return s + "]";
  };
  const std::string thousand = "{\"a\":{" + or_of("x", 10) + "},\"b\":{" + or_of("y", 10) +
                               "},\"c\":{" + or_of("z", 10) + "}}";
  auto ok = parse_pattern(thousand);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->alternatives().size(), 1000u);
  const std::string over = "{\"a\":{" + or_of("x", 10) + "},\"b\":{" + or_of("y", 10) +
                           "},\"c\":{" + or_of("z", 10) + "},\"d\":{" + or_of("w", 2) + "}}";
  EXPECT_FALSE(parse_pattern(over).ok());
}

TEST(PatternValidation, LengthLimitCountsUtf16UnitsAndNamesTheMember) {
  const std::string small = R"({"a":["x"]})";
  EXPECT_TRUE(parse_pattern(small, small.size()).ok());
  auto over = parse_pattern(small, small.size() - 1);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().message,
            "1 validation error detected: Value '" + small +
                "' at 'eventPattern' failed to satisfy constraint: Member must have length less "
                "than or equal to " +
                std::to_string(small.size() - 1));
  const std::string rocket = R"({"a":["🚀"]})";  // 4 UTF-8 bytes, 2 UTF-16 units
  EXPECT_TRUE(parse_pattern(rocket, rocket.size() - 2).ok());
  EXPECT_FALSE(parse_pattern(rocket, rocket.size() - 3).ok());
  // Deep nesting within the length limit parses (no fixed depth cap).
  std::string deep;
  for (int i = 0; i < 300; ++i) deep += "{\"k\":";
  deep += "[1]";
  for (int i = 0; i < 300; ++i) deep += "}";
  EXPECT_TRUE(parse_pattern(deep).ok());
}

TEST(PatternValidation, RepeatedKeyKeepsTheLast) {
  auto p = parse_pattern(R"({"a":["x"],"a":["y"]})");
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(matches(*p, R"({"a":"x"})"));
  EXPECT_TRUE(matches(*p, R"({"a":"y"})"));
}

TEST(PatternHelpers, FoldCaseCoversLatinGreekCyrillic) {
  EXPECT_EQ(fold_case("AbC"), "abc");
  EXPECT_EQ(fold_case("ÀÉÖØÞ×"), "àéöøþ×");
  EXPECT_EQ(fold_case("ĀĹŸ"), "āĺÿ");
  EXPECT_EQ(fold_case("ΑΩ"), "αω");
  EXPECT_EQ(fold_case("ЯЁ"), "яё");
  EXPECT_EQ(fold_case("\xC3"), "\xC3");  // a cut sequence stays as it is
}

TEST(PatternHelpers, CidrContainsChecksFamilyAndBits) {
  auto p = parse_pattern(R"({"ip":[{"cidr":"10.0.0.0/24"}]})");
  ASSERT_TRUE(p.ok());
  const CidrBlock& v4 = p->alternatives()[0].fields[0].conditions[0].cidr;
  EXPECT_TRUE(cidr_contains(v4, "10.0.0.255"));
  EXPECT_FALSE(cidr_contains(v4, "10.0.1.0"));
  EXPECT_FALSE(cidr_contains(v4, "10.0.0.256"));
  EXPECT_FALSE(cidr_contains(v4, "::ffff:10.0.0.1"));
  auto q = parse_pattern(R"({"ip":[{"cidr":"2001:db8:1234:1a00::/64"}]})");
  ASSERT_TRUE(q.ok());
  const CidrBlock& v6 = q->alternatives()[0].fields[0].conditions[0].cidr;
  EXPECT_TRUE(cidr_contains(v6, "2001:0db8:1234:1a00:0000:0000:0000:0001"));
  EXPECT_TRUE(cidr_contains(v6, "2001:db8:1234:1a00:ffff::10.1.2.3"));
  EXPECT_FALSE(cidr_contains(v6, "2001:db8:1234:1a01::"));
  EXPECT_FALSE(cidr_contains(v6, "2001:db8:1234:1a00::1::"));
  EXPECT_FALSE(cidr_contains(v6, "10.0.0.1"));
}

}  // namespace
}  // namespace cloudlet::events
