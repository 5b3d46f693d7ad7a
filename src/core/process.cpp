#include "core/process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace cloudlet {

namespace {

using SteadyClock = std::chrono::steady_clock;

// Milliseconds until `deadline` for poll(2): -1 without one, 0 once past.
int poll_timeout(bool bounded, SteadyClock::time_point deadline) {
  if (!bounded) return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 60000));
}

}  // namespace

Result<ProcessOutput> run_process(const std::vector<std::string>& argv,
                                  std::optional<RunAs> run_as) {
  RunOptions options;
  options.run_as = run_as;
  return run_process(argv, options);
}

Result<ProcessOutput> run_process(const std::vector<std::string>& argv, const RunOptions& options) {
  const std::optional<RunAs>& run_as = options.run_as;
  if (argv.empty()) return Error::internal("run_process: empty argv");
  // `output` carries what the child prints; `failure` the errno of a failed
  // exec (it closes unwritten on a successful one: O_CLOEXEC), so a program
  // that prints our message cannot pass for one that did not start.
  int output[2], failure[2];
  if (::pipe2(output, O_CLOEXEC) != 0) return Error::internal(std::strerror(errno));
  if (::pipe2(failure, O_CLOEXEC) != 0) {
    ::close(output[0]);
    ::close(output[1]);
    return Error::internal(std::strerror(errno));
  }

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  if (options.environment) {
    for (const auto& e : *options.environment) env.push_back(const_cast<char*>(e.c_str()));
    env.push_back(nullptr);
  }

  pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {output[0], output[1], failure[0], failure[1]}) ::close(fd);
    return Error::internal(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec. With a time limit,
    // its own process group, so that the kill reaches whatever it started.
    if (options.timeout) ::setpgid(0, 0);
    ::dup2(output[1], STDOUT_FILENO);
    ::dup2(output[1], STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    // Nothing else of ours reaches the program: not the listening sockets
    // or client connections (Asio opens them without CLOEXEC), not files.
    const int keep = failure[1];
    if (keep > 3) ::close_range(3, static_cast<unsigned>(keep) - 1, 0);
    ::close_range(static_cast<unsigned>(keep) + 1, ~0U, 0);
    int error = 0;
    if (run_as && (::setgroups(0, nullptr) != 0 || ::setgid(run_as->gid) != 0 ||
                   ::setuid(run_as->uid) != 0)) {
      error = errno != 0 ? errno : EPERM;
    } else {
      if (options.environment) {
        ::execvpe(args[0], args.data(), env.data());
      } else {
        ::execvp(args[0], args.data());
      }
      error = errno;
    }
    (void)!::write(keep, &error, sizeof error);
    ::_exit(127);
  }
  if (options.timeout) ::setpgid(pid, pid);  // also here: whichever of the two runs first
  ::close(output[1]);
  ::close(failure[1]);
  int exec_error = 0;
  const bool not_started = ::read(failure[0], &exec_error, sizeof exec_error) > 0;
  ::close(failure[0]);

  ProcessOutput out;
  // A plain time point and a flag rather than an optional: GCC 12 at -O2
  // warns (wrongly) that the optional's value may be uninitialised.
  bool bounded = options.timeout.has_value();
  SteadyClock::time_point deadline =
      SteadyClock::now() + options.timeout.value_or(std::chrono::milliseconds(0));
  int signals_sent = 0;  // SIGTERM, then SIGKILL, then give up on the pipe
  // Past the deadline: the next signal to the group, and the next deadline.
  auto escalate = [&] {
    out.timed_out = true;
    ::kill(-pid, signals_sent++ == 0 ? SIGTERM : SIGKILL);
    deadline = SteadyClock::now() + options.kill_grace;
  };
  char buf[4096];
  while (!not_started) {
    pollfd pfd{output[0], POLLIN, 0};
    int ready = ::poll(&pfd, 1, poll_timeout(bounded, deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {                // the deadline passed
      if (signals_sent == 2) break;  // something outside the group holds the pipe
      escalate();
      continue;
    }
    ssize_t n = ::read(output[0], buf, sizeof buf);
    if (n > 0) {
      const std::size_t room =
          options.max_output_bytes - std::min(options.max_output_bytes, out.output.size());
      const auto got = static_cast<std::size_t>(n);
      out.output.append(buf, std::min(got, room));
      if (got > room) out.truncated = true;
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(output[0]);
  // The pipe is closed, but the child may live on (it can close its own
  // output): the deadline still holds while waiting for it.
  int status = 0;
  while (true) {
    const pid_t done = ::waitpid(pid, &status, bounded ? WNOHANG : 0);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) break;
    if (done == 0 && bounded) {
      if (SteadyClock::now() >= deadline) {
        if (signals_sent >= 2) {
          ::kill(-pid, SIGKILL);
          bounded = false;  // SIGKILL cannot be refused: wait for it
        } else {
          escalate();
        }
      } else {
        ::usleep(10000);
      }
    }
  }
  if (WIFEXITED(status)) {
    out.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    out.exit_code = 128 + WTERMSIG(status);
  }
  if (not_started) {
    return Error::not_found("cannot execute " + argv[0] + ": " + std::strerror(exec_error));
  }
  return out;
}

std::optional<std::string> find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

}  // namespace cloudlet
