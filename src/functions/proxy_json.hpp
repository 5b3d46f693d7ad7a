// ProxyEvent / ProxyResponse to and from AWS's Lambda JSON (payload format
// 2.0, spec/apigateway-sigv4.md §10.1 and §11.2), for the Lambda runtime loop
// that feeds real API Gateway events to the same handlers.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "functions/proxy.hpp"

namespace cloudlet::functions {

// Reads a 2.0 event. Unknown fields are ignored; absent collections are empty.
// kInvalidArgument when the text is not a JSON object or a field has the
// wrong type.
Result<ProxyEvent> proxy_event_from_json(std::string_view text);
// The 2.0 event JSON, with AWS's field names (absent maps omitted).
std::string proxy_event_to_json(const ProxyEvent& event);
// The explicit response form {statusCode, headers, body, isBase64Encoded}.
std::string proxy_response_to_json(const ProxyResponse& response);

}  // namespace cloudlet::functions
