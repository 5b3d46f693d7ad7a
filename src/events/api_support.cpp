#include "events/api_support.hpp"

#include <boost/json/serialize.hpp>

#include "events/aws_validation.hpp"

namespace cloudlet::events {

namespace json = boost::json;

ApiReply ok_reply(const json::object& output) { return {200, {}, json::serialize(output)}; }

ApiReply error_reply(std::string_view type, std::string_view message) {
  json::object body;
  body["__type"] = type;
  body["message"] = message;
  return {type == error_type::kInternal ? 500u : 400u, std::string(type), json::serialize(body)};
}

ApiReply internal_reply() {
  return error_reply(error_type::kInternal, "An internal error occurred.");
}

const json::value* RequestReader::member(std::string_view name) {
  auto it = body_.find(name);
  if (it == body_.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

void RequestReader::serialization_error(std::string message) {
  if (!serialization_) serialization_ = std::move(message);
}

void RequestReader::absorb(const RequestReader& nested) {
  if (nested.serialization_) serialization_error(*nested.serialization_);
  violations_.insert(violations_.end(), nested.violations_.begin(), nested.violations_.end());
}

void RequestReader::check_string(std::optional<std::string_view> value, std::string_view path,
                                 const StringRule& rule, bool required) {
  if (!value) {
    if (required) add_violation(constraint_violation(std::nullopt, path, kNotNullConstraint));
    return;
  }
  const std::size_t length = java_length(*value);
  if (rule.min > 0 && length < rule.min) {
    add_violation(constraint_violation(*value, path, min_length_constraint(rule.min)));
  }
  if (rule.max > 0 && length > rule.max) {
    add_violation(constraint_violation(*value, path, max_length_constraint(rule.max)));
  }
  if (rule.matches != nullptr && length > 0 && !rule.matches(*value)) {
    add_violation(constraint_violation(
        *value, path,
        "Member must satisfy regular expression pattern: " + std::string(rule.pattern)));
  }
}

std::optional<std::string> RequestReader::string(std::string_view name, std::string_view path,
                                                 const StringRule& rule) {
  const json::value* v = member(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    serialization_error("Member " + std::string(name) + " must be a string.");
    return std::nullopt;
  }
  std::string value(v->get_string());
  check_string(value, path, rule, false);
  return value;
}

std::optional<std::string> RequestReader::required_string(std::string_view name,
                                                          std::string_view path,
                                                          const StringRule& rule) {
  auto value = string(name, path, rule);
  if (!value && member(name) == nullptr) check_string(std::nullopt, path, rule, true);
  return value;
}

std::optional<std::string> RequestReader::enum_string(
    std::string_view name, std::string_view path, const std::vector<std::string_view>& allowed) {
  auto value = string(name, path);
  if (!value) return std::nullopt;
  for (auto a : allowed) {
    if (*value == a) return value;
  }
  std::string set = "Member must satisfy enum value set: [";
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    if (i > 0) set += ", ";
    set += allowed[i];
  }
  set += "]";
  add_violation(constraint_violation(*value, path, set));
  return std::nullopt;
}

std::optional<std::int64_t> RequestReader::integer(std::string_view name, std::string_view path,
                                                   std::int64_t min, std::int64_t max) {
  const json::value* v = member(name);
  if (v == nullptr) return std::nullopt;
  std::optional<std::int64_t> n;
  if (v->is_int64()) n = v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    n = static_cast<std::int64_t>(v->get_uint64());
  // Range first: converting a double outside int64's range is undefined.
  if (v->is_double() && v->get_double() >= -9.2e18 && v->get_double() <= 9.2e18 &&
      v->get_double() == static_cast<double>(static_cast<std::int64_t>(v->get_double())))
    n = static_cast<std::int64_t>(v->get_double());
  if (!n) {
    serialization_error("Member " + std::string(name) + " must be an integer.");
    return std::nullopt;
  }
  const std::string text = std::to_string(*n);
  if (*n < min) {
    add_violation(constraint_violation(
        text, path, "Member must have value greater than or equal to " + std::to_string(min)));
    return std::nullopt;
  }
  if (*n > max) {
    add_violation(constraint_violation(
        text, path, "Member must have value less than or equal to " + std::to_string(max)));
    return std::nullopt;
  }
  return n;
}

std::optional<bool> RequestReader::boolean(std::string_view name) {
  const json::value* v = member(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_bool()) {
    serialization_error("Member " + std::string(name) + " must be a boolean.");
    return std::nullopt;
  }
  return v->get_bool();
}

const json::array* RequestReader::array(std::string_view name) {
  const json::value* v = member(name);
  if (v == nullptr) return nullptr;
  if (!v->is_array()) {
    serialization_error("Member " + std::string(name) + " must be a list.");
    return nullptr;
  }
  return &v->get_array();
}

const json::object* RequestReader::object(std::string_view name) {
  const json::value* v = member(name);
  if (v == nullptr) return nullptr;
  if (!v->is_object()) {
    serialization_error("Member " + std::string(name) + " must be a structure.");
    return nullptr;
  }
  return &v->get_object();
}

void RequestReader::check_count(std::size_t count, std::string_view path, std::size_t min,
                                std::size_t max, std::string_view echoed) {
  if (count < min) add_violation(constraint_violation(echoed, path, min_length_constraint(min)));
  if (count > max) add_violation(constraint_violation(echoed, path, max_length_constraint(max)));
}

std::optional<ApiReply> RequestReader::failure() const {
  if (serialization_) return error_reply(error_type::kSerialization, *serialization_);
  if (!violations_.empty())
    return error_reply(error_type::kValidation, validation_message(violations_));
  return std::nullopt;
}

namespace {

// FNV-1a: a stable digest of a token's scope (not a secret: the token only
// needs to be told apart from one made for other arguments).
std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 14695981039346656037ull;
  for (char ch : s) {
    h ^= static_cast<unsigned char>(ch);
    h *= 1099511628211ull;
  }
  return h;
}

constexpr char kHex[] = "0123456789abcdef";

std::string hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::optional<std::string> unhex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int hi = hex_digit(text[i]);
    int lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::string scope_digest(std::string_view scope) {
  std::uint64_t h = fnv1a(scope);
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<std::size_t>(i)] = kHex[h & 15];
  return out;
}

}  // namespace

std::string make_next_token(std::string_view scope, std::string_view after_key) {
  return scope_digest(scope) + hex(after_key);
}

std::optional<std::string> read_next_token(std::string_view token, std::string_view scope) {
  if (token.size() < 16 || token.substr(0, 16) != scope_digest(scope)) return std::nullopt;
  auto key = unhex(token.substr(16));
  // The digest is not a secret, so a token can be forged: its key must be
  // a name we could have written (rule, bus and target names are ASCII of
  // [/.-_A-Za-z0-9]), never bytes for the database to choke on.
  if (!key || key->empty()) return std::nullopt;
  for (char c : *key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_' || c == '/';
    if (!ok) return std::nullopt;
  }
  return key;
}

double epoch_seconds(std::chrono::sys_seconds t) {
  return static_cast<double>(t.time_since_epoch().count());
}

}  // namespace cloudlet::events
