// What every event-bus action shares: reading AWS JSON 1.1 request members
// with AWS's error rules, building replies, and paging tokens.
//
// Request members (spec §3.1, §3.3): a member of the wrong JSON type is
// `SerializationException` (the body could not be read as the operation's
// input); a member that breaks a model constraint (required, length,
// pattern, range, enum) is one violation, and all of a request's violations
// become one `ValidationException` in AWS's generic text. JSON null reads as
// absent, as botocore sends nothing for unset members.
//
// Pure; one RequestReader per request.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace cloudlet::events {

// One action's answer: HTTP status, the AWS error type (empty: success) and
// the JSON body.
struct ApiReply {
  unsigned status = 200;
  std::string error_type;
  std::string body;
};

ApiReply ok_reply(const boost::json::object& output);
// {"__type": type, "message": message} with status 400 (500 for
// InternalException).
ApiReply error_reply(std::string_view type, std::string_view message);
// A store failure: never its text (it may name SQL); InternalException.
ApiReply internal_reply();

// The spec's error types.
namespace error_type {
inline constexpr std::string_view kValidation = "ValidationException";
inline constexpr std::string_view kSerialization = "SerializationException";
inline constexpr std::string_view kInvalidPattern = "InvalidEventPatternException";
inline constexpr std::string_view kNotFound = "ResourceNotFoundException";
inline constexpr std::string_view kAlreadyExists = "ResourceAlreadyExistsException";
inline constexpr std::string_view kLimitExceeded = "LimitExceededException";
inline constexpr std::string_view kInternal = "InternalException";
inline constexpr std::string_view kUnknownOperation = "UnknownOperationException";
}  // namespace error_type

// The constraints of one string member.
struct StringRule {
  std::size_t min = 0;                          // 0: no minimum
  std::size_t max = 0;                          // 0: no maximum
  std::string_view pattern;                     // the regex as AWS's message quotes it; empty: none
  bool (*matches)(std::string_view) = nullptr;  // the pattern's check
};

class RequestReader {
 public:
  explicit RequestReader(const boost::json::object& body) : body_(body) {}

  // The member as a string, nullopt when absent. A non-string is a
  // serialization error; a broken rule a violation at `path` (the member's
  // lowerCamelCase name).
  std::optional<std::string> string(std::string_view member, std::string_view path,
                                    const StringRule& rule = {});
  // The same, and absent is a "must not be null" violation.
  std::optional<std::string> required_string(std::string_view member, std::string_view path,
                                             const StringRule& rule = {});
  // One of `allowed`, else an enum violation.
  std::optional<std::string> enum_string(std::string_view member, std::string_view path,
                                         const std::vector<std::string_view>& allowed);
  // An integer in [min, max], else a range violation.
  std::optional<std::int64_t> integer(std::string_view member, std::string_view path,
                                      std::int64_t min, std::int64_t max);
  std::optional<bool> boolean(std::string_view member);
  // The member as an array / object, nullptr when absent (a wrong type is a
  // serialization error).
  const boost::json::array* array(std::string_view member);
  const boost::json::object* object(std::string_view member);

  // Checks on values read elsewhere, recorded like the member checks.
  void check_string(std::optional<std::string_view> value, std::string_view path,
                    const StringRule& rule, bool required);
  void check_count(std::size_t count, std::string_view path, std::size_t min, std::size_t max,
                   std::string_view echoed);
  void add_violation(std::string violation) { violations_.push_back(std::move(violation)); }
  void serialization_error(std::string message);
  // Takes over a nested reader's problems (the members of a member), so the
  // request still fails with one error holding every violation.
  void absorb(const RequestReader& nested);

  // The first problem found, as the reply to send: SerializationException
  // before ValidationException.
  std::optional<ApiReply> failure() const;

 private:
  const boost::json::value* member(std::string_view name);

  const boost::json::object& body_;
  std::vector<std::string> violations_;
  std::optional<std::string> serialization_;
};

// NextToken of the list actions: opaque to clients, it carries the last key
// returned and a digest of the arguments it belongs to, so a token passed
// back with other arguments (another bus, prefix) is refused rather than
// read as a key from elsewhere.
std::string make_next_token(std::string_view scope, std::string_view after_key);
// The key in a token made for `scope`; nullopt when it is not one, or its
// key is not a name (bus, rule, target) we could have written.
std::optional<std::string> read_next_token(std::string_view token, std::string_view scope);

// Epoch seconds as a JSON number (timestamps in AWS JSON 1.1).
double epoch_seconds(std::chrono::sys_seconds t);

}  // namespace cloudlet::events
