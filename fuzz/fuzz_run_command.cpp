// Run Command target inputs (events::plan_run_command and
// events::split_command_words, src/events/run_command.hpp): the Input of a
// PutTargets caller, turned into programs to execute.
//
// Input: the target input (arbitrary bytes).
//
// Invariants: an error is always kInvalidArgument; without a shell every
// planned program has a non-empty argv of words free of control characters
// (nothing the splitter refused gets through), and quoting each word again
// ('…' with ' written '\'') and splitting the line gives back the same
// words; with a shell the plan is one `<shell> -c <script>`.
#include <string>
#include <string_view>

#include "events/run_command.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace cloudlet;

std::string requote(const std::vector<std::string>& words) {
  std::string line;
  for (const auto& w : words) {
    if (!line.empty()) line += ' ';
    line += '\'';
    for (char c : w) line += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    line += '\'';
  }
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::bytes(data, size);
  events::RunCommandSettings direct;
  auto plan = events::plan_run_command(input, direct);
  if (!plan.ok()) {
    FUZZ_CHECK(plan.error().code == ErrorCode::kInvalidArgument);
  } else {
    FUZZ_CHECK(!plan->empty() && plan->size() <= events::kMaxRunCommands);
    for (const auto& argv : *plan) {
      FUZZ_CHECK(!argv.empty());
      for (const auto& word : argv)
        for (char c : word) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
      auto again = events::split_command_words(requote(argv));
      FUZZ_CHECK(again.ok() && *again == argv);
    }
  }
  events::RunCommandSettings shell;
  shell.shell = "/bin/sh";
  auto scripted = events::plan_run_command(input, shell);
  if (scripted.ok()) {
    FUZZ_CHECK(scripted->size() == 1 && (*scripted)[0].size() == 3);
    FUZZ_CHECK((*scripted)[0][0] == "/bin/sh" && (*scripted)[0][1] == "-c");
  }
  // The splitter alone, on the raw bytes.
  auto words = events::split_command_words(input);
  if (words.ok()) {
    auto again = events::split_command_words(requote(*words));
    FUZZ_CHECK(again.ok() && *again == *words);
  }
  return 0;
}
