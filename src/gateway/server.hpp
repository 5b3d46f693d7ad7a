// The HTTP gateway: API Gateway HTTP API ($default stage) on Boost.Beast.
//
// Threading (Envoy-like): `io_threads` event loops, each owning the
// connections it accepted, so a connection's state is touched by one thread
// only and never locked. I/O threads parse, route, verify SigV4 and evaluate
// IAM (CPU only, microseconds) but never block: function handlers (libpq) and
// HTTP_PROXY calls run on a separate worker pool, and log lines go to the
// LogWriter's queue. Routes and credentials are immutable snapshots swapped
// atomically (set_routes / set_credentials), read lock-free per request.
//
// Per request, in order (spec §4): built-ins (/healthz, /readyz) → route
// lookup (404) → SigV4 (AWS_IAM routes) → IAM execute-api:Invoke → integration
// → response with `apigw-requestid` → access-log line (+ function log line).
//
// Limits: body 10 MB (413 before reading it), request line + headers
// (431), a cap on open connections (503 to the extra ones), an idle timeout
// between requests, a read timeout for a started request (slow clients: 408),
// and the integration timeout (503, as HTTP APIs answer it).
//
// stop(): stops accepting, closes idle keep-alive connections, lets in-flight
// requests finish (answering them with `Connection: close`) for up to
// `shutdown_grace`, then closes everything. Idempotent.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "auth/sigv4.hpp"
#include "core/result.hpp"
#include "core/service.hpp"
#include "functions/proxy.hpp"
#include "gateway/credentials.hpp"
#include "gateway/routes.hpp"
#include "logs/log_groups.hpp"

namespace cloudlet::gateway {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;   // 0: any free port (tests)
  std::size_t io_threads = 0;  // 0: one per core
  std::size_t workers = 16;    // threads for blocking integrations
  std::size_t max_connections = 4096;
  std::size_t max_body_bytes = 10 * 1024 * 1024;  // 10 485 760, API Gateway's limit
  // Bytes of request bodies held at once across all connections. A request
  // reserves its Content-Length (max_body_bytes when chunked) before its body
  // is read; one that does not fit gets 503 at once, so many slow uploads
  // cannot pin max_connections × max_body_bytes of memory.
  std::size_t body_budget_bytes = 256 * 1024 * 1024;
  std::uint32_t max_header_bytes = 10240;  // request line + headers
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::milliseconds shutdown_grace{30000};
};

using HandlerMap = std::unordered_map<std::string, functions::Handler>;

struct Dependencies {
  std::shared_ptr<const RouteTable> routes;
  std::shared_ptr<const Credentials> credentials;
  auth::Settings sigv4 = auth::Settings::gateway();
  std::string account_id = "000000000000";
  std::string api_id = "cloudlet";
  HandlerMap functions;
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

  void set_routes(std::shared_ptr<const RouteTable> routes);
  void set_credentials(std::shared_ptr<const Credentials> credentials);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
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
