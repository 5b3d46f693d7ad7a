// `cloudlet usermgmt serve|client`, and the four usermgmt services that
// `cloudlet up` runs (none, memory, json, postgres on consecutive ports).
#include <google/protobuf/util/json_util.h>
#include <pthread.h>
#include <signal.h>

#include <array>
#include <cstdlib>
#include <iostream>

#include "cli/app.hpp"
#include "core/log.hpp"
#include "usermgmt/client.hpp"
#include "usermgmt/server.hpp"

namespace cloudlet::cli {

namespace {

constexpr std::array<std::string_view, 4> kStores = {"none", "memory", "json", "postgres"};

std::string default_listen(const Settings& settings, std::size_t store_index) {
  return settings.usermgmt_host + ":" + std::to_string(settings.usermgmt_base_port + store_index);
}

std::filesystem::path default_json_file(const Settings& settings) {
  return settings.data_dir / "users.json";
}

// The server for store `kStores[index]`; `pool` only for postgres.
ServicePtr make_server(std::size_t index, std::string listen, std::filesystem::path json_file,
                       std::shared_ptr<pg::Pool> pool) {
  usermgmt::ServerOptions options;
  options.name = "usermgmt-" + std::string(kStores[index]);
  options.listen = std::move(listen);
  usermgmt::StoreOpener open;
  switch (index) {
    case 0:
      open = [] { return Result<usermgmt::StorePtr>(usermgmt::make_none_store()); };
      break;
    case 1:
      open = [] { return Result<usermgmt::StorePtr>(usermgmt::make_memory_store()); };
      break;
    case 2:
      open = [json_file] { return usermgmt::open_json_store(json_file); };
      break;
    default:
      open = [pool] { return Result<usermgmt::StorePtr>(usermgmt::make_pg_store(pool)); };
      break;
  }
  return std::make_unique<usermgmt::UserManagementServer>(std::move(options), std::move(open));
}

void run_serve(const GlobalOptions& options, const std::string& store, std::string listen,
               std::string json_file) {
  block_stop_signals();
  Settings settings = load_settings_or_exit(options);
  std::size_t index = 0;
  while (index < kStores.size() && kStores[index] != store) ++index;
  if (index == kStores.size())
    die("usermgmt serve: --store must be none, memory, json or postgres");
  if (listen.empty()) listen = default_listen(settings, index);

  std::optional<Database> database;
  std::shared_ptr<pg::Pool> pool;
  if (store == "postgres") {
    // The embedded cluster must already run (`cloudlet db start` or `up`),
    // or --database-url names one. It may go down later: calls then get
    // UNAVAILABLE and health turns NOT_SERVING until it is back.
    auto opened = open_database(settings, false);
    if (!opened.ok()) die("usermgmt serve: " + opened.error().message);
    database.emplace(std::move(*opened));
    pool = std::make_shared<pg::Pool>(pool_settings(settings, database->url));
  }
  if (json_file.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(settings.data_dir, ec);
    json_file = default_json_file(settings).string();
  }
  ServicePtr server = make_server(index, listen, json_file, pool);
  if (Status s = server->start(); !s.ok())
    die(server->name() + " did not start: " + s.error().message);
  std::cout << server->name() << " listening on " << server->endpoint() << "\n" << std::flush;
  log::info("usermgmt.stopping", {{"signal", wait_for_stop_signal()}});
  server->stop();
  std::cout << server->name() << " stopped\n";
}

struct ClientOptions {
  std::string server;
  bool json = false;
  double timeout_seconds = 10;
  std::string name;
  std::int32_t age = -1;
  bool prefix = false;
  std::int32_t page_size = 0;
  std::string page_token;
  std::int32_t id = 0;
};

std::string to_json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

// The seed client's output for one user.
void print_user(const ::usermgmt::User& user) {
  std::cout << "User Details:\nNAME: " << user.name() << "\nAGE: " << user.age()
            << "\nID: " << user.id() << "\n";
}

template <class T>
T or_die(Result<T> result, const std::string& what) {
  if (!result.ok()) die("usermgmt client: " + what + ": " + result.error().message);
  return std::move(*result);
}

void run_client(const GlobalOptions& global, ClientOptions options, CLI::App* create,
                CLI::App* list, CLI::App* get, CLI::App* del) {
  Settings settings = load_settings_or_exit(global);
  if (options.server.empty()) {
    // The seed's client read its server from this variable.
    if (const char* env = std::getenv("server_address"); env != nullptr && *env != '\0')
      options.server = env;
  }
  if (options.server.empty()) options.server = default_listen(settings, 0);
  if (options.timeout_seconds <= 0) die("usermgmt client: --timeout must be positive");
  usermgmt::Client client(
      options.server,
      std::chrono::milliseconds(static_cast<long long>(options.timeout_seconds * 1000)));
  const std::string at = " on " + options.server;

  if (create->parsed()) {
    ::usermgmt::NewUser request;
    request.set_name(options.name);
    request.set_age(options.age);
    auto user = or_die(client.create_new_user(request), "cannot create the user" + at);
    if (options.json) {
      std::cout << to_json(user) << "\n";
    } else {
      print_user(user);
    }
  } else if (list->parsed()) {
    ::usermgmt::GetUsersParams request;
    request.set_name(options.name);
    if (options.prefix) request.set_name_match(::usermgmt::NAME_MATCH_PREFIX);
    if (options.age >= 0) request.set_age(options.age);
    request.set_page_size(options.page_size);
    request.set_page_token(options.page_token);
    auto users = or_die(client.get_users(request), "cannot list users" + at);
    if (options.json) {
      std::cout << to_json(users) << "\n";
      return;
    }
    std::cout << "ID\tAGE\tNAME\n";
    for (const auto& u : users.users())
      std::cout << u.id() << "\t" << u.age() << "\t" << u.name() << "\n";
    if (!users.next_page_token().empty())
      std::cout << "next page: --page-token " << users.next_page_token() << "\n";
  } else if (get->parsed() || del->parsed()) {
    bool deleting = del->parsed();
    auto user = or_die(deleting ? client.delete_user(options.id) : client.get_user(options.id),
                       std::string(deleting ? "cannot delete" : "cannot get") + " user " +
                           std::to_string(options.id) + at);
    if (options.json) {
      std::cout << to_json(user) << "\n";
    } else {
      if (deleting) std::cout << "Deleted\n";
      print_user(user);
    }
  } else {
    // No subcommand: what the seed's client did (the event bus runs it so).
    auto users = or_die(usermgmt::create_seed_users(client), "cannot create the seed users" + at);
    if (options.json) {
      ::usermgmt::UsersList created;
      for (auto& u : users) *created.add_users() = u;
      std::cout << to_json(created) << "\n";
    } else {
      for (const auto& u : users) print_user(u);
    }
  }
}

}  // namespace

std::vector<ServicePtr> make_usermgmt_services(const Settings& settings,
                                               std::shared_ptr<pg::Pool> pool) {
  std::vector<ServicePtr> services;
  for (std::size_t i = 0; i < kStores.size(); ++i) {
    services.push_back(
        make_server(i, default_listen(settings, i), default_json_file(settings), pool));
  }
  return services;
}

void add_usermgmt_commands(CLI::App& app, GlobalOptions& options) {
  auto* cmd = app.add_subcommand("usermgmt",
                                 "the gRPC UserManagement service: serve one store, or call one");
  cmd->require_subcommand(1);

  auto* serve = cmd->add_subcommand(
      "serve", "serve UserManagement (with health and reflection) on one store");
  auto store = std::make_shared<std::string>();
  auto listen = std::make_shared<std::string>();
  auto json_file = std::make_shared<std::string>();
  serve->add_option("--store", *store, "none | memory | json | postgres")
      ->required()
      ->check(CLI::IsMember({"none", "memory", "json", "postgres"}));
  serve->add_option("--listen", *listen,
                    "host:port (default: usermgmt.host and base port + store index)");
  serve->add_option("--json-file", *json_file,
                    "the json store's file (default: <data-dir>/users.json)");
  serve->callback(
      [&options, store, listen, json_file] { run_serve(options, *store, *listen, *json_file); });

  auto* client = cmd->add_subcommand("client",
                                     "call UserManagement; without a subcommand, create Alice (43) "
                                     "and Bob (30) as the seed's client did");
  auto copts = std::make_shared<ClientOptions>();
  client->add_option("--server", copts->server, "host:port of the server (else $server_address)");
  client->add_flag("--json", copts->json, "print protobuf JSON instead of text");
  client->add_option("--timeout", copts->timeout_seconds,
                     "deadline of each call, in seconds (default 10)");
  client->require_subcommand(0, 1);
  auto* create = client->add_subcommand("create", "create one user");
  create->add_option("--name", copts->name, "1..256 bytes")->required();
  create->add_option("--age", copts->age, "0..200")->required();
  auto* list =
      client->add_subcommand("list", "list users in id order (all, unless filtered or paged)");
  list->add_option("--name", copts->name, "only this name");
  list->add_flag("--prefix", copts->prefix, "--name is a prefix");
  list->add_option("--age", copts->age, "only this age");
  list->add_option("--page-size", copts->page_size, "at most this many (1..1000)");
  list->add_option("--page-token", copts->page_token, "the token printed with the previous page");
  auto* get = client->add_subcommand("get", "get one user by id");
  get->add_option("id", copts->id, "user id")->required();
  auto* del = client->add_subcommand("delete", "delete one user by id");
  del->add_option("id", copts->id, "user id")->required();
  client->callback([&options, copts, create, list, get, del] {
    run_client(options, *copts, create, list, get, del);
  });
}

}  // namespace cloudlet::cli
