// SigV4 verification against the conformance data in testdata/ (AWS suite,
// cloudlet's derived single-fault cases, real client captures), plus a few
// behaviours the data does not cover.
#include "auth/sigv4.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "auth/canonical.hpp"

namespace cloudlet::auth {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::filesystem::path kData = CLOUDLET_AUTH_TESTDATA;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<json::object> read_jsonl(const std::filesystem::path& p) {
  std::vector<json::object> out;
  std::istringstream lines(read_file(p));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) out.push_back(json::parse(line).as_object());
  }
  return out;
}

std::string str(const json::value& v) { return std::string(v.as_string()); }

// The verifier takes a target already split by the HTTP layer
// (http::parse_target); the test data's targets are split at the first '?'.
RequestView view_of(std::string_view method, std::string_view target,
                    std::span<const HeaderField> headers, std::string_view body) {
  const std::size_t q = target.find('?');
  const std::string_view query =
      q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  return {method, target.substr(0, q), query, headers, body, {}};
}

// A raw HTTP/1.1 request parsed just enough for the verifier: CRLF or LF
// line ends, obs-fold continuations appended after "\n", and a body framed by
// Content-Length, chunked encoding (removed), or the rest of the text.
struct ParsedRequest {
  std::string method, target;
  std::vector<std::pair<std::string, std::string>> header_storage;
  std::vector<HeaderField> headers;
  std::string body;

  RequestView view() const { return view_of(method, target, headers, body); }
};

