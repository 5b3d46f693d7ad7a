// Parsing follows spec/eventbridge.md §2 member by member; every rejection
// carries AWS's reason text (§2.4, §2.6), so the checks run in the order AWS
// (or, where AWS is unconfirmed, event-ruler) reports them.
//
// $or is expanded here, once: each pattern object yields a list of partial
// alternatives, members multiply them out, and the product is capped at
// kMaxOrCombinations so that no pattern can blow up the matcher.
#include "events/pattern.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstring>
#include <utility>

namespace cloudlet::events {

namespace json = boost::json;

namespace {

constexpr std::string_view kReasonPrefix = "Event pattern is not valid. Reason: ";

Error invalid(std::string_view reason) {
  return Error::invalid_argument(std::string(kReasonPrefix) + std::string(reason));
}

// AWS echoes a JSON string as its raw text and anything else as JSON.
std::string echo(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  return json::serialize(v);
}

std::size_t utf16_length(std::string_view s) {
  std::size_t n = 0;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c & 0xC0) != 0x80) ++n;  // one per code point
    if ((c & 0xF8) == 0xF0) ++n;  // four-byte sequences are surrogate pairs
  }
  return n;
}

bool finite_number(const json::value& v, double& out) {
  if (!v.is_number()) return false;
  out = v.to_number<double>();
  return std::isfinite(out);
}

// --- wildcards ---------------------------------------------------------------

Result<Wildcard> parse_wildcard(std::string_view text) {
  Wildcard w;
  w.segments.emplace_back();
  bool previous_was_star = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      if (i + 1 >= text.size() || (text[i + 1] != '*' && text[i + 1] != '\\')) {
        return invalid("Invalid escape character at pos " + std::to_string(i + 1));
      }
      w.segments.back().push_back(text[++i]);
      previous_was_star = false;
    } else if (c == '*') {
      if (previous_was_star) {
        return invalid("Consecutive wildcard characters at pos " + std::to_string(i));
      }
      w.segments.emplace_back();
      previous_was_star = true;
    } else {
      w.segments.back().push_back(c);
      previous_was_star = false;
    }
  }
  if (w.segments.size() - 1 > kMaxWildcardStars) {
    return invalid(
        "Rule is too complex - try using fewer wildcard characters or fewer repeating character "
        "sequences after a wildcard character");
  }
  return w;
}

// --- IP addresses ------------------------------------------------------------

bool parse_ipv4(std::string_view s, std::uint8_t* out) {
  int part = 0;
  std::size_t i = 0;
  while (part < 4) {
    std::size_t digits = 0;
    int value = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < 3) {
      value = value * 10 + (s[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || value > 255) return false;
    out[part++] = static_cast<std::uint8_t>(value);
    if (part < 4) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  return i == s.size();
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Groups of one side of "::"; a trailing dotted quad counts as two groups.
bool parse_ipv6_groups(std::string_view s, std::vector<std::uint16_t>& groups, bool allow_quad) {
  if (s.empty()) return true;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = s.find(':', start);
    const std::string_view group =
        s.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start);
    if (colon == std::string_view::npos && allow_quad &&
        group.find('.') != std::string_view::npos) {
      std::uint8_t quad[4];
      if (!parse_ipv4(group, quad)) return false;
      groups.push_back(static_cast<std::uint16_t>(quad[0] << 8 | quad[1]));
      groups.push_back(static_cast<std::uint16_t>(quad[2] << 8 | quad[3]));
      return true;
    }
    if (group.empty() || group.size() > 4) return false;
    unsigned value = 0;
    for (char c : group) {
      const int d = hex_digit(c);
      if (d < 0) return false;
      value = value * 16 + static_cast<unsigned>(d);
    }
    groups.push_back(static_cast<std::uint16_t>(value));
    if (colon == std::string_view::npos) return true;
    start = colon + 1;
  }
}

bool parse_ipv6(std::string_view s, std::uint8_t* out) {
  std::vector<std::uint16_t> head, tail;
  const std::size_t gap = s.find("::");
  if (gap == std::string_view::npos) {
    if (!parse_ipv6_groups(s, head, true) || head.size() != 8) return false;
  } else {
    if (s.find("::", gap + 1) != std::string_view::npos) return false;
    const std::string_view left = s.substr(0, gap), right = s.substr(gap + 2);
    if (!parse_ipv6_groups(left, head, false) || !parse_ipv6_groups(right, tail, true)) {
      return false;
    }
    if (head.size() + tail.size() > 7) return false;
    head.resize(8 - tail.size(), 0);
    head.insert(head.end(), tail.begin(), tail.end());
  }
  for (std::size_t i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<std::uint8_t>(head[i] >> 8);
    out[2 * i + 1] = static_cast<std::uint8_t>(head[i] & 0xFF);
  }
  return true;
}

// A family's address in the first 4 or 16 bytes; false when not a literal.
bool parse_ip(std::string_view s, bool& v6, std::array<std::uint8_t, 16>& out) {
  out.fill(0);
  if (s.find(':') != std::string_view::npos) {
    v6 = true;
    return parse_ipv6(s, out.data());
  }
  v6 = false;
  return parse_ipv4(s, out.data());
}

Result<CidrBlock> parse_cidr(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos || text.find('/', slash + 1) != std::string_view::npos) {
    return invalid("Malformed CIDR, one '/' required");
  }
  const std::string_view address = text.substr(0, slash), mask = text.substr(slash + 1);
  std::string_view digits = mask;
  const bool negative = !digits.empty() && digits[0] == '-';
  if (negative) digits.remove_prefix(1);
  if (digits.empty() || digits.size() > 9 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return invalid("Malformed CIDR, mask bits must be an integer");
  }
  int bits = 0;
  for (char c : digits) bits = bits * 10 + (c - '0');
  if (negative && bits != 0) return invalid("Malformed CIDR, mask bits must not be negative");
  CidrBlock block;
  if (!parse_ip(address, block.v6, block.address)) {
    return invalid("Nonstandard IP address: " + std::string(address));
  }
  if (!block.v6 && bits > 31) return invalid("IPv4 mask bits must be < 32");
  if (block.v6 && bits > 127) return invalid("IPv6 mask bits must be < 128");
  block.mask_bits = bits;
  for (int bit = bits; bit < 128; ++bit) {
    block.address[static_cast<std::size_t>(bit / 8)] &=
        static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  }
  return block;
}

