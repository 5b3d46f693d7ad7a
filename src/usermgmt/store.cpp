#include "usermgmt/store.hpp"

#include <string_view>

namespace cloudlet::usermgmt {

namespace {

// Strict UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF):
// protobuf rejects invalid UTF-8 in proto3 strings when it serializes, so a
// name that got past us would make every later GetUsers fail.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
      return false;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

}  // namespace

Result<ValidNewUser> validate(std::string name, std::int32_t age) {
  if (name.empty()) return Error::invalid_argument("name must not be empty");
  if (name.size() > kMaxNameBytes) {
    return Error::invalid_argument("name is " + std::to_string(name.size()) + " bytes; at most " +
                                   std::to_string(kMaxNameBytes) + " are allowed");
  }
  if (!valid_utf8(name)) return Error::invalid_argument("name is not valid UTF-8");
  // PostgreSQL text cannot hold U+0000 (libpq would cut the name there), and
  // every store must keep exactly the name it acknowledged.
  if (name.find('\0') != std::string::npos) {
    return Error::invalid_argument("name must not contain the NUL character");
  }
  if (age < 0 || age > kMaxAge) {
    return Error::invalid_argument("age must be between 0 and " + std::to_string(kMaxAge) +
                                   ", got " + std::to_string(age));
  }
  return ValidNewUser(std::move(name), age);
}

bool matches(const UserQuery& query, const User& user) {
  if (!query.name.empty()) {
    if (query.name_match == NameMatch::kExact) {
      if (user.name != query.name) return false;
    } else if (!std::string_view(user.name).starts_with(query.name)) {
      return false;
    }
  }
  if (query.age && user.age != *query.age) return false;
  return true;
}

}  // namespace cloudlet::usermgmt
