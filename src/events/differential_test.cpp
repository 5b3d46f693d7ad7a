// Differential test: seeded random patterns (every operator, arrays, nesting,
// $or) and events (nested objects, arrays, numbers, strings, null, missing
// fields) through matches() and a many-pattern Matcher, against a naive
// reference written here from the spec's text.
//
// The reference reads the pattern's JSON, not the compiled Pattern, and
// treats event arrays by "projection": an event matches when some choice of
// one element per array (recursively; an empty array leaves the field out)
// gives an array-free event the pattern matches — which is spec §2.3's "any
// element" plus array consistency. exists:false alone looks at the whole
// event ("reaches no leaf", §2.4).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "events/matcher.hpp"

namespace cloudlet::events {
namespace {

namespace json = boost::json;

// --- the reference ------------------------------------------------------------

struct RefLeaf {
  std::string path;
  json::value value;  // a scalar
};

// Every array-free version of `v`; std::nullopt stands for "nothing here".
std::vector<std::optional<json::value>> projections(const json::value& v) {
  if (v.is_array()) {
    std::vector<std::optional<json::value>> out;
    for (const json::value& e : v.as_array()) {
      for (auto& p : projections(e)) out.push_back(std::move(p));
    }
    if (out.empty()) out.emplace_back(std::nullopt);
    return out;
  }
  if (!v.is_object()) return {v};
  std::vector<std::optional<json::value>> out{json::value(json::object())};
  for (const auto& member : v.as_object()) {
    std::vector<std::optional<json::value>> next;
    for (const auto& partial : out) {
      for (const auto& p : projections(member.value())) {
        json::value o = *partial;
        if (p) o.as_object()[member.key()] = *p;
        next.push_back(std::move(o));
      }
    }
    out = std::move(next);
  }
  return out;
}

void leaves_of(const json::value& v, const std::string& path, std::vector<RefLeaf>& out) {
  if (v.is_object()) {
    for (const auto& m : v.as_object()) {
      leaves_of(m.value(), path.empty() ? std::string(m.key()) : path + "." + std::string(m.key()),
                out);
    }
  } else if (v.is_array()) {
    for (const json::value& e : v.as_array()) leaves_of(e, path, out);
  } else if (!path.empty()) {
    out.push_back({path, v});
  }
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// `*` any run, `\*` a star, `\\` a backslash; by recursion on both strings.
bool ref_wildcard(std::string_view p, std::string_view s) {
  if (p.empty()) return s.empty();
  if (p[0] == '*') {
    for (std::size_t i = 0; i <= s.size(); ++i) {
      if (ref_wildcard(p.substr(1), s.substr(i))) return true;
    }
    return false;
  }
  char literal = p[0];
  std::size_t width = 1;
  if (p[0] == '\\') literal = p[1], width = 2;
  return !s.empty() && s[0] == literal && ref_wildcard(p.substr(width), s.substr(1));
}

bool ref_ipv4(std::string_view s, std::uint32_t& out) {
  out = 0;
  int parts = 0;
  std::size_t i = 0;
  while (parts < 4) {
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    unsigned v = 0;
    std::size_t n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && n < 3) {
      v = v * 10 + static_cast<unsigned>(s[i++] - '0');
      ++n;
    }
    if (v > 255) return false;
    out = out << 8 | v;
    if (++parts < 4 && (i >= s.size() || s[i++] != '.')) return false;
  }
  return i == s.size();
}

bool is_number(const json::value& v) { return v.is_number(); }
double num(const json::value& v) { return v.to_number<double>(); }

std::vector<std::string> strings_of(const json::value& v) {
  if (v.is_string()) return {std::string(v.as_string())};
  std::vector<std::string> out;
  for (const json::value& e : v.as_array()) out.emplace_back(e.as_string());
  return out;
}

// One element of a leaf array against one event value (spec §2.2, §2.4).
bool ref_value(const json::value& element, const json::value& v) {
  const bool str = v.is_string();
  const std::string s = str ? std::string(v.as_string()) : std::string();
  if (element.is_string()) return str && s == element.as_string();
  if (element.is_number()) return is_number(v) && num(v) == num(element);
  if (element.is_bool()) return v.is_bool() && v.as_bool() == element.as_bool();
  if (element.is_null()) return v.is_null();
  const auto& op = *element.as_object().begin();
  const std::string_view name = op.key();
  const json::value& arg = op.value();
  if (name == "prefix" || name == "suffix") {
    if (!str) return false;
    std::string want, have = s;
    if (arg.is_string()) {
      want = std::string(arg.as_string());
    } else {
      want = lower(std::string(arg.as_object().at("equals-ignore-case").as_string()));
      have = lower(s);
    }
    if (want.size() > have.size()) return false;
    return name == "prefix" ? have.compare(0, want.size(), want) == 0
                            : have.compare(have.size() - want.size(), want.size(), want) == 0;
  }
  if (name == "equals-ignore-case") return str && lower(s) == lower(std::string(arg.as_string()));
  if (name == "wildcard") return str && ref_wildcard(std::string(arg.as_string()), s);
  if (name == "numeric") {
    if (!is_number(v)) return false;
    const double x = num(v);
    const json::array& t = arg.as_array();
    for (std::size_t i = 0; i < t.size(); i += 2) {
      const std::string_view o = t[i].as_string();
      const double b = num(t[i + 1]);
      const bool ok = o == "="    ? x == b
                      : o == "<"  ? x < b
                      : o == "<=" ? x <= b
                      : o == ">"  ? x > b
                                  : x >= b;
      if (!ok) return false;
    }
    return true;
  }
  if (name == "cidr") {
    std::uint32_t ip = 0, net = 0;
    const std::string block(arg.as_string());
    const std::size_t slash = block.find('/');
    const int bits = std::stoi(block.substr(slash + 1));
    if (!str || !ref_ipv4(s, ip) || !ref_ipv4(block.substr(0, slash), net)) return false;
    const std::uint32_t mask = bits == 0 ? 0 : ~0u << (32 - bits);
    return (ip & mask) == (net & mask);
  }
  if (name == "anything-but") {
    if (arg.is_string()) return !(str && s == arg.as_string());
    if (arg.is_number()) return !(is_number(v) && num(v) == num(arg));
    if (arg.is_array()) {
      for (const json::value& e : arg.as_array()) {
        if (e.is_string() && str && s == e.as_string()) return false;
        if (e.is_number() && is_number(v) && num(v) == num(e)) return false;
      }
      return true;
    }
    const auto& inner = *arg.as_object().begin();
    if (!str) return true;
    for (const std::string& x : strings_of(inner.value())) {
      if (inner.key() == "prefix" && s.compare(0, x.size(), x) == 0) return false;
      if (inner.key() == "suffix" && s.size() >= x.size() &&
          s.compare(s.size() - x.size(), x.size(), x) == 0) {
        return false;
      }
      if (inner.key() == "equals-ignore-case" && lower(s) == lower(x)) return false;
      if (inner.key() == "wildcard" && ref_wildcard(x, s)) return false;
    }
    return true;
  }
  ADD_FAILURE() << "reference: unknown operator " << name;
  return false;
}

bool ref_object(const json::object& pattern, const std::string& prefix,
                const std::vector<RefLeaf>& here, const std::vector<RefLeaf>& whole) {
  for (const auto& m : pattern) {
    if (m.key() == "$or") {
      bool any = false;
      for (const json::value& sub : m.value().as_array()) {
        any = any || ref_object(sub.as_object(), prefix, here, whole);
      }
      if (!any) return false;
      continue;
    }
    const std::string path =
        prefix.empty() ? std::string(m.key()) : prefix + "." + std::string(m.key());
    if (m.value().is_object()) {
      if (!ref_object(m.value().as_object(), path, here, whole)) return false;
      continue;
    }
    bool field = false;
    for (const json::value& element : m.value().as_array()) {
      if (element.is_object() && element.as_object().begin()->key() == "exists") {
        const bool want = element.as_object().begin()->value().as_bool();
        const auto& pool = want ? here : whole;
        bool found = false;
        for (const RefLeaf& l : pool) found = found || l.path == path;
        field = field || found == want;
        continue;
      }
      for (const RefLeaf& l : here) {
        if (l.path == path && ref_value(element, l.value)) field = true;
      }
    }
    if (!field) return false;
  }
  return true;
}

bool reference_matches(const json::value& pattern, const json::value& event) {
  std::vector<RefLeaf> whole;
  leaves_of(event, "", whole);
  for (const auto& projection : projections(event)) {
    std::vector<RefLeaf> here;
    if (projection) leaves_of(*projection, "", here);
    if (ref_object(pattern.as_object(), "", here, whole)) return true;
  }
  return false;
}

// --- the generator ------------------------------------------------------------

class Gen {
 public:
  explicit Gen(std::uint32_t seed) : rng_(seed) {}

