// AWS Signature Version 4 (HMAC-SHA256): server-side verification and the
// signer's building blocks, exactly as spec/apigateway-sigv4.md §1–§7 describe
// them for API Gateway (service execute-api) and EventBridge (service events).
//
// Pure: no I/O, no clock reads (the caller passes `now`), no logging. The
// caller turns an AuthError into a response (errors.hpp) and logs at most the
// error type and the access key id.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "auth/crypto.hpp"
#include "auth/errors.hpp"
#include "core/result.hpp"

namespace cloudlet::auth {

using Clock = std::chrono::system_clock;

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// Hex SHA-256 of the empty string: the payload hash of every GET.
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// ---------------------------------------------------------------------------
// The request as the verifier sees it. Views only: the caller keeps the bytes
// alive for the duration of the call.

struct HeaderField {
  std::string_view name;   // any case
  std::string_view value;  // as received (the verifier trims and folds)
};

struct RequestView {
  std::string_view method;  // as received, e.g. "GET"
  // The request target's path and query as the caller parsed them once for
  // everyone (http::parse_target): the path still percent-encoded, the raw
  // query after `?` (no fragment: a target holding `#` never gets here).
  // Never decoded or re-encoded by an HTTP library.
  std::string_view path;
  std::string_view query;
  // Every header occurrence in arrival order, Host and Transfer-Encoding included.
  std::span<const HeaderField> headers;
  // The body after removing chunked framing. Ignored when `payload_sha256_hex`
  // is set.
  std::string_view body;
  // Lowercase hex SHA-256 of the body when the caller hashed it while reading
  // (Sha256Stream); empty to let the verifier hash `body`.
  std::string_view payload_sha256_hex;
};

// ---------------------------------------------------------------------------
// Credentials.

struct Credential {
  std::string secret_access_key;
  // The session token issued with this key (temporary credentials); requests
  // must carry exactly this token, and none when it is empty (§3).
  std::optional<std::string> session_token;
  std::optional<Clock::time_point> token_expiry;
  std::string principal_arn;  // e.g. arn:aws:iam::123456789012:user/alice
  std::string user_id;        // unique id, e.g. AIDA…; callerId/userId in proxy events
  std::string account_id;     // 12 digits
};

// Looks up access key ids. Implementations must be safe to call from many
// threads at once; the returned entry stays valid while the caller holds it.
class CredentialStore {
 public:
  virtual ~CredentialStore() = default;
  // nullptr when the key id is unknown.
  virtual std::shared_ptr<const Credential> find(std::string_view access_key_id) const = 0;
};

// A map filled before use. Thread safety: add() is not synchronised — fill
// the store, then share it as `shared_ptr<const InMemoryCredentialStore>`;
// concurrent find() calls are safe. To reload, build a new store and swap the
// pointer. Cost of find(): one hash of the key id, no allocation.
class InMemoryCredentialStore final : public CredentialStore {
 public:
  // Replaces any entry with the same key id.
  void add(std::string access_key_id, Credential credential);
  std::shared_ptr<const Credential> find(std::string_view access_key_id) const override;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::shared_ptr<const Credential>, Hash, std::equal_to<>>
      entries_;
};

// ---------------------------------------------------------------------------
// Signer building blocks (used by the verifier, tests and benchmarks).

using SigningKey = Sha256Digest;

// kSigning = HMAC chain over "AWS4"+secret, date (yyyymmdd), region, service,
// "aws4_request" (§2.6). Cost: four HMACs.
SigningKey derive_signing_key(std::string_view secret_access_key, std::string_view date,
                              std::string_view region, std::string_view service);

// Lowercase hex HMAC-SHA256(key, string_to_sign).
HexDigest compute_signature(const SigningKey& key, std::string_view string_to_sign);

// "<yyyymmdd>/<region>/<service>/aws4_request".
std::string credential_scope(std::string_view date, std::string_view region,
                             std::string_view service);

// The four lines of §2.6: algorithm, X-Amz-Date, scope, hex SHA-256 of the
// canonical request.
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);

struct CanonicalOptions {
  bool normalize_path = true;  // false only for S3-style signing
  // §2.7 compatibility forms: the path normalised but not encoded again, and
  // the raw query as sent instead of the sorted, re-encoded one.
  bool raw_path = false;
  bool raw_query = false;
  // Query parameter (decoded name) left out of the canonical query: the
  // presigned form's "X-Amz-Signature"; empty for the header form.
  std::string_view skip_query_param;
};

// The canonical request of §2 for `request`, with `signed_headers` exactly as
// listed (";"-separated, lowercase) and `payload_hash` as the last line.
// Errors: kInvalidArgument with the §7 row 21 text for a malformed escape.
cloudlet::Result<std::string> canonical_request(const RequestView& request,
                                                std::string_view signed_headers,
                                                std::string_view payload_hash,
                                                const CanonicalOptions& options = {});