// --- leaf values ---------------------------------------------------------------

Result<Condition> parse_string_operand(Op op, Op ignore_case_op, const json::value& operand,
                                       std::string_view type_error) {
  Condition c;
  if (operand.is_string()) {
    c.op = op;
    c.text = std::string(operand.get_string());
    return c;
  }
  if (operand.is_object()) {
    const json::object& o = operand.get_object();
    if (o.size() == 1 && o.begin()->key() == "equals-ignore-case" &&
        o.begin()->value().is_string()) {
      c.op = ignore_case_op;
      c.text = fold_case(o.begin()->value().get_string());
      return c;
    }
  }
  return invalid(type_error);
}

// The operand of anything-but's prefix/suffix/equals-ignore-case/wildcard:
// a string or a non-empty list of strings.
bool string_or_strings(const json::value& v, std::vector<std::string>& out) {
  if (v.is_string()) {
    out.emplace_back(v.get_string());
    return true;
  }
  if (!v.is_array() || v.get_array().empty()) return false;
  for (const json::value& e : v.get_array()) {
    if (!e.is_string()) return false;
    out.emplace_back(e.get_string());
  }
  return true;
}

constexpr std::string_view kAnythingButShape =
    "Value of anything-but must be an array or single string/number value.";

Result<Condition> parse_anything_but_object(const json::object& o) {
  if (o.size() != 1) return invalid("Only one key allowed in match expression");
  const std::string_view key = o.begin()->key();
  const json::value& operand = o.begin()->value();
  Condition c;
  c.op = Op::kAnythingBut;
  if (key == "prefix" || key == "suffix") {
    c.but_kind = key == "prefix" ? AnythingButKind::kPrefixes : AnythingButKind::kSuffixes;
    if (operand.is_object()) return invalid(kAnythingButShape);
    if (!string_or_strings(operand, c.strings)) {
      return invalid("prefix/suffix match pattern must be a string");
    }
    for (const std::string& s : c.strings) {
      if (s.empty()) return invalid("Null prefix/suffix not allowed");
    }
    return c;
  }
  if (key == "equals-ignore-case") {
    c.but_kind = AnythingButKind::kIgnoreCase;
    if (!string_or_strings(operand, c.strings)) {
      return invalid(
          "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not "
          "supported.");
    }
    for (std::string& s : c.strings) s = fold_case(s);
    return c;
  }
  if (key == "wildcard") {
    c.but_kind = AnythingButKind::kWildcards;
    std::vector<std::string> texts;
    if (!string_or_strings(operand, texts)) {
      return invalid("wildcard match pattern must be a string");
    }
    for (const std::string& t : texts) {
      auto w = parse_wildcard(t);
      if (!w.ok()) return w.error();
      c.wildcards.push_back(std::move(*w));
    }
    return c;
  }
  return invalid("Unsupported anything-but pattern: " + std::string(key));
}

