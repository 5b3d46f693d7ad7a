#include "events/run_command.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "events/store.hpp"

namespace cloudlet::events {
namespace {

using namespace std::chrono_literals;
using Words = std::vector<std::string>;

TEST(CommandWords, SplitOnBlanksWithQuotesAndEscapes) {
  EXPECT_EQ(*split_command_words("echo  a\tb"), (Words{"echo", "a", "b"}));
  EXPECT_EQ(*split_command_words(R"(printf '%s $x' "a \"b\" \\c" d\ e)"),
            (Words{"printf", "%s $x", R"(a "b" \c)", "d e"}));
  EXPECT_EQ(*split_command_words(R"(x '' "")"), (Words{"x", "", ""}));
  EXPECT_EQ(*split_command_words("a'b'\"c\""), (Words{"abc"}));
  EXPECT_TRUE(split_command_words("   ")->empty());
}

TEST(CommandWords, ShellSyntaxOutsideQuotesIsRefusedNotPassedOn) {
  for (const char* line : {"echo a | wc", "a; b", "a && b", "a > f", "a < f", "echo $HOME",
                           "echo `id`", "(a)", "a &"}) {
    auto words = split_command_words(line);
    ASSERT_FALSE(words.ok()) << line;
    EXPECT_NE(words.error().message.find("events.run_command_shell"), std::string::npos) << line;
  }
  EXPECT_EQ(*split_command_words("echo 'a | b' \"$HOME\""), (Words{"echo", "a | b", "$HOME"}));
}

TEST(CommandWords, BrokenQuotingIsRefused) {
  EXPECT_FALSE(split_command_words("echo 'a").ok());
  EXPECT_FALSE(split_command_words("echo \"a").ok());
  EXPECT_FALSE(split_command_words("echo a\\").ok());
  EXPECT_FALSE(split_command_words("echo a\x01").ok());
}

RunCommandSettings any_program() {
  RunCommandSettings settings;
  settings.programs = {"*"};
  return settings;
}

TEST(RunCommandPlan, EachCommandIsOneProgramWithoutAShell) {
  RunCommandSettings settings = any_program();
  auto plan = plan_run_command(R"({"commands": ["echo one", "", "/bin/true"]})", settings);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_EQ(plan->size(), 2u);
  EXPECT_EQ((*plan)[0], (Words{"echo", "one"}));
  EXPECT_EQ((*plan)[1], (Words{"/bin/true"}));
}

TEST(RunCommandPlan, OnlyListedProgramsExactlyAsListed) {
  RunCommandSettings settings;
  EXPECT_FALSE(plan_run_command(R"({"commands": ["/bin/true"]})", settings).ok());  // none listed
  settings.programs = {"/bin/true", "/usr/bin/touch"};
  EXPECT_TRUE(
      plan_run_command(R"({"commands": ["/bin/true", "/usr/bin/touch f"]})", settings).ok());
  for (const char* refused : {"true", "/bin/../bin/true", "/bin/echo x", "/bin/true/"}) {
    auto plan = plan_run_command(std::string(R"({"commands": [")") + refused + R"("]})", settings);
    ASSERT_FALSE(plan.ok()) << refused;
    EXPECT_NE(plan.error().message.find("events.run_command_programs"), std::string::npos);
  }
  settings.shell = "/bin/sh";  // the shell is the program then
  EXPECT_FALSE(plan_run_command(R"({"commands": ["/bin/true"]})", settings).ok());
  settings.programs.push_back("/bin/sh");
  EXPECT_TRUE(plan_run_command(R"({"commands": ["/bin/true"]})", settings).ok());
}

TEST(RunCommandPlan, WithAShellTheCommandsAreOneScript) {
  RunCommandSettings settings = any_program();
  settings.shell = "/bin/sh";
  auto plan = plan_run_command(R"({"commands": ["cd /tmp", "echo a | wc -c"]})", settings);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->size(), 1u);
  EXPECT_EQ((*plan)[0], (Words{"/bin/sh", "-c", "cd /tmp\necho a | wc -c\n"}));
}

TEST(RunCommandPlan, TheInputMustHoldCommands) {
  RunCommandSettings settings = any_program();
  for (const char* input : {"", "[]", "{}", R"({"commands": "echo"})", R"({"commands": []})",
                            R"({"commands": [1]})", R"({"commands": ["  "]})"}) {
    EXPECT_FALSE(plan_run_command(input, settings).ok()) << input;
  }
  std::string many = R"({"commands": [)";
  for (std::size_t i = 0; i <= kMaxRunCommands; ++i) many += (i ? ",\"x\"" : "\"x\"");
  EXPECT_FALSE(plan_run_command(many + "]}", settings).ok());
}

Delivery delivery_of(std::string payload) {
  Delivery d;
  d.event_id = "e1";
  d.rule = "r";
  d.target_id = "t";
  d.payload = std::move(payload);
  return d;
}

TEST(RunCommandDelivery, DisabledIsRefusedWithoutRunningAnything) {
  RunCommandDelivery off(RunCommandSettings{});
  auto failure = off.deliver(delivery_of(R"({"commands": ["/bin/true"]})"));
  ASSERT_TRUE(failure.has_value());
  EXPECT_FALSE(failure->retryable);
  EXPECT_EQ(failure->error_code, "NO_PERMISSIONS");
}

TEST(RunCommandDelivery, RunsEveryCommandAndStopsAtTheFirstFailure) {
  RunCommandSettings settings = any_program();
  settings.enabled = true;
  RunCommandDelivery run(settings);
  EXPECT_FALSE(run.deliver(delivery_of(R"({"commands": ["/bin/true", "echo ok"]})")).has_value());
  auto failed = run.deliver(delivery_of(R"({"commands": ["/bin/true", "/bin/false", "x"]})"));
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->error_code, "COMMAND_FAILED");
  EXPECT_NE(failed->message.find("command 2"), std::string::npos);
  EXPECT_FALSE(failed->retryable);
  auto missing = run.deliver(delivery_of(R"({"commands": ["/nonexistent/program"]})"));
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->error_code, "NO_RESOURCE");
}

