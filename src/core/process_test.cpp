#include "core/process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

namespace cloudlet {
namespace {

using namespace std::chrono_literals;

TEST(RunProcess, CapturesOutputAndExitCode) {
  auto out = run_process({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->exit_code, 3);
  EXPECT_NE(out->output.find("out\n"), std::string::npos);
  EXPECT_NE(out->output.find("err\n"), std::string::npos);
  EXPECT_FALSE(out->timed_out);
  EXPECT_FALSE(out->truncated);
}

TEST(RunProcess, AProgramThatCannotStartIsNotFound) {
  auto out = run_process({"/nonexistent/program"});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ErrorCode::kNotFound);
}

TEST(RunProcess, ATimeoutTerminatesTheProgram) {
  RunOptions options;
  options.timeout = 200ms;
  auto out = run_process({"/bin/sleep", "30"}, options);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->timed_out);
  EXPECT_EQ(out->exit_code, 128 + 15);  // SIGTERM
}

TEST(RunProcess, AProgramThatIgnoresSigtermIsKilled) {
  RunOptions options;
  options.timeout = 200ms;
  options.kill_grace = 200ms;
  // exec replaces the shell, so the ignored SIGTERM is sleep's own.
  auto out = run_process({"/bin/sh", "-c", "trap '' TERM; echo ready; exec sleep 30"}, options);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->timed_out);
  EXPECT_EQ(out->exit_code, 128 + 9);  // SIGKILL
  EXPECT_EQ(out->output, "ready\n");
}

TEST(RunProcess, TheTimeoutReachesWhatTheProgramStarted) {
  RunOptions options;
  options.timeout = 200ms;
  // The background sleep holds the output pipe: without the process group
  // kill, reading would wait for it for 30 s.
  const auto start = std::chrono::steady_clock::now();
  auto out = run_process({"/bin/sh", "-c", "sleep 30 & wait"}, options);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
}

TEST(RunProcess, OutputBeyondTheCapIsDroppedWithoutBlockingTheProgram) {
  RunOptions options;
  options.max_output_bytes = 1000;
  auto out = run_process({"/usr/bin/head", "-c", "1000000", "/dev/zero"}, options);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->exit_code, 0);
  EXPECT_EQ(out->output.size(), 1000u);
  EXPECT_TRUE(out->truncated);
}

TEST(RunProcess, TheTimeoutHoldsAfterTheProgramClosesItsOutput) {
  RunOptions options;
  options.timeout = 200ms;
  options.kill_grace = 200ms;
  const auto start = std::chrono::steady_clock::now();
  auto out = run_process({"/bin/sh", "-c", "exec >&- 2>&-; exec sleep 30"}, options);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
}

TEST(RunProcess, TheProgramInheritsNoDescriptorButTheStandardThree) {
  // One descriptor of ours that is not close-on-exec, as Asio's sockets are.
  const int fd = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 3);
  auto out = run_process({"/bin/sh", "-c", "ls /proc/$$/fd"});
  ::close(fd);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->output, "0\n1\n2\n") << "the shell may have opened others: " << out->output;
}

TEST(RunProcess, AGivenEnvironmentReplacesOurs) {
  ::setenv("CLOUDLET_PROCESS_TEST_SECRET", "s3cr3t", 1);
  RunOptions options;
  options.environment = std::vector<std::string>{"ONLY=this", "PATH=/usr/bin:/bin"};
  auto out = run_process({"env"}, options);
  ::unsetenv("CLOUDLET_PROCESS_TEST_SECRET");
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_NE(out->output.find("ONLY=this"), std::string::npos);
  EXPECT_EQ(out->output.find("s3cr3t"), std::string::npos);
}

TEST(RunProcess, AProgramCannotPassForOneThatDidNotStart) {
  auto out = run_process({"/bin/sh", "-c", "echo 'cloudlet: cannot execute program'; exit 127"});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->exit_code, 127);
}

}  // namespace
}  // namespace cloudlet
