#include "http/server.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace cloudlet::http {

namespace beast = boost::beast;
namespace asio = boost::asio;
namespace json = boost::json;
using tcp = asio::ip::tcp;

Response message_response(wire::status status, std::string_view message) {
  Response res{status, 11};
  res.set(wire::field::content_type, "application/json");
  json::object o;
  o["message"] = message;
  res.body() = json::serialize(o);
  return res;
}

Response Handler::error_response(wire::status status, std::string_view message) const {
  return message_response(status, message);
}

Response Handler::timeout_response(bool started) const {
  if (!started) return message_response(wire::status::service_unavailable, "Service Unavailable");
  return message_response(wire::status::gateway_timeout,
                          "Endpoint request timed out; the integration was still running, "
                          "so its outcome is unknown");
}

namespace {

// The key a client's body bytes are counted under: an IPv4 address (also
// when a dual-stack listener shows it as ::ffff:a.b.c.d), or the /64 of an
// IPv6 one, since one IPv6 client usually holds a whole /64.
std::string client_key(const asio::ip::address& address) {
  if (address.is_v6()) {
    asio::ip::address_v6 v6 = address.to_v6();
    if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
    asio::ip::address_v6::bytes_type bytes = v6.to_bytes();
    std::fill(bytes.begin() + 8, bytes.end(), static_cast<unsigned char>(0));
    return asio::ip::address_v6(bytes).to_string() + "/64";
  }
  return address.to_string();
}

// Blocking work handed to the worker pool. The session keeps a handle so
// that a request answered before its work started (timeout) can withdraw
// it: the work and everything it holds (the body's charge) is freed at once,
// and the worker that dequeues it later finds nothing to run.
class WorkItem {
 public:
  WorkItem(std::atomic<std::size_t>& queued, std::function<void()> work)
      : queued_(queued), work_(std::move(work)) {}
  WorkItem(const WorkItem&) = delete;
  WorkItem& operator=(const WorkItem&) = delete;
  ~WorkItem() { withdraw(); }  // dropped by a stopping pool: no longer queued

  // On a worker: runs the work unless it was withdrawn.
  void run() {
    std::function<void()> work;
    {
      std::lock_guard lock(mu_);
      if (!claimed_) {
        claimed_ = true;
        work = std::move(work_);
        queued_.fetch_sub(1, std::memory_order_relaxed);
      }
    }
    if (work) work();
  }

  // True when the work had not started: it never will.
  bool withdraw() {
    std::function<void()> dropped;  // destroyed outside the lock
    std::lock_guard lock(mu_);
    if (claimed_) return false;
    claimed_ = true;
    dropped = std::move(work_);
    queued_.fetch_sub(1, std::memory_order_relaxed);
    return true;
  }

 private:
  std::atomic<std::size_t>& queued_;
  std::mutex mu_;
  std::function<void()> work_;  // guarded by mu_
  bool claimed_ = false;        // guarded by mu_: run or withdrawn
};

// What the first read of an idle connection asks for.
constexpr std::size_t kFirstRead = 4096;

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(ServerOptions o, Handler& h, ServerHooks k)
      : opts(std::move(o)), handler(h), hooks(std::move(k)) {}

  Clock::time_point now() const { return hooks.clock ? hooks.clock() : Clock::now(); }

  enum class Reserve { kOk, kServerFull, kClientFull };

  // Takes `bytes` from the global budget and from `client`'s share.
  Reserve reserve(const std::string& client, std::size_t bytes) {
    if (bytes == 0) return Reserve::kOk;
    std::lock_guard lock(budget_mu);
    std::size_t& mine = client_bytes[client];
    if (mine + bytes > opts.client_body_budget_bytes) {
      if (mine == 0) client_bytes.erase(client);
      return Reserve::kClientFull;
    }
    if (body_bytes + bytes > opts.body_budget_bytes) {
      if (mine == 0) client_bytes.erase(client);
      return Reserve::kServerFull;
    }
    mine += bytes;
    body_bytes += bytes;
    return Reserve::kOk;
  }

