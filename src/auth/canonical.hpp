// The pieces of a SigV4 canonical request (spec/apigateway-sigv4.md §2),
// for the non-S3 rules that execute-api and events use.
//
// Everything works on raw wire bytes: the path is normalised and encoded a
// second time without being decoded first ("double encoding"), the query is
// decoded (`+` is a space) and re-encoded, header values are trimmed and
// folded. Malformed `%` escapes are reported, never passed through, because
// AWS rejects them (§7 row 21).
//
// Functions append to a caller-owned string so that a whole canonical request
// is built in one buffer. Thread safety: all functions are pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cloudlet::auth {

// A `%` not followed by two hex digits. `text` is the exact AWS-style message
// ("Illegal hex character in escape % pattern: %zz" or
// "Incomplete trailing escape % sequence").
struct MalformedEscape {
  std::string text;
};

// Appends `bytes` percent-encoded: everything but A-Z a-z 0-9 - _ . ~ becomes
// %XX (upper-case hex); `/` is kept when `keep_slash`.
void append_uri_encoded(std::string_view bytes, bool keep_slash, std::string& out);

// Checks that every `%` in `text` starts a well-formed escape.
std::optional<MalformedEscape> check_escapes(std::string_view text);

// Percent-decodes `text` into `out` (cleared first). With `plus_is_space`, `+`
// decodes to a space, as in a query string.
std::optional<MalformedEscape> percent_decode(std::string_view text, bool plus_is_space,
                                              std::string& out);

// Appends the canonical URI of `raw_path` (the request target before `?`, as
// on the wire). With `normalize`, empty and `.` segments are dropped and `..`
// removes the previous segment (§2.2 step 1); then every byte is encoded once
// more. Fails on a malformed escape.
std::optional<MalformedEscape> append_canonical_uri(std::string_view raw_path, bool normalize,
                                                    std::string& out);

// Appends the normalised path without the second encoding: the form curl
// 7.88.1 signs (§2.7 `compat_raw_path`).
void append_normalized_raw_path(std::string_view raw_path, bool normalize, std::string& out);

// One decoded query parameter.
struct QueryParam {
  std::string name;
  std::string value;
};

// Splits a raw query (no leading `?`) into decoded parameters, in wire order.
// Empty pieces are skipped; a piece without `=` has an empty value.
std::optional<MalformedEscape> parse_query(std::string_view raw_query,
                                           std::vector<QueryParam>& params);

// Appends the canonical query string: each parameter re-encoded, sorted by
// encoded name then value (byte order), joined with `&`. A parameter named
// `skip_name` (if non-empty) is left out: the presigned form's X-Amz-Signature.
void append_canonical_query(const std::vector<QueryParam>& params, std::string_view skip_name,
                            std::string& out);

// Appends one header occurrence's value in canonical form: obs-folds
// unfolded, outer blanks trimmed, inner runs of blanks turned into one space.
void append_canonical_header_value(std::string_view raw_value, std::string& out);

// ASCII case-insensitive equality, for header names.
bool iequals(std::string_view a, std::string_view b);

}  // namespace cloudlet::auth
