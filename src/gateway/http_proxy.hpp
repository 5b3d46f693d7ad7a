// HTTP_PROXY integrations: forward the request to a URL and relay the answer.
// Blocking (it owns a private io_context); runs on the gateway's worker pool,
// never on an I/O thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "functions/proxy.hpp"
#include "gateway/routes.hpp"

namespace cloudlet::gateway {

struct ForwardRequest {
  std::string method;     // the request's method (integration_method ANY) or the integration's
  std::string raw_query;  // appended to the URL when non-empty
  // Forwarded minus hop-by-hop ones; CR and LF in a value (an obs-fold) go as
  // spaces, as RFC 9112 §5.2 asks of a proxy.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// The integration URI with `{name}` / `{name+}` replaced by path parameters,
// each percent-encoded again (the router decoded them): a decoded space, `?`,
// `#`, `%` or CR LF never reaches the upstream's request line raw. A `{name}`
// value is one segment, so its `/` is encoded too; a greedy `{name+}` value
// keeps `/` between its segments. Errors (kInvalidArgument, the message names
// the parameter and is safe for clients): a value holding a control
// character, or a `.` / `..` segment (also between the encoded slashes of a
// one-segment value), which would walk the upstream's path.
Result<std::string> expand_uri(std::string_view uri, const Match& match);

// Sends `request` to `url` (http:// only) within `timeout`. Errors:
// kDeadlineExceeded on timeout, kUnavailable when the upstream cannot be
// reached or answers something that is not HTTP. The messages are for logs.
Result<functions::ProxyResponse> forward_http(const std::string& url, ForwardRequest request,
                                              std::chrono::milliseconds timeout);

}  // namespace cloudlet::gateway