  // Counts `bytes` that are held already (a response being written) whether
  // or not they fit, so that the client's next request waits for them.
  void force_reserve(const std::string& client, std::size_t bytes) {
    std::lock_guard lock(budget_mu);
    client_bytes[client] += bytes;
    body_bytes += bytes;
  }

  std::size_t client_bytes_held(const std::string& client) const {
    std::lock_guard lock(budget_mu);
    auto it = client_bytes.find(client);
    return it == client_bytes.end() ? 0 : it->second;
  }

  // Counts a new connection from `client`; false (not counted) past its cap.
  bool add_connection(const std::string& client) {
    std::lock_guard lock(budget_mu);
    std::size_t& n = client_connections[client];
    if (n >= opts.max_connections_per_client) {
      if (n == 0) client_connections.erase(client);
      return false;
    }
    ++n;
    return true;
  }
  void remove_connection(const std::string& client) {
    std::lock_guard lock(budget_mu);
    auto it = client_connections.find(client);
    if (it != client_connections.end() && --it->second == 0) client_connections.erase(it);
  }

  void release(const std::string& client, std::size_t bytes) {
    if (bytes == 0) return;
    std::lock_guard lock(budget_mu);
    body_bytes -= bytes;
    auto it = client_bytes.find(client);
    if (it != client_bytes.end() && (it->second -= bytes) == 0) client_bytes.erase(it);
  }

  // Queues blocking work; nullptr (and nothing queued) when the queue is full.
  std::shared_ptr<WorkItem> submit(std::function<void()> work) {
    if (queued_jobs.fetch_add(1, std::memory_order_relaxed) >= opts.max_queued_jobs) {
      queued_jobs.fetch_sub(1, std::memory_order_relaxed);
      return nullptr;
    }
    auto item = std::make_shared<WorkItem>(queued_jobs, std::move(work));
    asio::post(*workers, [item] { item->run(); });
    return item;
  }

  ServerOptions opts;
  Handler& handler;
  ServerHooks hooks;

  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> queued_jobs{0};  // submitted, neither started nor withdrawn
  mutable std::mutex budget_mu;
  std::size_t body_bytes = 0;                                       // guarded by budget_mu
  std::unordered_map<std::string, std::size_t> client_bytes;        // guarded by budget_mu
  std::unordered_map<std::string, std::size_t> client_connections;  // guarded by budget_mu
  // /readyz answers from a result at most readiness_cache old, refreshed by
  // one check at a time, so the unauthenticated probe cannot flood the workers.
  std::mutex ready_mu;
  std::optional<std::chrono::steady_clock::time_point> ready_checked;  // guarded by ready_mu
  bool ready_ok = false;                                               // guarded by ready_mu
  bool ready_running = false;                                          // guarded by ready_mu
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::unordered_map<detail::Session*, std::weak_ptr<detail::Session>> sessions;  // guarded by mu

  // Declared after the state above: destroying an io_context destroys the
  // sessions whose handlers it still holds, and they touch that state.
  std::vector<std::unique_ptr<asio::io_context>> ios;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  std::unique_ptr<asio::thread_pool> workers;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::size_t next_io = 0;  // touched by the accepting thread only
  std::uint16_t bound_port = 0;
  bool started = false;
  bool stopped = false;

  void do_accept();
};

namespace detail {

// A client's share of the server's budgets: its request body as it arrives,
// then its response while it is written. Returned when the last holder (the
// session, or the exchange's queued work) lets go of it.
class BodyReservation {
 public:
  BodyReservation(Server::Impl& server, std::string client)
      : server_(server), client_(std::move(client)) {}
  BodyReservation(const BodyReservation&) = delete;
  BodyReservation& operator=(const BodyReservation&) = delete;
  ~BodyReservation() { server_.release(client_, bytes_); }

