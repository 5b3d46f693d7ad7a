// Structured JSON logging for cloudlet's own diagnostics (stderr).
//
// Every line is one JSON object: {"ts","level","event", ...fields}. Lines pass
// through `redact` before they are written, so a password inside a database
// URL, a `password=` conninfo pair or a SigV4 signature cannot reach a log
// even when a caller passes one by mistake. Secrets that the program holds
// should be wrapped in `Secret`, which never prints its value.
//
// Thread-safe. Cost: one small allocation per line plus the redaction scan.
#pragma once

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace cloudlet {

// Holds a secret; formatting or logging it shows "***".
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

 private:
  std::string value_;
};

namespace log {

enum class Level { kDebug, kInfo, kWarn, kError };

// Reads "debug", "info", "warn", "error".
bool parse_level(std::string_view text, Level& out);
void set_level(Level level);

// One member of a log line: {"key", value}; value is anything Boost.JSON
// can convert (strings, numbers, bools).
struct Field {
  template <class T>
  Field(std::string_view k, T&& v)  // NOLINT: implicit, for brace lists
      : key(k), value(boost::json::value_from(std::forward<T>(v))) {}
  std::string_view key;
  boost::json::value value;
};

void write(Level level, std::string_view event, std::initializer_list<Field> fields = {});
inline void debug(std::string_view event, std::initializer_list<Field> fields = {}) {
  write(Level::kDebug, event, fields);
}
inline void info(std::string_view event, std::initializer_list<Field> fields = {}) {
  write(Level::kInfo, event, fields);
}
inline void warn(std::string_view event, std::initializer_list<Field> fields = {}) {
  write(Level::kWarn, event, fields);
}
inline void error(std::string_view event, std::initializer_list<Field> fields = {}) {
  write(Level::kError, event, fields);
}

// Masks credentials in free text: the password of `scheme://user:password@`,
// the value of `password=` / `PGPASSWORD=`, of `Signature=` /
// `X-Amz-Signature=`, and of `"password"`, `"secret_access_key"` JSON members.
std::string redact(std::string_view text);

}  // namespace log
}  // namespace cloudlet
