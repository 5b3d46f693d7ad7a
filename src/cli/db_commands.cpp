// `cloudlet db url|start|stop|migrate|status|seed`.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/app.hpp"
#include "core/log.hpp"
#include "db/migrations.hpp"
#include "db/seed.hpp"

namespace cloudlet::cli {

namespace {

std::vector<db::Migration> migrations_or_exit(const std::string& dir) {
  if (dir.empty()) return db::embedded_migrations();
  auto loaded = db::load_migrations(dir);
  if (!loaded.ok()) die(loaded.error().message);
  return *loaded;
}

Database database_or_exit(const Settings& settings, bool start) {
  auto database = open_database(settings, start);
  if (!database.ok()) die(database.error().message);
  return std::move(*database);
}

// A one-line progress bar on a terminal; silent otherwise.
void draw_progress(long long done, long long total) {
  if (::isatty(STDERR_FILENO) == 0 || total <= 0) return;
  constexpr int kWidth = 40;
  int filled = static_cast<int>(kWidth * done / total);
  std::fprintf(stderr, "\r  [%.*s%*s] %lld/%lld contacts", filled,
               "########################################", kWidth - filled, "", done, total);
  if (done == total) std::fprintf(stderr, "\n  inserting, indexing and committing...\n");
}

}  // namespace

void add_db_commands(CLI::App& app, GlobalOptions& options) {
  auto* db_cmd = app.add_subcommand("db", "the database: embedded cluster, migrations, test data");
  db_cmd->require_subcommand(1);

  auto* url = db_cmd->add_subcommand("url", "print the DATABASE_URL (psql \"$(cloudlet db url)\")");
  url->callback([&options] {
    Settings settings = load_settings_or_exit(options);
    if (!settings.database_url.empty()) {
      std::cout << settings.database_url << "\n";
      return;
    }
    auto u = db::EmbeddedCluster::read_url(std::filesystem::absolute(settings.data_dir),
                                           settings.pg_port);
    if (!u.ok()) die(u.error().message);
    std::cout << *u << "\n";
  });

  auto* start = db_cmd->add_subcommand(
      "start", "create (first time), start and migrate the embedded cluster, and leave it running");
  start->callback([&options] {
    Settings settings = load_settings_or_exit(options);
    Database database = database_or_exit(settings, true);
    pg::Pool pool(pool_settings(settings, database.url));
    if (auto r = db::migrate(pool, db::embedded_migrations()); !r.ok()) die(r.error().message);
    if (database.started_here) {
      // Leave it running, marked as started on purpose so that later
      // commands share it instead of treating it as a crash leftover.
      database.started_here = false;
      std::ofstream(std::filesystem::absolute(settings.data_dir) / "owner.pid") << "detached\n";
    }
    std::cout << "PostgreSQL is running: DATABASE_URL=" << log::redact(database.url) << "\n"
              << "the full URL, password included: cloudlet db url\n"
              << "stop it with: cloudlet db stop\n";
  });

  auto* stop = db_cmd->add_subcommand("stop", "stop the embedded cluster");
  stop->callback([&options] {
    Settings settings = load_settings_or_exit(options);
    auto cluster =
        db::EmbeddedCluster::locate({.data_dir = settings.data_dir, .port = settings.pg_port});
    if (!cluster.ok()) die(cluster.error().message);
    if (Status s = cluster->stop(); !s.ok()) die(s.error().message);
    std::error_code ec;
    std::filesystem::remove(cluster->options().data_dir / "owner.pid", ec);
    std::cout << "PostgreSQL stopped\n";
  });

  static std::string migrations_dir;
  auto* migrate = db_cmd->add_subcommand("migrate", "apply pending migrations (a no-op when none)");
  migrate->add_option("--migrations-dir", migrations_dir,
                      "read migrations from this folder instead of those built in");
  migrate->callback([&options] {
    Settings settings = load_settings_or_exit(options);
    auto files = migrations_or_exit(migrations_dir);
    Database database = database_or_exit(settings, true);
    pg::Pool pool(pool_settings(settings, database.url));
    auto applied = db::migrate(pool, files);
    if (!applied.ok()) die(applied.error().message);
    if (applied->empty()) std::cout << "migrations: up to date (" << files.size() << " applied)\n";
    for (const auto& name : *applied) std::cout << "applied " << name << "\n";
  });

  auto* status = db_cmd->add_subcommand("status", "list migrations and whether each is applied");
  status->add_option("--migrations-dir", migrations_dir,
                     "read migrations from this folder instead of those built in");
  status->callback([&options] {
    Settings settings = load_settings_or_exit(options);
    auto files = migrations_or_exit(migrations_dir);
    Database database = database_or_exit(settings, true);
    pg::Pool pool(pool_settings(settings, database.url));
    auto applied = db::read_applied(pool);
    if (!applied.ok()) die(applied.error().message);
    std::printf("%-8s %-40s %-13s %s\n", "VERSION", "NAME", "STATE", "APPLIED AT");
    for (const auto& row : db::describe_migrations(files, *applied)) {
      std::printf("%-8d %-40s %-13s %s\n", row.version, row.name.c_str(), row.state.c_str(),
                  row.applied_at.c_str());
    }
  });

  static db::SeedOptions seed_options;
  auto* seed = db_cmd->add_subcommand("seed", "load generated contacts for benchmarks (COPY)");
  seed->add_option("--contacts", seed_options.contacts, "contacts to add")
      ->required()
      ->check(CLI::Range(1LL, 100000000LL));
  seed->add_option("--companies", seed_options.companies, "companies to add first")
      ->check(CLI::Range(0LL, 1000000LL));
  seed->add_option("--random-seed", seed_options.random_seed,
                   "generator seed (same seed, same data)");
  seed->callback([&options] {
    Settings settings = load_settings_or_exit(options);
    Database database = database_or_exit(settings, true);
    pg::PoolSettings ps = pool_settings(settings, database.url);
    ps.query_timeout = std::chrono::hours(1);  // a bulk load is one long statement
    pg::Pool pool(ps);
    if (auto r = db::migrate(pool, db::embedded_migrations()); !r.ok()) die(r.error().message);
    auto started = std::chrono::steady_clock::now();
    auto report = db::seed(pool, seed_options, draw_progress);
    if (!report.ok()) die(report.error().message);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("seeded %lld companies and %lld contacts in %.1f s\n", report->companies_added,
                report->contacts_added, secs);
  });
}

}  // namespace cloudlet::cli