  // Grows the reservation to `total` bytes; nothing changes when that does not fit.
  Server::Impl::Reserve grow_to(std::size_t total) {
    if (total <= bytes_) return Server::Impl::Reserve::kOk;
    Server::Impl::Reserve r = server_.reserve(client_, total - bytes_);
    if (r == Server::Impl::Reserve::kOk) bytes_ = total;
    return r;
  }
  void add_held(std::size_t bytes) {
    server_.force_reserve(client_, bytes);
    bytes_ += bytes;
  }

 private:
  Server::Impl& server_;  // outlives every session and queued job (Server::stop)
  std::string client_;
  std::size_t bytes_ = 0;  // touched by the session's thread only
};

}  // namespace detail

// A Responder's link to its exchange: the session and the exchange's number,
// so an answer for an exchange that is over (timed out) is dropped.
struct Responder::State {
  std::shared_ptr<detail::Session> session;
  std::uint64_t seq = 0;
  std::shared_ptr<detail::BodyReservation> reservation;
};

namespace detail {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Server::Impl& server, tcp::socket socket)
      : srv_(server),
        stream_(std::move(socket)),
        timer_(stream_.get_executor()),
        // Bounded, so that a chunk-size line or extension that never ends
        // cannot grow it: Beast reports buffer_overflow (400) instead.
        buffer_(std::size_t{srv_.opts.max_header_bytes} + 65536) {
    srv_.connections.fetch_add(1, std::memory_order_relaxed);
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      asio::ip::address address = ep.address();
      // aws:SourceIp and the log see an IPv4 client as IPv4 on a dual-stack listener.
      if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
      }
      peer_ip_ = address.to_string();
      client_ = client_key(address);
    }
    admitted_ = srv_.add_connection(client_);
  }

  ~Session() {
    {
      std::lock_guard lock(srv_.mu);
      srv_.sessions.erase(this);
    }
    if (admitted_) srv_.remove_connection(client_);
    srv_.connections.fetch_sub(1, std::memory_order_relaxed);
  }

  // False when its client address already had max_connections_per_client.
  bool admitted() const { return admitted_; }

  void start() {
    {
      std::lock_guard lock(srv_.mu);
      srv_.sessions.emplace(this, weak_from_this());
    }
    read_next();
  }

  // Too many connections (503), or too many from this client (429): answer
  // without reading anything.
  void start_rejected(wire::status status) {
    begin_exchange();
    ex_.error = status == wire::status::too_many_requests ? "too many connections from the client"
                                                          : "too many connections";
    respond_error(
        status,
        status == wire::status::too_many_requests ? "Too Many Requests" : "Service Unavailable",
        true);
  }

  // Called on this session's thread during shutdown.
  void close_if_idle() {
    if (!busy_) close();
  }
  void force_close() { close(); }
  asio::any_io_executor executor() { return stream_.get_executor(); }

  // Responder::respond, on this session's thread.
  void answer(std::uint64_t seq, Response response, std::string log_error) {
    if (seq != seq_ || !awaiting_) return;  // already answered (timeout)
    awaiting_ = false;
    timer_.cancel();
    if (!log_error.empty()) ex_.error = std::move(log_error);
    res_.emplace(std::move(response));
    // The response is this client's until it has read it.
    if (body_reservation_) body_reservation_->add_held(res_->body().size());
    send(false);
  }

  // Responder::submit, on this session's thread.
  bool submit(std::uint64_t seq, std::function<void()> work, std::chrono::milliseconds timeout) {
    if (seq != seq_ || !awaiting_) return false;
    auto job = srv_.submit(std::move(work));
    job_ = job;
    if (!job) {
      awaiting_ = false;
      ex_.error = "work queue full";
      respond_error(wire::status::service_unavailable, "Service Unavailable", false);
      return false;
    }
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this(), seq](beast::error_code ec) {
      if (ec || seq != self->seq_ || !self->awaiting_) return;
      self->awaiting_ = false;
      auto queued = self->job_.lock();
      // Not started: it never will, and retrying is safe. Started: it may
      // still change something, so the caller is told the outcome is unknown.
      const bool started = !(queued && queued->withdraw());
      self->ex_.error = started ? "timed out while running" : "timed out before it started";
      self->res_.emplace(self->srv_.handler.timeout_response(started));
      self->send(false);
    });
    return true;
  }

 private:
  void read_next() {
    busy_ = false;
    body_reservation_.reset();
    job_.reset();
    call_.reset();
    if (srv_.stopping.load()) return close();
    parser_.emplace();
    parser_->header_limit(srv_.opts.max_header_bytes);
    parser_->body_limit(srv_.opts.max_body_bytes);
    if (buffer_.size() > 0) return read_header();  // a pipelined request is here already
    // Idle until the next request's first byte; then its headers get the
    // (shorter) header timeout, so a slow trickle of headers cannot hold
    // the connection for the whole idle timeout.
    stream_.expires_after(srv_.opts.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kFirstRead),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->buffer_.commit(n);
                              if (ec) return self->close();  // idle timeout, or the peer left
                              self->read_header();
                            });
  }

  void read_header() {
    busy_ = true;
    stream_.expires_after(srv_.opts.header_timeout);
    wire::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  bool quiet_end(const beast::error_code& ec) const {
    return ec == wire::error::end_of_stream || ec == asio::error::operation_aborted ||
           ec == beast::error::timeout || ec == asio::error::connection_reset ||
           ec == asio::error::eof || ec == asio::error::bad_descriptor;
  }

  // RFC 9112 §6.3 and §3.2: a Transfer-Encoding whose last coding is not
  // chunked leaves the body's length unknown (a classic request-smuggling
  // gap: Beast would read no body and parse it as the next request), and an
  // HTTP/1.1 request needs exactly one Host.
  bool well_framed(const Request& head) const {
    if (head.count(wire::field::transfer_encoding) != 0 && !parser_->chunked()) return false;
    const std::size_t hosts = head.count(wire::field::host);
    return head.version() >= 11 ? hosts == 1 : hosts <= 1;
  }

  // Everything that can be decided from the request line and headers is
  // decided here, before a byte of the body is read or charged.
  void on_header(beast::error_code ec) {
    busy_ = true;
    begin_exchange();
    // Known even when the request is refused for its size (413/431 after the
    // header): Beast fills method and target before it checks Content-Length.
    ex_.method = std::string(parser_->get().method_string());
    if (ec) {
      if (ec == wire::error::header_limit) {
        return respond_error(wire::status::request_header_fields_too_large,
                             "Request Header Fields Too Large", true);
      }
      if (ec == wire::error::body_limit) {
        return respond_error(wire::status::payload_too_large, "Request Entity Too Large", true);
      }
      if (ec == beast::error::timeout) {
        ex_.error = "request headers did not arrive in time";
        return respond_error(wire::status::request_timeout, "Request Timeout", true);
      }
      if (quiet_end(ec)) return close();
      return respond_error(wire::status::bad_request, "Bad Request", true);
    }
    const Request& head = parser_->get();
    head_fields_ = static_cast<std::size_t>(std::distance(head.begin(), head.end()));
    if (!well_framed(head)) {
      ex_.error = "ambiguous framing (Transfer-Encoding or Host)";
      return respond_error(wire::status::bad_request, "Bad Request", true);
    }
    auto target = parse_target(head.target());
    if (!target.ok()) {
      ex_.error = target.error().message;
      return respond_error(wire::status::bad_request, "Bad Request", true);
    }
    ex_.target = std::move(*target);
    head_request_ = head.method() == wire::verb::head;

    // Built-ins answer before the handler so no route can shadow them.
    if (ex_.target->path == "/healthz") return respond_json(wire::status::ok, R"({"status":"ok"})");
    if (ex_.target->path == "/readyz") return readiness();

    call_ = srv_.handler.begin(ex_);
    if (auto refused = call_->on_head(head.base(), ex_)) {
      res_.emplace(std::move(*refused));
      return send(false);
    }
    // A client that already holds its share (bodies still arriving,
    // responses it does not read) waits before it gets more.
    if (srv_.client_bytes_held(client_) >= srv_.opts.client_body_budget_bytes) {
      ex_.error = "client body budget spent";
      return respond_error(wire::status::too_many_requests, "Too Many Requests", false);
    }
    body_reservation_ = std::make_shared<BodyReservation>(srv_, client_);
    if (parser_->is_done()) return on_body({});  // no body to read
    // curl sends `Expect: 100-continue` for bodies over 1 MB and waits for it.
    auto expect = head[wire::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      continue_.emplace(wire::status::continue_, 11);
      stream_.expires_after(srv_.opts.write_timeout);
      wire::async_write(stream_, *continue_,
                        [self = shared_from_this()](beast::error_code e, std::size_t) {
                          if (e) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  // The body is read piecewise. Its bytes are charged to the budgets as
  // they arrive, so a client that declares a body and sends nothing holds
  // nothing; a deadline that starts at the grace period and moves one second
  // later per min-rate bytes received cuts off trickles.
  void read_body() {
    body_started_ = std::chrono::steady_clock::now();
    body_received_ = 0;
    read_body_some();
  }

  void read_body_some() {
    const auto per_byte = std::chrono::duration<double>(
        1.0 / static_cast<double>(std::max<std::size_t>(1, srv_.opts.body_min_bytes_per_second)));
    const auto earned = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        per_byte * static_cast<double>(body_received_));
    stream_.expires_at(body_started_ + srv_.opts.body_grace + earned);
    wire::async_read_some(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                            self->body_received_ += n;
                            if (!ec && !self->charge_body()) return;
                            if (ec || self->parser_->is_done()) return self->on_body(ec);
                            self->read_body_some();
                          });
  }

  // Charges what the body has grown by; false once the request was answered
  // (a budget spent, or chunk framing out of proportion to the data).
  bool charge_body() {
    const std::size_t have = parser_->get().body().size();
    // Chunk sizes, extensions and trailers are not body: bound them so that
    // framing alone cannot be sent forever as "progress" against the rate.
    if (body_received_ > 2 * have + 65536) {
      ex_.error = "chunk framing out of proportion to the body";
      respond_error(wire::status::bad_request, "Bad Request", true);
      return false;
    }
    switch (body_reservation_->grow_to(have)) {
      case Server::Impl::Reserve::kOk:
        return true;
      case Server::Impl::Reserve::kClientFull:
        ex_.error = "client body budget spent";
        respond_error(wire::status::too_many_requests, "Too Many Requests", true);
        return false;
      case Server::Impl::Reserve::kServerFull:
        break;
    }
    ex_.error = "body budget spent";
    respond_error(wire::status::service_unavailable, "Service Unavailable", true);
    return false;
  }

  void on_body(beast::error_code ec) {
    if (ec) {
      if (ec == wire::error::body_limit) {
        return respond_error(wire::status::payload_too_large, "Request Entity Too Large", true);
      }
      if (ec == beast::error::timeout) {
        // The stream closed the socket on timeout; the answer is for the log.
        ex_.error = "request body arrived below the minimum rate";
        return respond_error(wire::status::request_timeout, "Request Timeout", true);
      }
      if (quiet_end(ec)) return close();
      return respond_error(wire::status::bad_request, "Bad Request", true);
    }
    // Trailer fields would join the headers after the handler decided on
    // the head: not accepted.
    const auto& msg = parser_->get();
    if (static_cast<std::size_t>(std::distance(msg.begin(), msg.end())) != head_fields_) {
      ex_.error = "trailer fields are not accepted";
      return respond_error(wire::status::bad_request, "Bad Request", true);
    }
    req_ = parser_->release();
    request_read_ = true;
    awaiting_ = true;
    call_->on_request(req_, ex_, responder());
  }

  Responder responder() {
    auto state = std::make_shared<Responder::State>();
    state->session = shared_from_this();
    state->seq = ++seq_;
    state->reservation = body_reservation_;
    return Responder(std::move(state));
  }

  void begin_exchange() {
    ex_ = Exchange{};
    ex_.request_id = srv_.handler.new_request_id();
    ex_.time = srv_.now();
    ex_.started = std::chrono::steady_clock::now();
    ex_.peer_ip = peer_ip_;
  }

  void readiness() {
    {
      std::lock_guard lock(srv_.ready_mu);
      const auto now = std::chrono::steady_clock::now();
      const bool fresh =
          srv_.ready_checked && now - *srv_.ready_checked < srv_.opts.readiness_cache;
      // A fresh result, or one check already running: answer from what is known.
      if (fresh || (srv_.ready_running && srv_.ready_checked)) return answer_ready(srv_.ready_ok);
      srv_.ready_running = true;
    }
    awaiting_ = true;
    Responder r = responder();
    Server::Impl* srv = &srv_;
    const bool queued = r.submit(
        [srv, r] {
          Status s = srv->hooks.ready ? srv->hooks.ready() : Status{};
          {
            std::lock_guard lock(srv->ready_mu);
            srv->ready_checked = std::chrono::steady_clock::now();
            srv->ready_ok = s.ok();
            srv->ready_running = false;
          }
          r.respond(ready_response(s.ok()), s.ok() ? "" : "database unreachable");
        },
        std::chrono::milliseconds(5000));
    if (!queued) {  // not queued: let the next probe try again
      std::lock_guard lock(srv_.ready_mu);
      srv_.ready_running = false;
    }
  }

  static Response ready_response(bool ok) {
    if (!ok) return message_response(wire::status::service_unavailable, "Service Unavailable");
    Response res{wire::status::ok, 11};
    res.set(wire::field::content_type, "application/json");
    res.body() = R"({"status":"ready"})";
    return res;
  }

  void answer_ready(bool ok) {
    if (!ok) ex_.error = "database unreachable";
    res_.emplace(ready_response(ok));
    send(false);
  }

  void respond_json(wire::status status, std::string body) {
    res_.emplace(status, 11);
    res_->set(wire::field::content_type, "application/json");
    res_->body() = std::move(body);
    send(false);
  }

  // The server's own refusals, in the handler's error format.
  void respond_error(wire::status status, std::string_view message, bool close_after) {
    res_.emplace(srv_.handler.error_response(status, message));
    send(close_after);
  }

  // A response sent before the body was read (refused from the headers)
  // closes the connection, after draining what the client still sends.
  void send(bool close_after) {
    const bool unread_body =
        !request_read_ && parser_ && parser_->is_header_done() && !parser_->is_done();
    const bool drain = close_after || unread_body;
    bool keep_alive = !drain && !srv_.stopping.load() && request_keep_alive();
    res_->version(11);
    res_->set(srv_.handler.request_id_header(), ex_.request_id);
    res_->keep_alive(keep_alive);
    res_->prepare_payload();
    ex_.status = res_->result_int();
    ex_.response_bytes = res_->body().size();
    // HEAD: the same header (Content-Length included), no body on the wire,
    // or a keep-alive client would read it as the start of the next response.
    if (head_request_) res_->body().clear();
    stream_.expires_after(srv_.opts.write_timeout);
    wire::async_write(
        stream_, *res_,
        [self = shared_from_this(), keep_alive, drain](beast::error_code ec, std::size_t) {
          self->on_written(ec, keep_alive, drain);
        });
  }

  // The request's own Connection header and HTTP version decide.
  bool request_keep_alive() const {
    if (request_read_) return req_.keep_alive();
    return parser_ && parser_->is_header_done() && parser_->get().keep_alive();
  }

  void on_written(beast::error_code ec, bool keep_alive, bool drain) {
    srv_.handler.on_done(ex_, call_.get());
    req_ = {};
    request_read_ = false;
    if (ec || !keep_alive) return drain && !ec ? drain_and_close() : close();
    read_next();
  }

  // After an early error (413, 431, 400) the client may still be sending: read
  // and discard for a moment so it sees our answer instead of a reset.
  void drain_and_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(2));
    drain_buf_.resize(16384);
    drain_more();
  }
  void drain_more() {
    stream_.async_read_some(asio::buffer(drain_buf_),
                            [self = shared_from_this()](beast::error_code e, std::size_t) {
                              if (e) return self->close();
                              self->drain_more();
                            });
  }

  void close() {
    beast::error_code ignored;
    timer_.cancel();
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  Server::Impl& srv_;
  beast::tcp_stream stream_;
  asio::steady_timer timer_;  // the blocking work's timeout
  beast::flat_buffer buffer_;
  std::optional<wire::request_parser<wire::string_body>> parser_;
  // This exchange's share of the body budgets; its queued work holds it too
  // (through the Responder), so it is returned when both are done.
  std::shared_ptr<BodyReservation> body_reservation_;
  // The exchange's work while it is queued or running. Weak: the work holds
  // this session, and a pool that stops drops it with everything it holds.
  std::weak_ptr<WorkItem> job_;
  std::unique_ptr<Call> call_;
  Request req_;
  bool request_read_ = false;  // req_ holds the whole request (body included)
  std::optional<wire::response<wire::empty_body>> continue_;
  std::optional<Response> res_;
  Exchange ex_;
  std::string peer_ip_;
  std::string client_;  // the key of its body budget share (client_key)
  std::chrono::steady_clock::time_point body_started_;
  std::size_t body_received_ = 0;
  std::vector<char> drain_buf_;
  bool busy_ = false;
  bool awaiting_ = false;        // a Responder may still answer this exchange
  bool admitted_ = false;        // counted in its client's connections
  bool head_request_ = false;    // HEAD: the response goes without its body
  std::size_t head_fields_ = 0;  // fields in the request head (trailers would add more)
  std::uint64_t seq_ = 0;
};

}  // namespace detail

