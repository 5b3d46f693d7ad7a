#include "core/config.hpp"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <functional>

namespace cloudlet {

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = {
      {"data_dir", "--data-dir", "directory for the embedded database, credentials and logs"},
      {"database_url", "--database-url", "use this PostgreSQL instead of the embedded cluster"},
      {"pg_port", "--pg-port", "port of the embedded PostgreSQL on 127.0.0.1"},
      {"log_level", "--log-level", "debug, info, warn or error"},
      {"region", "--region", "AWS region used in signatures and ARNs"},
      {"account_id", "--account-id", "12-digit account id used in ARNs"},
      {"api_id", "--api-id", "API id used in execute-api ARNs"},
      {"gateway.listen", "--gateway-listen", "HOST:PORT of the HTTP gateway"},
      {"events.listen", "--events-listen", "HOST:PORT of the event bus API"},
      {"events.clock_skew_seconds", "--events-clock-skew-seconds",
       "how far a signed event-bus request's X-Amz-Date may be from now"},
      {"events.max_put_events_bytes", "--events-max-put-events-bytes",
       "total size of one PutEvents request's entries (AWS: 1048576 since 2026, 262144 before)"},
      {"events.max_event_pattern_chars", "--events-max-event-pattern-chars",
       "longest EventPattern accepted (AWS's quota: 2048, at most 4096)"},
      {"events.delivery_workers", "--events-delivery-workers",
       "threads delivering events to targets (one delivery each at a time)"},
      {"events.max_deliveries_per_target", "--events-max-deliveries-per-target",
       "deliveries one target may have in flight at once (0 = half the delivery workers)"},
      {"events.retry_initial_backoff_ms", "--events-retry-initial-backoff-ms",
       "first retry delay of a failed delivery; doubles per retry up to 5 minutes"},
      {"events.usermgmt_targets", "--events-usermgmt-targets",
       "comma-separated host:port list gRPC targets may call (default: the four local "
       "UserManagement servers; * = any)"},
      {"events.http_targets", "--events-http-targets",
       "comma-separated host:port list HTTP targets may call (default: none; * = any)"},
      {"events.run_command_enabled", "--events-run-command-enabled",
       "accept and run Run Command (AWS-RunShellScript) targets on this host (default false)"},
      {"events.run_command_programs", "--events-run-command-programs",
       "comma-separated absolute paths of the programs Run Command targets may run "
       "(* = any); none by default"},
      {"events.run_command_shell", "--events-run-command-shell",
       "run a Run Command target's commands as one script with this shell (e.g. /bin/sh); "
       "default: none, each command is run directly"},
      {"events.run_command_timeout_seconds", "--events-run-command-timeout-seconds",
       "time limit of one Run Command delivery; its programs are killed past it"},
      {"events.dead_letter_retention_days", "--events-dead-letter-retention-days",
       "delete dead letters older than this many days (0 = keep them)"},
      {"events.default_rules", "--events-default-rules",
       "create the seed's trigger_usermgmt rules at start when missing (true/false)"},
      {"usermgmt.host", "--usermgmt-host", "host the four UserManagement servers listen on"},
      {"usermgmt.base_port", "--usermgmt-base-port",
       "port of the first UserManagement server (none); memory, json, postgres follow"},
      {"credentials_file", "--credentials-file", "JSON file of access keys and IAM policies"},
      {"db.pool_size", "--db-pool-size", "connections in the PostgreSQL pool"},
      {"db.query_timeout_ms", "--db-query-timeout-ms", "per-query timeout in milliseconds"},
      {"auth.clock_skew_seconds", "--clock-skew-seconds",
       "how far a signed request's X-Amz-Date may be from now"},
      {"gateway.routes_file", "--routes-file",
       "JSON routes file (route_key, authorization_type, integrations); default: built in"},
      {"gateway.io_threads", "--gateway-io-threads",
       "gateway event-loop threads (0 = one per core)"},
      {"gateway.workers", "--gateway-workers",
       "gateway threads for blocking integrations (0 = db.pool_size)"},
      {"gateway.body_budget_mb", "--gateway-body-budget-mb",
       "MiB of request bodies the gateway holds at once; requests beyond it get 503"},
      {"gateway.max_connections", "--gateway-max-connections",
       "open connections the gateway accepts; more get 503"},
      {"gateway.max_connections_per_client", "--gateway-max-connections-per-client",
       "open connections one client address may hold; more get 429"},
      {"gateway.idle_timeout_seconds", "--gateway-idle-timeout-seconds",
       "close a keep-alive connection idle this long"},
      {"gateway.header_timeout_seconds", "--gateway-header-timeout-seconds",
       "time a request's headers may take once its first byte arrived (408 after)"},
      {"gateway.client_body_budget_mb", "--gateway-client-body-budget-mb",
       "MiB of request bodies one client address may hold at once; beyond it 429"},
      {"gateway.body_grace_seconds", "--gateway-body-grace-seconds",
       "time a request body may take before the minimum rate applies (408 after)"},
      {"gateway.body_min_rate_kib", "--gateway-body-min-rate-kib",
       "KiB per second a request body must keep up after the grace period (408 below)"},
      {"gateway.max_queued_jobs", "--gateway-max-queued-jobs",
       "integration calls waiting for a worker at once; more get 503 at once"},
      {"logs.retention_days", "--logs-retention-days", "delete log streams older than this"},
  };
  return keys;
}

