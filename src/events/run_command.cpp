#include "events/run_command.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cstdlib>

#include "core/log.hpp"
#include "core/process.hpp"
#include "core/utf8.hpp"
#include "events/store.hpp"

namespace cloudlet::events {

namespace json = boost::json;

namespace {

constexpr std::string_view kShellSyntax = "|&;<>()$`";

// The characters of the log's output field: enough to see what happened.
constexpr std::size_t kLoggedOutputBytes = 16 * 1024;

Error needs(std::string_view what) {
  return Error::invalid_argument(std::string("Run Command target input ") + std::string(what));
}

}  // namespace

Result<std::vector<std::string>> split_command_words(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'') {
      const auto close = line.find('\'', i + 1);
      if (close == std::string_view::npos) return needs("has an unterminated ' quote");
      word.append(line.substr(i + 1, close - i - 1));
      i = close;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i >= line.size()) return needs("has an unterminated \" quote");
        if (line[i] == '"') break;
        if (line[i] == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\'))
          ++i;
        word.push_back(line[i]);
      }
    } else if (c == '\\') {
      if (i + 1 >= line.size()) return needs("ends in a backslash");
      word.push_back(line[++i]);
    } else if (kShellSyntax.find(c) != std::string_view::npos) {
      return needs(std::string("uses shell syntax (") + c +
                   "); the operator can allow a shell with events.run_command_shell");
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return needs("holds a control character");
    } else {
      word.push_back(c);
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

Result<std::vector<std::vector<std::string>>> plan_run_command(std::string_view input,
                                                               const RunCommandSettings& settings) {
  boost::system::error_code ec;
  json::value v = json::parse(input, ec);
  const json::object* o = (!ec && v.is_object()) ? &v.get_object() : nullptr;
  const json::value* commands = o != nullptr ? o->if_contains("commands") : nullptr;
  if (commands == nullptr || !commands->is_array())
    return needs(R"(must be {"commands": ["...", ...]})");
  const json::array& list = commands->get_array();
  if (list.empty() || list.size() > kMaxRunCommands)
    return needs("must hold 1 to " + std::to_string(kMaxRunCommands) + " commands");
  std::vector<std::string> lines;
  for (const auto& c : list) {
    if (!c.is_string()) return needs("commands must be strings");
    lines.emplace_back(c.get_string());
  }
  std::vector<std::vector<std::string>> plan;
  if (!settings.shell.empty()) {
    std::string script;
    for (const auto& line : lines) script += line + "\n";
    plan.push_back({settings.shell, "-c", std::move(script)});
  } else {
    for (const auto& line : lines) {
      auto words = split_command_words(line);
      if (!words.ok()) return words.error();
      if (words->empty()) continue;  // a blank line, as a script would skip it
      plan.push_back(std::move(*words));
    }
    if (plan.empty()) return needs("holds only blank commands");
  }
  const auto& allowed = settings.programs;
  const bool any = std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
  for (const auto& argv : plan) {
    if (!any && std::find(allowed.begin(), allowed.end(), argv.front()) == allowed.end()) {
      return Error::invalid_argument("Run Command program " + argv.front().substr(0, 256) +
                                     " is not one this event bus may run "
                                     "(events.run_command_programs)");
    }
  }
  return plan;
}

RunCommandDelivery::RunCommandDelivery(RunCommandSettings settings)
    : settings_(std::move(settings)) {
  const char* home = std::getenv("HOME");
  environment_ = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                  std::string("HOME=") + (home != nullptr ? home : "/"), "LANG=C.UTF-8"};
}

std::optional<AttemptFailure> RunCommandDelivery::deliver(const Delivery& delivery) const {
  if (!settings_.enabled) {
    return AttemptFailure{false, "NO_PERMISSIONS",
                          "Run Command targets are disabled (events.run_command_enabled)"};
  }
  auto plan = plan_run_command(delivery.payload, settings_);
  if (!plan.ok()) return AttemptFailure{false, "INVALID_PARAMETER", plan.error().message};
  // One time limit for the whole delivery, shared by its commands.
  const auto deadline = std::chrono::steady_clock::now() + settings_.timeout;
  for (std::size_t i = 0; i < plan->size(); ++i) {
    const auto& argv = (*plan)[i];
    RunOptions options;
    options.timeout = std::max(std::chrono::milliseconds(1),
                               std::chrono::duration_cast<std::chrono::milliseconds>(
                                   deadline - std::chrono::steady_clock::now()));
    options.max_output_bytes = settings_.max_output_bytes;
    options.environment = environment_;
    auto ran = run_process(argv, options);
    if (!ran.ok()) {
      log::warn("events.run_command", {{"eventId", delivery.event_id},
                                       {"rule", delivery.rule},
                                       {"target", delivery.target_id},
                                       {"command", i + 1},
                                       {"program", argv.front()},
                                       {"error", ran.error().message}});
      return AttemptFailure{false, "NO_RESOURCE", "cannot run " + argv.front()};
    }
    const std::string_view shown = std::string_view(ran->output).substr(0, kLoggedOutputBytes);
    log::info("events.run_command",
              {{"eventId", delivery.event_id},
               {"rule", delivery.rule},
               {"target", delivery.target_id},
               {"command", i + 1},
               {"program", argv.front()},
               {"exitCode", ran->exit_code},
               {"timedOut", ran->timed_out},
               {"outputTruncated", ran->truncated || shown.size() < ran->output.size()},
               {"output", utf8::sanitize(shown)}});
    if (ran->timed_out) {
      return AttemptFailure{false, "TIMEOUT",
                            "command " + std::to_string(i + 1) + " (" + argv.front() +
                                ") ran past events.run_command_timeout_seconds"};
    }
    if (ran->exit_code != 0) {
      return AttemptFailure{false, "COMMAND_FAILED",
                            "command " + std::to_string(i + 1) + " (" + argv.front() + ") exited " +
                                std::to_string(ran->exit_code)};
    }
  }
  return std::nullopt;
}

}  // namespace cloudlet::events
