// The request target of an HTTP/1.1 request, parsed once into the one value
// that everything after the parser reads: the router, the SigV4 verifier,
// the IAM resource, the access log and the function's event.
//
// Why one value: when two components each split the raw target themselves,
// an attacker picks bytes that they read differently. (The verifier once cut
// the target at `#` while the router handed everything after `?` to the
// function, so a signed `GET /contacts` replayed as `GET /contacts?#&search=x`
// was accepted with parameters nobody signed.)
//
// Accepted: origin-form only (`/path[?query]`, RFC 9112 §3.2.1) made of the
// characters RFC 3986 allows in a path and a query (unreserved, sub-delims,
// `:`, `@`, `/`, `?`, `%`, and `[`, `]` which clients send unescaped in
// queries). Refused: a fragment (`#` never travels in a request), bytes
// ≥ 0x80, the printable characters RFC 3986 excludes (`"` `<` `>` `\` `^`
// `` ` `` `{` `|` `}`), and the absolute and asterisk forms. Controls, DEL,
// space and NUL never get here: Beast's request-line parser refuses them.
//
// The path keeps its percent-escapes (they are checked, and decoded, later by
// the component that gives them meaning) but loses its dot segments and
// empty segments by the very function SigV4 canonicalisation uses
// (auth::append_normalized_raw_path, spec/apigateway-sigv4.md §2.2 step 1),
// so the path that is routed is the path that was signed:
// `/a/../contacts//1` routes, signs and authorises as `/contacts/1`.
//
// Pure; allocates only the two strings. Thread-safe (no state).
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace cloudlet::http {

struct Target {
  std::string path;   // "/" or "/seg/seg[/]", still percent-encoded, no dot or empty segments
  std::string query;  // the raw bytes after the first '?', empty when there is none
};

// The parsed target, or kInvalidArgument whose message says what was wrong
// (for logs; clients get a plain 400 Bad Request).
Result<Target> parse_target(std::string_view raw);

}  // namespace cloudlet::http
