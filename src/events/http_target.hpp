// HTTP targets (ARN arn:cloudlet:http:<region>:<account>:url/<http://host[:port]/path>):
// the input is POSTed to the URL as application/json. EventBridge's API
// destinations (connections, OAuth, rate limits) are out of scope; this is
// the plain form of one.
//
// The event bus connects wherever a target's URL says, so which hosts it may
// reach is the operator's choice, not a PutTargets caller's: only origins
// listed in events.http_targets ("host:port", or "*" for any) are accepted,
// and none by default.
//
// 2xx is delivered; 408, 429, 5xx, timeouts and connection failures are
// retried; other statuses go to the dead-letter store. Redirects are not
// followed.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/retry_policy.hpp"

namespace cloudlet::events {

struct Delivery;

// "host:port" of an http:// URL (port 80 when the URL names none), as the
// HTTP client reads it (http::parse_http_url); empty for no such URL. Pure.
std::string http_origin(std::string_view url);

class HttpDelivery {
 public:
  explicit HttpDelivery(std::chrono::milliseconds timeout) : timeout_(timeout) {}

  std::optional<AttemptFailure> deliver(const std::string& url, const Delivery& delivery) const;

 private:
  std::chrono::milliseconds timeout_;
};

}  // namespace cloudlet::events
