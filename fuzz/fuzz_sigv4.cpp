// SigV4 verification of untrusted requests: the Authorization header and the
// presigned query (auth::Verifier::precheck and ::verify), the canonical
// request, and X-Amz-Date parsing (src/auth/sigv4.hpp, canonical.hpp).
//
// Input: one raw HTTP request in the conformance data's text form (request
// line, `name:value` headers, a blank line, the body; LF or CRLF), e.g. a
// cases.jsonl "request" or a clients/*.http capture. The target goes through
// http::parse_target first, as in the gateway.
//
// The verifiers hold the conformance keys (src/auth/testdata/README.md) and
// run at the suites' fixed clocks and at the request's own X-Amz-Date, so
// mutations get past the skew window to the signature check.
//
// Invariants:
// - precheck() fails exactly when verify() fails before the signature
//   (verify runs the same steps first), with the same error;
// - a request that passes precheck() but carries a wrong signature verifies
//   once it is re-signed with auth::authorization_header (signer and verifier
//   build the same canonical request);
// - parse_amz_date and format_amz_date round-trip.
#include <chrono>
#include <deque>
#include <string>
#include <string_view>

#include "auth/canonical.hpp"
#include "auth/sigv4.hpp"
#include "fuzz_support.hpp"
#include "http/target.hpp"

namespace {

using namespace cloudlet;
using auth::Clock;

constexpr std::string_view kKeyId = "AKIDEXAMPLE";
constexpr std::string_view kTempKeyId = "ASIAEXAMPLETEMP";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kToken =
    "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+example/token==";

Clock::time_point at(std::string_view amz_date) { return *auth::parse_amz_date(amz_date); }

struct Fixture {
  auth::InMemoryCredentialStore store;
  struct Case {
    Case(auth::Settings settings, Clock::time_point t) : verifier(std::move(settings)), now(t) {}
    auth::Verifier verifier;  // neither copyable nor movable: kept in a deque
    Clock::time_point now;
  };
  std::deque<Case> cases;

  static auth::Settings suite(bool compat) {
    auth::Settings s;  // cases.jsonl: us-east-1, service "service"
    s.service = "service";
    s.compat_raw_query = compat;
    s.compat_raw_path = compat;
    s.accept_unsigned_payload = compat;
    return s;
  }
  static auth::Settings gateway(bool compat) {
    auth::Settings s = auth::Settings::gateway();
    s.compat_raw_query = compat;
    s.compat_raw_path = compat;
    return s;
  }