using detail::Session;

void Responder::respond(Response response, std::string log_error) const {
  auto session = state_->session;
  asio::dispatch(session->executor(), [session, seq = state_->seq, response = std::move(response),
                                       log_error = std::move(log_error)]() mutable {
    session->answer(seq, std::move(response), std::move(log_error));
  });
}

bool Responder::submit(std::function<void()> work, std::chrono::milliseconds timeout) const {
  return state_->session->submit(state_->seq, std::move(work), timeout);
}

void Server::Impl::do_accept() {
  asio::io_context& io = *ios[next_io++ % ios.size()];
  acceptor->async_accept(io, [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || self->stopping.load()) return;
    if (ec) {
      // EMFILE and friends: back off briefly instead of spinning.
      auto timer = std::make_shared<asio::steady_timer>(self->acceptor->get_executor(),
                                                        std::chrono::milliseconds(50));
      timer->async_wait([self, timer](beast::error_code) { self->do_accept(); });
      return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    bool over = self->connections.load(std::memory_order_relaxed) >= self->opts.max_connections;
    auto session = std::make_shared<Session>(*self, std::move(socket));
    asio::post(session->executor(), [session, over] {
      if (over) {
        session->start_rejected(wire::status::service_unavailable);
      } else if (!session->admitted()) {
        session->start_rejected(wire::status::too_many_requests);
      } else {
        session->start();
      }
    });
    self->do_accept();
  });
}

