// The one HTTP/1.1 server every AWS-style API of cloudlet runs on (the
// gateway, the event bus, the logs API): listener, sessions, limits,
// keep-alive, graceful stop, request ids and a named pool for blocking work,
// on Boost.Beast. What a request *means* belongs to a Handler.
//
// Threading (Envoy-like): `io_threads` event loops, each owning the
// connections it accepted, so a connection's state is touched by one thread
// only and never locked. Handlers run their cheap, non-blocking decisions
// (routing, SigV4, IAM) on that thread and hand anything that blocks (libpq,
// an upstream HTTP call) to the worker pool through Responder::submit.
//
// Per request, in order, decided from the headers alone before any body byte
// is read or charged: framing checks (a Transfer-Encoding not ending in
// chunked, an HTTP/1.1 request without exactly one Host: 400) → the target
// parsed once (http::parse_target; 400) → built-ins `/healthz` and `/readyz`
// → Handler::begin + Call::on_head (route, auth pre-check; a response here is
// sent without reading the body, with `Connection: close`) → the body,
// charged as it arrives and read at a minimum rate → Call::on_request, which
// answers once through its Responder → the response, with the handler's
// request-id header → Handler::on_done (the access log).
//
// Limits: body `max_body_bytes` (413 before reading it), request line +
// headers (431), open connections (503 to the extra ones) and those of one
// client address (429), an idle timeout between requests and a shorter one
// for a request's headers once they started. Bodies are charged as their
// bytes arrive to a budget for all connections (503 when spent) and a smaller
// share per client address (429), so clients holding bodies back cannot
// starve the others; the charge lives until the request's blocking work has
// finished or been dropped, and a response is charged to its client until
// written. A body must arrive within `body_grace` plus one second per
// `body_min_bytes_per_second` bytes received (as Apache's mod_reqtimeout
// MinRate), else 408. The read buffer is bounded and chunk framing may not
// outgrow the data; trailers are 400.
//
// Blocking work goes through a bounded queue (503 at once when
// `max_queued_jobs` wait). When the work's timeout fires, work that has not
// started is withdrawn (it never runs: the handler's timeout response for
// "not started", 503 by default, safe to retry); work that is running cannot
// be stopped, so the caller gets the "outcome unknown" response (504).
//
// stop(): stops accepting, closes idle keep-alive connections, lets in-flight
// requests finish (answering them with `Connection: close`) for up to
// `shutdown_grace`, then closes everything. Idempotent.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "http/target.hpp"

namespace cloudlet::http {

namespace wire = boost::beast::http;
using Request = wire::request<wire::string_body>;
using RequestHead = wire::request_header<>;
using Response = wire::response<wire::string_body>;
using Clock = std::chrono::system_clock;

struct ServerOptions {
  std::string name = "http";  // in errors and thread names: "gateway", "events"
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;      // 0: any free port (tests)
  std::size_t io_threads = 0;  // 0: one per core
  std::size_t workers = 16;    // threads for blocking work
  std::size_t max_connections = 4096;
  // Open connections from one client address (as for the body budget share);
  // more get 429 without being read.
  std::size_t max_connections_per_client = 256;
  std::size_t max_body_bytes = 10 * 1024 * 1024;  // 10 485 760, API Gateway's limit
  // Bytes of request bodies held at once across all connections, charged as
  // they arrive (once the handler accepted the head); a request that would
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
  std::size_t max_queued_jobs = 1024;               // blocking work waiting for a worker
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
  std::size_t queued_jobs = 0;          // blocking work waiting for a worker
};

// The server's record of one exchange, read by the handler and its log. Only
// the session's thread writes it.
struct Exchange {
  std::string request_id;
  Clock::time_point time;  // when the head arrived (the server's clock)
  std::chrono::steady_clock::time_point started;
  std::string method;            // empty when the head did not parse
  std::optional<Target> target;  // only a parsed target; a refused one may hold any bytes
  std::string peer_ip;           // IPv4-mapped addresses shown as IPv4
  // Why the server or the handler refused or failed the request, for the
  // log only: never sent to the client.
  std::string error;
  unsigned status = 0;             // of the response sent (0: none)
  std::size_t response_bytes = 0;  // its body
};

namespace detail {
class Session;
}

// The one way a Call answers. Copyable; the copy a worker holds keeps the
// request's body charge alive until the work is done or dropped.
class Responder {
 public:
  // Sends `response` (from any thread), unless the exchange was answered
  // already (a timeout). `log_error` goes to Exchange::error.
  void respond(Response response, std::string log_error = {}) const;

  // Queues blocking work on the server's pool and arms `timeout` (see the
  // file comment). Call it from on_request's thread, at most once per
  // exchange. False when the queue is full: the server has answered 503.
  bool submit(std::function<void()> work, std::chrono::milliseconds timeout) const;

 private:
  friend class detail::Session;
  struct State;
  explicit Responder(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

// One request's handling, made by Handler::begin once the head is well formed.
class Call {
 public:
  virtual ~Call() = default;
  // With the head only (no body read or charged): a response refuses the
  // request without reading its body; nullopt reads the body.
  virtual std::optional<Response> on_head(const RequestHead& head, Exchange& exchange) = 0;
  // With the whole request; answer exactly once through `responder`, now or
  // later. `request` may be moved from.
  virtual void on_request(Request& request, Exchange& exchange, Responder responder) = 0;
};

// An API on the server. Shared by every I/O thread: its members must be
// thread-safe (immutable snapshots swapped atomically are the model).
class Handler {
 public:
  virtual ~Handler() = default;
  virtual std::unique_ptr<Call> begin(Exchange& exchange) = 0;
  // The response the server sends for its own refusals (400, 408, 413, 429,
  // 431, 503), in this API's error format. Default: {"message": …}.
  virtual Response error_response(wire::status status, std::string_view message) const;
  // For work whose timeout fired: `started` false means it never ran.
  // Default: 503 "Service Unavailable" / 504 saying the outcome is unknown.
  virtual Response timeout_response(bool started) const;
  // A fresh id per exchange and the header that carries it.
  virtual std::string new_request_id() const = 0;
  virtual std::string_view request_id_header() const = 0;
  // After a response was written or the exchange ended; `call` is null when
  // none was made (a refused head, a built-in).
  virtual void on_done(const Exchange& exchange, const Call* call) {
    (void)exchange;
    (void)call;
  }
};

// A JSON body {"message": "<text>"} with Content-Type application/json.
Response message_response(wire::status status, std::string_view message);

struct ServerHooks {
  // /readyz: blocking (it talks to the database); runs on the worker pool.
  // Unset: ready whenever the process is up.
  std::function<Status()> ready;
  std::function<Clock::time_point()> clock;  // unset: the system clock
};

class Server {
 public:
  // `handler` must outlive the server.
  Server(ServerOptions options, Handler& handler, ServerHooks hooks = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the threads; returns once connections are accepted.
  Status start();
  void stop();
  std::uint16_t port() const;  // the bound port (after start())
  const ServerOptions& options() const;
  ServerStats stats() const;
  // Body bytes held by one client address (as Exchange::peer_ip).
  std::size_t client_body_bytes(std::string_view address) const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace cloudlet::http
