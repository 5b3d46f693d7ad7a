#include "events/function_target.hpp"

#include <chrono>
#include <exception>

#include "core/clf_time.hpp"
#include "events/store.hpp"

namespace cloudlet::events {

functions::ProxyEvent function_target_event(std::string_view function, const Delivery& delivery,
                                            Clock::time_point now) {
  functions::ProxyEvent e;
  const std::string path = "/" + std::string(function);
  e.route_key = "POST " + path;
  e.raw_path = path;
  e.headers = {{"content-type", "application/json"}, {"user-agent", "cloudlet-events"}};
  e.body = delivery.payload;
  auto& c = e.request_context;
  c.route_key = e.route_key;
  c.request_id = delivery.event_id + "/" + delivery.rule + "/" + delivery.target_id;
  c.time = clf_time(now);
  c.time_epoch =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  c.http_method = "POST";
  c.http_path = path;
  c.source_ip = "127.0.0.1";
  c.user_agent = "cloudlet-events";
  return e;
}

std::optional<AttemptFailure> FunctionDelivery::deliver(std::string_view function,
                                                        const Delivery& delivery,
                                                        Clock::time_point now) const {
  auto it = functions_ ? functions_->find(function) : FunctionMap::const_iterator{};
  if (!functions_ || it == functions_->end())
    return AttemptFailure{false, "NO_RESOURCE",
                          "function " + std::string(function) + " is not hosted by this event bus"};
  functions::ProxyResponse response;
  try {  // the contract says handlers do not throw; a bug must not kill the worker
    response = it->second(function_target_event(function, delivery, now));
  } catch (const std::exception&) {
    response.status_code = 500;
  }
  return failure_for_http_status(response.status_code, "function " + std::string(function),
                                 response.body);
}

}  // namespace cloudlet::events