  int below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool chance(int percent) { return below(100) < percent; }
  template <class T, std::size_t N>
  const T& pick(const T (&items)[N]) {
    return items[below(static_cast<int>(N))];
  }

  std::string key() {
    static const char* const kKeys[] = {"a", "b", "c", "d", "x.y", "x"};
    return pick(kKeys);
  }
  json::value string_value() {
    static const char* const kStrings[] = {"",         "foo",      "Foo",        "foobar", "barfoo",
                                           "bar",      "a*b",      "FOO.PNG",    "x.png",  "abc",
                                           "10.0.0.5", "10.1.0.5", "10.0.0.300", "ab/cd"};
    return json::value(pick(kStrings));
  }
  json::value number_value() {
    static const double kNumbers[] = {0, 1, 1.5, -3, 100, 300, 42, 7.25};
    if (chance(20)) return json::value(static_cast<std::int64_t>(below(4)));
    return json::value(pick(kNumbers));
  }
  json::value scalar() {
    switch (below(6)) {
      case 0:
      case 1:
        return string_value();
      case 2:
      case 3:
        return number_value();
      case 4:
        return json::value(chance(50));
      default:
        return json::value(nullptr);
    }
  }

  json::value event_value(int depth) {
    const int roll = below(10);
    if (depth < 3 && roll < 3) return event_object(depth + 1);
    if (depth < 3 && roll < 5) {
      json::array a;
      const int n = below(4);
      for (int i = 0; i < n; ++i) a.push_back(chance(40) ? event_object(depth + 1) : scalar());
      return a;
    }
    return scalar();
  }
  json::value event_object(int depth) {
    json::object o;
    const int n = below(4) + (depth == 0 ? 1 : 0);
    for (int i = 0; i < n; ++i) o[key()] = event_value(depth);
    return o;
  }