Result<Condition> parse_anything_but(const json::value& operand) {
  Condition c;
  c.op = Op::kAnythingBut;
  double number = 0;
  if (operand.is_string()) {
    c.but_kind = AnythingButKind::kStrings;
    c.strings.emplace_back(operand.get_string());
    return c;
  }
  if (finite_number(operand, number)) {
    c.but_kind = AnythingButKind::kNumbers;
    c.numbers.push_back(number);
    return c;
  }
  if (operand.is_object()) return parse_anything_but_object(operand.get_object());
  if (!operand.is_array()) return invalid(kAnythingButShape);
  const json::array& list = operand.get_array();
  if (list.empty()) return invalid("Empty arrays are not allowed");
  bool any_string = false, any_number = false;
  for (const json::value& e : list) {
    if (e.is_string()) {
      any_string = true;
      c.strings.emplace_back(e.get_string());
    } else if (finite_number(e, number)) {
      any_number = true;
      c.numbers.push_back(number);
    } else {
      return invalid("Inside anything but list, start|null|boolean is not supported.");
    }
  }
  if (any_string && any_number) {
    return invalid(
        "Inside anything but list, either all values are number or string, mixed type is not "
        "supported");
  }
  c.but_kind = any_number ? AnythingButKind::kNumbers : AnythingButKind::kStrings;
  return c;
}

bool is_comparison(std::string_view op) {
  return op == "=" || op == "<" || op == "<=" || op == ">" || op == ">=";
}

Result<Condition> parse_numeric(const json::value& operand) {
  if (!operand.is_array() || operand.get_array().empty()) {
    return invalid("Value of numeric must be an array.");
  }
  const json::array& terms = operand.get_array();
  auto value_of = [&](std::size_t i, std::string_view op, double& out) -> Result<bool> {
    if (i >= terms.size() || !finite_number(terms[i], out)) {
      return invalid("Value of " + std::string(op == "=" ? "equals" : op) + " must be numeric");
    }
    return true;
  };
  if (!terms[0].is_string()) return invalid("Invalid member in numeric match: " + echo(terms[0]));
  const std::string_view first = terms[0].get_string();
  if (!is_comparison(first)) {
    return invalid("Unrecognized numeric range operator: " + std::string(first));
  }
  Condition c;
  c.op = Op::kNumeric;
  double bound = 0;
  if (auto r = value_of(1, first, bound); !r.ok()) return r.error();
  NumericRange& range = c.range;
  if (first == "=" || first == "<" || first == "<=") {
    if (terms.size() > 2) return invalid("Too many elements in numeric expression");
    if (first == "=") {
      range.has_low = range.low_inclusive = true;
      range.low = bound;
    }
    range.has_high = true;
    range.high = bound;
    range.high_inclusive = first != "<";
    return c;
  }
  range.has_low = true;
  range.low = bound;
  range.low_inclusive = first == ">=";
  if (terms.size() == 2) return c;
  if (!terms[2].is_string()) return invalid("Bad value in numeric range: " + echo(terms[2]));
  const std::string_view second = terms[2].get_string();
  if (second != "<" && second != "<=") {
    return invalid("Bad numeric range operator: " + std::string(second));
  }
  if (auto r = value_of(3, second, bound); !r.ok()) return r.error();
  if (terms.size() > 4) return invalid("Too many terms in numeric range expression");
  if (range.low >= bound) return invalid("Bottom must be less than top");
  range.has_high = true;
  range.high = bound;
  range.high_inclusive = second == "<=";
  return c;
}