ParsedRequest parse_http(std::string_view raw) {
  ParsedRequest r;
  auto next_line = [&raw]() {
    const std::size_t lf = raw.find('\n');
    std::string_view line = raw.substr(0, lf);
    raw.remove_prefix(lf == std::string_view::npos ? raw.size() : lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  const std::string_view request_line = next_line();
  const std::size_t sp1 = request_line.find(' ');
  const std::size_t sp2 = request_line.rfind(' ');
  r.method = std::string(request_line.substr(0, sp1));
  r.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
  while (!raw.empty()) {
    const std::string_view line = next_line();
    if (line.empty()) break;
    if ((line[0] == ' ' || line[0] == '\t') && !r.header_storage.empty()) {
      r.header_storage.back().second += "\n";
      r.header_storage.back().second += line;
      continue;
    }
    const std::size_t colon = line.find(':');
    std::string_view value = line.substr(colon + 1);
    r.header_storage.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  bool chunked = false;
  for (const auto& [name, value] : r.header_storage) {
    if (iequals(name, "transfer-encoding") && value.find("chunked") != std::string::npos) {
      chunked = true;
    }
  }
  if (chunked) {
    while (!raw.empty()) {
      const std::size_t size = std::stoul(std::string(next_line()), nullptr, 16);
      if (size == 0) break;
      r.body.append(raw.substr(0, size));
      raw.remove_prefix(size);
      next_line();
    }
  } else {
    r.body = std::string(raw);
  }
  for (const auto& [name, value] : r.header_storage) r.headers.push_back({name, value});
  return r;
}

Clock::time_point parse_iso(std::string_view iso) {  // 2015-08-30T12:36:00Z
  std::string amz;
  for (char c : iso) {
    if (c != '-' && c != ':') amz.push_back(c);
  }
  return *parse_amz_date(amz);
}

// ---------------------------------------------------------------------------
// cases.jsonl: the AWS suite, both forms.

struct SuiteCounts {
  int accepted = 0, rejected = 0;
};

TEST(Sigv4Suite, EveryCaseMatchesCloudletExpectation) {
  const auto cases = read_jsonl(kData / "cases.jsonl");
  ASSERT_EQ(cases.size(), 38u);
  SuiteCounts counts;
  for (const auto& c : cases) {
    const auto& ctx = c.at("context").as_object();
    const auto& creds = ctx.at("credentials").as_object();
    InMemoryCredentialStore store;
    Credential cred;
    cred.secret_access_key = str(creds.at("secret_access_key"));
    if (creds.contains("token")) cred.session_token = str(creds.at("token"));
    store.add(str(creds.at("access_key_id")), cred);
    Settings settings;
    settings.region = str(ctx.at("region"));
    settings.service = str(ctx.at("service"));
    const auto now = parse_iso(ctx.at("timestamp").as_string());
    const Verifier verifier(settings);
    for (const char* form : {"header", "query"}) {
      SCOPED_TRACE(str(c.at("name")) + " / " + form);
      const auto& f = c.at(form).as_object();
      const ParsedRequest req = parse_http(f.at("signed_request").as_string());
      VerifyTrace trace;
      const AuthResult result = verifier.verify(req.view(), store, now, &trace);
      const std::string expect =
          str(c.at("cloudlet_expectation").at("normalising_verifier").at(form));
      if (expect == "accept") {
        ++counts.accepted;
        EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
        EXPECT_EQ(trace.canonical_request, str(f.at("canonical_request")));
        EXPECT_EQ(trace.string_to_sign, str(f.at("string_to_sign")));
      } else {
        ++counts.rejected;
        ASSERT_FALSE(result.ok());
        EXPECT_EQ(result.error().failure, AuthFailure::kSignatureMismatch);
        EXPECT_EQ(result.error().http_status, 403);
      }
      // Key derivation in isolation.
      const std::string date = str(ctx.at("timestamp")).substr(0, 10);
      const std::string yyyymmdd = date.substr(0, 4) + date.substr(5, 2) + date.substr(8, 2);
      EXPECT_EQ(view(to_hex(derive_signing_key(cred.secret_access_key, yyyymmdd, settings.region,
                                               settings.service))),
                str(f.at("signing_key_hex")));
    }
  }
  // 38 cases x 2 forms. The shared README's "69 accept, 7 reject" counts the
  // six *-unnormalized cases once although both of their forms are rejected.
  EXPECT_EQ(counts.accepted, 63);
  EXPECT_EQ(counts.rejected, 13);
}

TEST(Sigv4Suite, UnnormalizedCasesVerifyWithNormalisationOff) {
  int verified = 0;
  for (const auto& c : read_jsonl(kData / "cases.jsonl")) {
    const auto& ctx = c.at("context").as_object();
    if (ctx.at("normalize").as_bool()) continue;
    const auto& creds = ctx.at("credentials").as_object();
    InMemoryCredentialStore store;
    store.add(str(creds.at("access_key_id")),
              {str(creds.at("secret_access_key")), {}, {}, "", "", ""});
    Settings settings;
    settings.service = str(ctx.at("service"));
    settings.normalize_path = false;
    const Verifier verifier(settings);
    for (const char* form : {"header", "query"}) {
      SCOPED_TRACE(str(c.at("name")) + " / " + form);
      const ParsedRequest req = parse_http(c.at(form).at("signed_request").as_string());
      EXPECT_TRUE(
          verifier.verify(req.view(), store, parse_iso(ctx.at("timestamp").as_string())).ok());
      ++verified;
    }
  }
  EXPECT_EQ(verified, 14);
}

TEST(Sigv4Suite, SignerReproducesEveryHeaderFormAuthorization) {
  for (const auto& c : read_jsonl(kData / "cases.jsonl")) {
    SCOPED_TRACE(str(c.at("name")));
    const auto& ctx = c.at("context").as_object();
    const auto& creds = ctx.at("credentials").as_object();
    const auto& h = c.at("header").as_object();
    ParsedRequest req = parse_http(h.at("signed_request").as_string());
    std::erase_if(req.headers,
                  [](const HeaderField& f) { return iequals(f.name, "authorization"); });
    const std::string authz = str(h.at("authorization"));
    const std::size_t sh = authz.find("SignedHeaders=") + 14;
    const std::string signed_headers = authz.substr(sh, authz.find(',', sh) - sh);
    const std::string amz_date = format_amz_date(parse_iso(ctx.at("timestamp").as_string()));
    const std::string key_id = str(creds.at("access_key_id"));
    const std::string secret = str(creds.at("secret_access_key"));
    const std::string region = str(ctx.at("region"));
    const std::string service = str(ctx.at("service"));
    SigningParams p{
        key_id, secret, amz_date, region, service, signed_headers, ctx.at("normalize").as_bool()};
    auto got = authorization_header(req.view(), p);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, authz);
  }
}

// ---------------------------------------------------------------------------
// derived-negative.jsonl: the error catalogue on real captures.

TEST(Sigv4Derived, EveryCaseGivesTheCatalogueAnswer) {
  const auto cases = read_jsonl(kData / "derived-negative.jsonl");
  ASSERT_EQ(cases.size(), 21u);
  int accepted = 0, rejected = 0;
  for (const auto& c : cases) {
    for (long window : {300L, 900L}) {
      const std::string name = str(c.at("name"));
      SCOPED_TRACE(name + " window " + std::to_string(window));
      std::string expect = str(c.at("expect"));
      if (expect == "depends-on-window") {
        expect = str(c.at("expect_with_window_" + std::to_string(window)));
      } else if (window != 300) {
        continue;
      }
      InMemoryCredentialStore store;
      for (const auto& [id, secret] : c.at("server_keys").as_object()) {
        Credential cred;
        cred.secret_access_key = str(secret);
        if (c.contains("server_tokens") && c.at("server_tokens").as_object().contains(id)) {
          cred.session_token = str(c.at("server_tokens").at(id));
        }
        store.add(std::string(id), cred);
      }
      Settings settings = Settings::gateway(str(c.at("region")));
      settings.service = str(c.at("service"));
      settings.max_skew = std::chrono::seconds(window);
      const ParsedRequest req = parse_http(c.at("raw_request").as_string());
      const AuthResult result =
          Verifier(settings).verify(req.view(), store, parse_iso(c.at("now").as_string()));
      if (expect == "accept") {
        ++accepted;
        EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
        continue;
      }
      ++rejected;
      ASSERT_FALSE(result.ok());
      const AuthError& e = result.error();
      EXPECT_EQ(e.http_status, 403);
      EXPECT_EQ(e.catalogue_row(), c.at("error_catalogue_row").as_int64());
      EXPECT_EQ(e.error_type, str(c.at("error_type")));
      if (c.contains("expected_message")) {
        EXPECT_EQ(e.message, str(c.at("expected_message")));
      }
      if (c.contains("expected_message_window_300") && window == 300) {
        EXPECT_EQ(e.message, str(c.at("expected_message_window_300")));
      }
    }
  }
  EXPECT_EQ(accepted, 7);   // 5 accepting cases + 2 window-dependent ones at 900 s
  EXPECT_EQ(rejected, 16);  // 14 rejecting cases + 2 window-dependent ones at 300 s
}

// ---------------------------------------------------------------------------
// Real client captures (manifest.json).

TEST(Sigv4Clients, EveryCaptureGivesTheManifestVerdictAndCanonicalRequest) {
  const json::array manifest =
      json::parse(read_file(kData / "clients" / "manifest.json")).as_array();
  ASSERT_EQ(manifest.size(), 20u);
  int verified = 0, refused = 0;
  for (const json::value& entry_value : manifest) {
    const json::object& e = entry_value.as_object();
    SCOPED_TRACE(str(e.at("file")));
    const std::string raw = read_file(kData / "clients" / str(e.at("file")));
    ASSERT_FALSE(raw.empty());
    const ParsedRequest req = parse_http(raw);
    const auto& creds = e.at("credentials").as_object();
    InMemoryCredentialStore store;
    Credential cred;
    cred.secret_access_key = str(creds.at("secret_access_key"));
    cred.principal_arn = "arn:aws:iam::123456789012:user/test";
    if (creds.contains("token")) cred.session_token = str(creds.at("token"));
    store.add(str(creds.at("access_key_id")), cred);
    Settings settings = str(e.at("service")) == "events" ? Settings::event_bus(str(e.at("region")))
                                                         : Settings::gateway(str(e.at("region")));
    const auto now = *parse_amz_date(str(e.at("x_amz_date"))) + 3s;
    VerifyTrace trace;
    const AuthResult result = Verifier(settings).verify(req.view(), store, now, &trace);
    EXPECT_EQ(trace.canonical_request, str(e.at("canonical_request_aws_rules")));
    EXPECT_EQ(trace.string_to_sign, str(e.at("string_to_sign_aws_rules")));
    if (e.at("verifies_under_aws_rules").as_bool()) {
      ++verified;
      ASSERT_TRUE(result.ok()) << result.error().message;
      EXPECT_EQ(result.value().access_key_id, str(creds.at("access_key_id")));
      EXPECT_EQ(result.value().principal_arn, cred.principal_arn);
      EXPECT_EQ(result.value().has_session_token, creds.contains("token"));
    } else {
      ++refused;
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.error().failure, AuthFailure::kSignatureMismatch);
      // §2.7: the compatibility retries named in `verifies_under` accept it.
      std::string rules;
      for (const auto& r : e.at("verifies_under").as_array()) rules += str(r) + " ";
      Settings compat = settings;
      compat.compat_raw_path = rules.find("path:raw-as-sent") != std::string::npos;
      compat.compat_raw_query = rules.find("query:raw-as-sent") != std::string::npos;
      EXPECT_TRUE(Verifier(compat).verify(req.view(), store, now).ok());
    }
  }
  EXPECT_EQ(verified, 18);
  EXPECT_EQ(refused, 2);
}

// ---------------------------------------------------------------------------
// Behaviours the data does not cover.

constexpr std::string_view kKey = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kDate = "20261128T052533Z";

// Builds a request, signs it with the signer API and lets a test tamper.
struct Fixture {
  std::string method = "POST";
  std::string target = "/contacts_insert";
  std::vector<std::pair<std::string, std::string>> extra;
  std::string body = R"({"company_id":1})";
  std::string signed_headers = "host;x-amz-date";
  std::string authorization;  // set by sign()
  std::vector<std::pair<std::string, std::string>> storage;
  std::vector<HeaderField> headers;

  RequestView view() {
    headers.clear();
    for (const auto& [n, v] : storage) headers.push_back({n, v});
    return view_of(method, target, headers, body);
  }
  void build(bool with_authorization) {
    storage = {{"Host", "127.0.0.1:8080"}, {"X-Amz-Date", std::string(kDate)}};
    for (const auto& h : extra) storage.push_back(h);
    if (with_authorization) storage.emplace_back("Authorization", authorization);
  }
  void sign(std::string_view service = "execute-api") {
    build(false);
    SigningParams p{kKey, kSecret, kDate, "us-east-1", service, signed_headers, true};
    authorization = *authorization_header(view(), p);
    build(true);
  }
};

InMemoryCredentialStore store_with(std::optional<std::string> token = {},
                                   std::optional<Clock::time_point> expiry = {}) {
  InMemoryCredentialStore store;
  store.add(std::string(kKey), {std::string(kSecret), std::move(token), expiry, "arn", "id", "1"});
  return store;
}

const Clock::time_point kNow = *parse_amz_date(kDate);

TEST(Sigv4Verify, AcceptsWhatTheSignerSigns) {
  Fixture f;
  f.sign();
  EXPECT_TRUE(Verifier(Settings::gateway()).verify(f.view(), store_with(), kNow).ok());
}

TEST(Sigv4Verify, PlusInQueryIsASpace) {
  Fixture f;
  f.target = "/contacts?q=a+b";
  f.sign();
  auto creq = canonical_request(f.view(), "host", kEmptyPayloadHash);
  ASSERT_TRUE(creq.ok());
  EXPECT_NE(creq->find("\nq=a%20b\n"), std::string::npos);
  EXPECT_TRUE(Verifier(Settings::gateway()).verify(f.view(), store_with(), kNow).ok());
}

TEST(Sigv4Verify, DoubleEncodesThePath) {
  Fixture f;
  f.target = "/contacts/some%20name/x";
  auto creq = canonical_request(f.view(), "host", kEmptyPayloadHash);
  ASSERT_TRUE(creq.ok());
  EXPECT_TRUE(creq->starts_with("POST\n/contacts/some%2520name/x\n"));
}

TEST(Sigv4Verify, RejectsMalformedEscapes) {
  const Verifier v(Settings::gateway());
  Fixture f;
  f.sign();
  f.target = "/contacts?a=%zz";
  auto r = v.verify(f.view(), store_with(), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().http_status, 400);
  EXPECT_EQ(r.error().error_type, "MalformedQueryString");
  EXPECT_EQ(r.error().message, "Illegal hex character in escape % pattern: %zz");

  f.target = "/contacts%4";
  f.build(true);
  r = v.verify(f.view(), store_with(), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error_type, "InvalidURIPath");
  EXPECT_EQ(r.error().message, "Incomplete trailing escape % sequence");
}

TEST(Sigv4Verify, RejectsNonSigV4AuthorizationHeaders) {
  const Verifier v(Settings::gateway());
  Fixture f;
  f.build(false);
  f.storage.emplace_back("Authorization", "Basic dXNlcjpwYXNz==");
  auto r = v.verify(f.view(), store_with(), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "Authorization header requires 'Credential' parameter. Authorization header requires "
            "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
            "Authorization=Basic dXNlcjpwYXNz==");
  EXPECT_EQ(r.error().error_type, "IncompleteSignatureException");
  f.build(false);
  f.storage.erase(f.storage.begin() + 1);  // no X-Amz-Date either
  f.storage.emplace_back("Authorization", "eyJhbGciOiJIUzI1NiJ9");
  r = v.verify(f.view(), store_with(), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(
      r.error().message.ends_with("requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                                  "Authorization=eyJhbGciOiJIUzI1NiJ9"));
}

TEST(Sigv4Verify, ChecksSessionTokensAfterTheSignature) {
  const Verifier v(Settings::gateway());
  Fixture f;
  f.sign();
  auto r = v.verify(f.view(), store_with("tok"), kNow);  // token expected, none sent
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().failure, AuthFailure::kSessionTokenInvalid);
  EXPECT_EQ(r.error().error_type, "UnrecognizedClientException");

  f.extra = {{"X-Amz-Security-Token", "tok"}};
  f.signed_headers = "host;x-amz-date;x-amz-security-token";
  f.sign();
  EXPECT_TRUE(v.verify(f.view(), store_with("tok"), kNow).ok());
  r = v.verify(f.view(), store_with("tok", kNow - 1s), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().failure, AuthFailure::kSessionTokenExpired);
  EXPECT_EQ(r.error().message, "The security token included in the request is expired");
  r = v.verify(f.view(), store_with(), kNow);  // token for a key that has none
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().failure, AuthFailure::kSessionTokenInvalid);
}

TEST(Sigv4Verify, ContentSha256MustBeTheRealHash) {
  const Verifier v(Settings::gateway());
  Fixture f;
  f.extra = {{"x-amz-content-sha256", std::string(64, 'a')}};
  f.signed_headers = "host;x-amz-content-sha256;x-amz-date";
  f.sign();
  auto r = v.verify(f.view(), store_with(), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().failure, AuthFailure::kSignatureMismatch);
}

TEST(Sigv4Verify, UnsignedPayloadOnlyWhenEnabled) {
  // Sign by hand with UNSIGNED-PAYLOAD as the payload line.
  Fixture f;
  f.extra = {{"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}};
  f.signed_headers = "host;x-amz-content-sha256;x-amz-date";
  f.build(false);
  const std::string creq = *canonical_request(f.view(), f.signed_headers, kUnsignedPayload);
  const std::string scope = credential_scope("20261128", "us-east-1", "execute-api");
  const HexDigest sig =
      compute_signature(derive_signing_key(kSecret, "20261128", "us-east-1", "execute-api"),
                        string_to_sign(kDate, scope, creq));
  f.authorization = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/" + scope +
                    ", SignedHeaders=" + f.signed_headers + ", Signature=" + std::string(view(sig));
  f.build(true);
  EXPECT_FALSE(Verifier(Settings::gateway()).verify(f.view(), store_with(), kNow).ok());
  Settings s = Settings::gateway();
  s.accept_unsigned_payload = true;
  EXPECT_TRUE(Verifier(s).verify(f.view(), store_with(), kNow).ok());
}

TEST(Sigv4Verify, EventBusAnswersWithItsOwnColumn) {
  const Verifier v(Settings::event_bus());
  Fixture f;
  f.sign("events");
  f.body = "tampered";
  auto r = v.verify(f.view(), store_with(), kNow + 14min);  // inside the 900 s window
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().http_status, 400);
  EXPECT_EQ(r.error().error_type, "InvalidSignatureException");
  EXPECT_EQ(r.error().message.find("Canonical String"), std::string::npos);
  Fixture unsigned_request;
  unsigned_request.build(false);
  r = v.verify(unsigned_request.view(), store_with(), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error_type, "MissingAuthenticationTokenException");
  EXPECT_EQ(r.error().message, "Request is missing Authentication Token");
}

TEST(Sigv4Verify, PresignedExpiresMustBeWithinAWeek) {
  Fixture f;
  f.method = "GET";
  f.body.clear();
  f.target =
      "/contacts?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261128%2Fus-"
      "east-1%2Fexecute-api%2Faws4_request&X-Amz-Date=20261128T052533Z&X-Amz-Expires=604801&X-"
      "Amz-SignedHeaders=host&X-Amz-Signature=00";
  f.build(false);
  auto r = Verifier(Settings::gateway()).verify(f.view(), store_with(), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().catalogue_row(), 14);
  EXPECT_EQ(r.error().error_type, "");
}

// A presigned URL for GET /contacts signed with the fixture's key at kDate.
std::string presigned_target(std::string_view extra_query = "") {
  const std::string query =
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261128%2Fus-east-1%2F"
      "execute-api%2Faws4_request&X-Amz-Date=20261128T052533Z&X-Amz-Expires=300&X-Amz-"
      "SignedHeaders=host" +
      std::string(extra_query);
  const std::vector<HeaderField> headers{{"Host", "127.0.0.1:8080"}};
  const RequestView view{"GET", "/contacts", query, headers, "", {}};
  const std::string creq = *canonical_request(view, "host", kEmptyPayloadHash);
  const std::string sts =
      string_to_sign(kDate, credential_scope("20261128", "us-east-1", "execute-api"), creq);
  const HexDigest sig =
      compute_signature(derive_signing_key(kSecret, "20261128", "us-east-1", "execute-api"), sts);
  return "/contacts?" + query + "&X-Amz-Signature=" + std::string(auth::view(sig));
}

// Regression (security review): the canonical query leaves out every
// X-Amz-Signature, so a second copy (or any repeated X-Amz-* parameter)
// reached the handler without being signed.
TEST(Sigv4Verify, PresignedParametersMustAppearOnce) {
  Fixture f;
  f.method = "GET";
  f.body.clear();
  f.target = presigned_target();
  f.build(false);
  const Verifier v(Settings::gateway());
  ASSERT_TRUE(v.verify(f.view(), store_with(), kNow).ok());
  for (std::string_view extra :
       {"&X-Amz-Signature=x%26search%3DPearl", "&X-Amz-Signature", "&X-Amz-%53ignature=1",
        "&X-Amz-Date=20261128T052533Z", "&X-Amz-Expires=1"}) {
    f.target = presigned_target() + std::string(extra);
    auto r = v.verify(f.view(), store_with(), kNow);
    ASSERT_FALSE(r.ok()) << extra;
    EXPECT_NE(r.error().message.find("must appear only once"), std::string::npos) << extra;
    EXPECT_TRUE(v.precheck(f.view(), store_with(), kNow).has_value()) << extra;
  }
}

// The pre-check runs before the body is read: it accepts what only the
// signature can refute, and refuses everything it can decide.
TEST(Sigv4Verify, PrecheckDecidesEverythingButTheSignature) {
  const Verifier v(Settings::gateway());
  Fixture good;
  good.sign();
  EXPECT_FALSE(v.precheck(good.view(), store_with(), kNow).has_value());
  Fixture forged = good;
  forged.body = "not what was signed";
  EXPECT_FALSE(v.precheck(forged.view(), store_with(), kNow).has_value());
  EXPECT_FALSE(v.verify(forged.view(), store_with(), kNow).ok());
  Fixture unsigned_request;
  unsigned_request.build(false);
  auto missing = v.precheck(unsigned_request.view(), store_with(), kNow);
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->catalogue_row(), 2);
  auto unknown = v.precheck(good.view(), InMemoryCredentialStore{}, kNow);
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->catalogue_row(), 15);
  auto late = v.precheck(good.view(), store_with(), kNow + 6min);
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->catalogue_row(), 11);
}