  json::value element() {
    static const char* const kAffixes[] = {"", "f", "foo", "bar", "FOO", ".png", "a"};
    static const char* const kWildcards[] = {"*", "f*",    "*o",  "f*r", "*oo*",
                                             "",  "a\\*b", "foo", "*/*", "*.png"};
    static const char* const kCidrs[] = {"10.0.0.0/24", "10.0.0.0/8", "0.0.0.0/0", "10.1.0.5/31"};
    static const char* const kCompare[] = {"=", "<", "<=", ">", ">="};
    auto op = [](const char* name, json::value v) {
      json::object o;
      o[name] = std::move(v);
      return json::value(std::move(o));
    };
    auto folded = [&](const char* s) {
      json::object o;
      o["equals-ignore-case"] = s;
      return json::value(std::move(o));
    };
    switch (below(13)) {
      case 0:
      case 1:
        return scalar();
      case 2:
        return op("prefix", chance(70) ? json::value(pick(kAffixes)) : folded(pick(kAffixes)));
      case 3:
        return op("suffix", chance(70) ? json::value(pick(kAffixes)) : folded(pick(kAffixes)));
      case 4:
        return op("equals-ignore-case", string_value());
      case 5:
        return op("wildcard", json::value(pick(kWildcards)));
      case 6: {
        json::array t;
        if (chance(50)) {
          t.emplace_back(pick(kCompare));
          t.push_back(number_value());
        } else {
          const double low = num(number_value());
          t.emplace_back(chance(50) ? ">" : ">=");
          t.emplace_back(low);
          t.emplace_back(chance(50) ? "<" : "<=");
          t.emplace_back(low + 1 + below(200));
        }
        return op("numeric", std::move(t));
      }
      case 7:
        return op("exists", json::value(chance(50)));
      case 8:
        return op("cidr", json::value(pick(kCidrs)));
      default:
        return op("anything-but", anything_but_operand());
    }
  }

