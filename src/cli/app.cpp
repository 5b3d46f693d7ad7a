#include "cli/app.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "core/log.hpp"

namespace cloudlet::cli {

void die(const std::string& message) {
  std::cerr << "cloudlet: " << log::redact(message) << "\n";
  std::exit(1);
}

namespace {
sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}
}  // namespace

void block_stop_signals() {
  sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::string wait_for_stop_signal() {
  sigset_t set = stop_signals();
  int sig = 0;
  sigwait(&set, &sig);
  return sig == SIGINT ? "SIGINT" : "SIGTERM";
}

void add_config_flags(CLI::App& app, GlobalOptions& options) {
  app.add_option("--config", options.config_file, "YAML configuration file (also CLOUDLET_CONFIG)");
  for (const auto& key : config_keys()) {
    if (key.flag.empty()) continue;
    std::string name(key.name);
    app.add_option_function<std::string>(
        std::string(key.flag),
        [&options, name](const std::string& v) { options.flag_values[name] = v; },
        std::string(key.description) + " [env " + env_name(key.name) + "]");
  }
}

Settings load_settings_or_exit(const GlobalOptions& options) {
  ConfigLayers layers;
  for (const auto& [k, v] : options.flag_values) layers.flags.emplace(k, v);
  layers.env = read_environment();
  std::string file = options.config_file;
  if (file.empty()) {
    if (const char* env = std::getenv("CLOUDLET_CONFIG")) file = env;
  }
  if (!file.empty()) {
    auto read = read_config_file(file);
    if (!read.ok()) die(read.error().message);
    layers.file = std::move(*read);
  }
  auto settings = resolve_settings(layers);
  if (!settings.ok()) die(settings.error().message);
  log::Level level = log::Level::kInfo;
  log::parse_level(settings->log_level, level);
  log::set_level(level);
  return *settings;
}

pg::PoolSettings pool_settings(const Settings& settings, const std::string& url) {
  pg::PoolSettings p;
  p.url = url;
  p.size = settings.db_pool_size;
  p.query_timeout = settings.db_query_timeout;
  return p;
}

namespace {

// Who runs the embedded cluster: the pid of a live cloudlet process, 0 for a
// cluster started on purpose by `cloudlet db start`, or nullopt when nobody
// does (never started, or the owner died and left it running).
std::optional<pid_t> live_owner(const std::filesystem::path& data_dir) {
  std::ifstream in(data_dir / "owner.pid");
  std::string word;
  if (!(in >> word)) return std::nullopt;
  if (word == "detached") return 0;
  long pid = std::atol(word.c_str());
  if (pid <= 0) return std::nullopt;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return std::nullopt;
  return static_cast<pid_t>(pid);
}

}  // namespace

void Database::release() {
  if (!cluster || !started_here) return;
  if (Status s = cluster->stop(); !s.ok())
    log::error("db.cluster.stop_failed", {{"error", s.error().message}});
  std::error_code ec;
  std::filesystem::remove(cluster->options().data_dir / "owner.pid", ec);
  started_here = false;
}

Database::~Database() { release(); }

void Database::fail(const std::string& message) {
  release();
  die(message);
}

Result<Database> open_database(const Settings& settings, bool start) {
  Database database;
  if (!settings.database_url.empty()) {
    database.url = settings.database_url;
    return database;
  }
  auto cluster =
      db::EmbeddedCluster::locate({.data_dir = settings.data_dir, .port = settings.pg_port});
  if (!cluster.ok()) return cluster.error();
  database.cluster.emplace(std::move(*cluster));
  const auto& data_dir = database.cluster->options().data_dir;
  if (auto owner = live_owner(data_dir);
      owner && *owner != ::getpid() && database.cluster->running()) {
    // Another cloudlet (e.g. `up`) is serving this cluster: share it.
    database.shared_with = *owner;
  } else if (start) {
    auto created = database.cluster->ensure_initialized();
    if (!created.ok()) return created.error();
    if (*created) {
      log::info("db.cluster.created", {{"pgdata", database.cluster->pgdata().string()}});
    }
    if (Status s = database.cluster->start(); !s.ok()) return s.error();
    database.started_here = true;
    std::ofstream(data_dir / "owner.pid") << ::getpid() << "\n";
  } else {
    auto url =
        db::EmbeddedCluster::read_url(database.cluster->options().data_dir, settings.pg_port);
    if (!url.ok()) return url.error();
  }
  database.url = database.cluster->url();
  return database;
}

}  // namespace cloudlet::cli
