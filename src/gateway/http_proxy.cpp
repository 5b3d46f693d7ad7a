#include "gateway/http_proxy.hpp"

#include <cctype>

#include "auth/canonical.hpp"
#include "http/client.hpp"

namespace cloudlet::gateway {

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
  http::ClientRequest out;
  out.method = std::move(request.method);
  out.url = url;
  if (!request.raw_query.empty())
    out.url += (url.find('?') == std::string::npos ? "?" : "&") + request.raw_query;
  for (auto& header : request.headers)
    if (!hop_by_hop(header.first)) out.headers.push_back(std::move(header));
  out.body = std::move(request.body);
  auto answer = http::send(std::move(out), {.timeout = timeout});
  if (!answer.ok()) {
    Error e = answer.error();
    e.message = "upstream " + e.message;
    return e;
  }
  functions::ProxyResponse response;
  response.status_code = answer->status;
  for (auto& [name, value] : answer->headers) {
    if (hop_by_hop(name)) continue;
    auto [it, inserted] = response.headers.try_emplace(name, value);
    if (!inserted) {
      it->second += ',';
      it->second += value;
    }
  }
  response.body = std::move(answer->body);
  return response;
}

}  // namespace cloudlet::gateway
