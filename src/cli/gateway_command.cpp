// `cloudlet gateway`: the HTTP gateway alone, and the gateway's wiring that
// `cloudlet up` reuses (routes file, credentials, contacts functions, logs).
#include <pthread.h>
#include <signal.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "auth/principals.hpp"
#include "cli/app.hpp"
#include "core/log.hpp"
#include "events/ingest.hpp"
#include "functions/contacts_handlers.hpp"
#include "functions/pg_contacts_repository.hpp"
#include "gateway/server.hpp"
#include "logs/log_groups.hpp"

namespace cloudlet::cli {

namespace {

// Owns what the server borrows (log writer, repository, pool) and stops them
// in the right order: server first, then the log is flushed.
class WiredGateway final : public Service {
 public:
  WiredGateway(std::shared_ptr<pg::Pool> pool, std::shared_ptr<functions::ContactsRepository> repo,
               std::unique_ptr<logs::LogWriter> log, gateway::ServerOptions options,
               gateway::Dependencies deps)
      : pool_(std::move(pool)), repo_(std::move(repo)), log_(std::move(log)) {
    deps.log = log_.get();
    service_ = std::make_unique<gateway::GatewayService>(std::move(options), std::move(deps));
  }
  ~WiredGateway() override { stop(); }
  std::string name() const override { return "gateway"; }
  Status start() override { return service_->start(); }
  void stop() override {
    service_->stop();
    log_->stop();
  }
  std::string endpoint() const override { return service_->endpoint(); }

 private:
  std::shared_ptr<pg::Pool> pool_;
  std::shared_ptr<functions::ContactsRepository> repo_;
  std::unique_ptr<logs::LogWriter> log_;
  std::unique_ptr<gateway::GatewayService> service_;
};

// PutEvents for the gateway's EventBridge-PutEvents routes: into the bus's
// durable inbox on the same database, routed by whichever process runs the
// bus (`up` does; `cloudlet gateway` alone needs a `cloudlet events`).
std::shared_ptr<events::EventIngest> make_event_ingest(const Settings& settings,
                                                       std::shared_ptr<pg::Pool> pool) {
  events::ApiSettings api;
  api.region = settings.region;
  api.account_id = settings.account_id;
  api.max_put_events_bytes = settings.events_max_put_events_bytes;
  return std::make_shared<events::EventIngest>(api, std::move(pool));
}

}  // namespace

std::filesystem::path credentials_path(const Settings& settings) {
  return settings.credentials_file.empty() ? settings.data_dir / "credentials.json"
                                           : std::filesystem::path(settings.credentials_file);
}

Result<auth::GeneratedKey> ensure_gateway_credentials(const Settings& settings) {
  // Only the default location gets a generated key: a configured file is the
  // operator's, and a missing one is their error, reported at load.
  if (!settings.credentials_file.empty())
    return auth::GeneratedKey{{}, settings.credentials_file, false};
  return auth::ensure_dev_credentials(credentials_path(settings));
}

Result<ServicePtr> make_gateway_service(const Settings& settings, std::shared_ptr<pg::Pool> pool) {
  std::string routes_text(gateway::default_routes_json());
  if (!settings.gateway_routes_file.empty()) {
    std::ifstream in(settings.gateway_routes_file, std::ios::binary);
    if (!in)
      return Error::invalid_argument("cannot read routes file " + settings.gateway_routes_file);
    std::stringstream ss;
    ss << in.rdbuf();
    routes_text = ss.str();
  }
  auto routes = gateway::RouteTable::compile(routes_text);
  if (!routes.ok()) return routes.error();
  auto creds =
      auth::load_principals({.file = credentials_path(settings), .account_id = settings.account_id},
                            !settings.credentials_file.empty());
  if (!creds.ok()) return creds.error();
  if ((*creds)->size() == 0) {
    log::warn("gateway.no_credentials",
              {{"hint",
                "no principal: every AWS_IAM route answers 403; set CLOUDLET_ACCESS_KEY_ID and "
                "CLOUDLET_SECRET_ACCESS_KEY or give --credentials-file"}});
  }
  auto listen = settings.gateway_listen;
  auto colon = listen.rfind(':');
  gateway::ServerOptions options;
  options.host = listen.substr(0, colon);
  options.port = static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1)));
  options.io_threads = settings.gateway_io_threads;
  options.workers =
      settings.gateway_workers != 0 ? settings.gateway_workers : settings.db_pool_size;
  options.max_connections = settings.gateway_max_connections;
  options.body_budget_bytes = settings.gateway_body_budget_mb * 1024 * 1024;
  options.max_connections_per_client = settings.gateway_max_connections_per_client;
  options.idle_timeout = settings.gateway_idle_timeout;
  options.header_timeout = settings.gateway_header_timeout;
  options.client_body_budget_bytes = settings.gateway_client_body_budget_mb * 1024 * 1024;
  options.body_grace = settings.gateway_body_grace;
  options.body_min_bytes_per_second = settings.gateway_body_min_rate_kib * 1024;
  options.max_queued_jobs = settings.gateway_max_queued_jobs;

  auto ingest = make_event_ingest(settings, pool);
  auto repo = std::make_shared<functions::PgContactsRepository>(*pool);
  gateway::Dependencies deps;
  deps.routes = *routes;
  deps.principals = *creds;
  deps.sigv4 = auth::Settings::gateway(settings.region);
  deps.sigv4.max_skew = settings.clock_skew;
  deps.account_id = settings.account_id;
  deps.api_id = settings.api_id;
  for (auto& [name, handler] : functions::contacts_functions(repo))
    deps.functions.emplace(name, handler);
  deps.ready = [p = pool.get()] { return p->ping(); };
  deps.put_events = [ingest](const std::string& request) { return ingest->put_events(request); };
  auto log = std::make_unique<logs::LogWriter>(logs::Options{
      .root = settings.data_dir / "logs", .retention_days = settings.logs_retention_days});
  return ServicePtr(std::make_unique<WiredGateway>(std::move(pool), std::move(repo), std::move(log),
                                                   std::move(options), std::move(deps)));
}

namespace {

void run_gateway(const GlobalOptions& options) {
  block_stop_signals();
  Settings settings = load_settings_or_exit(options);
  auto opened = open_database(settings, true);
  if (!opened.ok()) die(opened.error().message);
  Database database = std::move(*opened);
  auto pool = std::make_shared<pg::Pool>(pool_settings(settings, database.url));
  auto service = make_gateway_service(settings, pool);
  if (!service.ok()) database.fail(service.error().message);
  if (Status s = (*service)->start(); !s.ok()) database.fail(s.error().message);
  std::cout << "gateway listening on " << (*service)->endpoint() << "\n"
            << "  routes          "
            << (settings.gateway_routes_file.empty() ? "built-in default routes"
                                                     : settings.gateway_routes_file)
            << "\n  access log      "
            << (settings.data_dir / "logs/aws/api_gw" / settings.api_id).string()
            << "/\nPress Ctrl-C to stop.\n"
            << std::flush;
  log::info("gateway.stopping", {{"signal", wait_for_stop_signal()}});
  (*service)->stop();
  service->reset();
  pool.reset();
  database.release();
  std::cout << "gateway stopped\n";
}

}  // namespace

void add_gateway_command(CLI::App& app, GlobalOptions& options) {
  auto* cmd = app.add_subcommand("gateway", "run the HTTP gateway (API Gateway HTTP API) alone");
  cmd->callback([&options] { run_gateway(options); });
}

}  // namespace cloudlet::cli
