// `cloudlet events`: the event bus alone (its API, routing, delivery and
// schedules), the wiring `cloudlet up` reuses, and `cloudlet events
// dead-letters` to read the dead-letter store.
#include <boost/json/serialize.hpp>
#include <iostream>

#include "cli/app.hpp"
#include "core/log.hpp"
#include "core/uuid.hpp"
#include "events/api.hpp"
#include "events/bench_match.hpp"
#include "events/default_rules.hpp"
#include "events/event_appender.hpp"
#include "events/http_api.hpp"
#include "events/runtime.hpp"
#include "events/store.hpp"
#include "functions/contacts_handlers.hpp"
#include "functions/pg_contacts_repository.hpp"

namespace cloudlet::cli {

namespace {

std::pair<std::string, std::uint16_t> split_listen(const std::string& listen) {
  auto colon = listen.rfind(':');
  return {listen.substr(0, colon), static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1)))};
}

std::vector<std::string> comma_list(std::string_view rest) {
  std::vector<std::string> out;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

// What targets may name (events.usermgmt_targets, whose default is the four
// local UserManagement servers; events.http_targets; events.run_command_*)
// and the functions this process hosts for function targets.
events::TargetPolicy target_policy(const Settings& settings, const events::FunctionMap& functions) {
  events::TargetPolicy policy;
  policy.usermgmt_servers = comma_list(settings.events_usermgmt_targets);
  if (policy.usermgmt_servers.empty()) {
    for (int i = 0; i < 4; ++i)
      policy.usermgmt_servers.push_back(settings.usermgmt_host + ":" +
                                        std::to_string(settings.usermgmt_base_port + i));
  }
  policy.http_origins = comma_list(settings.events_http_targets);
  policy.run_command.enabled = settings.events_run_command_enabled;
  policy.run_command.programs = comma_list(settings.events_run_command_programs);
  policy.run_command.shell = settings.events_run_command_shell;
  policy.run_command.timeout = settings.events_run_command_timeout;
  for (const auto& [name, handler] : functions) policy.functions.push_back(name);
  return policy;
}

// The contacts functions, on the bus's own pool, for function targets.
std::shared_ptr<const events::FunctionMap> hosted_functions(pg::Pool& pool) {
  auto repo = std::make_shared<functions::PgContactsRepository>(pool);
  auto map = std::make_shared<events::FunctionMap>();
  for (auto& [name, handler] : functions::contacts_functions(repo)) map->emplace(name, handler);
  return map;
}

// Owns the bus's parts and stops them in order: the API first (no new
// events), then the appender (every accepted call answered), then the
// background work.
class WiredEvents final : public Service {
 public:
  WiredEvents(const Settings& settings, std::shared_ptr<pg::Pool> pool,
              std::shared_ptr<const auth::Principals> principals)
      : pool_(std::move(pool)), store_(*pool_), appender_(store_) {
    events::ApiSettings api;
    api.region = settings.region;
    api.account_id = settings.account_id;
    api.max_put_events_bytes = settings.events_max_put_events_bytes;
    api.max_event_pattern_chars = settings.events_max_event_pattern_chars;
    auto functions = hosted_functions(*pool_);
    api.targets = target_policy(settings, *functions);
    events::RuntimeSettings rt;
    rt.region = settings.region;
    rt.account_id = settings.account_id;
    rt.delivery_workers = settings.events_delivery_workers;
    rt.max_deliveries_per_target = settings.events_max_deliveries_per_target;
    rt.backoff.initial = settings.events_retry_initial_backoff;
    rt.targets = api.targets;
    rt.dead_letter_retention = std::chrono::hours(24 * settings.events_dead_letter_retention_days);
    rt.functions = std::move(functions);
    runtime_ = std::make_unique<events::EventBusRuntime>(rt, store_);
    api_ = std::make_unique<events::EventBusApi>(
        api, store_, appender_, [] { return random_uuid(); }, [r = runtime_.get()] { r->wake(); });
    auto [host, port] = split_listen(settings.events_listen);
    http::ServerOptions options;
    options.name = "events";
    options.host = host;
    options.port = port;
    options.workers = settings.db_pool_size;
    options.max_body_bytes = 2 * settings.events_max_put_events_bytes + 65536;
    events::HttpApiDependencies deps;
    deps.api = api_.get();
    deps.principals = std::move(principals);
    deps.sigv4 = auth::Settings::event_bus(settings.region);
    deps.sigv4.max_skew = settings.events_clock_skew;
    deps.ready = [p = pool_.get()] { return p->ping(); };
    host_ = host;
    http_ = std::make_unique<events::HttpApi>(options, std::move(deps));
    if (settings.events_default_rules) {
      defaults_ = events::seed_rules(settings.usermgmt_host, settings.usermgmt_base_port,
                                     settings.region, settings.account_id);
    }
  }
  ~WiredEvents() override { stop(); }

  std::string name() const override { return "events"; }
  Status start() override {
    auto created = events::ensure_rules(store_, defaults_);
    if (!created.ok()) return created.error();
    for (const auto& rule : *created) log::info("events.default_rule_created", {{"rule", rule}});
    runtime_->start();
    return http_->start();
  }
  void stop() override {
    http_->stop();
    runtime_->stop();
  }
  std::string endpoint() const override {
    return "http://" + host_ + ":" + std::to_string(http_->port()) +
           "  (aws events --endpoint-url)";
  }

 private:
  std::shared_ptr<pg::Pool> pool_;
  events::EventStore store_;
  events::EventAppender appender_;
  std::unique_ptr<events::EventBusRuntime> runtime_;
  std::unique_ptr<events::EventBusApi> api_;
  std::unique_ptr<events::HttpApi> http_;
  std::vector<events::DefaultRule> defaults_;
  std::string host_;
};

void run_events(const GlobalOptions& options) {
  block_stop_signals();
  Settings settings = load_settings_or_exit(options);
  auto opened = open_database(settings, true);
  if (!opened.ok()) die(opened.error().message);
  Database database = std::move(*opened);
  auto pool = std::make_shared<pg::Pool>(pool_settings(settings, database.url));
  auto service = make_events_service(settings, pool);
  if (!service.ok()) database.fail(service.error().message);
  if (Status s = (*service)->start(); !s.ok()) database.fail(s.error().message);
  std::cout << "events listening on " << (*service)->endpoint() << "\nPress Ctrl-C to stop.\n"
            << std::flush;
  log::info("events.stopping", {{"signal", wait_for_stop_signal()}});
  (*service)->stop();
  service->reset();
  pool.reset();
  database.release();
  std::cout << "events stopped\n";
}

void run_dead_letters(const GlobalOptions& options, const std::string& bus, int limit) {
  Settings settings = load_settings_or_exit(options);
  auto opened = open_database(settings, true);
  if (!opened.ok()) die(opened.error().message);
  Database database = std::move(*opened);
  pg::Pool pool(pool_settings(settings, database.url));
  events::EventStore store(pool);
  std::optional<std::string_view> only;
  if (!bus.empty()) only = bus;
  auto letters = store.list_dead_letters(only, 0, limit);
  if (!letters.ok()) database.fail(letters.error().message);
  // One JSON line per dead letter, with AWS's attribute names.
  for (const auto& d : *letters) {
    boost::json::object o;
    o["Id"] = d.id;
    o["EventId"] = d.event_id;
    o["EventBusName"] = d.bus;
    o["RULE_ARN"] = d.rule_arn;
    o["TARGET_ARN"] = d.target_arn;
    o["ERROR_CODE"] = d.error_code;
    o["ERROR_MESSAGE"] = d.error_message;
    if (d.exhausted_retry_condition) o["EXHAUSTED_RETRY_CONDITION"] = *d.exhausted_retry_condition;
    o["RETRY_ATTEMPTS"] = d.retry_attempts;
    o["Payload"] = d.payload;
    std::cout << boost::json::serialize(o) << "\n";
  }
  database.release();
}

}  // namespace

