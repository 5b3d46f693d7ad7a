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
int poll_timeout(std::optional<SteadyClock::time_point> deadline) {
  if (!deadline) return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - SteadyClock::now());
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
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return Error::internal(std::strerror(errno));

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    return Error::internal(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec. With a time limit,
    // its own process group, so that the kill reaches whatever it started.
    if (options.timeout) ::setpgid(0, 0);
    ::dup2(pipefd[1], STDOUT_FILENO);
    ::dup2(pipefd[1], STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    if (run_as) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(run_as->gid) != 0 ||
          ::setuid(run_as->uid) != 0) {
        const char msg[] = "cloudlet: cannot switch to the service user\n";
        (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
        ::_exit(126);
      }
    }
    ::execvp(args[0], args.data());
    const char msg[] = "cloudlet: cannot execute program\n";
    (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  if (options.timeout) ::setpgid(pid, pid);  // also here: whichever of the two runs first
  ::close(pipefd[1]);
  ProcessOutput out;
  std::optional<SteadyClock::time_point> deadline;
  if (options.timeout) deadline = SteadyClock::now() + *options.timeout;
  int signals_sent = 0;  // SIGTERM, then SIGKILL, then stop reading
  char buf[4096];
  while (true) {
    pollfd pfd{pipefd[0], POLLIN, 0};
    int ready = ::poll(&pfd, 1, poll_timeout(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {  // the deadline passed
      out.timed_out = true;
      if (signals_sent == 2) break;  // something outside the group holds the pipe
      ::kill(-pid, signals_sent++ == 0 ? SIGTERM : SIGKILL);
      deadline = SteadyClock::now() + options.kill_grace;
      continue;
    }
    ssize_t n = ::read(pipefd[0], buf, sizeof buf);
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
  ::close(pipefd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    out.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    out.exit_code = 128 + WTERMSIG(status);
  }
  if (out.exit_code == 127 && out.output.find("cannot execute program") != std::string::npos) {
    return Error::not_found("cannot execute " + argv[0]);
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
