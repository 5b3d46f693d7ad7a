// The routes file (gateway::RouteTable::compile, src/gateway/routes.hpp),
// route matching, and the HTTP_PROXY URI expansion (gateway::expand_uri,
// src/gateway/http_proxy.hpp) with the path parameters of a match.
//
// Input: a routes document (JSON). For each route it compiles, the harness
// builds request paths that fit it, with awkward parameter values (escaped
// dots and slashes, NUL, CR LF, malformed escapes), normalises them with
// http::parse_target as the gateway does, and matches them.
//
// Invariants: a path built for a route with that route's method matches
// some route; a match's route takes the method (or ANY) and carries one
// parameter per `{param}` / `{proxy+}` segment; an expanded URI gains no
// control character, space, `?` or `#` from the parameters.
#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "gateway/http_proxy.hpp"
#include "gateway/routes.hpp"

namespace {

using namespace cloudlet;
using gateway::Route;

constexpr std::array<std::string_view, 10> kValues = {
    "1", "x", "%2e%2e", "a%2Fb", "%00", "%0d%0a", "%zz", "%", "%3F%23", "caf%C3%A9"};
constexpr std::array<std::string_view, 4> kGreedy = {"a/b", "%2e%2e/x", "1/%2F/2", "z"};

std::size_t count(std::string_view s, char c) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), c));
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

void check_match(const gateway::RouteTable& table, std::string_view method, std::string_view raw) {
  auto target = fuzz::checked_parse_target(raw);
  if (!target) return;
  auto m = table.match(method, target->path);
  if (!m) return;
  FUZZ_CHECK(m->route != nullptr && m->route->integration != nullptr);
  const Route& r = *m->route;
  FUZZ_CHECK(r.kinds.size() == r.texts.size());
  if (!r.method.empty()) FUZZ_CHECK(r.method == "ANY" || r.method == method);
  std::size_t variables = 0;
  for (auto k : r.kinds) variables += k != Route::Segment::kLiteral ? 1 : 0;
  FUZZ_CHECK(m->parameters.size() == variables);
  const gateway::Integration& in = *r.integration;
  if (in.type != gateway::IntegrationType::kHttpProxy) return;
  auto url = gateway::expand_uri(in.uri, *m);
  if (!url.ok()) {
    FUZZ_CHECK(url.error().code == ErrorCode::kInvalidArgument);
    return;
  }
  if (!has_control(in.uri)) FUZZ_CHECK(!has_control(*url));
  FUZZ_CHECK(count(*url, '?') <= count(in.uri, '?'));
  FUZZ_CHECK(count(*url, '#') <= count(in.uri, '#'));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto compiled = gateway::RouteTable::compile(fuzz::bytes(data, size));
  if (!compiled.ok()) {
    FUZZ_CHECK(compiled.error().code == ErrorCode::kInvalidArgument);
    return 0;
  }
  const gateway::RouteTable& table = **compiled;
  for (const char* path : {"/", "/contacts", "/contacts/1", "/a/b/c", "/%2e%2e/x"}) {
    check_match(table, "GET", path);
    check_match(table, "POST", path);
  }
  std::size_t round = 0;
  for (const Route& r : table.routes()) {
    FUZZ_CHECK(r.integration != nullptr);
    for (std::size_t variant = 0; variant < 3; ++variant, ++round) {
      std::string path;
      for (std::size_t i = 0; i < r.kinds.size(); ++i) {
        path += '/';
        switch (r.kinds[i]) {
          case Route::Segment::kLiteral:
            path += r.texts[i];
            break;
          case Route::Segment::kParam:
            path += kValues[(round + i) % kValues.size()];
            break;
          case Route::Segment::kGreedy:
            path += kGreedy[(round + i) % kGreedy.size()];
            break;
        }
      }
      if (path.empty()) path = "/";
      const std::string method = r.method == "ANY" || r.method.empty() ? "GET" : r.method;
      check_match(table, method, path);
      // Literal segments and plain values only: this path must find a route.
      if (variant == 0) {
        std::string plain;
        for (std::size_t i = 0; i < r.kinds.size(); ++i) {
          plain += '/';
          plain += r.kinds[i] == Route::Segment::kLiteral ? r.texts[i] : std::string("v");
        }
        if (plain.empty()) plain = "/";
        auto target = fuzz::checked_parse_target(plain);
        if (target && target->path == plain) FUZZ_CHECK(table.match(method, plain).has_value());
      }
    }
  }
  return 0;
}
