// cloudlet's configuration: one table of keys, four layers.
//
// Precedence, highest first: command-line flags > environment variables
// (CLOUDLET_<KEY>, dots become underscores: gateway.listen ->
// CLOUDLET_GATEWAY_LISTEN) > the YAML file (--config / CLOUDLET_CONFIG;
// nested maps or dotted keys) > built-in defaults. Every key is declared in
// `config_keys()`; an unknown key in the YAML file or a value that does not
// parse is an error that names the key and where it came from.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace cloudlet {

struct Settings {
  std::filesystem::path data_dir = ".cloudlet";
  std::string database_url;  // empty: use the embedded cluster under data_dir
  std::uint16_t pg_port = 54329;
  std::string log_level = "info";
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  std::string api_id = "cloudlet";
  std::string gateway_listen = "127.0.0.1:8080";
  std::string events_listen = "127.0.0.1:8081";
  // Event bus (src/events).
  std::chrono::seconds events_clock_skew{900};  // EventBridge's window, apart from the gateway's
  std::size_t events_max_put_events_bytes = 1048576;
  std::size_t events_max_event_pattern_chars = 2048;
  std::size_t events_delivery_workers = 8;
  std::size_t events_max_deliveries_per_target = 0;  // 0: half the workers
  std::chrono::milliseconds events_retry_initial_backoff{1000};
  bool events_default_rules = true;  // the seed's rules, created by `up` when missing
  // host:port list the gRPC targets may name; empty: the four local
  // UserManagement servers; "*": any.
  std::string events_usermgmt_targets;
  // host:port list HTTP targets may name; empty: none; "*": any.
  std::string events_http_targets;
  // Run Command targets run programs on this host: off unless enabled.
  bool events_run_command_enabled = false;
  std::string events_run_command_programs;  // comma-separated absolute paths; "*": any
  std::string events_run_command_shell;     // empty: each command exec'd directly
  std::chrono::seconds events_run_command_timeout{60};
  int events_dead_letter_retention_days = 14;  // 0: keep for ever
  std::string usermgmt_host = "127.0.0.1";
  std::uint16_t usermgmt_base_port = 50051;  // none, memory, json, postgres follow in order
  std::string credentials_file;              // empty: <data_dir>/credentials.json
  std::size_t db_pool_size = 16;
  std::chrono::milliseconds db_query_timeout{10000};
  std::chrono::seconds clock_skew{300};
  // Gateway (src/gateway): empty routes_file = the built-in default routes.
  std::string gateway_routes_file;
  std::size_t gateway_io_threads = 0;  // 0: one per core
  std::size_t gateway_workers = 0;     // 0: db_pool_size (handlers block on the pool)
  std::size_t gateway_max_connections = 4096;
  std::size_t gateway_body_budget_mb = 256;  // request bodies held at once, all connections
  std::size_t gateway_max_connections_per_client = 256;
  std::chrono::seconds gateway_idle_timeout{60};
  std::chrono::seconds gateway_header_timeout{10};
  std::size_t gateway_client_body_budget_mb = 32;  // the same, per client address
  std::chrono::seconds gateway_body_grace{10};     // a body's time before the minimum rate
  std::size_t gateway_body_min_rate_kib = 32;      // KiB/s a body must keep up after the grace
  std::size_t gateway_max_queued_jobs = 1024;      // integration calls waiting for a worker
  int logs_retention_days = 30;
};

struct ConfigKey {
  std::string_view name;         // dotted, as in the YAML file
  std::string_view flag;         // --flag-name (empty: not a flag)
  std::string_view description;  // for --help and the README
};

// All keys cloudlet understands.
const std::vector<ConfigKey>& config_keys();

// "gateway.listen" -> "CLOUDLET_GATEWAY_LISTEN".
std::string env_name(std::string_view key);

struct ConfigLayers {
  std::map<std::string, std::string, std::less<>> flags;  // key -> raw value
  std::map<std::string, std::string, std::less<>> env;
  std::map<std::string, std::string, std::less<>> file;
};

// Reads CLOUDLET_* variables for every known key from `environ`.
std::map<std::string, std::string, std::less<>> read_environment();
// Reads and flattens a YAML file; unknown keys are errors.
Result<std::map<std::string, std::string, std::less<>>> read_config_file(
    const std::filesystem::path& path);
// Resolves every key by precedence and parses it into Settings.
Result<Settings> resolve_settings(const ConfigLayers& layers);

}  // namespace cloudlet
