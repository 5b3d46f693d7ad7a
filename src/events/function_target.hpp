// Function targets (ARN arn:aws:lambda:<region>:<account>:function:<name>):
// the functions this cloudlet hosts (the contacts functions), called in the
// events process with the target's input.
//
// cloudlet's functions speak one contract, the API Gateway proxy event
// (functions/proxy.hpp), so the event bus hands them the input the way an
// API destination would: as the JSON body of `POST /<name>`, with no
// identity. [On AWS a function target receives the input itself as its
// event; a Lambda written for API Gateway then finds no `body`. The
// deployment issue gives the Lambda contract both forms.]
//
// The call is synchronous: a 2xx response is delivered; 408, 429 and 5xx
// are retried under the target's RetryPolicy; other statuses go to the
// dead-letter store (retry_policy.hpp, failure_for_http_status). [AWS
// invokes a function target asynchronously and leaves the function's own
// errors to Lambda's retries.]
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "events/retry_policy.hpp"
#include "functions/proxy.hpp"

namespace cloudlet::events {

struct Delivery;

using FunctionMap = std::map<std::string, functions::Handler, std::less<>>;

// The proxy event a function target's delivery sends. Pure.
functions::ProxyEvent function_target_event(std::string_view function, const Delivery& delivery,
                                            Clock::time_point now);

class FunctionDelivery {
 public:
  explicit FunctionDelivery(std::shared_ptr<const FunctionMap> functions)
      : functions_(std::move(functions)) {}

  std::optional<AttemptFailure> deliver(std::string_view function, const Delivery& delivery,
                                        Clock::time_point now) const;

 private:
  std::shared_ptr<const FunctionMap> functions_;
};

}  // namespace cloudlet::events
