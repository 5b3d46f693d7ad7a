// PutEvents for processes that take events without running the bus: the
// gateway's EventBridge-PutEvents integration. The events go into the same
// durable inbox (pending_events) as the events API's, so whichever process
// routes the bus picks them up; the answer is PutEvents' own.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "core/pg_pool.hpp"
#include "events/api.hpp"
#include "events/event_appender.hpp"
#include "events/store.hpp"

namespace cloudlet::events {

class EventIngest {
 public:
  EventIngest(ApiSettings settings, std::shared_ptr<pg::Pool> pool);
  // PutEvents with `request_json` (an AWS JSON 1.1 PutEvents body): the HTTP
  // status and body. Blocking: durable before it returns.
  std::pair<unsigned, std::string> put_events(const std::string& request_json) const;

 private:
  std::shared_ptr<pg::Pool> pool_;
  EventStore store_;
  EventAppender appender_;
  EventBusApi api_;
};

}  // namespace cloudlet::events