  Fixture() {
    auth::Credential plain;
    plain.secret_access_key = std::string(kSecret);
    plain.principal_arn = "arn:aws:iam::123456789012:user/example";
    plain.user_id = "AIDAEXAMPLE";
    plain.account_id = "123456789012";
    store.add(std::string(kKeyId), plain);
    auth::Credential temp = plain;
    temp.session_token = std::string(kToken);
    temp.token_expiry = at("20261128T060000Z");
    store.add(std::string(kTempKeyId), temp);

    const auto suite_now = at("20150830T123600Z");    // cases.jsonl
    const auto clients_now = at("20261128T052600Z");  // clients/*.http, derived-negative.jsonl
    cases.emplace_back(suite(false), suite_now);
    cases.emplace_back(suite(true), suite_now);
    cases.emplace_back(gateway(false), clients_now);
    cases.emplace_back(gateway(true), clients_now);
    cases.emplace_back(auth::Settings::event_bus(), clients_now);
  }
};

const auth::HeaderField* find(const std::vector<auth::HeaderField>& headers,
                              std::string_view name) {
  for (const auto& h : headers) {
    if (auth::iequals(h.name, name)) return &h;
  }
  return nullptr;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The request's own date: X-Amz-Date header, else the presigned parameter.
std::optional<Clock::time_point> request_time(const fuzz::RawRequest& r, std::string_view query) {
  if (const auto* h = find(r.headers, "x-amz-date")) return auth::parse_amz_date(trim(h->value));
  const std::size_t at = query.find("X-Amz-Date=");
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view v = query.substr(at + 11);
  return auth::parse_amz_date(v.substr(0, v.find('&')));
}

bool same_error(const auth::AuthError& a, const auth::AuthError& b) {
  return a.failure == b.failure && a.http_status == b.http_status && a.message == b.message &&
         a.error_type == b.error_type;
}

// The last `name=value` element of an Authorization header, as the verifier
// reads it.
std::optional<std::string_view> element(std::string_view authorization, std::string_view name) {
  std::optional<std::string_view> found;
  std::string_view rest = trim(authorization);
  fuzz::cut(rest, ' ');
  while (!rest.empty()) {
    std::string_view value = trim(fuzz::cut(rest, ','));
    if (fuzz::cut(value, '=') == name) found = value;
  }
  return found;
}

// Re-signs a header-form request that precheck() passed and checks that it
// then verifies.
void check_resigned(fuzz::RawRequest& r, const http::Target& target, const auth::Verifier& v,
                    const auth::CredentialStore& store, Clock::time_point now) {
  const auto* authorization = find(r.headers, "authorization");
  const auto* amz_date = find(r.headers, "x-amz-date");
  if (authorization == nullptr || amz_date == nullptr) return;
  // The claimed payload hash and a signed Authorization header change what is signed.
  if (find(r.headers, "x-amz-content-sha256") != nullptr) return;
  auto signed_headers = element(authorization->value, "SignedHeaders");
  auto credential = element(authorization->value, "Credential");
  if (!signed_headers || !credential) return;
  std::string_view list = *signed_headers;
  while (!list.empty()) {
    if (auth::iequals(fuzz::cut(list, ';'), "authorization")) return;
  }
  std::string_view key_id = *credential;
  key_id = fuzz::cut(key_id, '/');
  const std::string signed_copy(*signed_headers), key_copy(key_id),
      date_copy(trim(amz_date->value));
  auth::RequestView view{r.method, target.path, target.query, r.headers, r.body, {}};
  auth::SigningParams params{key_copy,
                             kSecret,
                             date_copy,
                             v.settings().region,
                             v.settings().service,
                             signed_copy,
                             v.settings().normalize_path};
  auto header = auth::authorization_header(view, params);
  if (!header.ok()) return;
  // Swap the value in the storage the views point into.
  for (auto& [name, value] : r.header_storage) {
    if (auth::iequals(name, "authorization")) {
      value = *header;
      break;
    }
  }
  r.rebuild_views();
  auth::RequestView resigned{r.method, target.path, target.query, r.headers, r.body, {}};
  auth::AuthResult result = v.verify(resigned, store, now);
  if (!result.ok()) {
    const auto f = result.error().failure;
    FUZZ_CHECK(f == auth::AuthFailure::kSessionTokenInvalid ||
               f == auth::AuthFailure::kSessionTokenExpired);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Fixture fixture;
  const std::string_view input = fuzz::bytes(data, size);

  // X-Amz-Date on its own.
  if (auto t = auth::parse_amz_date(input)) {
    FUZZ_CHECK(auth::format_amz_date(*t) == input);
  }

  fuzz::RawRequest r;
  fuzz::parse_raw_request(input, r);
  auto target = fuzz::checked_parse_target(r.target);
  if (!target) return 0;

  const auth::RequestView view{r.method, target->path, target->query, r.headers, r.body, {}};
  const auto own_time = request_time(r, target->query);
  for (const auto& c : fixture.cases) {
    for (int pass = 0; pass < 2; ++pass) {
      if (pass == 1 && !own_time) break;
      const Clock::time_point now = pass == 0 ? c.now : *own_time;
      const auto refused = c.verifier.precheck(view, fixture.store, now);
      auth::VerifyTrace trace;
      const auth::AuthResult verified = c.verifier.verify(view, fixture.store, now, &trace);
      if (refused) {
        FUZZ_CHECK(!verified.ok());
        FUZZ_CHECK(same_error(*refused, verified.error()));
        continue;
      }
      if (verified.ok()) {
        FUZZ_CHECK(verified.value().access_key_id == kKeyId ||
                   verified.value().access_key_id == kTempKeyId);
        continue;
      }
      FUZZ_CHECK(verified.error().failure != auth::AuthFailure::kMissingAuthentication);
      if (verified.error().failure == auth::AuthFailure::kSignatureMismatch &&
          !c.verifier.settings().compat_raw_query && pass == 1) {
        fuzz::RawRequest copy;
        fuzz::parse_raw_request(input, copy);
        check_resigned(copy, *target, c.verifier, fixture.store, now);
      }
    }
  }

  // The canonical request in every form, with the request's own signed list.
  std::string signed_headers = "host;x-amz-date";
  if (const auto* a = find(r.headers, "authorization")) {
    if (auto s = element(a->value, "SignedHeaders")) signed_headers = std::string(*s);
  }
  for (int form = 0; form < 8; ++form) {
    auth::CanonicalOptions options;
    options.normalize_path = (form & 1) == 0;
    options.raw_path = (form & 2) != 0;
    options.raw_query = (form & 4) != 0;
    options.skip_query_param = "X-Amz-Signature";
    auto creq = auth::canonical_request(view, signed_headers, auth::kEmptyPayloadHash, options);
    if (creq.ok()) {
      FUZZ_CHECK(creq->starts_with(r.method + "\n/"));
      FUZZ_CHECK(creq->ends_with(auth::kEmptyPayloadHash));
    }
  }
  return 0;
}