// AWS's three sentences, nothing appended: an appendix would echo the value
// of every header the caller names in SignedHeaders, including ones a proxy
// in front adds.
TEST(Sigv4Verify, MismatchMessageEchoesNoHeaderValues) {
  Fixture f;
  f.extra = {{"Cookie", "session=httponly-value"}};
  f.signed_headers = "cookie;host;x-amz-date";
  f.sign();
  f.body = "tampered";
  auto r = Verifier(Settings::gateway()).verify(f.view(), store_with(), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.");
}

// Found by fuzz_sigv4: a year outside system_clock's range (1678..2262)
// overflowed converting an unauthenticated X-Amz-Date or Date header.
TEST(Sigv4Verify, DatesOutsideTheClocksRangeAreInvalid) {
  for (std::string_view d : {"00000101T000000Z", "10150101T000000Z", "99991231T235959Z"}) {
    EXPECT_FALSE(parse_amz_date(d).has_value()) << d;
  }
  EXPECT_TRUE(parse_amz_date("19000101T000000Z").has_value());
  EXPECT_TRUE(parse_amz_date("22001231T235959Z").has_value());
  Fixture f;
  f.build(false);
  f.storage[1].second = "10150101T000000Z";
  f.storage.emplace_back("Authorization",
                         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/10150101/us-east-1/execute-api/"
                         "aws4_request,SignedHeaders=host;x-amz-date,Signature=00");
  auto refused = Verifier(Settings::gateway()).precheck(f.view(), store_with(), kNow);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->catalogue_row(), 4);  // an unusable date, as a missing one
  Fixture http_date;
  http_date.build(false);
  http_date.storage = {{"Host", "127.0.0.1:8080"}, {"Date", "Sun, 06 Nov 1094 08:49:37 GMT"}};
  http_date.storage.emplace_back("Authorization",
                                 "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/10941106/us-east-1/"
                                 "execute-api/aws4_request,SignedHeaders=host;date,Signature=00");
  EXPECT_TRUE(Verifier(Settings::gateway()).precheck(http_date.view(), store_with(), kNow));
}

