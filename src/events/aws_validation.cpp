#include "events/aws_validation.hpp"

#include "core/utf8.hpp"

namespace cloudlet::events {

namespace {

// How much of a refused value the message repeats: enough to recognise it,
// without a 1 MiB request coming back (and being logged) as a 1 MiB error.
constexpr std::size_t kMaxEchoedChars = 1000;

}  // namespace

std::string constraint_violation(std::optional<std::string_view> value, std::string_view path,
                                 std::string_view constraint) {
  std::string out = "Value ";
  if (value) {
    out += '\'';
    if (value->size() > kMaxEchoedChars) {
      out += utf8::sanitize(value->substr(0, kMaxEchoedChars));
      out += "...";
    } else {
      out += *value;
    }
    out += '\'';
  } else {
    out += "null";
  }
  out += " at '";
  out += path;
  out += "' failed to satisfy constraint: ";
  out += constraint;
  return out;
}

std::string max_length_constraint(std::size_t n) {
  return "Member must have length less than or equal to " + std::to_string(n);
}

std::string min_length_constraint(std::size_t n) {
  return "Member must have length greater than or equal to " + std::to_string(n);
}

std::string validation_message(const std::vector<std::string>& violations) {
  std::string out = std::to_string(violations.size());
  out += violations.size() == 1 ? " validation error detected: " : " validation errors detected: ";
  for (std::size_t i = 0; i < violations.size(); ++i) {
    if (i > 0) out += "; ";
    out += violations[i];
  }
  return out;
}

std::size_t java_length(std::string_view s) {
  std::size_t units = 0;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c & 0xc0) == 0x80) continue;  // continuation byte: counted with its lead
    units += c >= 0xf0 ? 2 : 1;        // a 4-byte sequence is a surrogate pair in UTF-16
  }
  return units;
}

}  // namespace cloudlet::events
