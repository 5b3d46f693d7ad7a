#include "auth/sigv4.hpp"

#include <openssl/crypto.h>

#include <array>
#include <charconv>
#include <cstdio>

#include "auth/canonical.hpp"

namespace cloudlet::auth {
namespace {

using std::chrono::seconds;
using sys_seconds = std::chrono::sys_seconds;

constexpr std::string_view kTerminator = "aws4_request";
constexpr std::string_view kSignatureParam = "X-Amz-Signature";
constexpr long kMaxPresignedExpires = 604800;  // 7 days

std::span<const unsigned char> as_bytes(std::string_view s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}
std::span<const unsigned char> as_bytes(const Sha256Digest& d) { return {d.data(), d.size()}; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

const HeaderField* find_header(std::span<const HeaderField> headers, std::string_view name) {
  for (const HeaderField& h : headers) {
    if (iequals(h.name, name)) return &h;
  }
  return nullptr;
}

const QueryParam* find_param(const std::vector<QueryParam>& params, std::string_view name) {
  for (const QueryParam& p : params) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

// Calls f(piece) for each `sep`-separated piece of s (empty pieces included).
template <class F>
void for_each_piece(std::string_view s, char sep, F f) {
  std::size_t start = 0;
  while (true) {
    const std::size_t end = s.find(sep, start);
    f(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return;
    start = end + 1;
  }
}

bool is_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

int digits_value(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::optional<sys_seconds> make_time(int y, int mo, int d, int h, int mi, int s) {
  using namespace std::chrono;
  // system_clock counts nanoseconds in 64 bits: 1678..2262. A date outside
  // these years can never be inside a skew window, and converting it would
  // overflow (found by fuzz_sigv4 in an unauthenticated X-Amz-Date).
  if (y < 1900 || y > 2200) return std::nullopt;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;
  return sys_days{ymd} + hours{h} + minutes{mi} + seconds{s};
}

// RFC 7231 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT" (the only Date
// form clients produce today; the obsolete forms are not accepted).
std::optional<sys_seconds> parse_http_date(std::string_view v) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (v.size() != 29 || v.substr(3, 2) != ", " || v[7] != ' ' || v[11] != ' ' || v[16] != ' ' ||
      v[19] != ':' || v[22] != ':' || v.substr(25) != " GMT") {
    return std::nullopt;
  }
  int month = 0;
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (v.substr(8, 3) == kMonths[i]) month = static_cast<int>(i) + 1;
  }
  const std::string_view day = v.substr(5, 2), year = v.substr(12, 4), hh = v.substr(17, 2),
                         mm = v.substr(20, 2), ss = v.substr(23, 2);
  if (month == 0 || !is_digits(day) || !is_digits(year) || !is_digits(hh) || !is_digits(mm) ||
      !is_digits(ss)) {
    return std::nullopt;
  }
  return make_time(digits_value(year), month, digits_value(day), digits_value(hh), digits_value(mm),
                   digits_value(ss));
}

// Where the SigV4 material came from, once parsed (§1).
struct Material {
  bool presigned = false;
  std::string_view credential;  // views into the header or into `params`
  std::string_view signed_headers;
  std::string_view signature;
  std::string amz_date;  // YYYYMMDDTHHMMSSZ
  bool amz_date_valid = false;
  long expires = 0;  // presigned only
};

void append_canonical_headers(std::span<const HeaderField> headers, std::string_view signed_headers,
                              std::string& out) {
  for_each_piece(signed_headers, ';', [&](std::string_view name) {
    out.append(name);
    out.push_back(':');
    bool first = true;
    for (const HeaderField& h : headers) {
      if (!iequals(h.name, name)) continue;
      if (!first) out.push_back(',');
      first = false;
      append_canonical_header_value(h.value, out);
    }
    out.push_back('\n');
  });
}

// Shared by canonical_request() and the verifier, which has parsed the query
// already. Only the path can still be malformed here.
std::optional<MalformedEscape> build_canonical_request(
    const RequestView& request, std::string_view raw_path, std::string_view raw_query,
    const std::vector<QueryParam>& params, std::string_view signed_headers,
    std::string_view payload_hash, const CanonicalOptions& options, std::string& out) {
  out.clear();
  out.reserve(256 + (request.path.size() + request.query.size()) * 2);
  out.append(request.method);
  out.push_back('\n');
  if (options.raw_path) {
    if (auto bad = check_escapes(raw_path)) return bad;
    append_normalized_raw_path(raw_path, options.normalize_path, out);
  } else if (auto bad = append_canonical_uri(raw_path, options.normalize_path, out)) {
    return bad;
  }
  out.push_back('\n');
  if (options.raw_query) {
    out.append(raw_query);
  } else {
    append_canonical_query(params, options.skip_query_param, out);
  }
  out.push_back('\n');
  append_canonical_headers(request.headers, signed_headers, out);
  out.push_back('\n');
  out.append(signed_headers);
  out.push_back('\n');
  out.append(payload_hash);
  return std::nullopt;
}

bool is_lower_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

bool hex_equal_ignore_case(std::string_view a, std::string_view b) { return iequals(a, b); }

}  // namespace

// ---------------------------------------------------------------------------

void InMemoryCredentialStore::add(std::string access_key_id, Credential credential) {
  entries_.insert_or_assign(std::move(access_key_id),
                            std::make_shared<const Credential>(std::move(credential)));
}

std::shared_ptr<const Credential> InMemoryCredentialStore::find(
    std::string_view access_key_id) const {
  const auto it = entries_.find(access_key_id);
  return it == entries_.end() ? nullptr : it->second;
}

SigningKey derive_signing_key(std::string_view secret_access_key, std::string_view date,
                              std::string_view region, std::string_view service) {
  std::string k_secret;
  k_secret.reserve(4 + secret_access_key.size());
  k_secret = "AWS4";
  k_secret.append(secret_access_key);
  const Sha256Digest k_date = hmac_sha256(as_bytes(k_secret), date);
  OPENSSL_cleanse(k_secret.data(), k_secret.size());
  const Sha256Digest k_region = hmac_sha256(as_bytes(k_date), region);
  const Sha256Digest k_service = hmac_sha256(as_bytes(k_region), service);
  return hmac_sha256(as_bytes(k_service), kTerminator);
}

HexDigest compute_signature(const SigningKey& key, std::string_view string_to_sign) {
  return to_hex(hmac_sha256(as_bytes(key), string_to_sign));
}

std::string credential_scope(std::string_view date, std::string_view region,
                             std::string_view service) {
  std::string s;
  s.reserve(date.size() + region.size() + service.size() + kTerminator.size() + 3);
  s.append(date).append("/").append(region).append("/").append(service).append("/");
  s.append(kTerminator);
  return s;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  const HexDigest hash = to_hex(sha256(canonical_request));
  std::string s;
  s.reserve(kAlgorithm.size() + amz_date.size() + scope.size() + hash.size() + 3);
  s.append(kAlgorithm).append("\n").append(amz_date).append("\n").append(scope).append("\n");
  s.append(view(hash));
  return s;
}

cloudlet::Result<std::string> canonical_request(const RequestView& request,
                                                std::string_view signed_headers,
                                                std::string_view payload_hash,
                                                const CanonicalOptions& options) {
  std::vector<QueryParam> params;
  if (!options.raw_query) {
    if (auto bad = parse_query(request.query, params)) return Error::invalid_argument(bad->text);
  }
  std::string out;
  if (auto bad = build_canonical_request(request, request.path, request.query, params,
                                         signed_headers, payload_hash, options, out)) {
    return Error::invalid_argument(bad->text);
  }
  return out;
}

cloudlet::Result<std::string> authorization_header(const RequestView& request,
                                                   const SigningParams& params) {
  const std::string payload = request.payload_sha256_hex.empty()
                                  ? sha256_hex(request.body)
                                  : std::string(request.payload_sha256_hex);
  CanonicalOptions options;
  options.normalize_path = params.normalize_path;
  auto creq = canonical_request(request, params.signed_headers, payload, options);
  if (!creq.ok()) return creq.error();
  if (params.amz_date.size() != 16) return Error::invalid_argument("amz_date must have 16 chars");
  const std::string_view date = params.amz_date.substr(0, 8);
  const std::string scope = credential_scope(date, params.region, params.service);
  const std::string sts = string_to_sign(params.amz_date, scope, *creq);
  const SigningKey key =
      derive_signing_key(params.secret_access_key, date, params.region, params.service);
  const HexDigest sig = compute_signature(key, sts);
  std::string out(kAlgorithm);
  out.append(" Credential=").append(params.access_key_id).append("/").append(scope);
  out.append(", SignedHeaders=").append(params.signed_headers);
  out.append(", Signature=").append(view(sig));
  return out;
}

std::string format_amz_date(Clock::time_point t) {
  using namespace std::chrono;
  const sys_seconds s = floor<seconds>(t);
  const sys_days d = floor<days>(s);
  const year_month_day ymd{d};
  const hh_mm_ss<seconds> hms{s - d};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02ld%02ld%02lldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long long>(hms.seconds().count()));
  return std::string(buf, 16);
}

std::optional<Clock::time_point> parse_amz_date(std::string_view v) {
  if (v.size() != 16 || v[8] != 'T' || v[15] != 'Z' || !is_digits(v.substr(0, 8)) ||
      !is_digits(v.substr(9, 6))) {
    return std::nullopt;
  }
  auto t = make_time(digits_value(v.substr(0, 4)), digits_value(v.substr(4, 2)),
                     digits_value(v.substr(6, 2)), digits_value(v.substr(9, 2)),
                     digits_value(v.substr(11, 2)), digits_value(v.substr(13, 2)));
  if (!t) return std::nullopt;
  return Clock::time_point(*t);
}

// ---------------------------------------------------------------------------

Settings Settings::gateway(std::string region) {
  Settings s;
  s.region = std::move(region);
  s.service = "execute-api";
  s.endpoint = Endpoint::kHttpApi;
  s.max_skew = seconds(300);
  return s;
}

Settings Settings::event_bus(std::string region) {
  Settings s;
  s.region = std::move(region);
  s.service = "events";
  s.endpoint = Endpoint::kEventBus;
  s.max_skew = seconds(900);
  return s;
}

const Principal& AuthResult::value() const {
  if (!ok()) cloudlet::detail::bad_result_access("value() of a failed AuthResult");
  return std::get<0>(state_);
}

const AuthError& AuthResult::error() const {
  if (ok()) cloudlet::detail::bad_result_access("error() of a successful AuthResult");
  return std::get<1>(state_);
}

SigningKeyCache::SigningKeyCache(std::string region, std::string service)
    : region_(std::move(region)), service_(std::move(service)), slots_(kSlots) {}

SigningKeyCache::~SigningKeyCache() {
  for (Slot& slot : slots_) {
    OPENSSL_cleanse(slot.secret.data(), slot.secret.size());
    OPENSSL_cleanse(slot.key.data(), slot.key.size());
  }
}

SigningKey SigningKeyCache::get(std::string_view secret_access_key, std::string_view date) {
  const std::size_t index =
      (std::hash<std::string_view>{}(secret_access_key) ^ std::hash<std::string_view>{}(date)) %
      kSlots;
  {
    std::lock_guard lock(mu_);
    const Slot& slot = slots_[index];
    if (slot.used && slot.date == date && slot.secret == secret_access_key) return slot.key;
  }
  // Derive outside the lock; two threads racing on a cold slot both derive.
  const SigningKey key = derive_signing_key(secret_access_key, date, region_, service_);
  std::lock_guard lock(mu_);
  Slot& slot = slots_[index];
  OPENSSL_cleanse(slot.secret.data(), slot.secret.size());
  slot.secret.assign(secret_access_key);
  slot.date.assign(date);
  slot.key = key;
  slot.used = true;
  return key;
}

Verifier::Verifier(Settings settings)
    : settings_(std::move(settings)), keys_(settings_.region, settings_.service) {}

namespace {

// What steps 3–9 of §4 established; views point into the request and into
// `params`, which the caller keeps alive.
struct Checked {
  std::vector<QueryParam> params;
  Material m;
  std::string_view access_key_id, scope_date, region, service;
  std::shared_ptr<const Credential> entry;
};

std::optional<AuthError> check_material(const Settings& settings, const RequestView& request,
                                        const CredentialStore& store, Clock::time_point now,
                                        Checked& out) {
  const Endpoint endpoint = settings.endpoint;
  auto fail = [endpoint](AuthFailure failure, std::string message) {
    return std::optional<AuthError>(make_auth_error(failure, endpoint, std::move(message)));
  };

  // §4 step 3: decode the query whatever the form, then find the material.
  std::vector<QueryParam>& params = out.params;
  if (auto bad = parse_query(request.query, params)) {
    return fail(AuthFailure::kMalformedQueryEscape, std::move(bad->text));
  }

  Material& m = out.m;
  const HeaderField* authorization = find_header(request.headers, "authorization");
  if (authorization != nullptr) {
    // Step 4, header form (§1.1).
    const std::string_view raw = trim(authorization->value);
    const std::size_t space = raw.find(' ');
    const std::string_view scheme = raw.substr(0, space);
    const std::string_view rest =
        space == std::string_view::npos ? std::string_view() : raw.substr(space + 1);
    std::optional<std::string_view> credential, signed_headers, signature;
    std::string_view bad_element;
    bool malformed = false;
    for_each_piece(rest, ',', [&](std::string_view piece) {
      if (malformed) return;
      const std::string_view element = trim(piece);
      if (element.empty()) return;
      const std::size_t eq = element.find('=');
      if (eq == std::string_view::npos) {
        malformed = true;
        bad_element = element;
        return;
      }
      const std::string_view name = element.substr(0, eq);
      const std::string_view value = element.substr(eq + 1);
      if (name == "Credential") credential = value;
      if (name == "SignedHeaders") signed_headers = value;
      if (name == "Signature") signature = value;
    });
    if (malformed) {
      return fail(AuthFailure::kNotKeyValuePair, text::not_key_value(bad_element, raw));
    }
    const HeaderField* amz_date = find_header(request.headers, "x-amz-date");
    const HeaderField* http_date = amz_date ? nullptr : find_header(request.headers, "date");
    if (!credential || !signature || !signed_headers || (!amz_date && !http_date)) {
      return fail(AuthFailure::kIncompleteAuthorization,
                  text::incomplete_authorization(!credential, !signature, !signed_headers,
                                                 !amz_date && !http_date, raw));
    }
    if (scheme != kAlgorithm) {
      return fail(AuthFailure::kIncompleteAuthorization,
                  text::incomplete_authorization(false, false, false, false, raw));
    }
    m.credential = *credential;
    m.signed_headers = *signed_headers;
    m.signature = *signature;
    if (amz_date) {
      m.amz_date = std::string(trim(amz_date->value));
      m.amz_date_valid = parse_amz_date(m.amz_date).has_value();
    } else {
      if (auto t = parse_http_date(trim(http_date->value))) {
        m.amz_date = format_amz_date(Clock::time_point(*t));
        m.amz_date_valid = true;
      }
    }
    if (!m.amz_date_valid) {
      // §1.3 "reject anything else": answered as a missing date [cloudlet].
      return fail(AuthFailure::kIncompleteAuthorization,
                  text::incomplete_authorization(false, false, false, true, raw));
    }
  } else if (find_param(params, "X-Amz-Algorithm") || find_param(params, kSignatureParam)) {
    // Step 4, query form (§1.4).
    m.presigned = true;
    static constexpr std::array<std::string_view, 6> kRequired = {
        "X-Amz-Algorithm",     "X-Amz-Credential", "X-Amz-Date",
        "X-Amz-SignedHeaders", "X-Amz-Signature",  "X-Amz-Expires"};
    std::array<const QueryParam*, 6> found{};
    for (std::size_t i = 0; i < kRequired.size(); ++i) {
      found[i] = find_param(params, kRequired[i]);
      if (found[i] == nullptr) {
        return fail(AuthFailure::kIncompleteQuery, text::incomplete_query(kRequired[i]));
      }
    }
    // One copy of each: the canonical query leaves out every X-Amz-Signature
    // and the verifier reads the first of the others, so a second copy
    // would reach the handler without being signed.
    for (std::string_view name :
         {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders",
          "X-Amz-Signature", "X-Amz-Expires", "X-Amz-Security-Token"}) {
      std::size_t copies = 0;
      for (const QueryParam& p : params) copies += p.name == name ? 1u : 0u;
      if (copies > 1) {
        return fail(AuthFailure::kIncompleteQuery, text::repeated_query_parameter(name));
      }
    }
    if (found[0]->value != kAlgorithm) {
      return fail(AuthFailure::kIncompleteQuery, text::unsupported_algorithm(found[0]->value));
    }
    m.credential = found[1]->value;
    m.amz_date = found[2]->value;
    m.amz_date_valid = parse_amz_date(m.amz_date).has_value();
    m.signed_headers = found[3]->value;
    m.signature = found[4]->value;
    const std::string_view expires = found[5]->value;
    long expires_value = 0;
    const auto [ptr, ec] =
        std::from_chars(expires.data(), expires.data() + expires.size(), expires_value);
    if (ec != std::errc() || ptr != expires.data() + expires.size() || expires_value < 1 ||
        expires_value > kMaxPresignedExpires) {
      return fail(AuthFailure::kExpiresOutOfRange, text::expires_out_of_range());
    }
    m.expires = expires_value;
    if (!m.amz_date_valid) {
      return fail(AuthFailure::kIncompleteQuery, text::incomplete_query("X-Amz-Date"));
    }
  } else {
    return fail(AuthFailure::kMissingAuthentication, text::missing(endpoint));
  }

  // Step 5: credential scope (§1.2).
  std::array<std::string_view, 5> scope{};
  std::size_t elements = 0;
  for_each_piece(m.credential, '/', [&](std::string_view piece) {
    if (elements < scope.size()) scope[elements] = piece;
    ++elements;
  });
  if (elements != 5) {
    return fail(AuthFailure::kCredentialElements, text::credential_elements(m.credential));
  }
  const std::string_view access_key_id = scope[0], scope_date = scope[1], region = scope[2],
                         service = scope[3], terminator = scope[4];
  if (region != settings.region) {
    return fail(AuthFailure::kWrongRegion, text::wrong_region(region));
  }
  if (service != settings.service) {
    return fail(AuthFailure::kWrongService, text::wrong_service(settings.service));
  }
  if (terminator != kTerminator) {
    return fail(AuthFailure::kWrongTerminator, text::wrong_terminator(terminator));
  }

  // Step 6: the date (already known to be well formed) against the scope.
  if (scope_date != std::string_view(m.amz_date).substr(0, 8)) {
    return fail(AuthFailure::kScopeDateMismatch, text::scope_date_mismatch(scope_date, m.amz_date));
  }

  // Step 7: skew, and the presigned URL's lifetime.
  const auto request_time = *parse_amz_date(m.amz_date);
  const auto now_s = std::chrono::floor<seconds>(now);
  const long window = static_cast<long>(settings.max_skew.count());
  if (request_time > now_s + settings.max_skew) {
    return fail(
        AuthFailure::kSignatureNotYetCurrent,
        text::signature_not_yet_current(m.amz_date, format_amz_date(now_s + settings.max_skew),
                                        format_amz_date(now_s), window));
  }
  if (m.presigned) {
    if (now_s > request_time + seconds(m.expires)) {
      return fail(AuthFailure::kPresignedExpired,
                  text::presigned_expired(m.amz_date, format_amz_date(now_s - seconds(m.expires)),
                                          format_amz_date(now_s), m.expires));
    }
  } else if (request_time < now_s - settings.max_skew) {
    return fail(AuthFailure::kSignatureExpired,
                text::signature_expired(m.amz_date, format_amz_date(now_s - settings.max_skew),
                                        format_amz_date(now_s), window));
  }

  // Step 8: host must be signed.
  bool host_signed = false;
  for_each_piece(m.signed_headers, ';', [&](std::string_view h) { host_signed |= h == "host"; });
  if (!host_signed) return fail(AuthFailure::kHostNotSigned, text::host_not_signed());

  // Step 9: the key.
  out.entry = store.find(access_key_id);
  if (!out.entry) return fail(AuthFailure::kUnknownAccessKey, text::token_invalid());
  out.access_key_id = access_key_id;
  out.scope_date = scope_date;
  out.region = region;
  out.service = service;
  return std::nullopt;
}

}  // namespace

std::optional<AuthError> Verifier::precheck(const RequestView& request,
                                            const CredentialStore& store,
                                            Clock::time_point now) const {
  Checked checked;
  return check_material(settings_, request, store, now, checked);
}

AuthResult Verifier::verify(const RequestView& request, const CredentialStore& store,
                            Clock::time_point now, VerifyTrace* trace) const {
  const Endpoint endpoint = settings_.endpoint;
  auto fail = [endpoint](AuthFailure failure, std::string message) {
    return AuthResult(make_auth_error(failure, endpoint, std::move(message)));
  };
  Checked checked;
  if (auto error = check_material(settings_, request, store, now, checked))
    return std::move(*error);
  const std::vector<QueryParam>& params = checked.params;
  const Material& m = checked.m;
  const std::string_view access_key_id = checked.access_key_id, scope_date = checked.scope_date,
                         region = checked.region, service = checked.service;
  const std::shared_ptr<const Credential>& entry = checked.entry;
  const std::string_view raw_path = request.path, raw_query = request.query;

  // Step 10: canonical request and signature.
  std::string body_hash_storage;
  std::string_view body_hash = request.payload_sha256_hex;
  if (body_hash.empty()) {
    body_hash_storage = sha256_hex(request.body);
    body_hash = body_hash_storage;
  }
  std::string_view payload_line = body_hash;
  bool claimed_hash_wrong = false;
  if (const HeaderField* claimed = find_header(request.headers, "x-amz-content-sha256")) {
    const std::string_view value = trim(claimed->value);
    if (value == kUnsignedPayload && settings_.accept_unsigned_payload) {
      payload_line = kUnsignedPayload;
    } else if (is_lower_hex64(value) && !hex_equal_ignore_case(value, body_hash)) {
      claimed_hash_wrong = true;  // §2.5: a false claim is a mismatch even if signed
    }
  }

  CanonicalOptions options;
  options.normalize_path = settings_.normalize_path;
  options.skip_query_param = m.presigned ? kSignatureParam : std::string_view();
  std::string creq;
  if (auto bad = build_canonical_request(request, raw_path, raw_query, params, m.signed_headers,
                                         payload_line, options, creq)) {
    return fail(AuthFailure::kMalformedPathEscape, std::move(bad->text));
  }
  const std::string scope_text = credential_scope(scope_date, region, service);
  std::string sts = string_to_sign(m.amz_date, scope_text, creq);
  const SigningKey key = keys_.get(entry->secret_access_key, scope_date);
  bool matched =
      !claimed_hash_wrong && constant_time_equal(view(compute_signature(key, sts)), m.signature);

  // §2.7 compatibility retries (off by default).
  if (!matched && !claimed_hash_wrong &&
      (settings_.compat_raw_query || settings_.compat_raw_path)) {
    std::string alt;
    for (int variant = 1; variant <= 3 && !matched; ++variant) {
      CanonicalOptions o = options;
      o.raw_query = (variant & 1) != 0;
      o.raw_path = (variant & 2) != 0;
      if ((o.raw_query && !settings_.compat_raw_query) ||
          (o.raw_path && !settings_.compat_raw_path)) {
        continue;
      }
      if (build_canonical_request(request, raw_path, raw_query, params, m.signed_headers,
                                  payload_line, o, alt)) {
        continue;
      }
      matched = constant_time_equal(
          view(compute_signature(key, string_to_sign(m.amz_date, scope_text, alt))), m.signature);
    }
  }
  if (trace != nullptr) {
    trace->canonical_request = creq;
    trace->string_to_sign = sts;
  }
  if (!matched) {
    return fail(AuthFailure::kSignatureMismatch, text::signature_mismatch());
  }

  // Step 11: the session token against the store entry (§3).
  std::optional<std::string> token;
  if (m.presigned) {
    if (const QueryParam* p = find_param(params, "X-Amz-Security-Token")) token = p->value;
  } else {
    bool first = true;
    for (const HeaderField& h : request.headers) {
      if (!iequals(h.name, "x-amz-security-token")) continue;
      if (!token) token.emplace();
      if (!first) token->push_back(',');
      first = false;
      append_canonical_header_value(h.value, *token);
    }
  }
  if (token != entry->session_token) {
    return fail(AuthFailure::kSessionTokenInvalid, text::token_invalid());
  }
  if (token && entry->token_expiry && now >= *entry->token_expiry) {
    return fail(AuthFailure::kSessionTokenExpired, text::token_expired());
  }

  Principal principal;
  principal.access_key_id = std::string(access_key_id);
  principal.principal_arn = entry->principal_arn;
  principal.user_id = entry->user_id;
  principal.account_id = entry->account_id;
  principal.region = std::string(region);
  principal.has_session_token = token.has_value();
  return principal;
}

}  // namespace cloudlet::auth