Server::Server(ServerOptions options, Handler& handler, ServerHooks hooks)
    : impl_(std::make_shared<Impl>(std::move(options), handler, std::move(hooks))) {}

Server::~Server() { stop(); }

Status Server::start() {
  Impl& s = *impl_;
  if (s.started) return {};
  beast::error_code ec;
  auto address = asio::ip::make_address(s.opts.host, ec);
  if (ec)
    return Error::invalid_argument(s.opts.name + ": bad listen address '" + s.opts.host + "'");
  std::size_t n = s.opts.io_threads != 0 ? s.opts.io_threads
                                         : std::max(1u, std::thread::hardware_concurrency());
  for (std::size_t i = 0; i < n; ++i) {
    s.ios.push_back(std::make_unique<asio::io_context>(1));
    s.guards.push_back(asio::make_work_guard(*s.ios.back()));
  }
  s.acceptor = std::make_unique<tcp::acceptor>(*s.ios[0]);
  tcp::endpoint endpoint(address, s.opts.port);
  std::string where = s.opts.host + ":" + std::to_string(s.opts.port);
  s.acceptor->open(endpoint.protocol(), ec);
  if (!ec) s.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(endpoint, ec);
  if (!ec) s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    s.acceptor.reset();
    s.guards.clear();
    s.ios.clear();
    return Error::unavailable(s.opts.name + ": cannot listen on " + where + ": " + ec.message());
  }
  s.bound_port = s.acceptor->local_endpoint().port();
  s.workers = std::make_unique<asio::thread_pool>(std::max<std::size_t>(1, s.opts.workers));
  for (auto& io : s.ios) {
    s.threads.emplace_back([ctx = io.get()] { ctx->run(); });
  }
  asio::post(*s.ios[0], [impl = impl_] { impl->do_accept(); });
  s.started = true;
  return {};
}

