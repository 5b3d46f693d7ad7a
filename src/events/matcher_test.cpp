// Matching semantics of spec §2.2-§2.5, each through matches() and a Matcher.
#include "events/matcher.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cloudlet::events {
namespace {

Pattern must_parse(std::string_view text) {
  auto p = parse_pattern(text);
  if (!p.ok()) ADD_FAILURE() << text << ": " << p.error().message;
  return p.ok() ? std::move(*p) : Pattern{};
}

// Both matchers must agree; returns their answer.
bool both(std::string_view pattern, std::string_view event) {
  const Pattern p = must_parse(pattern);
  const bool alone = matches(p, event);
  MatcherBuilder builder;
  builder.add(7, p);
  const Matcher m = std::move(builder).build();
  std::vector<std::uint32_t> keys;
  m.match(event, keys);
  EXPECT_EQ(!keys.empty(), alone) << pattern << " on " << event;
  return alone;
}

TEST(Matching, ExactValuesKeepTheirJsonType) {
  EXPECT_TRUE(both(R"({"a":[300]})", R"({"a":300.0})"));
  EXPECT_TRUE(both(R"({"a":[300]})", R"({"a":3.0e2})"));
  EXPECT_FALSE(both(R"({"a":[300]})", R"({"a":"300"})"));
  EXPECT_TRUE(both(R"({"a":[0]})", R"({"a":-0.0})"));
  EXPECT_TRUE(both(R"({"a":[true]})", R"({"a":true})"));
  EXPECT_FALSE(both(R"({"a":[true]})", R"({"a":"true"})"));
  EXPECT_TRUE(both(R"({"a":[null]})", R"({"a":null})"));
  EXPECT_FALSE(both(R"({"a":[null]})", R"({"b":1})"));
  EXPECT_FALSE(both(R"({"a":[null]})", R"({"a":""})"));
  EXPECT_TRUE(both(R"({"a":[""]})", R"({"a":""})"));
  EXPECT_FALSE(both(R"({"a":[""]})", R"({"a":null})"));
  EXPECT_FALSE(both(R"({"a":["x"]})", R"({"a":{"x":1}})"));
}

TEST(Matching, DotsJoinPathsInPatternAndEvent) {
  EXPECT_TRUE(both(R"({"d":{"s.t":["r"]}})", R"({"d":{"s":{"t":"r"}}})"));
  EXPECT_TRUE(both(R"({"d":{"s":{"t":["r"]}}})", R"({"d":{"s.t":"r"}})"));
  EXPECT_FALSE(both(R"({"d":{"s":{"t":["r"]}}})", R"({"d":"{\"s\":{\"t\":\"r\"}}"})"));
  // Enough siblings that the path trie switches to a hash map for them.
  std::string pattern = R"({"d":{)", event = R"({"d.k0":0,"d":{)";
  for (int i = 0; i < 12; ++i) {
    pattern += (i ? "," : "") + ("\"k" + std::to_string(i) + "\":[" + std::to_string(i) + "]");
    if (i > 0)
      event += (i > 1 ? "," : "") + ("\"k" + std::to_string(i) + "\":" + std::to_string(i));
  }
  pattern += "}}";
  event += "}}";
  EXPECT_TRUE(both(pattern, event));
  EXPECT_FALSE(both(pattern, R"({"d":{"k0":0}})"));
  EXPECT_TRUE(both(R"({"":{"b":[1]}})", R"({"":{"b":1}})"));
  EXPECT_FALSE(both(R"({"":{"b":[1]}})", R"({"b":1})"));
  EXPECT_TRUE(both(R"({"a.":{"b":[1]}})", R"({"a":{"":{"b":1}}})"));
}

TEST(Matching, EventArraysIntersectAndKeepElementsTogether) {
  EXPECT_TRUE(both(R"({"r":["b","z"]})", R"({"r":["a","b"]})"));
  EXPECT_TRUE(both(R"({"r":["b"]})", R"({"r":[["a"],[["b"]]]})"));
  EXPECT_TRUE(both(R"({"e":{"id":["2"]}})", R"({"e":[{"id":"1"},{"id":"2"}]})"));
  const std::string employees =
      R"({"employees":[{"first":"Anna","last":"Smith"},{"first":"Peter","last":"Jones"}]})";
  EXPECT_FALSE(both(R"({"employees":{"first":["Anna"],"last":["Jones"]}})", employees));
  EXPECT_TRUE(both(R"({"employees":{"first":["Anna"],"last":["Smith"]}})", employees));
  // Different arrays combine freely.
  EXPECT_TRUE(both(R"({"a":{"x":[1]},"b":{"y":[2]}})", R"({"a":[{"x":1}],"b":[{"y":3},{"y":2}]})"));
  // Nested arrays: the outer element must agree too.
  EXPECT_FALSE(
      both(R"({"o":{"i":{"x":[1],"y":[2]}}})", R"({"o":[{"i":[{"x":1}]},{"i":[{"y":2}]}]})"));
  EXPECT_FALSE(both(R"({"o":{"i":{"x":[1],"y":[2]}}})", R"({"o":[{"i":[{"x":1},{"y":2}]}]})"));
  EXPECT_TRUE(both(R"({"o":{"i":{"x":[1],"y":[2]}}})", R"({"o":[{"i":[{"x":1,"y":2}]}]})"));
  EXPECT_FALSE(both(R"({"r":[{"exists":true}]})", R"({"r":[]})"));
  EXPECT_TRUE(both(R"({"r":[{"exists":false}]})", R"({"r":[]})"));
}

TEST(Matching, StringOperators) {
  EXPECT_TRUE(both(R"({"a":[{"prefix":""}]})", R"({"a":""})"));
  EXPECT_FALSE(both(R"({"a":[{"prefix":""}]})", R"({"a":1})"));
  EXPECT_TRUE(both(R"({"a":[{"prefix":"ab"},{"prefix":"xy"}]})", R"({"a":"xyz"})"));
  EXPECT_TRUE(both(R"({"a":[{"prefix":{"equals-ignore-case":"ÉvE"}}]})", R"({"a":"éVEnt"})"));
  EXPECT_FALSE(both(R"({"a":[{"suffix":".png"}]})", R"({"a":"x.PNG"})"));
  EXPECT_TRUE(both(R"({"a":[{"suffix":{"equals-ignore-case":".png"}}]})", R"({"a":"x.PNG"})"));
  EXPECT_TRUE(both(R"({"a":[{"equals-ignore-case":"HeLLo"}]})", R"({"a":"hello"})"));
  EXPECT_FALSE(both(R"({"a":[{"equals-ignore-case":""}]})", R"({"a":"x"})"));
  EXPECT_TRUE(both(R"({"a":[{"wildcard":"a*/c"}]})", R"({"a":"ab/b/c"})"));
  EXPECT_FALSE(both(R"({"a":[{"wildcard":"a*c*c"}]})", R"({"a":"ac"})"));
  EXPECT_TRUE(both(R"({"a":[{"wildcard":"a\\*b"}]})", R"({"a":"a*b"})"));
  EXPECT_FALSE(both(R"({"a":[{"wildcard":"a\\*b"}]})", R"({"a":"axb"})"));
  EXPECT_TRUE(both(R"({"a":[{"wildcard":""}]})", R"({"a":""})"));
  EXPECT_TRUE(both(R"({"ip":[{"cidr":"10.0.0.0/24"}]})", R"({"ip":"10.0.0.9"})"));
  EXPECT_FALSE(both(R"({"ip":[{"cidr":"10.0.0.0/24"}]})", R"({"ip":"10.0.0.256"})"));
}

TEST(Matching, AnythingButNeedsAPresentValue) {
  EXPECT_FALSE(both(R"({"a":[{"anything-but":"x"}]})", R"({"b":1})"));
  EXPECT_TRUE(both(R"({"a":[{"anything-but":"x"}]})", R"({"a":null})"));
  EXPECT_TRUE(both(R"({"a":[{"anything-but":"x"}]})", R"({"a":5})"));
  EXPECT_FALSE(both(R"({"a":[{"anything-but":"x"}]})", R"({"a":{"b":"y"}})"));
  EXPECT_FALSE(both(R"({"a":[{"anything-but":[1,2]}]})", R"({"a":2.0})"));
  EXPECT_TRUE(both(R"({"a":[{"anything-but":[1,2]}]})", R"({"a":"2"})"));
  EXPECT_TRUE(both(R"({"a":[{"anything-but":{"prefix":"x"}}]})", R"({"a":true})"));
  EXPECT_TRUE(both(R"({"a":[{"anything-but":"x"}]})", R"({"a":["x","y"]})"));
  EXPECT_FALSE(both(R"({"a":[{"anything-but":"x"}]})", R"({"a":["x"]})"));
  EXPECT_TRUE(both(R"({"a":[{"numeric":[">",100]},{"anything-but":"101"}]})", R"({"a":"42"})"));
}

TEST(Matching, NumericAndExists) {
  EXPECT_TRUE(both(R"({"a":[{"numeric":[">",100]}]})", R"({"a":101.0})"));
  EXPECT_FALSE(both(R"({"a":[{"numeric":[">",100]}]})", R"({"a":"300"})"));
  EXPECT_TRUE(both(R"({"a":[{"numeric":[">=",1,"<",2]}]})", R"({"a":1})"));
  EXPECT_FALSE(both(R"({"a":[{"numeric":[">=",1,"<",2]}]})", R"({"a":2})"));
  EXPECT_TRUE(both(R"({"a":[{"numeric":["=",5]}]})", R"({"a":5e0})"));
  EXPECT_TRUE(both(R"({"a":[{"exists":true}]})", R"({"a":null})"));
  EXPECT_FALSE(both(R"({"a":[{"exists":true}]})", R"({"a":{}})"));
  EXPECT_TRUE(both(R"({"a":[{"exists":false}]})", R"({"a":{"b":1}})"));
  EXPECT_FALSE(both(R"({"a":[{"exists":false}]})", R"({"a":0})"));
  EXPECT_TRUE(both(R"({"a":[{"exists":false}],"b":[{"exists":false}]})", R"({"c":0})"));
}

TEST(Matching, OrNeedsOneBranchBesideTheRest) {
  const std::string p = R"({"s":["x"],"$or":[{"a":[1]},{"b":{"c":[{"prefix":"q"}]}}]})";
  EXPECT_TRUE(both(p, R"({"s":"x","a":1})"));
  EXPECT_TRUE(both(p, R"({"s":"x","b":{"c":"qq"}})"));
  EXPECT_FALSE(both(p, R"({"s":"y","a":1})"));
  EXPECT_FALSE(both(p, R"({"s":"x","a":2})"));
  const std::string nested = R"({"$or":[{"a":[1]},{"$or":[{"b":[2]},{"c":[3]}]}]})";
  EXPECT_TRUE(both(nested, R"({"c":3})"));
  EXPECT_FALSE(both(nested, R"({"d":3})"));
}

TEST(Matching, MalformedOrNonObjectEventsMatchNothing) {
  EXPECT_FALSE(both(R"({"a":[{"exists":false}]})", R"({"a":)"));
  EXPECT_FALSE(both(R"({"a":[{"exists":false}]})", R"([])"));
  EXPECT_FALSE(both(R"({"a":[{"exists":false}]})", "{\"a\":\"\xff\"}"));
  EXPECT_FALSE(both(R"({"a":[{"exists":false}]})", R"({"b":1} x)"));
}

TEST(MatcherIndex, ReturnsEachKeyOnceInOrder) {
  MatcherBuilder builder;
  builder.add(5, must_parse(R"({"a":["x"]})"));
  builder.add(2, must_parse(R"({"$or":[{"a":["x"]},{"b":["y"]}]})"));
  builder.add(5, must_parse(R"({"a":[{"prefix":"x"}]})"));
  builder.add(9, must_parse(R"({"a":["nope"]})"));
  builder.add(3, must_parse(R"({"z":[{"exists":false}]})"));
  const Matcher m = std::move(builder).build();
  EXPECT_EQ(m.size(), 5u);
  std::vector<std::uint32_t> keys{42};
  MatchScratch scratch;
  m.match(R"({"a":"x","b":"y"})", keys, scratch);
  EXPECT_EQ(keys, (std::vector<std::uint32_t>{2, 3, 5}));
  m.match(R"({"a":"q","z":1})", keys, scratch);
  EXPECT_TRUE(keys.empty());
  EXPECT_EQ(Matcher().size(), 0u);
  Matcher().match(R"({"a":"x"})", keys);
  EXPECT_TRUE(keys.empty());
}

// Many rules on one path make numeric ranges and wildcard heads gates; every
// key the index reports must be exactly the ones matches() accepts.
TEST(MatcherIndex, GatedRulesAgreeWithDirectMatching) {
  std::vector<Pattern> patterns;
  for (int i = 0; i < 200; ++i) {
    const std::string lo = std::to_string(i), hi = std::to_string(i + 3);
    patterns.push_back(must_parse(R"({"n":[{"numeric":[">=",)" + lo + R"(,"<",)" + hi + "]}]}"));
    patterns.push_back(must_parse(R"({"n":[{"numeric":["=",)" + lo + ".5]}]}"));
    patterns.push_back(
        must_parse(R"({"f":[{"wildcard":"d)" + std::to_string(i % 7) + R"(/*.png"}]})"));
  }
  patterns.push_back(must_parse(R"({"n":[{"numeric":[">",-1e300,"<=",1e300]}]})"));
  patterns.push_back(must_parse(R"({"f":[{"wildcard":"*.png"}],"n":[{"numeric":["<",10]}]})"));
  MatcherBuilder builder;
  for (std::uint32_t k = 0; k < patterns.size(); ++k) builder.add(k, patterns[k]);
  const Matcher m = std::move(builder).build();
  MatchScratch scratch;
  std::vector<std::uint32_t> keys;
  for (const char* event :
       {R"({"n":-5})", R"({"n":0})", R"({"n":2.999})", R"({"n":3})", R"({"n":17.5})",
        R"({"n":199.5})", R"({"n":202})", R"({"n":1e9})", R"({"n":[4,150.5]})",
        R"({"f":"d3/x.png","n":5})", R"({"f":"d3/x.PNG"})", R"({"f":"d6/.png","n":[]})"}) {
    m.match(event, keys, scratch);
    std::vector<std::uint32_t> want;
    for (std::uint32_t k = 0; k < patterns.size(); ++k) {
      if (matches(patterns[k], event)) want.push_back(k);
    }
    EXPECT_EQ(keys, want) << event;
    EXPECT_FALSE(want.empty() && std::string(event) != R"({"f":"d3/x.PNG"})") << event;
  }
}

// Rules that share common values on two fields are gated by the pair.
TEST(MatcherIndex, PairGatedRulesAgreeWithDirectMatching) {
  std::vector<Pattern> patterns;
  for (int i = 0; i < 300; ++i) {
    const std::string s = "s" + std::to_string(i % 5), t = "t" + std::to_string(i % 7);
    patterns.push_back(must_parse(R"({"source":[")" + s + R"("],"type":[")" + t +
                                  R"("],"n":[{"anything-but":)" + std::to_string(i % 3) + "}]}"));
  }
  MatcherBuilder builder;
  for (std::uint32_t k = 0; k < patterns.size(); ++k) builder.add(k, patterns[k]);
  const Matcher m = std::move(builder).build();
  std::vector<std::uint32_t> keys;
  for (const char* event :
       {R"({"source":"s1","type":"t2","n":0})", R"({"source":["s1","s3"],"type":["x","t6"],"n":2})",
        R"({"source":"s1","type":5,"n":1})", R"({"source":"s4","type":"t4"})",
        R"({"source":"s1t","type":"2","n":1})"}) {
    m.match(event, keys);
    std::vector<std::uint32_t> want;
    for (std::uint32_t k = 0; k < patterns.size(); ++k) {
      if (matches(patterns[k], event)) want.push_back(k);
    }
    EXPECT_EQ(keys, want) << event;
  }
  m.match(R"({"source":"s1","type":"t2","n":0})", keys);
  EXPECT_FALSE(keys.empty());
}

// An event built so that a search over every combination of array elements
// would take hours: four arrays the pattern's fields do not share, and a
// fifth whose two fields never sit in one element. The groups of fields are
// searched apart, so this is quick (a regression would time the suite out).
TEST(MatcherArrays, FieldsInUnrelatedArraysDoNotMultiplyTheSearch) {
  auto pattern = parse_pattern(
      R"({"detail":{"a":{"x":[1]},"b":{"x":[1]},"c":{"x":[1]},"d":{"x":[1]},"z":{"x":[1],"y":[2]}}})");
  ASSERT_TRUE(pattern.ok()) << pattern.error().message;
  auto event = [](std::string_view z) {
    std::string many = "[";
    for (int i = 0; i < 60; ++i) many += std::string(i ? "," : "") + R"({"x":1})";
    many += "]";
    return R"({"detail":{"a":)" + many + R"(,"b":)" + many + R"(,"c":)" + many + R"(,"d":)" + many +
           R"(,"z":)" + std::string(z) + "}}";
  };
  const std::string apart = event(R"([{"x":1},{"y":2}])");
  const std::string together = event(R"([{"x":1},{"x":1,"y":2}])");
  EXPECT_FALSE(matches(*pattern, apart));
  EXPECT_TRUE(matches(*pattern, together));
  MatcherBuilder builder;
  builder.add(7, *pattern);
  Matcher matcher = std::move(builder).build();
  std::vector<std::uint32_t> keys;
  matcher.match(apart, keys);
  EXPECT_TRUE(keys.empty());
  keys.clear();
  matcher.match(together, keys);
  EXPECT_EQ(keys, std::vector<std::uint32_t>{7});
}

}  // namespace
}  // namespace cloudlet::events
