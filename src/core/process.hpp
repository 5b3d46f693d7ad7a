// Runs a child program to completion (fork + exec, no shell), optionally as
// another user, capturing what it prints. Used to drive initdb and pg_ctl.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace cloudlet {

struct RunAs {
  uid_t uid;
  gid_t gid;
};

struct ProcessOutput {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string output;  // stdout and stderr, interleaved
};

// Fails only when the program cannot be started; a non-zero exit is a value.
Result<ProcessOutput> run_process(const std::vector<std::string>& argv,
                                  std::optional<RunAs> run_as = std::nullopt);

// The full path of `name` on PATH, or nullopt.
std::optional<std::string> find_on_path(const std::string& name);

}  // namespace cloudlet
