#include "auth/iam.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <optional>

namespace cloudlet::auth {

// ---------------------------------------------------------------------------
// Compiled conditions (§8.5).

enum class OpKind {
  kString,
  kStringIgnoreCase,
  kStringLike,
  kNumeric,
  kDate,
  kBool,
  kIp,
  kArn,
  kNull
};
enum class Cmp { kEq, kLt, kLe, kGt, kGe };
enum class SetOp { kNone, kForAnyValue, kForAllValues };

struct Cidr {
  int family = AF_INET;
  std::array<unsigned char, 16> bytes{};
  int prefix = 32;
};

struct CompiledCondition {
  std::string op_name;  // as written, for diagnostics
  OpKind kind = OpKind::kString;
  Cmp cmp = Cmp::kEq;
  bool negated = false;
  bool if_exists = false;
  SetOp set = SetOp::kNone;
  std::string key;                   // lower-case
  std::vector<std::string> strings;  // kString*, kArn, kBool (lower-case)
  std::vector<double> numbers;       // kNumeric
  std::vector<std::int64_t> times;   // kDate, epoch seconds
  std::vector<Cidr> cidrs;           // kIp
  bool null_expected = true;         // kNull: "true" means "must be absent"
};

Statement::Statement() = default;
Statement::~Statement() = default;
Statement::Statement(Statement&&) noexcept = default;
Statement& Statement::operator=(Statement&&) noexcept = default;
Statement::Statement(const Statement&) = default;
Statement& Statement::operator=(const Statement&) = default;

namespace {

namespace json = boost::json;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

char fold(char c, bool ignore_case) {
  return (ignore_case && c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

Error malformed(std::string what) {
  return Error::invalid_argument("MalformedPolicyDocument: " + std::move(what));
}

// ISO-8601 ("2024-01-01", "2024-01-01T00:00:00Z", fractions, "+hh:mm"
// offsets) or epoch seconds, as IAM accepts for Date operators.
std::optional<std::int64_t> parse_time(std::string_view s) {
  auto num = [&](std::size_t at, std::size_t len) -> std::optional<int> {
    if (at + len > s.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = at; i < at + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
  }
  using namespace std::chrono;
  const auto y = num(0, 4), mo = num(5, 2), d = num(8, 2);
  if (!y || !mo || !d || s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  const year_month_day ymd{year{*y}, month{static_cast<unsigned>(*mo)},
                           day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  std::int64_t t = sys_days{ymd}.time_since_epoch().count() * 86400LL;
  if (s.size() == 10) return t;
  const auto h = num(11, 2), mi = num(14, 2), se = num(17, 2);
  if (s[10] != 'T' || !h || !mi || !se || s[13] != ':' || s[16] != ':' || *h > 23 || *mi > 59 ||
      *se > 60) {
    return std::nullopt;
  }
  t += *h * 3600LL + *mi * 60LL + *se;
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  }
  const std::string_view zone = s.substr(std::min(i, s.size()));
  if (zone == "Z") return t;
  if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    const auto oh = num(i + 1, 2), om = num(i + 4, 2);
    if (!oh || !om) return std::nullopt;
    const std::int64_t offset = *oh * 3600LL + *om * 60LL;
    return zone[0] == '+' ? t - offset : t + offset;
  }
  return std::nullopt;
}

std::optional<double> parse_number(std::string_view s) {
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

// An IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) is how a
// dual-stack socket reports an IPv4 peer. AWS sees such a client as IPv4, so
// it is compared as IPv4: against IPv4 ranges, and never inside IPv6 ranges
// such as ::/0. A policy range written in the mapped form (::ffff:10.0.0.0/104)
// means the IPv4 range; one shorter than /96 also covers non-mapped addresses
// and stays IPv6.
Cidr unmap_ipv4(Cidr c) {
  static constexpr std::array<unsigned char, 12> kMappedPrefix{0, 0, 0, 0, 0,    0,
                                                               0, 0, 0, 0, 0xff, 0xff};
  if (c.family != AF_INET6 || c.prefix < 96 ||
      !std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), c.bytes.begin())) {
    return c;
  }
  Cidr v4;
  v4.family = AF_INET;
  std::copy(c.bytes.begin() + 12, c.bytes.end(), v4.bytes.begin());
  v4.prefix = c.prefix - 96;
  return v4;
}

std::optional<Cidr> parse_address(std::string_view text, bool allow_prefix) {
  std::string addr(text);
  int prefix = -1;
  if (const std::size_t slash = addr.find('/'); slash != std::string::npos) {
    if (!allow_prefix) return std::nullopt;
    const std::string_view bits = std::string_view(addr).substr(slash + 1);
    const auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    if (bits.empty() || ec != std::errc() || p != bits.data() + bits.size()) return std::nullopt;
    addr.resize(slash);
  }
  Cidr c;
  if (inet_pton(AF_INET, addr.c_str(), c.bytes.data()) == 1) {
    c.family = AF_INET;
    c.prefix = prefix < 0 ? 32 : prefix;
    if (c.prefix > 32) return std::nullopt;
    return c;
  }
  if (inet_pton(AF_INET6, addr.c_str(), c.bytes.data()) == 1) {
    c.family = AF_INET6;
    c.prefix = prefix < 0 ? 128 : prefix;
    if (c.prefix > 128) return std::nullopt;
    return unmap_ipv4(c);
  }
  return std::nullopt;
}

bool in_cidr(const Cidr& net, const Cidr& ip) {
  if (net.family != ip.family) return false;
  int bits = net.prefix;
  for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
    const unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
    if ((net.bytes[i] & mask) != (ip.bytes[i] & mask)) return false;
  }
  return true;
}

struct OperatorInfo {
  std::string_view name;
  OpKind kind;
  Cmp cmp;
  bool negated;
};

constexpr std::array<OperatorInfo, 25> kOperators{{
    {"StringEquals", OpKind::kString, Cmp::kEq, false},
    {"StringNotEquals", OpKind::kString, Cmp::kEq, true},
    {"StringEqualsIgnoreCase", OpKind::kStringIgnoreCase, Cmp::kEq, false},
    {"StringNotEqualsIgnoreCase", OpKind::kStringIgnoreCase, Cmp::kEq, true},
    {"StringLike", OpKind::kStringLike, Cmp::kEq, false},
    {"StringNotLike", OpKind::kStringLike, Cmp::kEq, true},
    {"NumericEquals", OpKind::kNumeric, Cmp::kEq, false},
    {"NumericNotEquals", OpKind::kNumeric, Cmp::kEq, true},
    {"NumericLessThan", OpKind::kNumeric, Cmp::kLt, false},
    {"NumericLessThanEquals", OpKind::kNumeric, Cmp::kLe, false},
    {"NumericGreaterThan", OpKind::kNumeric, Cmp::kGt, false},
    {"NumericGreaterThanEquals", OpKind::kNumeric, Cmp::kGe, false},
    {"DateEquals", OpKind::kDate, Cmp::kEq, false},
    {"DateNotEquals", OpKind::kDate, Cmp::kEq, true},
    {"DateLessThan", OpKind::kDate, Cmp::kLt, false},
    {"DateLessThanEquals", OpKind::kDate, Cmp::kLe, false},
    {"DateGreaterThan", OpKind::kDate, Cmp::kGt, false},
    {"DateGreaterThanEquals", OpKind::kDate, Cmp::kGe, false},
    {"Bool", OpKind::kBool, Cmp::kEq, false},
    {"IpAddress", OpKind::kIp, Cmp::kEq, false},
    {"NotIpAddress", OpKind::kIp, Cmp::kEq, true},
    {"ArnEquals", OpKind::kArn, Cmp::kEq, false},
    {"ArnLike", OpKind::kArn, Cmp::kEq, false},
    {"ArnNotEquals", OpKind::kArn, Cmp::kEq, true},
    {"ArnNotLike", OpKind::kArn, Cmp::kEq, true},
}};

template <class T>
bool compare(T lhs_context, T rhs_policy, Cmp cmp) {
  switch (cmp) {
    case Cmp::kEq:
      return lhs_context == rhs_policy;
    case Cmp::kLt:
      return lhs_context < rhs_policy;
    case Cmp::kLe:
      return lhs_context <= rhs_policy;
    case Cmp::kGt:
      return lhs_context > rhs_policy;
    case Cmp::kGe:
      return lhs_context >= rhs_policy;
  }
  return false;
}

// Whether one context value matches any of the condition's values under the
// base (non-negated) operator.
bool matches_any(const CompiledCondition& c, std::string_view v) {
  switch (c.kind) {
    case OpKind::kString:
      for (const auto& s : c.strings) {
        if (s == v) return true;
      }
      return false;
    case OpKind::kStringIgnoreCase:
      for (const auto& s : c.strings) {
        if (lower(s) == lower(v)) return true;
      }
      return false;
    case OpKind::kStringLike:
      for (const auto& s : c.strings) {
        if (wildcard_match(s, v, false)) return true;
      }
      return false;
    case OpKind::kArn:
      for (const auto& s : c.strings) {
        if (arn_match(s, v)) return true;
      }
      return false;
    case OpKind::kBool:
      for (const auto& s : c.strings) {
        if (s == lower(v)) return true;
      }
      return false;
    case OpKind::kNumeric: {
      const auto n = parse_number(v);
      if (!n) return false;
      for (double x : c.numbers) {
        if (compare(*n, x, c.cmp)) return true;
      }
      return false;
    }
    case OpKind::kDate: {
      const auto t = parse_time(v);
      if (!t) return false;
      for (std::int64_t x : c.times) {
        if (compare(*t, x, c.cmp)) return true;
      }
      return false;
    }
    case OpKind::kIp: {
      const auto ip = parse_address(v, false);
      if (!ip) return false;
      for (const Cidr& net : c.cidrs) {
        if (in_cidr(net, *ip)) return true;
      }
      return false;
    }
    case OpKind::kNull:
      return false;
  }
  return false;
}

// A key with no values (absent, or an empty list) is decided by the set
// operator first, as AWS does:
// - ForAnyValue: "at least one request value ..." is false with no values,
//   whatever the operator: negated too, and with IfExists too (under a set
//   operator IfExists applies to each value, and there are none);
// - ForAllValues: "every request value ..." is true with no values;
// - no set operator: true for IfExists and for negated operators (a key that is
//   not there equals nothing), false otherwise.
bool holds_without_values(const CompiledCondition& c) {
  switch (c.set) {
    case SetOp::kForAnyValue:
      return false;
    case SetOp::kForAllValues:
      return true;
    case SetOp::kNone:
      break;
  }
  return c.if_exists || c.negated;
}

bool condition_holds(const CompiledCondition& c, const ConditionContext* ctx) {
  const std::vector<std::string>* values = ctx ? ctx->get(c.key) : nullptr;
  const bool absent = values == nullptr || values->empty();
  if (c.kind == OpKind::kNull) return absent == c.null_expected;
  if (absent) return holds_without_values(c);
  auto one = [&c](const std::string& v) { return matches_any(c, v) != c.negated; };
  if (c.set == SetOp::kForAllValues) {
    for (const auto& v : *values) {
      if (!one(v)) return false;
    }
    return true;
  }
  if (c.negated && c.set == SetOp::kNone) {
    // A negated operator on a plain key: no value may match.
    for (const auto& v : *values) {
      if (!one(v)) return false;
    }
    return true;
  }
  for (const auto& v : *values) {
    if (one(v)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Parsing.

Result<std::vector<std::string>> string_list(const json::value& v, std::string_view what) {
  std::vector<std::string> out;
  if (v.is_string()) {
    out.emplace_back(v.get_string());
  } else if (v.is_array()) {
    for (const json::value& item : v.get_array()) {
      if (!item.is_string()) return malformed(std::string(what) + " entries must be strings");
      out.emplace_back(item.get_string());
    }
  } else {
    return malformed(std::string(what) + " must be a string or an array of strings");
  }
  if (out.empty()) return malformed(std::string(what) + " must not be empty");
  return out;
}

Result<std::vector<std::string>> condition_values(const json::value& v, std::string_view where) {
  std::vector<std::string> out;
  auto add = [&out](const json::value& item) -> bool {
    if (item.is_string()) {
      out.emplace_back(item.get_string());
    } else if (item.is_bool()) {
      out.emplace_back(item.get_bool() ? "true" : "false");
    } else if (item.is_int64() || item.is_uint64() || item.is_double()) {
      out.push_back(json::serialize(item));
    } else {
      return false;
    }
    return true;
  };
  if (v.is_array()) {
    for (const json::value& item : v.get_array()) {
      if (!add(item)) {
        return malformed(std::string(where) + ": values must be strings, numbers or booleans");
      }
    }
  } else if (!add(v)) {
    return malformed(std::string(where) + ": values must be strings, numbers or booleans");
  }
  if (out.empty()) return malformed(std::string(where) + ": no values");
  return out;
}

Status compile_condition(std::string_view op_written, std::string_view key,
                         const json::value& raw_values, bool variables_enabled,
                         CompiledCondition& c) {
  c.op_name = std::string(op_written);
  const std::string where = "condition " + c.op_name + " on '" + std::string(key) + "'";
  std::string_view op = op_written;
  if (op.starts_with("ForAnyValue:")) {
    c.set = SetOp::kForAnyValue;
    op.remove_prefix(12);
  } else if (op.starts_with("ForAllValues:")) {
    c.set = SetOp::kForAllValues;
    op.remove_prefix(13);
  }
  if (op == "Null") {
    c.kind = OpKind::kNull;
  } else {
    if (op.ends_with("IfExists")) {
      c.if_exists = true;
      op.remove_suffix(8);
    }
    const OperatorInfo* info = nullptr;
    for (const OperatorInfo& o : kOperators) {
      if (o.name == op) info = &o;
    }
    if (info == nullptr) {
      return malformed("unsupported condition operator '" + c.op_name + "'");
    }
    c.kind = info->kind;
    c.cmp = info->cmp;
    c.negated = info->negated;
  }
  c.key = lower(key);
  auto values = condition_values(raw_values, where);
  if (!values.ok()) return values.error();
  for (std::string& s : *values) {
    switch (c.kind) {
      case OpKind::kNull:
      case OpKind::kBool: {
        const std::string b = lower(s);
        if (b != "true" && b != "false") return malformed(where + ": expected true or false");
        if (c.kind == OpKind::kNull) {
          if (values->size() != 1) return malformed(where + ": Null takes one value");
          c.null_expected = b == "true";
        } else {
          c.strings.push_back(b);
        }
        break;
      }
      case OpKind::kNumeric: {
        const auto n = parse_number(s);
        if (!n) return malformed(where + ": '" + s + "' is not a number");
        c.numbers.push_back(*n);
        break;
      }
      case OpKind::kDate: {
        const auto t = parse_time(s);
        if (!t) return malformed(where + ": '" + s + "' is not an ISO-8601 date or epoch seconds");
        c.times.push_back(*t);
        break;
      }
      case OpKind::kIp: {
        const auto net = parse_address(s, true);
        if (!net) return malformed(where + ": '" + s + "' is not an IP address or CIDR");
        c.cidrs.push_back(*net);
        break;
      }
      default:
        if (variables_enabled && s.find("${") != std::string::npos) {
          return malformed(where + ": policy variables (${...}) are not supported");
        }
        c.strings.push_back(std::move(s));
    }
  }
  return {};
}

Status compile_statement(const json::value& v, std::size_t index, bool variables_enabled,
                         Statement& st) {
  const std::string where = "Statement[" + std::to_string(index) + "]";
  if (!v.is_object()) return malformed(where + " must be an object");
  const json::object& o = v.as_object();
  bool has_effect = false, has_action = false, has_resource = false;
  for (const auto& kv : o) {
    const std::string_view k = kv.key();
    const json::value& val = kv.value();
    if (k == "Sid") {
      if (!val.is_string()) return malformed(where + ".Sid must be a string");
    } else if (k == "Effect") {
      if (val.is_string() && val.get_string() == "Allow") {
        st.effect = Effect::kAllow;
      } else if (val.is_string() && val.get_string() == "Deny") {
        st.effect = Effect::kDeny;
      } else {
        return malformed(where + ".Effect must be \"Allow\" or \"Deny\" (case-sensitive)");
      }
      has_effect = true;
    } else if (k == "Action" || k == "NotAction") {
      if (has_action) return malformed(where + " has both Action and NotAction");
      has_action = true;
      st.not_action = k == "NotAction";
      auto list = string_list(val, where + "." + std::string(k));
      if (!list.ok()) return list.error();
      for (std::string& a : *list) {
        const std::size_t colon = a.find(':');
        if (a != "*" && (colon == std::string::npos || colon == 0 || colon + 1 == a.size())) {
          return malformed(where + "." + std::string(k) + " '" + a +
                           "' must be \"*\" or \"<service>:<action>\"");
        }
        st.actions.push_back(lower(a));  // matched case-insensitively
      }
    } else if (k == "Resource" || k == "NotResource") {
      if (has_resource) return malformed(where + " has both Resource and NotResource");
      has_resource = true;
      st.not_resource = k == "NotResource";
      auto list = string_list(val, where + "." + std::string(k));
      if (!list.ok()) return list.error();
      for (std::string& r : *list) {
        // An ARN has six fields; refusing shorter patterns keeps field-wise
        // matching well defined (and a short Deny from silently not applying).
        if (r != "*" && (!r.starts_with("arn:") || std::count(r.begin(), r.end(), ':') < 5)) {
          return malformed(
              where + "." + std::string(k) + " '" + r +
              "' must be \"*\" or an ARN arn:partition:service:region:account:resource");
        }
        if (variables_enabled && r.find("${") != std::string::npos) {
          return malformed(where + "." + std::string(k) +
                           ": policy variables (${...}) are not supported");
        }
        st.resources.push_back(std::move(r));
      }
    } else if (k == "Condition") {
      if (!val.is_object()) return malformed(where + ".Condition must be an object");
      for (const auto& op : val.get_object()) {
        if (!op.value().is_object() || op.value().get_object().empty()) {
          return malformed(where + ".Condition." + std::string(op.key()) +
                           " must be a non-empty object of keys");
        }
        for (const auto& key : op.value().get_object()) {
          CompiledCondition c;
          if (Status s = compile_condition(op.key(), key.key(), key.value(), variables_enabled, c);
              !s.ok()) {
            return Error::invalid_argument(s.error().message + " in " + where);
          }
          st.conditions.push_back(std::move(c));
        }
      }
    } else if (k == "Principal" || k == "NotPrincipal") {
      return malformed(where + " has " + std::string(k) +
                       ", which belongs to resource policies; identity policies cannot use it");
    } else {
      return malformed(where + " has unknown key '" + std::string(k) + "'");
    }
  }
  if (!has_effect) return malformed(where + " lacks Effect");
  if (!has_action) return malformed(where + " needs Action or NotAction");
  if (!has_resource) return malformed(where + " needs Resource or NotResource");
  return {};
}

bool any_match(const std::vector<std::string>& patterns, std::string_view text, bool arn) {
  for (const auto& p : patterns) {
    if (arn ? arn_match(p, text) : wildcard_match(p, text, /*ignore_case=*/true)) return true;
  }
  return false;
}

bool applies(const Statement& st, const AuthzRequest& r) {
  if (any_match(st.actions, r.action, false) == st.not_action) return false;
  if (any_match(st.resources, r.resource, true) == st.not_resource) return false;
  for (const CompiledCondition& c : st.conditions) {
    if (!condition_holds(c, r.context)) return false;
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------

void ConditionContext::set(std::string_view key, std::vector<std::string> values) {
  values_.insert_or_assign(lower(key), std::move(values));
}

void ConditionContext::set(std::string_view key, std::string value) {
  set(key, std::vector<std::string>{std::move(value)});
}

const std::vector<std::string>* ConditionContext::get(std::string_view key) const {
  // Keys are few and short; lower-casing per lookup keeps the map simple.
  const auto it = values_.find(lower(key));
  return it == values_.end() ? nullptr : &it->second;
}

Result<Policy> parse_policy(std::string_view text) {
  boost::system::error_code ec;
  const json::value doc = json::parse(text, ec);
  if (ec) return malformed("not valid JSON (" + ec.message() + ")");
  if (!doc.is_object()) return malformed("the document must be a JSON object");
  Policy policy;
  policy.version_ = "2008-10-17";  // IAM's rule for a missing Version
  const json::value* statements = nullptr;
  for (const auto& kv : doc.get_object()) {
    if (kv.key() == "Version") {
      if (!kv.value().is_string() ||
          (kv.value().get_string() != "2012-10-17" && kv.value().get_string() != "2008-10-17")) {
        return malformed("Version must be \"2012-10-17\" or \"2008-10-17\"");
      }
      policy.version_ = std::string(kv.value().get_string());
    } else if (kv.key() == "Id") {
      if (!kv.value().is_string()) return malformed("Id must be a string");
    } else if (kv.key() == "Statement") {
      statements = &kv.value();
    } else {
      return malformed("unknown top-level key '" + std::string(kv.key()) + "'");
    }
  }
  if (statements == nullptr) return malformed("missing Statement");
  // Policy variables only exist in 2012-10-17 documents; there `${` would be
  // a variable we do not expand, so it is refused rather than matched literally.
  const bool variables = policy.version_ == "2012-10-17";
  if (statements->is_object()) {
    Statement st;
    if (Status s = compile_statement(*statements, 0, variables, st); !s.ok()) return s.error();
    policy.statements_.push_back(std::move(st));
  } else if (statements->is_array()) {
    std::size_t i = 0;
    for (const json::value& v : statements->get_array()) {
      Statement st;
      if (Status s = compile_statement(v, i++, variables, st); !s.ok()) return s.error();
      policy.statements_.push_back(std::move(st));
    }
    if (policy.statements_.empty()) return malformed("Statement must not be empty");
  } else {
    return malformed("Statement must be an object or an array of objects");
  }
  return policy;
}

Decision evaluate(std::span<const Policy> policies, const AuthzRequest& request) {
  bool allowed = false;
  for (const Policy& p : policies) {
    for (const Statement& st : p.statements()) {
      if (!applies(st, request)) continue;
      if (st.effect == Effect::kDeny) return Decision::kExplicitDeny;
      allowed = true;
    }
  }
  return allowed ? Decision::kAllow : Decision::kImplicitDeny;
}

Decision evaluate(const Policy& policy, const AuthzRequest& request) {
  return evaluate(std::span<const Policy>(&policy, 1), request);
}

std::string execute_api_arn(std::string_view region, std::string_view account_id,
                            std::string_view api_id, std::string_view stage,
                            std::string_view method, std::string_view path) {
  std::string arn = "arn:aws:execute-api:";
  arn.append(region).append(":").append(account_id).append(":").append(api_id).append("/");
  arn.append(stage).append("/");
  for (char c : method) {
    arn.push_back((c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c);
  }
  arn.push_back('/');
  if (path.starts_with('/')) path.remove_prefix(1);
  arn.append(path);
  return arn;
}

bool wildcard_match(std::string_view p, std::string_view t, bool ignore_case) {
  // Greedy scan with backtracking to the last `*`: linear in the common case.
  std::size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
    } else if (pi < p.size() &&
               (p[pi] == '?' || fold(p[pi], ignore_case) == fold(t[ti], ignore_case))) {
      ++pi;
      ++ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

bool arn_match(std::string_view pattern, std::string_view arn) {
  if (pattern == "*") return true;
  auto split5 = [](std::string_view s, std::array<std::string_view, 6>& f) {
    for (std::size_t i = 0; i < 5; ++i) {
      const std::size_t colon = s.find(':');
      if (colon == std::string_view::npos) return false;
      f[i] = s.substr(0, colon);
      s.remove_prefix(colon + 1);
    }
    f[5] = s;
    return true;
  };
  std::array<std::string_view, 6> pf{}, af{};
  if (!split5(pattern, pf) || !split5(arn, af)) return wildcard_match(pattern, arn, false);
  for (std::size_t i = 0; i < pf.size(); ++i) {
    if (!wildcard_match(pf[i], af[i], false)) return false;
  }
  return true;
}

}  // namespace cloudlet::auth
