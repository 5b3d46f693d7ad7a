// Shared plumbing of the `cloudlet` command: settings from flags,
// environment and file, and the database every command uses.
#pragma once

#include <sys/types.h>

#include <CLI/CLI.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "auth/principals.hpp"
#include "core/config.hpp"
#include "core/pg_pool.hpp"
#include "core/service.hpp"
#include "db/cluster.hpp"

namespace cloudlet::cli {

// Holds raw flag values until the command runs.
struct GlobalOptions {
  std::map<std::string, std::string> flag_values;  // key -> value, only flags given
  std::string config_file;
};

// Adds every configuration key as a flag of `app` (usable after any subcommand).
void add_config_flags(CLI::App& app, GlobalOptions& options);
// Resolves Settings (flags > env > file > defaults) or exits with a message.
Settings load_settings_or_exit(const GlobalOptions& options);

// The database of this run: the embedded cluster (started if `start`) or the
// one given by --database-url.
// Stops the cluster on destruction if this process started it.
struct Database {
  Database() = default;
  Database(Database&& other) noexcept
      : cluster(std::move(other.cluster)),
        url(std::move(other.url)),
        started_here(std::exchange(other.started_here, false)),
        shared_with(other.shared_with) {}
  Database& operator=(Database&&) = delete;
  ~Database();
  void release();
  // Stops the cluster if this process started it, then exits with `message`:
  // a command that fails after opening the database leaves nothing running.
  [[noreturn]] void fail(const std::string& message);

  std::optional<db::EmbeddedCluster> cluster;  // set when embedded
  std::string url;
  bool started_here = false;
  std::optional<pid_t> shared_with;  // who runs the cluster: a live cloudlet's pid, 0 = `db start`
};
Result<Database> open_database(const Settings& settings, bool start);
pg::PoolSettings pool_settings(const Settings& settings, const std::string& url);

[[noreturn]] void die(const std::string& message);

// Long-running commands call block_stop_signals() before any thread starts,
// so every thread inherits the mask and only wait_for_stop_signal() takes
// SIGINT/SIGTERM; it returns the signal's name.
void block_stop_signals();
std::string wait_for_stop_signal();

void add_db_commands(CLI::App& app, GlobalOptions& options);
void add_up_command(CLI::App& app, GlobalOptions& options);
void add_gateway_command(CLI::App& app, GlobalOptions& options);
void add_usermgmt_commands(CLI::App& app, GlobalOptions& options);
void add_events_command(CLI::App& app, GlobalOptions& options);
// The event bus: API, routing, delivery, schedules, the seed's default rules
// (events_command.cpp); `up` and `cloudlet events` both use it.
Result<ServicePtr> make_events_service(const Settings& settings, std::shared_ptr<pg::Pool> pool);

// The gateway with its routes, credentials, contacts functions and logs
// (gateway_command.cpp); `up` and `cloudlet gateway` both use it.
Result<ServicePtr> make_gateway_service(const Settings& settings, std::shared_ptr<pg::Pool> pool);
// The gateway's credentials file: credentials_file, or <data_dir>/credentials.json.
std::filesystem::path credentials_path(const Settings& settings);
void add_credentials_command(CLI::App& app, GlobalOptions& options);
void add_openapi_command(CLI::App& app);
// First `up`: a development key pair with full access in <data_dir>/credentials.json.
Result<auth::GeneratedKey> ensure_gateway_credentials(const Settings& settings);
// The four UserManagement servers (none, memory, json at <data_dir>/users.json,
// postgres on `pool`) on usermgmt.host, base port + 0..3 (usermgmt_command.cpp).
std::vector<ServicePtr> make_usermgmt_services(const Settings& settings,
                                               std::shared_ptr<pg::Pool> pool);

}  // namespace cloudlet::cli