void Server::stop() {
  Impl& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  s.stopping.store(true);
  asio::post(*s.ios[0], [impl = impl_] {
    beast::error_code ignored;
    impl->acceptor->close(ignored);
  });
  auto sweep = [&s](bool force) {
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard lock(s.mu);
      for (auto& [ptr, weak] : s.sessions) {
        if (auto p = weak.lock()) live.push_back(std::move(p));
      }
    }
    for (auto& session : live) {
      asio::post(session->executor(), [session, force] {
        if (force) {
          session->force_close();
        } else {
          session->close_if_idle();
        }
      });
    }
  };
  // Idle keep-alive connections go now; busy ones close after their response.
  sweep(false);
  auto deadline = std::chrono::steady_clock::now() + s.opts.shutdown_grace;
  while (s.connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (s.connections.load() > 0) sweep(true);
  // Running work finishes (bounded by its own timeouts); queued work is dropped.
  s.workers->stop();
  s.workers->join();
  s.guards.clear();
  for (auto& io : s.ios) io->stop();
  for (auto& t : s.threads) t.join();
  s.threads.clear();
  s.acceptor.reset();
  // Jobs still queued in the worker pool hold sessions whose sockets and
  // timers belong to the loops: destroy them while the loops still exist.
  s.workers.reset();
  // Destroying the loops destroys the handlers still queued in them; those
  // hold the sessions and this Impl, so nothing may outlive this point.
  s.ios.clear();
}

std::uint16_t Server::port() const { return impl_->bound_port; }

const ServerOptions& Server::options() const { return impl_->opts; }

ServerStats Server::stats() const {
  ServerStats out;
  out.connections = impl_->connections.load(std::memory_order_relaxed);
  out.queued_jobs = impl_->queued_jobs.load(std::memory_order_relaxed);
  std::lock_guard lock(impl_->budget_mu);
  out.body_bytes_reserved = impl_->body_bytes;
  return out;
}

std::size_t Server::client_body_bytes(std::string_view address) const {
  std::lock_guard lock(impl_->budget_mu);
  auto it = impl_->client_bytes.find(std::string(address));
  return it == impl_->client_bytes.end() ? 0 : it->second;
}

}  // namespace cloudlet::http
