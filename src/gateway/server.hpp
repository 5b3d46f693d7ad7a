// API Gateway HTTP API ($default stage), as one Handler on the shared
// http::Server (src/http/server.hpp: sessions, limits, budgets, graceful
// stop). This module only says what a request means.
//
// Per request, in order (spec §4): the server's framing and target checks
// and built-ins → route lookup (404) → for AWS_IAM routes the SigV4
// pre-check from the headers alone (material well formed, scope, date in the
// skew window, known key: 403 otherwise), before any body byte is read → the
// body → SigV4 in full over the same parsed target and headers → IAM
// execute-api:Invoke (the shared auth::Authorizer) → the integration on the
// server's worker pool → the response with `apigw-requestid` → access-log
// line (+ function log line).
//
// Routes and principals are immutable snapshots swapped atomically
// (set_routes / set_principals); a request keeps the ones its head was
// decided with until it ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "auth/principals.hpp"
#include "auth/sigv4.hpp"
#include "core/result.hpp"
#include "core/service.hpp"
#include "functions/proxy.hpp"
#include "gateway/routes.hpp"
#include "http/server.hpp"
#include "logs/log_groups.hpp"

namespace cloudlet::gateway {

// The shared server's options (the CLI sets the gateway's port, 8080; a
// name left at the default becomes "gateway").
using ServerOptions = http::ServerOptions;
using http::ServerStats;

using HandlerMap = std::unordered_map<std::string, functions::Handler>;

struct Dependencies {
  std::shared_ptr<const RouteTable> routes;
  std::shared_ptr<const auth::Principals> principals;
  auth::Settings sigv4 = auth::Settings::gateway();
  std::string account_id = "000000000000";
  std::string api_id = "cloudlet";
  HandlerMap functions;
  // The event bus's PutEvents, for EventBridge-PutEvents integrations:
  // the request JSON in, the HTTP status and body out. Blocking (it stores
  // the events durably); runs on the worker pool. Unset: those routes 500.
  std::function<std::pair<unsigned, std::string>(const std::string& request_json)> put_events;
  // /readyz: blocking (it talks to the database); runs on the worker pool.
  // Unset: ready whenever the process is up.
  std::function<Status()> ready;
  logs::LogWriter* log = nullptr;                  // access and function logs; may be null
  std::function<auth::Clock::time_point()> clock;  // unset: system clock
};

class Server {
 public:
  Server(ServerOptions options, Dependencies deps);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the threads; returns once connections are accepted.
  Status start();
  void stop();
  // The bound port (after start()).
  std::uint16_t port() const;
  ServerStats stats() const;
  // Body bytes reserved by one client address (as the access log's sourceIp).
  std::size_t client_body_bytes(std::string_view address) const;

  void set_routes(std::shared_ptr<const RouteTable> routes);
  void set_principals(std::shared_ptr<const auth::Principals> principals);

  class Api;

 private:
  std::unique_ptr<Api> api_;
  std::unique_ptr<http::Server> server_;
};

// The gateway as a service `cloudlet up` supervises.
class GatewayService final : public Service {
 public:
  GatewayService(ServerOptions options, Dependencies deps);
  std::string name() const override { return "gateway"; }
  Status start() override { return server_.start(); }
  void stop() override { server_.stop(); }
  std::string endpoint() const override;

 private:
  ServerOptions options_;
  Server server_;
};

}  // namespace cloudlet::gateway
