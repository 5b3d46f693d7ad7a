#include "gateway/http_proxy.hpp"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>

#include "auth/canonical.hpp"

namespace cloudlet::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// One segment of a parameter value, encoded for a request line: everything
// but RFC 3986's unreserved characters becomes %XX.
Status append_segment(std::string_view name, std::string_view segment, std::string& out) {
  // Also inside a one-segment value, whose '/' goes encoded: an upstream
  // that decodes %2F before resolving dot segments would walk up its tree.
  for (std::size_t start = 0;;) {
    const std::size_t slash = segment.find('/', start);
    const std::string_view piece = segment.substr(start, slash - start);
    if (piece == "." || piece == "..") {
      return Error::invalid_argument("path parameter " + std::string(name) +
                                     " holds a '.' or '..' segment");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  for (char ch : segment) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) {
      return Error::invalid_argument("path parameter " + std::string(name) +
                                     " holds a control character");
    }
  }
  auth::append_uri_encoded(segment, /*keep_slash=*/false, out);
  return {};
}

}  // namespace

Result<std::string> expand_uri(std::string_view uri, const Match& match) {
  std::string out;
  std::size_t i = 0;
  while (i < uri.size()) {
    if (uri[i] == '{') {
      auto close = uri.find('}', i);
      if (close != std::string_view::npos) {
        std::string_view name = uri.substr(i + 1, close - i - 1);
        if (!name.empty() && name.back() == '+') name.remove_suffix(1);
        // Greedy is the route's word (`{proxy+}` in the route key, usually
        // `{proxy}` in the URI), not the URI's.
        bool greedy = false;
        for (std::size_t k = 0; match.route != nullptr && k < match.route->kinds.size(); ++k) {
          greedy = greedy || (match.route->kinds[k] == Route::Segment::kGreedy &&
                              match.route->texts[k] == name);
        }
        for (const auto& [k, v] : match.parameters) {
          if (k != name) continue;
          std::string_view value = v;
          // A greedy value spans segments: keep its '/' separators.
          for (std::size_t start = 0;;) {
            const std::size_t slash = greedy ? value.find('/', start) : std::string_view::npos;
            if (Status s = append_segment(name, value.substr(start, slash - start), out); !s.ok()) {
              return s.error();
            }
            if (slash == std::string_view::npos) break;
            out.push_back('/');
            start = slash + 1;
          }
          break;
        }
        i = close + 1;
        continue;
      }
    }
    out.push_back(uri[i++]);
  }
  return out;
}

namespace {

bool hop_by_hop(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "connection", "keep-alive",     "proxy-authenticate", "proxy-authorization",
      "te",         "trailer",        "transfer-encoding",  "upgrade",
      "host",       "content-length", "authorization",      "x-amz-security-token"};
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto n : kNames) {
    if (lower == n) return true;
  }
  return false;
}

}  // namespace

Result<functions::ProxyResponse> forward_http(const std::string& url, ForwardRequest request,
                                              std::chrono::milliseconds timeout) {
  std::string_view rest = url;
  if (!rest.starts_with("http://")) return Error::invalid_argument("only http:// upstreams");
  rest.remove_prefix(7);
  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string path =
      authority.size() < rest.size() ? std::string(rest.substr(authority.size())) : "/";
  if (!request.raw_query.empty())
    path += (path.find('?') == std::string::npos ? "?" : "&") + request.raw_query;
  std::string host(authority);
  std::string port = "80";
  if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = std::string(authority.substr(0, colon));
    port = std::string(authority.substr(colon + 1));
  }
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  auto endpoints = resolver.resolve(host, port, ec);
  if (ec) return Error::unavailable("upstream " + std::string(authority) + ": " + ec.message());
  stream.expires_after(timeout);
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  ioc.run();
  if (ec) {
    if (ec == beast::error::timeout)
      return Error{ErrorCode::kDeadlineExceeded, "upstream timed out", {}};
    return Error::unavailable("upstream " + std::string(authority) + ": " + ec.message());
  }
  http::request<http::string_body> req;
  auto verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) return Error::invalid_argument("unsupported method");
  req.method(verb);
  req.target(path);
  req.version(11);
  for (auto& [k, v] : request.headers) {
    if (hop_by_hop(k)) continue;
    std::replace_if(
        v.begin(), v.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
    req.insert(k, v);
  }
  req.set(http::field::host, authority);
  req.keep_alive(false);
  req.body() = std::move(request.body);
  req.prepare_payload();
  http::response_parser<http::string_body> parser;
  parser.body_limit(10 * 1024 * 1024);
  beast::flat_buffer buffer;
  ioc.restart();
  http::async_write(stream, req, [&](beast::error_code e, std::size_t) {
    ec = e;
    if (!e)
      http::async_read(stream, buffer, parser, [&](beast::error_code e2, std::size_t) { ec = e2; });
  });
  ioc.run();
  if (ec) {
    if (ec == beast::error::timeout)
      return Error{ErrorCode::kDeadlineExceeded, "upstream timed out", {}};
    return Error::unavailable("upstream " + std::string(authority) + ": " + ec.message());
  }
  auto res = parser.release();
  functions::ProxyResponse out;
  out.status_code = static_cast<int>(res.result_int());
  for (const auto& f : res) {
    if (hop_by_hop(f.name_string())) continue;
    auto [it, inserted] = out.headers.try_emplace(std::string(f.name_string()), f.value());
    if (!inserted) {
      it->second += ',';
      it->second += f.value();
    }
  }
  out.body = std::move(res.body());
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

}  // namespace cloudlet::gateway
