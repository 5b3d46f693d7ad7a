// The gateway's request path up to the function event, on untrusted bytes:
// Boost.Beast's request parser with the gateway's limits (gateway/server.hpp
// ServerOptions: 10240 bytes of request line and headers, 10 MiB of body),
// then, as server.cpp does it, http::parse_target on the target, the route
// lookup in the default routes, the SigV4 pre-check for AWS_IAM routes, and
// once the body is read gateway::build_event and the event's JSON.
//
// Input: the bytes a client sends on the connection (one request).
//
// Invariants: every target parse_target accepts is normalised (fuzz_support
// checked_parse_target); the event carries the parsed path and raw query,
// the route key, lower-case header names, the path parameters of the match,
// and the body (base64 exactly when its type is not textual or it is not
// UTF-8); every string in it is UTF-8; the event's JSON reads back to the
// same JSON.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/iam.hpp"
#include "auth/sigv4.hpp"
#include "core/utf8.hpp"
#include "functions/proxy_json.hpp"
#include "fuzz_support.hpp"
#include "gateway/event.hpp"
#include "gateway/routes.hpp"
#include "gateway/server.hpp"
#include "http/target.hpp"

namespace {

using namespace cloudlet;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

struct Fixture {
  std::shared_ptr<const gateway::RouteTable> routes;
  gateway::ServerOptions options;
  auth::Verifier verifier{auth::Settings::gateway()};
  auth::InMemoryCredentialStore store;
  auth::Principal principal;
  auth::Clock::time_point now = *auth::parse_amz_date("20261128T052600Z");

  Fixture() {
    auto compiled = gateway::RouteTable::compile(gateway::default_routes_json());
    FUZZ_CHECK(compiled.ok());
    routes = std::move(*compiled);
    auth::Credential c;
    c.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    store.add("AKIDEXAMPLE", c);
    principal.access_key_id = "AKIDEXAMPLE";
    principal.principal_arn = "arn:aws:iam::000000000000:user/dev";
    principal.user_id = "AIDAEXAMPLE";
    principal.account_id = "000000000000";
    principal.region = "us-east-1";
  }
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

struct Head {
  http::Target target;
  gateway::Match match;
  std::string method;
};

// server.cpp on_header(), minus the responses.
std::optional<Head> on_header(const Fixture& f,
                              const bhttp::request_parser<bhttp::string_body>& p) {
  const auto& head = p.get();
  auto target = fuzz::checked_parse_target(head.target());
  if (!target) return std::nullopt;
  if (target->path == "/healthz" || target->path == "/readyz") return std::nullopt;
  const std::string_view method = head.method_string();
  auto match = f.routes->match(method, target->path);
  if (!match) return std::nullopt;
  FUZZ_CHECK(match->route != nullptr && match->route->integration != nullptr);
  if (match->route->authorization == gateway::AuthorizationType::kAwsIam) {
    std::vector<auth::HeaderField> headers;
    for (const auto& field : head) headers.push_back({field.name_string(), field.value()});
    auth::RequestView view{method, target->path, target->query, headers, {}, {}};
    // The server answers 403 here when the pre-check fails; the harness goes
    // on, so the event code sees IAM routes too.
    (void)f.verifier.precheck(view, f.store, f.now);
    const std::string arn =
        auth::execute_api_arn("us-east-1", "000000000000", "cloudlet", "$default", method,
                              gateway::percent_decode(target->path));
    FUZZ_CHECK(arn.starts_with("arn:aws:execute-api:us-east-1:000000000000:cloudlet/$default/"));
  }
  return Head{std::move(*target), std::move(*match), std::string(method)};
}

// server.cpp handle() + invoke_function() up to the event.
void on_body(const Fixture& f, const Head& h, bhttp::request<bhttp::string_body>& req) {
  std::vector<auth::HeaderField> headers;
  for (const auto& field : req.base()) {
    headers.push_back({field.name_string(), field.value()});
  }
  const std::string body = req.body();
  gateway::IncomingRequest in{
      h.method,    h.target.path,      h.target.query, headers, std::move(req.body()),
      "127.0.0.1", "JKJaXmPLvHcESHA=", f.now};
  const bool iam = h.match.route->authorization == gateway::AuthorizationType::kAwsIam;
  functions::ProxyEvent e =
      gateway::build_event(in, h.match, iam ? &f.principal : nullptr, "000000000000", "cloudlet");
  FUZZ_CHECK(e.raw_path == h.target.path);
  FUZZ_CHECK(e.raw_query_string == h.target.query);
  FUZZ_CHECK(e.route_key == h.match.route->route_key);
  FUZZ_CHECK(e.request_context.http_method == h.method);
  FUZZ_CHECK(e.request_context.iam.has_value() == iam);
  // The event is UTF-8 text (bytes that are not go as U+FFFD, bodies as base64).
  for (const auto& [name, value] : e.headers) {
    FUZZ_CHECK(name == lower(name));
    FUZZ_CHECK(utf8::valid(name) && utf8::valid(value));
  }
  for (const auto& [name, value] : e.query_string_parameters) {
    FUZZ_CHECK(utf8::valid(name) && utf8::valid(value));
  }
  for (const auto& [name, value] : h.match.parameters) {
    auto it = e.path_parameters.find(name);
    FUZZ_CHECK(it != e.path_parameters.end() && it->second == utf8::sanitize(value));
  }
  if (e.is_base64_encoded) {
    auto decoded = gateway::base64_decode(e.body);
    FUZZ_CHECK(decoded.has_value() && *decoded == body);
  } else {
    FUZZ_CHECK(e.body == body && utf8::valid(e.body));
  }
  const std::string json = functions::proxy_event_to_json(e);
  auto back = functions::proxy_event_from_json(json);
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(functions::proxy_event_to_json(*back) == json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Fixture fixture;
  std::string_view rest = fuzz::bytes(data, size);

  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(fixture.options.max_header_bytes);
  parser.body_limit(fixture.options.max_body_bytes);
  beast::error_code ec;
  std::optional<Head> head;
  bool head_seen = false;
  // All bytes are there at once: put() until the message is done, fails, or
  // wants more than there is (then the peer has closed: put_eof).
  for (int rounds = 0; rounds < 64 && !parser.is_done(); ++rounds) {
    const std::size_t n = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    rest.remove_prefix(n);
    if (ec == bhttp::error::need_more) {
      ec = {};
      if (n == 0) {
        // What Beast's read does at the end of the stream: a message cut short
        // (partial_message), or no message at all (end_of_stream, a quiet close).
        if (!parser.got_some()) return 0;
        parser.put_eof(ec);
        break;
      }
    } else if (ec) {
      break;
    }
    if (parser.is_header_done() && !head_seen) {
      head_seen = true;
      head = on_header(fixture, parser);
      if (!head) return 0;  // 400 / 404 / built-in: the body is never read
    }
  }
  if (ec || !parser.is_done() || !head) return 0;
  auto req = parser.release();
  on_body(fixture, *head, req);
  return 0;
}
