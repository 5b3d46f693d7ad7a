#include "events/http_target.hpp"

#include "events/store.hpp"
#include "http/client.hpp"

namespace cloudlet::events {

std::string http_origin(std::string_view url) {
  auto parsed = http::parse_http_url(url);
  return parsed.ok() ? parsed->origin : std::string();
}

std::optional<AttemptFailure> HttpDelivery::deliver(const std::string& url,
                                                    const Delivery& delivery) const {
  http::ClientRequest request;
  request.method = "POST";
  request.url = url;
  request.headers = {{"content-type", "application/json; charset=utf-8"},
                     {"user-agent", "cloudlet-events"},
                     {"x-cloudlet-event-id", delivery.event_id}};
  request.body = delivery.payload;
  // The answer is read only for its status and the start of its body.
  auto answer =
      http::send(std::move(request), {.timeout = timeout_, .max_body_bytes = 1024 * 1024});
  if (!answer.ok()) {
    const bool timeout = answer.error().code == ErrorCode::kDeadlineExceeded;
    return AttemptFailure{answer.error().code != ErrorCode::kInvalidArgument,
                          timeout ? "TIMEOUT" : "CONNECTION_FAILURE", answer.error().message};
  }
  return failure_for_http_status(answer->status, "POST " + url, answer->body);
}

}  // namespace cloudlet::events
