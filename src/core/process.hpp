// Runs a child program to completion (fork + exec, no shell), optionally as
// another user, capturing what it prints. Used to drive initdb and pg_ctl,
// and by the event bus's Run Command targets, which need the time limit and
// the output cap: a program that never ends or prints forever must not hold
// a delivery worker or the process's memory.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace cloudlet {

struct RunAs {
  uid_t uid;
  gid_t gid;
};

struct RunOptions {
  std::optional<RunAs> run_as;
  // Past it the child's whole process group gets SIGTERM, then SIGKILL after
  // `kill_grace`. nullopt: wait for ever.
  std::optional<std::chrono::milliseconds> timeout;
  std::chrono::milliseconds kill_grace{2000};
  // Output beyond this is read and dropped (the child never blocks on a full
  // pipe); ProcessOutput::truncated says so.
  std::size_t max_output_bytes = 64 * 1024 * 1024;
  // The program's whole environment ("NAME=value"); nullopt: this process's.
  std::optional<std::vector<std::string>> environment;
};

struct ProcessOutput {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string output;  // stdout and stderr, interleaved
  bool timed_out = false;
  bool truncated = false;
};

// Fails only when the program cannot be started (kNotFound: not found, not
// executable, or the switch to `run_as` refused); a non-zero exit or a
// timeout is a value. The program gets stdin from /dev/null and no other
// descriptor of this process.
Result<ProcessOutput> run_process(const std::vector<std::string>& argv, const RunOptions& options);
Result<ProcessOutput> run_process(const std::vector<std::string>& argv,
                                  std::optional<RunAs> run_as = std::nullopt);

// The full path of `name` on PATH, or nullopt.
std::optional<std::string> find_on_path(const std::string& name);

}  // namespace cloudlet
