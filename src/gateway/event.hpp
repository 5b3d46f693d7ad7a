// Building the Lambda proxy event (payload format 2.0, spec §10.1) from an
// HTTP request, and the small codecs around it. Pure functions, no I/O.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/sigv4.hpp"
#include "core/clf_time.hpp"
#include "functions/proxy.hpp"
#include "gateway/routes.hpp"

namespace cloudlet::gateway {

struct IncomingRequest {
  std::string_view method;
  std::string_view path;                   // http::Target::path: normalised, still encoded
  std::string_view query;                  // http::Target::query: raw, after '?'
  std::vector<auth::HeaderField> headers;  // arrival order
  std::string body;
  std::string source_ip;
  std::string request_id;
  std::chrono::system_clock::time_point time;
};

// The 2.0 event for `request` matched by `match`; `principal` is set for
// AWS_IAM routes. Moves the body out of `request`.
functions::ProxyEvent build_event(IncomingRequest& request, const Match& match,
                                  const auth::Principal* principal, std::string_view account_id,
                                  std::string_view api_id);

// True for content types API Gateway passes as text (§10.1); others are
// base64-encoded in the event.
bool is_textual_content_type(std::string_view content_type);

std::string base64_encode(std::string_view data);
std::optional<std::string> base64_decode(std::string_view text);

// A 16-character request id ("JKJaXmPLvHcESHA=" style), unique per process run.
std::string new_request_id();

}  // namespace cloudlet::gateway