TEST(RunCommandDelivery, TheTimeLimitCoversTheWholeDelivery) {
  RunCommandSettings settings = any_program();
  settings.enabled = true;
  settings.timeout = 300ms;
  RunCommandDelivery run(settings);
  auto failure = run.deliver(delivery_of(R"({"commands": ["sleep 30"]})"));
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->error_code, "TIMEOUT");
}

TEST(RunCommandDelivery, AConfiguredShellRunsTheScript) {
  RunCommandSettings settings = any_program();
  settings.enabled = true;
  settings.shell = "/bin/sh";
  RunCommandDelivery run(settings);
  EXPECT_FALSE(run.deliver(delivery_of(R"({"commands": ["x=1", "test \"$x\" = 1"]})")).has_value());
  EXPECT_TRUE(run.deliver(delivery_of(R"({"commands": ["exit 4"]})")).has_value());
}

TEST(RunCommandDelivery, TheProgramGetsAFixedEnvironmentNotOurs) {
  ::setenv("CLOUDLET_RUN_COMMAND_TEST_SECRET", "s3cr3t", 1);
  RunCommandSettings settings = any_program();
  settings.enabled = true;
  settings.shell = "/bin/sh";
  RunCommandDelivery run(settings);
  auto failure = run.deliver(delivery_of(
      R"({"commands": ["test -z \"$CLOUDLET_RUN_COMMAND_TEST_SECRET\"", "test -n \"$PATH\""]})"));
  ::unsetenv("CLOUDLET_RUN_COMMAND_TEST_SECRET");
  EXPECT_FALSE(failure.has_value()) << failure->message;
}

}  // namespace
}  // namespace cloudlet::events
