// One HTTP/1.1 request to an http:// URL and its answer: the one client that
// the gateway's HTTP_PROXY integrations and the event bus's HTTP targets
// share. Blocking (it owns a private io_context): call it from a worker
// thread, never from an I/O thread.
//
// What it guards, whoever the caller: the timeout covers connect, write and
// read together; the answer's body is capped; CR and LF in a header value go
// as spaces (so a value cannot start a header of its own); the framing
// headers (Host, Content-Length, Transfer-Encoding, Connection) are the
// client's own and a caller's are dropped; one request per connection.
// [The host name is resolved (getaddrinfo) before the deadline starts: a
// name whose DNS is slow takes the resolver's own time. IP literals, which
// loopback and private targets usually are, resolve at once.]
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace cloudlet::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct ClientRequest {
  std::string method = "POST";
  std::string url;  // http://host[:port][/path][?query]
  HeaderList headers;
  std::string body;
};

struct ClientResponse {
  int status = 0;
  HeaderList headers;  // as received, in order
  std::string body;
};

struct ClientLimits {
  std::chrono::milliseconds timeout{10000};
  std::size_t max_body_bytes = 10 * 1024 * 1024;
};

// An http:// URL as send() reads it, so that whoever checks where a request
// may go (an allowlist of origins) checks what send() will connect to.
struct HttpUrl {
  std::string authority;  // as written: host[:port]
  std::string host;       // without an IPv6 literal's brackets
  std::string port;       // "80" when the URL names none
  std::string origin;     // authority with the port always present: "host:port", "[::1]:80"
  std::string target;     // path and query, "/" at least
};
// kInvalidArgument when not http:// or without a host.
Result<HttpUrl> parse_http_url(std::string_view url);

// Errors: kInvalidArgument (not an http:// URL, unknown method),
// kDeadlineExceeded (the timeout passed), kUnavailable (the host cannot be
// reached, or answered something that is not HTTP or too big). Messages name
// the host and port, for logs.
Result<ClientResponse> send(ClientRequest request, const ClientLimits& limits);

}  // namespace cloudlet::http