TEST(Sigv4Verify, WrongTerminatorHasNoErrorType) {
  Fixture f;
  f.build(false);
  f.storage.emplace_back("Authorization",
                         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261128/us-east-1/execute-api/"
                         "aws5_request,SignedHeaders=host;x-amz-date,Signature=00");
  auto r = Verifier(Settings::gateway()).verify(f.view(), store_with(), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "Credential should be scoped with a valid terminator: 'aws4_request', not "
            "'aws5_request'. ");
  EXPECT_EQ(r.error().error_type, "");
}

TEST(Sigv4Verify, AcceptsAnHttpDateHeaderInsteadOfXAmzDate) {
  Fixture f;
  f.build(false);
  f.storage = {{"Host", "h"}, {"Date", "Sat, 28 Nov 2026 05:25:33 GMT"}};
  const std::string creq = *canonical_request(f.view(), "date;host", sha256_hex(f.body));
  const std::string scope = credential_scope("20261128", "us-east-1", "execute-api");
  const HexDigest sig =
      compute_signature(derive_signing_key(kSecret, "20261128", "us-east-1", "execute-api"),
                        string_to_sign(kDate, scope, creq));
  f.storage.emplace_back("Authorization",
                         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/" + scope +
                             ", SignedHeaders=date;host, Signature=" + std::string(view(sig)));
  EXPECT_TRUE(Verifier(Settings::gateway()).verify(f.view(), store_with(), kNow).ok());
}

TEST(Sigv4Verify, SigningKeyCacheGivesTheDerivedKey) {
  SigningKeyCache cache("us-east-1", "execute-api");
  const SigningKey direct = derive_signing_key(kSecret, "20261128", "us-east-1", "execute-api");
  EXPECT_EQ(cache.get(kSecret, "20261128"), direct);
  EXPECT_EQ(cache.get(kSecret, "20261128"), direct);  // from the cache
  EXPECT_NE(cache.get("other", "20261128"), direct);
}

}  // namespace
}  // namespace cloudlet::auth
