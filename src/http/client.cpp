#include "http/client.hpp"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <string_view>

namespace cloudlet::http {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

bool framing_header(std::string_view name) {
  static constexpr std::string_view kNames[] = {"host", "content-length", "transfer-encoding",
                                                "connection"};
  return std::any_of(std::begin(kNames), std::end(kNames), [&](std::string_view n) {
    return std::equal(name.begin(), name.end(), n.begin(), n.end(), [](char a, char b) {
      return static_cast<char>(std::tolower(static_cast<unsigned char>(a))) == b;
    });
  });
}

Error failure(beast::error_code ec, std::string_view authority) {
  if (ec == beast::error::timeout)
    return Error{ErrorCode::kDeadlineExceeded, std::string(authority) + " timed out", {}};
  return Error::unavailable(std::string(authority) + ": " + ec.message());
}

}  // namespace

Result<HttpUrl> parse_http_url(std::string_view url) {
  std::string_view rest = url;
  if (!rest.starts_with("http://")) return Error::invalid_argument("only http:// URLs");
  rest.remove_prefix(7);
  HttpUrl out;
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.empty()) return Error::invalid_argument("the URL names no host");
  out.authority = authority;
  out.target = rest.substr(authority.size());
  if (out.target.empty() || out.target.front() == '?') out.target.insert(0, "/");
  // host[:port], the host an IPv6 literal in brackets or not.
  std::string_view host = authority;
  out.port = "80";
  const auto bracket = authority.rfind(']');
  if (auto colon = authority.rfind(':');
      colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host = authority.substr(0, colon);
    out.port = authority.substr(colon + 1);
  }
  out.origin = std::string(host) + ":" + out.port;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  out.host = host;
  return out;
}

Result<ClientResponse> send(ClientRequest request, const ClientLimits& limits) {
  auto url = parse_http_url(request.url);
  if (!url.ok()) return url.error();
  const std::string_view authority = url->authority;
  const std::string& host = url->host;
  const std::string& port = url->port;
  const std::string& target = url->target;
  const auto verb = bhttp::string_to_verb(request.method);
  if (verb == bhttp::verb::unknown) return Error::invalid_argument("unsupported method");

  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  auto endpoints = resolver.resolve(host, port, ec);
  if (ec) return failure(ec, authority);
  stream.expires_after(limits.timeout);  // one deadline for connect, write and read
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  ioc.run();
  if (ec) return failure(ec, authority);

  bhttp::request<bhttp::string_body> req;
  req.method(verb);
  req.target(target);
  req.version(11);
  for (auto& [name, value] : request.headers) {
    if (framing_header(name)) continue;
    std::replace_if(
        value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
    req.insert(name, value);
  }
  req.set(bhttp::field::host, authority);
  req.keep_alive(false);
  req.body() = std::move(request.body);
  req.prepare_payload();

  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(limits.max_body_bytes);
  beast::flat_buffer buffer;
  ioc.restart();
  bhttp::async_write(stream, req, [&](beast::error_code e, std::size_t) {
    ec = e;
    if (!e)
      bhttp::async_read(stream, buffer, parser,
                        [&](beast::error_code e2, std::size_t) { ec = e2; });
  });
  ioc.run();
  if (ec) return failure(ec, authority);

  auto res = parser.release();
  ClientResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res)
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  out.body = std::move(res.body());
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

}  // namespace cloudlet::http
