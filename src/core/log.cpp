#include "core/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <chrono>
#include <ctime>

namespace cloudlet::log {

namespace {

std::atomic<Level> g_level{Level::kInfo};

std::shared_ptr<spdlog::logger> logger() {
  // stderr, raw lines: the JSON is built here, spdlog only serialises writes.
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto l = std::make_shared<spdlog::logger>("cloudlet", sink);
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    return l;
  }();
  return instance;
}

std::string_view level_name(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

bool iequals_at(std::string_view text, std::size_t pos, std::string_view word) {
  if (pos + word.size() > text.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[pos + i])) !=
        std::tolower(static_cast<unsigned char>(word[i]))) {
      return false;
    }
  }
  return true;
}

// Characters that end a secret value in free text.
bool ends_value(char c) {
  return c == '&' || c == ' ' || c == ',' || c == '"' || c == '\'' || c == '\n' || c == ';' ||
         c == '\\';
}

}  // namespace

bool parse_level(std::string_view text, Level& out) {
  static constexpr std::array<std::pair<std::string_view, Level>, 4> kLevels{
      {{"debug", Level::kDebug},
       {"info", Level::kInfo},
       {"warn", Level::kWarn},
       {"error", Level::kError}}};
  for (auto [name, level] : kLevels) {
    if (text == name) {
      out = level;
      return true;
    }
  }
  return false;
}

void set_level(Level level) { g_level.store(level); }

std::string redact(std::string_view text) {
  static constexpr std::array<std::string_view, 7> kValueKeys{
      "password=",          "pgpassword=",           "signature=",    "x-amz-signature=",
      "secret_access_key=", "x-amz-security-token=", "session_token="};
  static constexpr std::array<std::string_view, 6> kJsonKeys{
      "\"password\":\"",  "\"secret_access_key\":\"", "\"secret\":\"",
      "\"signature\":\"", "\"session_token\":\"",     "\"secretaccesskey\":\""};
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    // scheme://user:password@host  ->  scheme://user:***@host
    if (text.compare(i, 3, "://") == 0) {
      std::size_t at = text.find('@', i + 3);
      std::size_t colon = text.find(':', i + 3);
      std::size_t stop = text.find_first_of(" /\"'", i + 3);
      if (at != std::string_view::npos && colon != std::string_view::npos && colon < at &&
          (stop == std::string_view::npos || at < stop)) {
        out.append(text.substr(i, colon + 1 - i));
        out.append("***");
        i = at;
        continue;
      }
    }
    bool masked = false;
    for (std::string_view key : kValueKeys) {
      if (iequals_at(text, i, key)) {
        out.append(text.substr(i, key.size()));
        out.append("***");
        i += key.size();
        if (i < text.size() && (text[i] == '\'' || text[i] == '"')) {
          // A quoted value (libpq's password='a b'): mask it through the
          // closing quote, honouring backslash escapes.
          char quote = text[i];
          ++i;
          while (i < text.size() && text[i] != quote) {
            i += (text[i] == '\\' && i + 1 < text.size()) ? 2u : 1u;
          }
          if (i < text.size()) ++i;
        } else {
          while (i < text.size() && !ends_value(text[i])) ++i;
        }
        masked = true;
        break;
      }
    }
    if (!masked) {
      for (std::string_view key : kJsonKeys) {
        if (iequals_at(text, i, key)) {
          out.append(text.substr(i, key.size()));
          out.append("***");
          i += key.size();
          while (i < text.size() && text[i] != '"') {
            i += (text[i] == '\\' && i + 1 < text.size()) ? 2u : 1u;
          }
          masked = true;
          break;
        }
      }
    }
    if (masked) continue;
    out.push_back(text[i]);
    ++i;
  }
  return out;
}

void write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (level < g_level.load()) return;
  boost::json::object line;
  line["ts"] = utc_now();
  line["level"] = level_name(level);
  line["event"] = event;
  for (const auto& [key, value] : fields) line[key] = value;
  logger()->info(redact(boost::json::serialize(line)));
}

}  // namespace cloudlet::log
