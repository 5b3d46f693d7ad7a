// The SigV4/IAM error catalogue (spec/apigateway-sigv4.md §7): every status,
// error type and message text the verifier can produce, in one place so that
// a text found to differ from AWS's is corrected once (errors.cpp holds the
// table, with the spec's confidence markers as comments).
//
// Two columns are modelled: the API Gateway HTTP API (the gateway, service
// execute-api) and the AWS JSON 1.1 event-bus endpoint (service events).
// Messages never contain secrets: at most the access key id, which AWS echoes.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace cloudlet::auth {

// Which column of §7 answers.
enum class Endpoint {
  kHttpApi,   // API Gateway HTTP API ($default stage); gateway port
  kEventBus,  // AWS JSON 1.1 (EventBridge); event-bus port
};

// One value per row of §7 (row numbers in the comments).
enum class AuthFailure {
  kMissingAuthentication,    // 2: no SigV4 material at all
  kNotKeyValuePair,          // 3: `Authorization: Bearer abc`
  kIncompleteAuthorization,  // 4: components or date missing / unusable
  kIncompleteQuery,          // 4 (query form): presigned parameters missing
  kCredentialElements,       // 5
  kWrongRegion,              // 6
  kWrongService,             // 7
  kWrongTerminator,          // 8
  kScopeDateMismatch,        // 9
  kHostNotSigned,            // 10
  kSignatureExpired,         // 11
  kSignatureNotYetCurrent,   // 12
  kPresignedExpired,         // 13
  kExpiresOutOfRange,        // 14
  kUnknownAccessKey,         // 15
  kSessionTokenInvalid,      // 16
  kSessionTokenExpired,      // 17
  kSignatureMismatch,        // 18
  kImplicitDeny,             // 19
  kExplicitDeny,             // 20
  kMalformedPathEscape,      // 21 (path)
  kMalformedQueryEscape,     // 21 (query)
};

// What the edge sends: `http_status`, the `x-amzn-ErrorType` header / JSON
// `__type` (`error_type`, empty = send no such header, as the HTTP API does for
// its bare `{"message":"Forbidden"}`), and the body's `message` member.
struct AuthError {
  AuthFailure failure = AuthFailure::kMissingAuthentication;
  int http_status = 403;
  std::string_view error_type;  // points into a static table
  std::string message;          // exact text; JSON-escape it when writing the body

  // The §7 row number, for logs and tests.
  int catalogue_row() const;
  // The canonical code for callers that only need the category
  // (kUnauthenticated, kPermissionDenied or kInvalidArgument); the message is
  // `<error type>: <message>` and safe for logs.
  cloudlet::Error to_error() const;
};

// Builds the error of `failure` for `endpoint` with a row-specific message.
// Most callers want the helpers below; the verifier uses this directly.
AuthError make_auth_error(AuthFailure failure, Endpoint endpoint, std::string message);

// Rows 19/20, for the caller that evaluates IAM after verification. On the
// gateway this is the bare 403 {"message":"Forbidden"}; on the event bus the
// AccessDeniedException text naming `principal_arn`, `action` and `resource`.
AuthError access_denied(Endpoint endpoint, bool explicit_deny, std::string_view principal_arn,
                        std::string_view action, std::string_view resource);

// The message texts of §7, one function per row; all wording lives in
// errors.cpp. Timestamps are `YYYYMMDDTHHMMSSZ` strings.
namespace text {
std::string missing(Endpoint endpoint);                                                   // 2
std::string not_key_value(std::string_view element, std::string_view raw_authorization);  // 3
std::string incomplete_authorization(bool no_credential, bool no_signature, bool no_signed_headers,
                                     bool no_date,
                                     std::string_view raw_authorization);  // 4
std::string incomplete_query(std::string_view missing_parameter);          // 4, query form
std::string repeated_query_parameter(std::string_view name);               // 4, query form
std::string unsupported_algorithm(std::string_view algorithm);             // 4, query form
std::string credential_elements(std::string_view credential);              // 5
std::string wrong_region(std::string_view region);                         // 6
std::string wrong_service(std::string_view expected_service);              // 7
std::string wrong_terminator(std::string_view terminator);                 // 8
std::string scope_date_mismatch(std::string_view scope_date, std::string_view amz_date);  // 9
std::string host_not_signed();                                                            // 10
std::string signature_expired(std::string_view amz_date, std::string_view now_minus_window,
                              std::string_view now, long window_seconds);  // 11
std::string signature_not_yet_current(std::string_view amz_date, std::string_view now_plus_window,
                                      std::string_view now, long window_seconds);  // 12
std::string presigned_expired(std::string_view amz_date, std::string_view now_minus_expires,
                              std::string_view now, long expires_seconds);  // 13
std::string expires_out_of_range();                                         // 14
std::string token_invalid();                                                // 15, 16
std::string token_expired();                                                // 17
// 18: AWS's three sentences only. The REST-style appendix (canonical request,
// string to sign) would echo header values a front proxy added; see
// Verifier::verify's VerifyTrace for debugging.
std::string signature_mismatch();
}  // namespace text

}  // namespace cloudlet::auth
