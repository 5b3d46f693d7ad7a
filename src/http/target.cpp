#include "http/target.hpp"

#include <array>

#include "auth/canonical.hpp"

namespace cloudlet::http {
namespace {

// The bytes RFC 3986 allows in a path or query: unreserved, sub-delims,
// ":" "@" "/" "?", "%" of an escape, and "[" "]" (gen-delims that clients
// such as PHP-style forms send raw in queries). Everything else that can
// reach us is refused: '#', bytes >= 0x80, and `"` `<` `>` `\` `^` `` ` ``
// `{` `|` `}`. (Controls, space and DEL never pass Beast's parser.)
constexpr std::array<bool, 256> allowed_table() {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (char c : std::string_view("-._~!$&'()*+,;=:@/?%[]")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kAllowed = allowed_table();

}  // namespace

Result<Target> parse_target(std::string_view raw) {
  if (raw.empty() || raw.front() != '/') {
    return Error::invalid_argument("request target is not a path (origin-form)");
  }
  for (char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    if (kAllowed[c]) continue;
    if (c == '#') return Error::invalid_argument("request target holds a fragment ('#')");
    if (c >= 0x80) return Error::invalid_argument("request target holds a non-ASCII byte");
    return Error::invalid_argument("request target holds a character URIs exclude");
  }
  const std::size_t q = raw.find('?');
  Target target;
  auth::append_normalized_raw_path(raw.substr(0, q), /*normalize=*/true, target.path);
  if (q != std::string_view::npos) target.query = std::string(raw.substr(q + 1));
  return target;
}

}  // namespace cloudlet::http