Result<ServicePtr> make_events_service(const Settings& settings, std::shared_ptr<pg::Pool> pool) {
  auto principals =
      auth::load_principals({.file = credentials_path(settings), .account_id = settings.account_id},
                            !settings.credentials_file.empty());
  if (!principals.ok()) return principals.error();
  return ServicePtr(std::make_unique<WiredEvents>(settings, std::move(pool), *principals));
}

void add_events_command(CLI::App& app, GlobalOptions& options) {
  auto* cmd = app.add_subcommand(
      "events", "run the event bus (EventBridge API, rules, targets, schedules) alone");
  cmd->callback([&options, cmd] {
    if (cmd->get_subcommands().empty()) run_events(options);
  });
  auto* dead = cmd->add_subcommand("dead-letters",
                                   "print the dead-letter store, one JSON line per event given up");
  auto bus = std::make_shared<std::string>();
  auto limit = std::make_shared<int>(100);
  dead->add_option("--bus", *bus, "only this event bus");
  dead->add_option("--limit", *limit, "at most this many")->check(CLI::Range(1, 10000));
  dead->callback([&options, bus, limit] { run_dead_letters(options, *bus, *limit); });

  // The matching benchmark (bench/events/run.sh): no database, one thread.
  auto bench = cmd->add_subcommand(
      "bench-match", "match events against patterns on one thread; prints one JSON line");
  auto bench_options = std::make_shared<events::BenchMatchOptions>();
  bench
      ->add_option("--patterns", bench_options->patterns_path,
                   "JSON lines {\"name\": ..., \"pattern\": {...}}")
      ->required();
  bench->add_option("--events", bench_options->events_path, "JSON lines, one event each")
      ->required();
  bench->add_option("--seconds", bench_options->seconds, "how long to loop (default 5)")
      ->check(CLI::Range(0.1, 3600.0));
  bench->add_flag("--naive", bench_options->naive,
                  "the baseline: every pattern's matches() in turn, no index");
  bench->callback([bench_options] {
    auto result = events::run_bench_match(*bench_options);
    if (!result.ok()) die(result.error().message);
    std::cout << *result << "\n";
  });
}

}  // namespace cloudlet::cli