std::string env_name(std::string_view key) {
  std::string out = "CLOUDLET_";
  for (char c : key) {
    out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

std::map<std::string, std::string, std::less<>> read_environment() {
  std::map<std::string, std::string, std::less<>> out;
  for (const auto& key : config_keys()) {
    if (const char* v = std::getenv(env_name(key.name).c_str()); v != nullptr) {
      out.emplace(std::string(key.name), v);
    }
  }
  return out;
}

namespace {

bool known_key(std::string_view name) {
  for (const auto& key : config_keys()) {
    if (key.name == name) return true;
  }
  return false;
}

Status flatten(const YAML::Node& node, const std::string& prefix,
               std::map<std::string, std::string, std::less<>>& out) {
  if (node.IsMap()) {
    for (const auto& item : node) {
      std::string name = prefix.empty() ? item.first.as<std::string>()
                                        : prefix + "." + item.first.as<std::string>();
      if (Status s = flatten(item.second, name, out); !s.ok()) return s;
    }
    return {};
  }
  if (!known_key(prefix))
    return Error::invalid_argument("unknown configuration key '" + prefix + "'");
  if (!node.IsScalar()) {
    return Error::invalid_argument("configuration key '" + prefix + "' must be a single value");
  }
  out[prefix] = node.as<std::string>();
  return {};
}

template <class Int>
Status parse_int(std::string_view text, Int min, Int max, Int& out) {
  long long v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < static_cast<long long>(min) ||
      v > static_cast<long long>(max)) {
    return Error::invalid_argument("must be an integer from " + std::to_string(min) + " to " +
                                   std::to_string(max));
  }
  out = static_cast<Int>(v);
  return {};
}

// A whole number of `Duration` units (seconds, milliseconds) in [min, max].
template <class Duration>
Status parse_duration(std::string_view text, long long min, long long max, Duration& out) {
  long long n = 0;
  if (Status st = parse_int<long long>(text, min, max, n); !st.ok()) return st;
  out = Duration(n);
  return {};
}

Status parse_bool(std::string_view text, bool& out) {
  if (text == "true" || text == "1") {
    out = true;
  } else if (text == "false" || text == "0") {
    out = false;
  } else {
    return Error::invalid_argument("must be true or false");
  }
  return {};
}

Status check_listen(std::string_view text) {
  auto colon = text.rfind(':');
  std::uint16_t port = 0;
  if (colon == std::string_view::npos || colon == 0 ||
      !parse_int<std::uint16_t>(text.substr(colon + 1), 0, 65535, port).ok()) {
    return Error::invalid_argument("must be HOST:PORT");
  }
  return {};
}

}  // namespace

Result<std::map<std::string, std::string, std::less<>>> read_config_file(
    const std::filesystem::path& path) {
  std::map<std::string, std::string, std::less<>> out;
  try {
    YAML::Node root = YAML::LoadFile(path.string());
    if (root.IsNull()) return out;
    if (!root.IsMap()) return Error::invalid_argument(path.string() + ": expected a YAML mapping");
    if (Status s = flatten(root, "", out); !s.ok()) {
      return Error::invalid_argument(path.string() + ": " + s.error().message);
    }
  } catch (const YAML::Exception& e) {
    return Error::invalid_argument(path.string() + ": " + e.what());
  }
  return out;
}

Result<Settings> resolve_settings(const ConfigLayers& layers) {
  Settings s;
  // Each parser reads one raw value into Settings and says what is wrong.
  using Parser = std::function<Status(std::string_view)>;
  const std::map<std::string_view, Parser> parsers = {
      {"data_dir",
       [&](std::string_view v) -> Status {
         if (v.empty()) return Error::invalid_argument("must not be empty");
         s.data_dir = std::string(v);
         return {};
       }},
      {"database_url",
       [&](std::string_view v) -> Status {
         s.database_url = v;
         return {};
       }},
      {"pg_port",
       [&](std::string_view v) { return parse_int<std::uint16_t>(v, 1, 65535, s.pg_port); }},
      {"log_level",
       [&](std::string_view v) -> Status {
         if (v != "debug" && v != "info" && v != "warn" && v != "error") {
           return Error::invalid_argument("must be debug, info, warn or error");
         }
         s.log_level = v;
         return {};
       }},
      {"region",
       [&](std::string_view v) -> Status {
         s.region = v;
         return {};
       }},
      {"account_id",
       [&](std::string_view v) -> Status {
         s.account_id = v;
         return {};
       }},
      {"api_id",
       [&](std::string_view v) -> Status {
         s.api_id = v;
         return {};
       }},
      {"gateway.listen",
       [&](std::string_view v) -> Status {
         if (Status st = check_listen(v); !st.ok()) return st;
         s.gateway_listen = v;
         return {};
       }},
      {"events.listen",
       [&](std::string_view v) -> Status {
         if (Status st = check_listen(v); !st.ok()) return st;
         s.events_listen = v;
         return {};
       }},
      {"events.clock_skew_seconds",
       [&](std::string_view v) { return parse_duration(v, 1, 86400, s.events_clock_skew); }},
      {"events.max_put_events_bytes",
       [&](std::string_view v) {
         return parse_int<std::size_t>(v, 1024, 16777216, s.events_max_put_events_bytes);
       }},
      {"events.max_event_pattern_chars",
       [&](std::string_view v) {
         return parse_int<std::size_t>(v, 1, 4096, s.events_max_event_pattern_chars);
       }},
      {"events.delivery_workers",
       [&](std::string_view v) {
         return parse_int<std::size_t>(v, 1, 256, s.events_delivery_workers);
       }},
      {"events.max_deliveries_per_target",
       [&](std::string_view v) {
         return parse_int<std::size_t>(v, 0, 256, s.events_max_deliveries_per_target);
       }},
      {"events.retry_initial_backoff_ms",
       [&](std::string_view v) {
         return parse_duration(v, 1, 3600000, s.events_retry_initial_backoff);
       }},
      {"events.usermgmt_targets",
       [&](std::string_view v) -> Status {
         s.events_usermgmt_targets = v;
         return {};
       }},
      {"events.http_targets",
       [&](std::string_view v) -> Status {
         s.events_http_targets = v;
         return {};
       }},
      {"events.run_command_enabled",
       [&](std::string_view v) { return parse_bool(v, s.events_run_command_enabled); }},
      {"events.run_command_programs",
       [&](std::string_view v) -> Status {
         s.events_run_command_programs = v;
         return {};
       }},
      {"events.run_command_shell",
       [&](std::string_view v) -> Status {
         if (!v.empty() && !v.starts_with('/'))
           return Error::invalid_argument("must be an absolute path, such as /bin/sh");
         s.events_run_command_shell = v;
         return {};
       }},
      {"events.run_command_timeout_seconds",
       [&](std::string_view v) {
         return parse_duration(v, 1, 86400, s.events_run_command_timeout);
       }},
      {"events.dead_letter_retention_days",
       [&](std::string_view v) {
         return parse_int<int>(v, 0, 3650, s.events_dead_letter_retention_days);
       }},
      {"events.default_rules",
       [&](std::string_view v) { return parse_bool(v, s.events_default_rules); }},
      {"usermgmt.host",
       [&](std::string_view v) -> Status {
         s.usermgmt_host = v;
         return {};
       }},
      {"usermgmt.base_port",
       [&](std::string_view v) {
         return parse_int<std::uint16_t>(v, 1, 65532, s.usermgmt_base_port);
       }},
      {"credentials_file",
       [&](std::string_view v) -> Status {
         s.credentials_file = v;
         return {};
       }},
      {"db.pool_size",
       [&](std::string_view v) { return parse_int<std::size_t>(v, 1, 1000, s.db_pool_size); }},
      {"db.query_timeout_ms",
       [&](std::string_view v) { return parse_duration(v, 1, 3600000, s.db_query_timeout); }},
      {"auth.clock_skew_seconds",
       [&](std::string_view v) { return parse_duration(v, 1, 86400, s.clock_skew); }},
      {"gateway.routes_file",
       [&](std::string_view v) -> Status {
         s.gateway_routes_file = v;
         return {};
       }},
      {"gateway.io_threads",
       [&](std::string_view v) { return parse_int<std::size_t>(v, 0, 256, s.gateway_io_threads); }},
      {"gateway.workers",
       [&](std::string_view v) { return parse_int<std::size_t>(v, 0, 1024, s.gateway_workers); }},
      {"gateway.body_budget_mb",
       [&](std::string_view v) {
         return parse_int<std::size_t>(v, 10, 1048576, s.gateway_body_budget_mb);
       }},
      {"gateway.max_connections",
       [&](std::string_view v) {
         return parse_int<std::size_t>(v, 1, 1000000, s.gateway_max_connections);
       }},
      {"gateway.max_connections_per_client",
       [&](std::string_view v) {
         return parse_int<std::size_t>(v, 1, 1000000, s.gateway_max_connections_per_client);
       }},
      {"gateway.header_timeout_seconds",
       [&](std::string_view v) { return parse_duration(v, 1, 3600, s.gateway_header_timeout); }},
      {"gateway.idle_timeout_seconds",
       [&](std::string_view v) { return parse_duration(v, 1, 3600, s.gateway_idle_timeout); }},
      {"gateway.client_body_budget_mb",
       [&](std::string_view v) {
         return parse_int<std::size_t>(v, 10, 1048576, s.gateway_client_body_budget_mb);
       }},
      {"gateway.body_grace_seconds",
       [&](std::string_view v) { return parse_duration(v, 1, 3600, s.gateway_body_grace); }},
      {"gateway.body_min_rate_kib",
       [&](std::string_view v) {
         return parse_int<std::size_t>(v, 1, 1048576, s.gateway_body_min_rate_kib);
       }},
      {"gateway.max_queued_jobs",
       [&](std::string_view v) {
         return parse_int<std::size_t>(v, 1, 1000000, s.gateway_max_queued_jobs);
       }},
      {"logs.retention_days",
       [&](std::string_view v) { return parse_int<int>(v, 1, 3650, s.logs_retention_days); }},
  };
  for (const auto& key : config_keys()) {
    const std::string* raw = nullptr;
    std::string source;
    if (auto it = layers.flags.find(key.name); it != layers.flags.end()) {
      raw = &it->second;
      source = std::string(key.flag);
    } else if (auto it2 = layers.env.find(key.name); it2 != layers.env.end()) {
      raw = &it2->second;
      source = env_name(key.name);
    } else if (auto it3 = layers.file.find(key.name); it3 != layers.file.end()) {
      raw = &it3->second;
      source = "config file key " + std::string(key.name);
    }
    if (raw == nullptr) continue;
    auto parser = parsers.find(key.name);
    if (parser == parsers.end())
      return Error::internal("no parser for key " + std::string(key.name));
    if (Status st = parser->second(*raw); !st.ok()) {
      return Error::invalid_argument(source + ": " + st.error().message);
    }
  }
  return s;
}

}  // namespace cloudlet