// Everything a signer needs besides the request.
struct SigningParams {
  std::string_view access_key_id;
  std::string_view secret_access_key;
  std::string_view amz_date;  // YYYYMMDDTHHMMSSZ; must equal the request's X-Amz-Date header
  std::string_view region;
  std::string_view service;
  std::string_view signed_headers;  // e.g. "content-type;host;x-amz-date"
  bool normalize_path = true;
};

// The `Authorization` header value for `request`, which must already carry
// the signed headers (host, x-amz-date, …). The payload hash is the request's
// `payload_sha256_hex` or the SHA-256 of its body.
cloudlet::Result<std::string> authorization_header(const RequestView& request,
                                                   const SigningParams& params);

// X-Amz-Date form of a time point (seconds precision), and back.
std::string format_amz_date(Clock::time_point t);
std::optional<Clock::time_point> parse_amz_date(std::string_view text);

// ---------------------------------------------------------------------------
// Verification.

struct Settings {
  std::string region = "us-east-1";
  std::string service = "execute-api";
  Endpoint endpoint = Endpoint::kHttpApi;  // which error column answers
  // Allowed difference between X-Amz-Date and `now`, both ways (§1.3).
  std::chrono::seconds max_skew{300};
  // Always on for execute-api and events; off models S3-style signing.
  bool normalize_path = true;
  // Accept `x-amz-content-sha256: UNSIGNED-PAYLOAD` in the payload line (§2.5).
  bool accept_unsigned_payload = false;
  // §2.7 retries for curl 7.88.1; each costs one more HMAC, no key derivation.
  bool compat_raw_query = false;
  bool compat_raw_path = false;

  // execute-api, 300 s window, HTTP API errors.
  static Settings gateway(std::string region = "us-east-1");
  // events, 900 s window, AWS JSON 1.1 errors.
  static Settings event_bus(std::string region = "us-east-1");
};

// Who signed the request.
struct Principal {
  std::string access_key_id;
  std::string principal_arn;
  std::string user_id;
  std::string account_id;
  std::string region;              // from the credential scope (aws:RequestedRegion)
  bool has_session_token = false;  // temporary credentials
};

// A Principal or an AuthError (like cloudlet::Result, but the error carries
// the status, error type and exact message of §7).
class [[nodiscard]] AuthResult {
 public:
  AuthResult(Principal principal) : state_(std::move(principal)) {}  // NOLINT: implicit by design
  AuthResult(AuthError error) : state_(std::move(error)) {}          // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const Principal& value() const;
  const AuthError& error() const;

 private:
  std::variant<Principal, AuthError> state_;
};

// The intermediate strings of the last verification (AWS form), for tests
// and debugging. Never log them with the signature.
struct VerifyTrace {
  std::string canonical_request;
  std::string string_to_sign;
};

// Caches kSigning per (secret, date) for one region and service, so that the
// four-HMAC derivation runs once per key and day instead of per request.
// Thread-safe (one mutex, held only to copy 32 bytes in or out). Fixed size,
// direct-mapped: a collision only costs a re-derivation.
class SigningKeyCache {
 public:
  SigningKeyCache(std::string region, std::string service);
  ~SigningKeyCache();
  SigningKeyCache(const SigningKeyCache&) = delete;
  SigningKeyCache& operator=(const SigningKeyCache&) = delete;

  SigningKey get(std::string_view secret_access_key, std::string_view date);

 private:
  struct Slot {
    std::string secret;
    std::string date;
    SigningKey key{};
    bool used = false;
  };
  static constexpr std::size_t kSlots = 64;
  std::string region_;
  std::string service_;
  std::mutex mu_;
  std::vector<Slot> slots_;  // guarded by mu_
};

// Verifies requests for one service and region. Thread safety: verify() may
// be called concurrently. Cost per request: hashing the body (unless
// pre-hashed), one canonical request (a few small allocations), two SHA-256
// and one HMAC; the key derivation is cached.
class Verifier {
 public:
  explicit Verifier(Settings settings);

  // Runs steps 3–11 of §4 and returns the principal or the first fault found.
  // `store` is consulted once; `now` is the server clock. `trace`, if given,
  // receives the canonical request and string to sign once they are built.
  AuthResult verify(const RequestView& request, const CredentialStore& store, Clock::time_point now,
                    VerifyTrace* trace = nullptr) const;

  // Steps 3–9 only, without the body: the SigV4 material is present and well
  // formed, its scope names this region and service, its date is inside the
  // skew window (or the presigned URL has not expired), `host` is signed and
  // the access key id is known. No hashing and no HMAC, so it is cheap enough
  // to run on every request before any memory is set aside for its body: a
  // client that fails it is answered at once (nullopt = passed). It cannot
  // tell a forged signature: verify() must still run once the body is read.
  std::optional<AuthError> precheck(const RequestView& request, const CredentialStore& store,
                                    Clock::time_point now) const;

  const Settings& settings() const { return settings_; }

 private:
  Settings settings_;
  mutable SigningKeyCache keys_;
};

}  // namespace cloudlet::auth