Result<Condition> parse_operator(const json::object& o) {
  if (o.size() != 1) return invalid("Only one key allowed in match expression");
  const std::string_view key = o.begin()->key();
  const json::value& operand = o.begin()->value();
  if (key == "prefix") {
    return parse_string_operand(Op::kPrefix, Op::kPrefixIgnoreCase, operand,
                                "prefix match pattern must be a string");
  }
  if (key == "suffix") {
    return parse_string_operand(Op::kSuffix, Op::kSuffixIgnoreCase, operand,
                                "suffix match pattern must be a string");
  }
  Condition c;
  if (key == "equals-ignore-case") {
    if (!operand.is_string()) return invalid("equals-ignore-case match pattern must be a string");
    c.op = Op::kEqualsIgnoreCase;
    c.text = fold_case(operand.get_string());
    return c;
  }
  if (key == "wildcard") {
    if (!operand.is_string()) return invalid("wildcard match pattern must be a string");
    auto w = parse_wildcard(operand.get_string());
    if (!w.ok()) return w.error();
    c.op = Op::kWildcard;
    c.wildcard = std::move(*w);
    return c;
  }
  if (key == "anything-but") return parse_anything_but(operand);
  if (key == "numeric") return parse_numeric(operand);
  if (key == "exists") {
    if (!operand.is_bool()) return invalid("exists match pattern must be either true or false.");
    c.op = operand.get_bool() ? Op::kExistsTrue : Op::kExistsFalse;
    return c;
  }
  if (key == "cidr") {
    if (!operand.is_string()) return invalid("prefix match pattern must be a string");
    auto block = parse_cidr(operand.get_string());
    if (!block.ok()) return block.error();
    c.op = Op::kCidr;
    c.cidr = *block;
    return c;
  }
  return invalid("Unrecognized match type " + std::string(key));
}

Result<Condition> parse_leaf_value(const json::value& v) {
  Condition c;
  double number = 0;
  switch (v.kind()) {
    case json::kind::string:
      c.op = Op::kExactString;
      c.text = std::string(v.get_string());
      return c;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      if (!finite_number(v, number)) break;
      c.op = Op::kExactNumber;
      c.number = number;
      return c;
    case json::kind::bool_:
      c.op = v.get_bool() ? Op::kTrue : Op::kFalse;
      return c;
    case json::kind::null:
      c.op = Op::kNull;
      return c;
    case json::kind::object:
      return parse_operator(v.get_object());
    case json::kind::array:
      break;
  }
  return invalid("Match value must be String, number, true, false, or null");
}

// --- structure -----------------------------------------------------------------

using Fragment = std::vector<Field>;  // one alternative being built
using Fragments = std::vector<Fragment>;

Result<Fragments> multiply(const Fragments& a, const Fragments& b) {
  if (a.size() * b.size() > kMaxOrCombinations) {
    return invalid("The $or expansion gives more than 1000 combinations");
  }
  Fragments out;
  out.reserve(a.size() * b.size());
  for (const Fragment& x : a) {
    for (const Fragment& y : b) {
      Fragment f = x;
      f.insert(f.end(), y.begin(), y.end());
      out.push_back(std::move(f));
    }
  }
  return out;
}

Result<Fragments> parse_object(const json::object& object, const std::string& prefix);

Result<Fragments> parse_or(const json::value& v, const std::string& prefix) {
  constexpr std::string_view kAtLeastTwo =
      "There must have at least 2 Objects in $or relationship.";
  if (!v.is_array()) return invalid(kAtLeastTwo);
  const json::array& list = v.get_array();
  for (const json::value& e : list) {
    if (!e.is_object()) return invalid("Only JSON object is allowed in array of $or relationship.");
  }
  if (list.size() < 2) return invalid(kAtLeastTwo);
  Fragments out;
  for (const json::value& e : list) {
    auto sub = parse_object(e.get_object(), prefix);
    if (!sub.ok()) return sub.error();
    if (out.size() + sub->size() > kMaxOrCombinations) {
      return invalid("The $or expansion gives more than 1000 combinations");
    }
    for (Fragment& f : *sub) out.push_back(std::move(f));
  }
  return out;
}

Result<Fragments> parse_object(const json::object& object, const std::string& prefix) {
  if (object.empty()) return invalid("Empty objects are not allowed");
  Fragments acc(1);
  for (const auto& member : object) {
    const std::string_view key = member.key();
    const json::value& value = member.value();
    if (key == "$or") {
      auto sub = parse_or(value, prefix);
      if (!sub.ok()) return sub.error();
      auto product = multiply(acc, *sub);
      if (!product.ok()) return product.error();
      acc = std::move(*product);
      continue;
    }
    std::string path = prefix + std::string(key);  // prefix: "" or "<path>."
    if (value.is_object()) {
      auto sub = parse_object(value.get_object(), path + ".");
      if (!sub.ok()) return sub.error();
      auto product = multiply(acc, *sub);
      if (!product.ok()) return product.error();
      acc = std::move(*product);
    } else if (value.is_array()) {
      const json::array& leaf = value.get_array();
      if (leaf.empty()) return invalid("Empty arrays are not allowed");
      Field field;
      field.path = std::move(path);
      for (const json::value& element : leaf) {
        auto condition = parse_leaf_value(element);
        if (!condition.ok()) return condition.error();
        field.conditions.push_back(std::move(*condition));
      }
      for (Fragment& f : acc) f.push_back(field);
    } else {
      return invalid("\"" + std::string(key) + "\" must be an object or an array");
    }
  }
  return acc;
}

}  // namespace

