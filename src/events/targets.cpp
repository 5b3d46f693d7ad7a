#include "events/targets.hpp"

#include <algorithm>

#include "core/utf8.hpp"
#include "events/store.hpp"

namespace cloudlet::events {

namespace {

bool listed(const std::vector<std::string>& allowed, const std::string& address) {
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& a) { return a == "*" || a == address; });
}

constexpr std::size_t kMaxMessageBytes = 1024;

std::string printable_message(std::string_view text) {
  std::string clean = utf8::sanitize(text.substr(0, kMaxMessageBytes));
  for (char& c : clean) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return clean;
}

}  // namespace

std::optional<std::string> policy_refusal(const TargetPolicy& policy, const TargetKind& kind) {
  if (const auto* server = std::get_if<UserManagementTarget>(&kind)) {
    const std::string address = server->host + ":" + std::to_string(server->port);
    if (!listed(policy.usermgmt_servers, address))
      return "UserManagement server " + address +
             " is not one this event bus may call (events.usermgmt_targets).";
  } else if (const auto* url = std::get_if<HttpTarget>(&kind)) {
    const std::string origin = http_origin(url->url);
    if (!listed(policy.http_origins, origin))
      return "HTTP target " + origin + " is not one this event bus may call (events.http_targets).";
  } else if (std::holds_alternative<RunCommandTarget>(kind)) {
    if (!policy.run_command.enabled)
      return "Run Command targets are disabled on this event bus; the operator enables them "
             "with events.run_command_enabled.";
  } else if (const auto* function = std::get_if<FunctionTarget>(&kind)) {
    if (std::find(policy.functions.begin(), policy.functions.end(), function->name) ==
        policy.functions.end())
      return "Function " + function->name + " is not hosted by this event bus.";
  }
  return std::nullopt;
}

std::optional<std::string> put_targets_refusal(const TargetPolicy& policy, const TargetKind& kind,
                                               const std::optional<std::string>& input,
                                               bool has_input_from_event) {
  if (auto refused = policy_refusal(policy, kind)) return refused;
  if (!std::holds_alternative<RunCommandTarget>(kind)) return std::nullopt;
  if (has_input_from_event)
    return "A Run Command target takes its commands from Input only, not InputPath or "
           "InputTransformer: event content must not reach a command line.";
  // Without Input a Run Command target receives nothing (spec §5.1).
  if (!input) return R"(A Run Command target needs Input {"commands": ["...", ...]}.)";
  auto plan = plan_run_command(*input, policy.run_command);
  if (!plan.ok()) return plan.error().message + ".";
  return std::nullopt;
}

TargetDeliverers::TargetDeliverers(TargetPolicy policy, std::chrono::milliseconds timeout,
                                   std::shared_ptr<const FunctionMap> functions)
    : policy_(std::move(policy)),
      usermgmt_(timeout),
      run_command_(policy_.run_command),
      functions_(std::move(functions)),
      http_(timeout) {}

std::optional<AttemptFailure> TargetDeliverers::deliver(const Delivery& delivery,
                                                        Clock::time_point now) {
  auto kind = parse_target_arn(delivery.target_arn);
  if (!kind.ok()) return AttemptFailure{false, "NO_RESOURCE", kind.error().message};
  if (auto refused = policy_refusal(policy_, *kind))
    return AttemptFailure{false, "NO_PERMISSIONS", *refused};
  struct Deliver {
    TargetDeliverers& self;
    const Delivery& d;
    Clock::time_point now;
    std::optional<AttemptFailure> operator()(const UserManagementTarget& t) {
      return self.usermgmt_.deliver(t, d.payload);
    }
    std::optional<AttemptFailure> operator()(const RunCommandTarget&) {
      return self.run_command_.deliver(d);
    }
    std::optional<AttemptFailure> operator()(const FunctionTarget& t) {
      return self.functions_.deliver(t.name, d, now);
    }
    std::optional<AttemptFailure> operator()(const HttpTarget& t) {
      return self.http_.deliver(t.url, d);
    }
  };
  auto failure = std::visit(Deliver{*this, delivery, now}, *kind);
  // The message is stored (a UTF-8 text column) and logged, and a target
  // chose part of it (an HTTP body, a gRPC status): valid UTF-8, no
  // control characters, bounded.
  if (failure) failure->message = printable_message(failure->message);
  return failure;
}

}  // namespace cloudlet::events