  json::value anything_but_operand() {
    static const char* const kNonEmpty[] = {"f", "foo", "bar", ".png", "a", "10."};
    static const char* const kWildcards[] = {"*", "f*", "*o", "", "*/*", "*.png"};
    const int n = 1 + below(3);
    auto list = [&](auto make) {
      if (chance(40)) return make();
      json::array a;
      for (int i = 0; i < n; ++i) a.push_back(make());
      return json::value(std::move(a));
    };
    auto inner = [](const char* name, json::value v) {
      json::object o;
      o[name] = std::move(v);
      return json::value(std::move(o));
    };
    switch (below(6)) {
      case 0:
        return list([&] { return string_value(); });
      case 1:
        return list([&] { return number_value(); });
      case 2:
        return inner("prefix", list([&] { return json::value(pick(kNonEmpty)); }));
      case 3:
        return inner("suffix", list([&] { return json::value(pick(kNonEmpty)); }));
      case 4:
        return inner("equals-ignore-case", list([&] { return string_value(); }));
      default:
        return inner("wildcard", list([&] { return json::value(pick(kWildcards)); }));
    }
  }

  json::value pattern_object(int depth) {
    json::object o;
    const int n = 1 + below(3);
    for (int i = 0; i < n; ++i) {
      const int roll = below(10);
      if (roll < 1 && depth < 2) {
        json::array alternatives;
        const int k = 2 + below(2);
        for (int j = 0; j < k; ++j) alternatives.push_back(pattern_object(depth + 1));
        o["$or"] = std::move(alternatives);
      } else if (roll < 3 && depth < 2) {
        o[key()] = pattern_object(depth + 1);
      } else {
        json::array leaf;
        const int k = 1 + below(3);
        for (int j = 0; j < k; ++j) leaf.push_back(element());
        o[key()] = std::move(leaf);
      }
    }
    return o;
  }

 private:
  std::mt19937 rng_;
};

std::size_t projection_count(const json::value& v) {
  if (v.is_array()) {
    std::size_t n = 0;
    for (const json::value& e : v.as_array()) n += projection_count(e);
    return std::max<std::size_t>(n, 1);
  }
  if (!v.is_object()) return 1;
  std::size_t n = 1;
  for (const auto& m : v.as_object())
    n = std::min<std::size_t>(n * projection_count(m.value()), 1u << 20);
  return n;
}

json::value small_event(Gen& gen) {
  while (true) {
    json::value e = gen.event_object(0);
    if (projection_count(e) <= 64) return e;
  }
}

TEST(PatternDifferential, OnePatternAgreesWithTheReference) {
  Gen gen(20261203);
  int matched = 0;
  constexpr int kCases = 6000;
  for (int i = 0; i < kCases; ++i) {
    const json::value pattern_json = gen.pattern_object(0);
    const json::value event_json = small_event(gen);
    const std::string pattern_text = json::serialize(pattern_json);
    const std::string event_text = json::serialize(event_json);
    auto pattern = parse_pattern(pattern_text);
    ASSERT_TRUE(pattern.ok()) << pattern_text << ": " << pattern.error().message;
    const bool want = reference_matches(pattern_json, event_json);
    matched += want ? 1 : 0;
    ASSERT_EQ(matches(*pattern, event_text), want)
        << "pattern " << pattern_text << "\nevent   " << event_text;
  }
  // The generator must exercise both outcomes, or the test proves little.
  EXPECT_GT(matched, kCases / 20);
  EXPECT_LT(matched, kCases - kCases / 20);
}

TEST(PatternDifferential, ManyPatternMatcherAgreesWithTheReference) {
  Gen gen(7);
  for (int round = 0; round < 25; ++round) {
    std::vector<json::value> patterns;
    MatcherBuilder builder;
    for (std::uint32_t k = 0; k < 60; ++k) {
      patterns.push_back(gen.pattern_object(0));
      auto p = parse_pattern(json::serialize(patterns.back()));
      ASSERT_TRUE(p.ok()) << json::serialize(patterns.back());
      builder.add(k, *p);
    }
    const Matcher matcher = std::move(builder).build();
    MatchScratch scratch;
    std::vector<std::uint32_t> keys;
    for (int e = 0; e < 40; ++e) {
      const json::value event_json = small_event(gen);
      const std::string event_text = json::serialize(event_json);
      matcher.match(event_text, keys, scratch);
      std::vector<std::uint32_t> want;
      for (std::uint32_t k = 0; k < patterns.size(); ++k) {
        if (reference_matches(patterns[k], event_json)) want.push_back(k);
      }
      ASSERT_EQ(keys, want) << "event " << event_text << "\nfirst pattern "
                            << json::serialize(patterns[want.empty() ? 0 : want[0]]);
    }
  }
}

}  // namespace
}  // namespace cloudlet::events
