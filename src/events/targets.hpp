// Which targets this event bus takes, and delivery to each kind of target
// (target_arn.hpp lists the ARNs). The same policy is checked at PutTargets,
// so that nothing is accepted that cannot be delivered, and again at each
// delivery, so that an operator who narrows it (turns Run Command off,
// removes a server from a list) stops deliveries already routed too: those
// go to the dead-letter store as NO_PERMISSIONS.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "events/function_target.hpp"
#include "events/http_target.hpp"
#include "events/retry_policy.hpp"
#include "events/run_command.hpp"
#include "events/target_arn.hpp"
#include "events/usermgmt_target.hpp"

namespace cloudlet::events {

struct TargetPolicy {
  // "host:port" entries, or "*" for any (events.usermgmt_targets,
  // events.http_targets): the bus connects where a target says, so the
  // operator, not a PutTargets caller, chooses where that may be.
  std::vector<std::string> usermgmt_servers;
  std::vector<std::string> http_origins;
  RunCommandSettings run_command;
  std::vector<std::string> functions;  // the hosted functions' names
};

// Why the policy refuses this target, as a message for FailedEntries or a
// dead letter, or nullopt. Pure.
std::optional<std::string> policy_refusal(const TargetPolicy& policy, const TargetKind& kind);

// The same, plus what PutTargets can check of the target's input: a Run
// Command target needs a constant Input holding commands that plan
// (run_command.hpp), and takes no InputPath or InputTransformer. Pure.
std::optional<std::string> put_targets_refusal(const TargetPolicy& policy, const TargetKind& kind,
                                               const std::optional<std::string>& input,
                                               bool has_input_from_event);

// Thread-safe: the runtime's delivery workers share one.
class TargetDeliverers {
 public:
  TargetDeliverers(TargetPolicy policy, std::chrono::milliseconds timeout,
                   std::shared_ptr<const FunctionMap> functions);

  // nullopt when delivered.
  std::optional<AttemptFailure> deliver(const Delivery& delivery, Clock::time_point now);

 private:
  TargetPolicy policy_;
  UserManagementDelivery usermgmt_;
  RunCommandDelivery run_command_;
  FunctionDelivery functions_;
  HttpDelivery http_;
};

}  // namespace cloudlet::events
