// The target ARNs cloudlet can deliver to (spec §4.7, ARCHITECTURE "Event
// bus"), read once at PutTargets so that an ARN nobody can deliver to is
// refused then, per entry, and never accepted silently:
//
//   arn:cloudlet:usermgmt:<region>:<account>:server/<host>:<port>
//       the built-in gRPC target: UserManagement on that server
//   arn:aws:ssm:<region>:<account?>:document/AWS-RunShellScript
//       Run Command, as the seed used it (off unless configured)
//   arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
//       a function cloudlet hosts (the contacts functions)
//   arn:cloudlet:http:<region>:<account>:url/<http://host[:port]/path>
//       a plain HTTP POST of the input (API destinations are out of scope)
//
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "core/result.hpp"

namespace cloudlet::events {

struct UserManagementTarget {
  std::string host;
  std::uint16_t port = 0;
};
struct RunCommandTarget {
  std::string document;  // AWS-RunShellScript
};
struct FunctionTarget {
  std::string name;
};
struct HttpTarget {
  std::string url;  // http://host[:port][/path]
};
using TargetKind = std::variant<UserManagementTarget, RunCommandTarget, FunctionTarget, HttpTarget>;

// kInvalidArgument with a message for the FailedEntries entry when the ARN is
// none of the forms above.
Result<TargetKind> parse_target_arn(std::string_view arn);

// "usermgmt", "run-command", "function", "http": for logs and metrics.
std::string_view target_kind_name(const TargetKind& kind);

}  // namespace cloudlet::events
