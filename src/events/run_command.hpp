// Run Command targets (ARN arn:aws:ssm:<region>::document/AWS-RunShellScript),
// as the seed used them: the target's Input is {"commands": ["...", ...]}
// and the commands run on this host, one after the other. That runs
// programs on the host on behalf of whoever may call PutTargets, so:
//
// - it is off unless the operator turns it on (events.run_command_enabled),
//   and then runs only the programs the operator lists
//   (events.run_command_programs: absolute paths, compared exactly, so no
//   PATH lookup picks another; "*" allows any, and says that every caller
//   of PutTargets with ssm:SendCommand may run anything as this process's
//   user);
// - the commands come only from the target's constant Input, checked at
//   PutTargets: InputPath and InputTransformer are refused for these
//   targets, because event content spliced into a command line (templates
//   do not escape) would let whoever can put an event add commands or
//   options;
// - without a shell (the default) each command is split into words here and
//   executed directly: quotes group words ('…' literally, "…" with \" and
//   \\), a backslash escapes the next character, and nothing else has
//   meaning. A command that needs a shell (|, &, ;, <, >, (, ), $, `) is
//   refused rather than run with those characters as plain arguments;
// - with events.run_command_shell set (e.g. /bin/sh) the commands are joined
//   into one script, one per line, and run as `<shell> -c <script>`, as
//   AWS-RunShellScript does; the shell must then be a listed program;
// - every run has a time limit (events.run_command_timeout_seconds) that kills
//   its whole process group, a fixed small environment (PATH, HOME, LANG:
//   nothing of this process's, which may hold database URLs or keys), no
//   descriptor of this process but stdin (/dev/null), stdout and stderr, and
//   its output (capped) goes to the event bus's log. [A program that starts
//   its own session (setsid) leaves the process group and outlives the
//   kill; run the service under systemd (KillMode=control-group) to contain
//   that.]
//
// The delivery succeeds when every command exits 0. A non-zero exit or a
// timeout is not retried (running a command again is not known to be safe)
// and goes to the dead-letter store. [AWS counts a Run Command delivery done
// once SSM accepted the command and never retries on the command's outcome;
// cloudlet has no SSM console, so the dead-letter store is where a failed
// command shows.]
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "events/retry_policy.hpp"

namespace cloudlet::events {

struct Delivery;

struct RunCommandSettings {
  bool enabled = false;                      // events.run_command_enabled
  std::vector<std::string> programs;         // events.run_command_programs; "*": any
  std::string shell;                         // events.run_command_shell; empty: no shell
  std::chrono::milliseconds timeout{60000};  // events.run_command_timeout_seconds, per delivery
  std::size_t max_output_bytes = 64 * 1024;  // kept per command, for the log
};

inline constexpr std::size_t kMaxRunCommands = 100;

// The programs a target input asks for, each an argv whose program is one
// the settings allow, or kInvalidArgument with a message for the caller
// (PutTargets' FailedEntries, or the dead letter). Pure.
Result<std::vector<std::vector<std::string>>> plan_run_command(std::string_view input,
                                                               const RunCommandSettings& settings);

// One command line split into words as described above. Pure.
Result<std::vector<std::string>> split_command_words(std::string_view line);

class RunCommandDelivery {
 public:
  explicit RunCommandDelivery(RunCommandSettings settings);

  // nullopt when every command exited 0.
  std::optional<AttemptFailure> deliver(const Delivery& delivery) const;

 private:
  RunCommandSettings settings_;
  std::vector<std::string> environment_;
};

}  // namespace cloudlet::events
