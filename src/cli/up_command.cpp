// `cloudlet up`: the whole system on one machine.
#include <iostream>

#include "cli/app.hpp"
#include "cli/services.hpp"
#include "core/log.hpp"
#include "db/migrations.hpp"

namespace cloudlet::cli {

namespace {

// Where to reach each service and which credentials to use. Secrets stay in
// their files (mode 0600); the banner shows commands that read them.
void print_banner(const Settings& settings, const std::string& database_url,
                  const std::vector<ServicePtr>& services, const auth::GeneratedKey& credentials) {
  std::error_code ec;
  std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec) self = "cloudlet";
  std::string flags = " --data-dir " + settings.data_dir.string();
  if (!settings.credentials_file.empty())
    flags += " --credentials-file " + settings.credentials_file;
  auto row = [](std::string_view label) {
    return "  " + std::string(label) + std::string(label.size() < 16 ? 16 - label.size() : 1, ' ');
  };
  std::cout << "cloudlet is up\n"
            << row("data directory") << std::filesystem::absolute(settings.data_dir).string()
            << "\n"
            << row("postgres") << "DATABASE_URL=" << log::redact(database_url)
            << "  (the password is in "
            << (settings.database_url.empty() ? "pg.password" : "your --database-url") << ")\n"
            << row("") << "psql \"$(" << self << " db url" << flags << " --pg-port "
            << settings.pg_port << ")\"\n";
  for (const auto& service : services)
    std::cout << row(service->name()) << service->endpoint() << "\n";
  std::cout << row("credentials") << std::filesystem::absolute(credentials.file).string()
            << (credentials.created ? "  (new development key " + credentials.access_key_id +
                                          ", full access; secret in the file)"
                                    : "")
            << "\n"
            << row("try") << "curl --aws-sigv4 \"aws:amz:" << settings.region
            << ":execute-api\" --user \"$(" << self << " credentials" << flags
            << ")\" -H 'content-type: application/json' -d '{\"id\":1}' http://"
            << settings.gateway_listen << "/contacts_get_by_contact_id\n"
            << row("") << "eval \"$(" << self << " credentials --format env" << flags
            << ")\" sets AWS_* for the AWS CLI and boto3\n";
}

void run_up(const GlobalOptions& options) {
  block_stop_signals();
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
  if (!applied.ok()) database.fail(applied.error().message);
  for (const auto& name : *applied) log::info("db.migration.applied", {{"name", name}});

  auto credentials = ensure_gateway_credentials(settings);
  if (!credentials.ok()) database.fail(credentials.error().message);
  auto built = build_services({settings, pool, database.url});
  if (!built.ok()) database.fail(built.error().message);
  std::vector<ServicePtr> services = std::move(*built);
  std::size_t started = 0;
  for (; started < services.size(); ++started) {
    if (Status s = services[started]->start(); !s.ok()) {
      std::cerr << "cloudlet: " << services[started]->name()
                << " did not start: " << log::redact(s.error().message) << "\n";
      break;
    }
  }
  bool all_started = started == services.size();
  if (all_started) {
    print_banner(settings, database.url, services, *credentials);
    std::cout << "Press Ctrl-C to stop.\n" << std::flush;
    log::info("up.stopping", {{"signal", wait_for_stop_signal()}});
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
  auto* up =
      app.add_subcommand("up", "run every service on one machine, on the embedded PostgreSQL");
  up->callback([&options] { run_up(options); });
}

}  // namespace cloudlet::cli