bool Field::has_exists_false() const {
  return std::any_of(conditions.begin(), conditions.end(),
                     [](const Condition& c) { return c.op == Op::kExistsFalse; });
}

Result<Pattern> parse_pattern(std::string_view text, std::size_t max_chars) {
  if (utf16_length(text) > max_chars) {
    return Error::invalid_argument(
        "1 validation error detected: Value '" + std::string(text) +
        "' at 'eventPattern' failed to satisfy constraint: Member must have length less than or "
        "equal to " +
        std::to_string(max_chars));
  }
  json::parse_options options;
  options.max_depth = max_chars + 1;  // the length limit bounds the depth
  std::error_code ec;
  json::value root = json::parse(text, ec, {}, options);
  if (ec) return invalid(ec.message());
  if (!root.is_object()) return invalid("Filter is not an object");
  auto fragments = parse_object(root.get_object(), "");
  if (!fragments.ok()) return fragments.error();
  Pattern pattern;
  for (Fragment& f : *fragments) {
    std::stable_sort(f.begin(), f.end(),
                     [](const Field& a, const Field& b) { return a.path < b.path; });
    pattern.alternatives_.push_back(Alternative{std::move(f)});
  }
  return pattern;
}

// --- helpers shared with the matchers ----------------------------------------

std::string fold_case(std::string_view s) {
  std::string out(s);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    if (c >= 'A' && c <= 'Z') {
      out[i] = static_cast<char>(c + 32);
      continue;
    }
    if ((c & 0xE0) != 0xC0 || i + 1 >= out.size()) continue;
    const auto c2 = static_cast<unsigned char>(out[i + 1]);
    if ((c2 & 0xC0) != 0x80) continue;
    unsigned cp = (c & 0x1Fu) << 6 | (c2 & 0x3Fu);
    if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) || (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) ||
        (cp >= 0x410 && cp <= 0x42F)) {
      cp += 32;
    } else if (cp >= 0x400 && cp <= 0x40F) {
      cp += 80;
    } else if (cp == 0x178) {
      cp = 0xFF;
    } else if (((cp >= 0x100 && cp <= 0x12F) || (cp >= 0x132 && cp <= 0x137) ||
                (cp >= 0x14A && cp <= 0x177)) &&
               cp % 2 == 0) {
      cp += 1;
    } else if (((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) && cp % 2 == 1) {
      cp += 1;
    }
    out[i] = static_cast<char>(0xC0 | (cp >> 6));
    out[i + 1] = static_cast<char>(0x80 | (cp & 0x3F));
    ++i;
  }
  return out;
}

bool wildcard_matches(const Wildcard& wildcard, std::string_view value) {
  const std::vector<std::string>& seg = wildcard.segments;
  if (seg.size() == 1) return value == seg[0];
  const std::string& first = seg.front();
  const std::string& last = seg.back();
  if (value.size() < first.size() + last.size()) return false;
  if (value.substr(0, first.size()) != first) return false;
  if (value.substr(value.size() - last.size()) != last) return false;
  std::size_t pos = first.size();
  const std::size_t end = value.size() - last.size();
  // Taking each middle segment at its leftmost place leaves the most room for
  // the rest, so a greedy scan decides the match.
  for (std::size_t i = 1; i + 1 < seg.size(); ++i) {
    const std::string_view window = value.substr(pos, end - pos);
    const std::size_t at = window.find(seg[i]);
    if (at == std::string_view::npos) return false;
    pos += at + seg[i].size();
  }
  return true;
}

bool cidr_contains(const CidrBlock& block, std::string_view address) {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};
  if (!parse_ip(address, v6, bytes) || v6 != block.v6) return false;
  for (int bit = 0; bit < block.mask_bits; ++bit) {
    const auto byte = static_cast<std::size_t>(bit / 8);
    const auto m = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    if ((bytes[byte] & m) != (block.address[byte] & m)) return false;
  }
  return true;
}

}  // namespace cloudlet::events
