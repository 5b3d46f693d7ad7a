// The EventBridge-PutEvents integration (API Gateway HTTP API's first-class
// integration, as the seed's Terraform used it on `ANY /trigger_usermgmt`):
// request_parameters map each PutEvents entry member to a literal
// (`sampledata`) or a selector of the request:
//
//   $request.body.<a.b.c>     a member of the JSON body (a JSON string as
//                             itself, any other value as its JSON text;
//                             Resources takes an array of strings)
//   $request.header.<name>    a header (case-insensitive)
//
// The gateway sends PutEvents `{"Entries": [<one entry>]}` and answers with
// its response body. A selector that selects nothing (no `detail` in the
// body, a body that is not JSON) is the caller's error: 400, and nothing is
// sent.
//
// Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "gateway/routes.hpp"

namespace cloudlet::gateway {

// Load-time check of one request_parameters value: a literal, or one of the
// selectors above with a non-empty name.
Status check_parameter_selector(std::string_view value);

struct PutEventsInput {
  std::string_view body;
  const std::vector<std::pair<std::string, std::string>>* headers = nullptr;  // name, value
};

// The PutEvents request JSON for one call of `integration`; kInvalidArgument
// with a message for the client (it names the parameter and selector) when a
// selector finds nothing.
Result<std::string> put_events_request(const Integration& integration, const PutEventsInput& in);

}  // namespace cloudlet::gateway
