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
// Per request, in order (spec §4), decided from the headers alone before any
// body byte is read or any memory is set aside for one: the target parsed
// once (http::parse_target; a fragment, non-ASCII or URI-excluded byte is
// 400) → built-ins (/healthz, /readyz) → route lookup (404) → for AWS_IAM
// routes the SigV4 pre-check (material well formed, scope, date in the skew
// window, known key: 403 otherwise) → the body's reservation (below) → the
// body, read at a minimum rate → SigV4 in full over the same parsed target →
// IAM execute-api:Invoke → integration → response with `apigw-requestid` →
// access-log line (+ function log line). A request refused before its body
// was read is answered with `Connection: close`.
//
// Limits: body 10 MB (413 before reading it), request line + headers
// (431), a cap on open connections (503 to the extra ones) and on those of
// one client address (429), an idle timeout between requests and a shorter
// one for a request's headers once they started. Bodies are charged as
// their bytes arrive to a budget for all connections (503 when spent) and a
// smaller share per client address (429), so clients holding bodies back
// cannot starve the others; the charge lives until the request's integration
// has finished or been dropped, and a response is charged to its client
// until written. A body must arrive within `body_grace` plus one second per
// `body_min_bytes_per_second` bytes received (as Apache's mod_reqtimeout
// MinRate), else 408: a trickle of one byte at a time cannot hold a
// connection for long. The read buffer is bounded and chunk framing may not
// outgrow the data; trailers, a Transfer-Encoding not ending in chunked and
// an HTTP/1.1 request without exactly one Host are 400.
//
// Integrations run on the worker pool through a bounded queue (503 at once
// when `max_queued_jobs` wait). When the integration timeout fires, a call
// that has not started is withdrawn (it never runs: 503, safe to retry); one
// that is running cannot be stopped, so its caller gets 504 saying the
// outcome is unknown.
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
  // Open connections from one client address (as for the body budget share);
  // more get 429 without being read.
  std::size_t max_connections_per_client = 256;
  std::size_t max_body_bytes = 10 * 1024 * 1024;  // 10 485 760, API Gateway's limit
  // Bytes of request bodies held at once across all connections, charged as
  // they arrive (once the route and pre-check passed); a request that would
  // pass it gets 503, so many slow uploads cannot pin max_connections ×
  // max_body_bytes of memory.
  std::size_t body_budget_bytes = 256 * 1024 * 1024;
  // The same, per client address (IPv4, or the /64 of an IPv6 address), with
  // the responses it has not read yet: 429 beyond it, so one client cannot
  // take the whole budget.
  std::size_t client_body_budget_bytes = 32 * 1024 * 1024;
  // A body may take body_grace, plus one second per body_min_bytes_per_second
  // received; 408 when it falls behind.
  std::chrono::milliseconds body_grace{10000};
  std::size_t body_min_bytes_per_second = 32 * 1024;
  std::size_t max_queued_jobs = 1024;               // integration calls waiting for a worker
  std::uint32_t max_header_bytes = 10240;           // request line + headers
  std::chrono::milliseconds idle_timeout{60000};    // waiting for a request's first byte
  std::chrono::milliseconds header_timeout{10000};  // then for the rest of its headers
  std::chrono::milliseconds write_timeout{30000};   // to write a response to a slow reader
  std::chrono::milliseconds shutdown_grace{30000};
  // /readyz answers from a check at most this old (one check at a time).
  std::chrono::milliseconds readiness_cache{1000};
};

// What the server holds right now, for monitoring and tests.
struct ServerStats {
  std::size_t connections = 0;
  std::size_t body_bytes_reserved = 0;  // against body_budget_bytes
  std::size_t queued_jobs = 0;          // integration calls waiting for a worker
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
  ServerStats stats() const;
  // Body bytes reserved by one client address (as the access log's sourceIp).
  std::size_t client_body_bytes(std::string_view address) const;

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
