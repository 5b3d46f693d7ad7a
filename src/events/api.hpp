// The event bus's actions (spec §4): AWS JSON 1.1 input in, AWS's output or
// error out, against the PostgreSQL store. The HTTP side (SigV4, IAM,
// X-Amz-Target) is service.hpp's; this module only says what an action does.
//
// Every call blocks on the database: run it on a worker thread. Thread-safe
// (no state of its own beyond the settings).
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/api_support.hpp"
#include "events/entry.hpp"
#include "events/targets.hpp"

namespace cloudlet::events {

class EventStore;
class EventAppender;

struct ApiSettings {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  std::size_t max_put_events_bytes = kDefaultMaxPutEventsBytes;  // events.max_put_events_bytes
  std::size_t max_event_pattern_chars = 2048;                    // events.max_event_pattern_chars
  int max_rules_per_bus = 300;                                   // AWS's default quota
  int max_targets_per_rule = 5;
  std::size_t max_buses = 100;
  TargetPolicy targets;  // which targets PutTargets takes (targets.hpp)
};

struct CallContext {
  std::chrono::system_clock::time_point now;
};

// The IAM resources a call acts on, read from its body without the action's
// checks (a malformed member gives the bus's ARN; the action then refuses
// the request): the rule's ARN for rule and target actions, the bus's for
// the others, one per bus PutEvents names. Pure.
std::vector<std::string> iam_resources(std::string_view action, const boost::json::object& body,
                                       std::string_view region, std::string_view account);

// What a PutTargets caller must also be allowed, beyond events:PutTargets on
// the rule: a function target runs that function with no identity of its
// own, so the caller needs lambda:InvokeFunction on it (the gateway would
// have asked execute-api:Invoke); a Run Command target runs programs here,
// so the caller needs ssm:SendCommand on the document. The function's ARN
// is rebuilt from this bus's region and account and the name, whatever the
// target's ARN says, so a policy on the real ARN cannot be sidestepped with
// another account in it. Pure; at most the request's first 100 targets.
struct IamCheck {
  std::string action, resource;
};
std::vector<IamCheck> target_iam_checks(const boost::json::object& body, std::string_view region,
                                        std::string_view account);

class EventBusApi {
 public:
  // `new_event_id` makes PutEvents' ids (random UUIDs; tests may pin them);
  // `on_appended` runs after events were stored (to wake the router).
  EventBusApi(ApiSettings settings, EventStore& store, EventAppender& appender,
              std::function<std::string()> new_event_id, std::function<void()> on_appended = {});

  // The actions of spec §4, by their X-Amz-Target suffix.
  static bool known_action(std::string_view action);

  // Runs one action. `body` is the request's JSON object.
  ApiReply call(std::string_view action, const boost::json::object& body,
                const CallContext& context) const;

  const ApiSettings& settings() const { return settings_; }

 private:
  ApiReply put_events(const boost::json::object& body, const CallContext& context) const;
  ApiReply test_event_pattern(const boost::json::object& body) const;
  ApiReply put_rule(const boost::json::object& body) const;
  ApiReply describe_rule(const boost::json::object& body) const;
  ApiReply list_rules(const boost::json::object& body) const;
  ApiReply delete_rule(const boost::json::object& body) const;
  ApiReply set_rule_state(const boost::json::object& body, std::string_view state) const;
  ApiReply put_targets(const boost::json::object& body) const;
  ApiReply remove_targets(const boost::json::object& body) const;
  ApiReply list_targets_by_rule(const boost::json::object& body) const;
  ApiReply create_event_bus(const boost::json::object& body) const;
  ApiReply describe_event_bus(const boost::json::object& body) const;
  ApiReply list_event_buses(const boost::json::object& body) const;
  ApiReply delete_event_bus(const boost::json::object& body) const;

  // "Event bus <name> does not exist." when the bus is missing, else the
  // rule message; for actions whose store call said kNotFound.
  ApiReply rule_not_found(std::string_view bus, std::string_view rule) const;

  ApiSettings settings_;
  EventStore& store_;
  EventAppender& appender_;
  std::function<std::string()> new_event_id_;
  std::function<void()> on_appended_;
};

}  // namespace cloudlet::events
