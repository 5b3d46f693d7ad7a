// `cloudlet up`: the whole system on one machine.
#include <pthread.h>
#include <signal.h>

#include <iostream>

#include "cli/app.hpp"
#include "cli/services.hpp"
#include "core/log.hpp"
#include "db/migrations.hpp"

namespace cloudlet::cli {

namespace {

int wait_for_stop_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

void run_up(const GlobalOptions& options) {
  // Block the stop signals before any thread starts, so every thread
  // inherits the mask and only sigwait below takes them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  Settings settings = load_settings_or_exit(options);
  auto opened = open_database(settings, true);
  if (!opened.ok()) die(opened.error().message);
  Database database = std::move(*opened);
  if (database.shared_with && *database.shared_with > 0) {
    die("another cloudlet (pid " + std::to_string(*database.shared_with) +
        ") is already running on the data directory " + settings.data_dir.string() +
        "; stop it first, or use another --data-dir");
  }
  auto pool = std::make_shared<pg::Pool>(pool_settings(settings, database.url));
  auto applied = db::migrate(*pool, db::embedded_migrations());
  if (!applied.ok()) die(applied.error().message);
  for (const auto& name : *applied) log::info("db.migration.applied", {{"name", name}});

  auto credentials = ensure_gateway_credentials(settings);
  if (!credentials.ok()) die(credentials.error().message);
  std::vector<ServicePtr> services = build_services({settings, pool, database.url});
  std::size_t started = 0;
  for (; started < services.size(); ++started) {
    if (Status s = services[started]->start(); !s.ok()) {
      std::cerr << "cloudlet: " << services[started]->name() << " did not start: "
                << log::redact(s.error().message) << "\n";
      break;
    }
  }
  bool all_started = started == services.size();
  if (all_started) {
    std::cout << "cloudlet is up\n"
              << "  data directory  " << std::filesystem::absolute(settings.data_dir).string() << "\n"
              << "  postgres        DATABASE_URL=" << database.url << "\n"
              << "                  psql \"$(cloudlet db url --data-dir "
              << settings.data_dir.string() << ")\"\n";
    for (const auto& service : services) {
      std::cout << "  " << service->name() << std::string(16 - std::min<std::size_t>(15, service->name().size()), ' ')
                << service->endpoint() << "\n";
    }
    // Where the gateway's keys are; the secret stays in the file (mode 0600).
    std::cout << "  credentials     " << std::filesystem::absolute(credentials->file).string()
              << (credentials->created ? "  (new development key " + credentials->access_key_id +
                                             ", full access; secret in the file)"
                                       : "")
              << "\n";
    std::cout << "Press Ctrl-C to stop.\n" << std::flush;
    int sig = wait_for_stop_signal();
    log::info("up.stopping", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  }
  for (std::size_t i = started; i-- > 0;) services[i]->stop();
  services.clear();
  pool.reset();
  database.release();
  std::cout << "cloudlet stopped\n";
  if (!all_started) std::exit(1);
}

}  // namespace

void add_up_command(CLI::App& app, GlobalOptions& options) {
  auto* up = app.add_subcommand("up", "run every service on one machine, on the embedded PostgreSQL");
  up->callback([&options] { run_up(options); });
}

}  // namespace cloudlet::cli
