#include "gateway/server.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "auth/iam.hpp"
#include "gateway/event.hpp"
#include "gateway/http_proxy.hpp"
#include "http/target.hpp"

namespace cloudlet::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace detail {
class Session;
}

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

// Blocking work (a function, an HTTP upstream, /readyz) handed to the worker
// pool. The session keeps a handle so that a request answered before its work
// started (integration timeout) can withdraw it: the work and everything it
// holds (the event, the body's reservation) is freed at once, and the worker
// that dequeues it later finds nothing to run.
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

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(ServerOptions o, Dependencies d)
      : opts(std::move(o)), deps(std::move(d)), verifier(deps.sigv4) {
    routes.store(deps.routes);
    credentials.store(deps.credentials ? deps.credentials
                                       : CredentialsBuilder(deps.account_id).build());
    access_group = "/aws/api_gw/" + deps.api_id;
  }

  auth::Clock::time_point now() const { return deps.clock ? deps.clock() : auth::Clock::now(); }

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
  Dependencies deps;
  auth::Verifier verifier;
  std::string access_group;
  std::atomic<std::shared_ptr<const RouteTable>> routes;
  std::atomic<std::shared_ptr<const Credentials>> credentials;

  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> queued_jobs{0};  // submitted, neither started nor withdrawn
  mutable std::mutex budget_mu;
  std::size_t body_bytes = 0;                                       // guarded by budget_mu
  std::unordered_map<std::string, std::size_t> client_bytes;        // guarded by budget_mu
  std::unordered_map<std::string, std::size_t> client_connections;  // guarded by budget_mu
  // /readyz answers from a result at most a second old, refreshed by one
  // check at a time, so the unauthenticated probe cannot flood the workers.
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

// What the first read of an idle connection asks for.
constexpr std::size_t kFirstRead = 4096;

std::string message_body(std::string_view message) {
  json::object o;
  o["message"] = message;
  return json::serialize(o);
}

// What the access log records about one request (the seed's fields).
struct Exchange {
  std::string request_id;
  auth::Clock::time_point time;
  std::chrono::steady_clock::time_point started;
  std::string method;
  std::string route_key;
  std::string resource_path;
  std::string integration_error;
  std::string auth_error;
  std::string access_key_id;
};

// A client's share of the server's budgets: its request body as it arrives,
// then its response while it is written. Returned when the last holder (the
// session, or the integration's queued work) lets go of it.
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
  void start_rejected(http::status status) {
    begin_exchange();
    respond_message(
        status,
        status == http::status::too_many_requests ? "Too Many Requests" : "Service Unavailable", {},
        true);
  }

  // Called on this session's thread during shutdown.
  void close_if_idle() {
    if (!busy_) close();
  }
  void force_close() { close(); }
  asio::any_io_executor get_executor_for_start() { return stream_.get_executor(); }

 private:
  void read_next() {
    busy_ = false;
    body_reservation_.reset();
    job_.reset();
    target_.reset();
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
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  bool quiet_end(const beast::error_code& ec) const {
    return ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
           ec == beast::error::timeout || ec == asio::error::connection_reset ||
           ec == asio::error::eof || ec == asio::error::bad_descriptor;
  }

  // RFC 9112 §6.3 and §3.2: a Transfer-Encoding whose last coding is not
  // chunked leaves the body's length unknown (a classic request-smuggling
  // gap: Beast would read no body and parse it as the next request), and an
  // HTTP/1.1 request needs exactly one Host.
  bool well_framed(const http::request_parser<http::string_body>::value_type& head) const {
    if (head.count(http::field::transfer_encoding) != 0 && !parser_->chunked()) return false;
    const std::size_t hosts = head.count(http::field::host);
    return head.version() >= 11 ? hosts == 1 : hosts <= 1;
  }

  // Everything that can be decided from the request line and headers is
  // decided here, before a byte of the body is read or reserved.
  void on_header(beast::error_code ec) {
    busy_ = true;
    begin_exchange();
    // Known even when the request is refused for its size (413/431 after the header).
    // (Beast fills method and target before it checks Content-Length.)
    ex_.method = std::string(parser_->get().method_string());
    if (ec) {
      if (ec == http::error::header_limit) {
        return respond_message(http::status::request_header_fields_too_large,
                               "Request Header Fields Too Large", {}, true);
      }
      if (ec == http::error::body_limit) {
        return respond_message(http::status::payload_too_large, "Request Entity Too Large", {},
                               true);
      }
      if (ec == beast::error::timeout) {
        ex_.integration_error = "request headers did not arrive in time";
        return respond_message(http::status::request_timeout, "Request Timeout", {}, true);
      }
      if (quiet_end(ec)) return close();
      return respond_message(http::status::bad_request, "Bad Request", {}, true);
    }
    const auto& head = parser_->get();
    head_fields_ = static_cast<std::size_t>(std::distance(head.begin(), head.end()));
    if (!well_framed(head)) {
      ex_.integration_error = "ambiguous framing (Transfer-Encoding or Host)";
      return respond_message(http::status::bad_request, "Bad Request", {}, true);
    }
    auto target = cloudlet::http::parse_target(head.target());
    if (!target.ok()) {
      ex_.integration_error = target.error().message;
      return respond_message(http::status::bad_request, "Bad Request", {}, true);
    }
    target_ = std::move(*target);
    const std::string& path = target_->path;
    std::string_view method = head.method_string();
    head_request_ = head.method() == http::verb::head;

    // Built-ins answer before routes so a `$default` route cannot shadow them.
    if (path == "/healthz") return respond_json(http::status::ok, R"({"status":"ok"})");
    if (path == "/readyz") return readiness();

    routes_ = srv_.routes.load();
    std::optional<Match> match = routes_ ? routes_->match(method, path) : std::nullopt;
    if (!match) return respond_message(http::status::not_found, "Not Found", {}, false);
    match_ = std::move(*match);
    ex_.route_key = match_.route->route_key;
    ex_.resource_path = match_.route->path.empty() ? "$default" : match_.route->path;

    if (match_.route->authorization == AuthorizationType::kAwsIam) {
      // The IAM resource is the decoded path: a segment that decodes to a
      // '/' or a dot segment would let `%2E%2E` or `%2F` walk past a
      // path-prefix policy after the dot segments were already resolved.
      if (!plain_decoded_segments(path)) {
        ex_.integration_error = "path segment decodes to '/', '.' or '..'";
        return respond_message(http::status::bad_request, "Bad Request", {}, false);
      }
      credentials_ = srv_.credentials.load();
      collect_headers(head);
      auth::RequestView view{method, path, target_->query, headers_, {}, {}};
      if (auto refused = srv_.verifier.precheck(view, *credentials_->store, srv_.now())) {
        return respond_auth_error(*refused);
      }
    }
    // A client that already holds its share (bodies still arriving,
    // responses it does not read) waits before it gets more.
    if (srv_.client_bytes_held(client_) >= srv_.opts.client_body_budget_bytes) {
      ex_.integration_error = "client body budget spent";
      return respond_message(http::status::too_many_requests, "Too Many Requests", {}, false);
    }
    body_reservation_ = std::make_shared<BodyReservation>(srv_, client_);
    if (parser_->is_done()) return on_body({});  // no body to read
    // curl sends `Expect: 100-continue` for bodies over 1 MB and waits for it.
    auto expect = head[http::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      continue_.emplace(http::status::continue_, 11);
      stream_.expires_after(srv_.opts.write_timeout);
      http::async_write(stream_, *continue_,
                        [self = shared_from_this()](beast::error_code e, std::size_t) {
                          if (e) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  // True when no segment of the (still encoded) path decodes to a '/' or
  // to "." or "..".
  static bool plain_decoded_segments(std::string_view path) {
    for (std::size_t start = 1; start <= path.size();) {
      std::size_t end = path.find('/', start);
      if (end == std::string_view::npos) end = path.size();
      std::string_view seg = path.substr(start, end - start);
      if (seg.find('%') != std::string_view::npos) {
        const std::string decoded = percent_decode(seg);
        if (decoded == "." || decoded == ".." || decoded.find('/') != std::string::npos) {
          return false;
        }
      }
      start = end + 1;
    }
    return true;
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
    http::async_read_some(stream_, buffer_, *parser_,
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
      ex_.integration_error = "chunk framing out of proportion to the body";
      respond_message(http::status::bad_request, "Bad Request", {}, true);
      return false;
    }
    switch (body_reservation_->grow_to(have)) {
      case Server::Impl::Reserve::kOk:
        return true;
      case Server::Impl::Reserve::kClientFull:
        ex_.integration_error = "client body budget spent";
        respond_message(http::status::too_many_requests, "Too Many Requests", {}, true);
        return false;
      case Server::Impl::Reserve::kServerFull:
        break;
    }
    ex_.integration_error = "body budget spent";
    respond_message(http::status::service_unavailable, "Service Unavailable", {}, true);
    return false;
  }

  void on_body(beast::error_code ec) {
    if (ec) {
      if (ec == http::error::body_limit) {
        return respond_message(http::status::payload_too_large, "Request Entity Too Large", {},
                               true);
      }
      if (ec == beast::error::timeout) {
        // The stream closed the socket on timeout; the answer is for the log.
        ex_.integration_error = "request body arrived below the minimum rate";
        return respond_message(http::status::request_timeout, "Request Timeout", {}, true);
      }
      if (quiet_end(ec)) return close();
      return respond_message(http::status::bad_request, "Bad Request", {}, true);
    }
    // Trailer fields would join the headers after the signature's pre-check
    // and the route were decided: not accepted.
    const auto& msg = parser_->get();
    if (static_cast<std::size_t>(std::distance(msg.begin(), msg.end())) != head_fields_) {
      ex_.integration_error = "trailer fields are not accepted";
      return respond_message(http::status::bad_request, "Bad Request", {}, true);
    }
    req_ = parser_->release();
    request_read_ = true;
    handle();
  }

  void begin_exchange() {
    ex_ = Exchange{};
    ex_.request_id = new_request_id();
    ex_.time = srv_.now();
    ex_.started = std::chrono::steady_clock::now();
  }

  void collect_headers(const http::fields& fields) {
    headers_.clear();
    for (const auto& f : fields) headers_.push_back({f.name_string(), f.value()});
  }

  // With the whole body: SigV4 in full, IAM, then the integration. The
  // target, route and credentials are the ones on_header decided with.
  void handle() {
    const std::string& path = target_->path;
    std::string_view method = req_.method_string();
    collect_headers(req_.base());

    std::optional<auth::Principal> principal;
    if (match_.route->authorization == AuthorizationType::kAwsIam) {
      auth::RequestView view{method, path, target_->query, headers_, req_.body(), {}};
      auto now = srv_.now();
      auth::AuthResult verified = srv_.verifier.verify(view, *credentials_->store, now);
      if (!verified.ok()) return respond_auth_error(verified.error());
      principal = verified.value();
      ex_.access_key_id = principal->access_key_id;
      std::string arn =
          auth::execute_api_arn(srv_.verifier.settings().region, srv_.deps.account_id,
                                srv_.deps.api_id, "$default", method, percent_decode(path));
      auto policies = credentials_->policies_for(principal->access_key_id);
      // The condition context costs a dozen allocations; build it only for
      // principals whose policies have a Condition block (the default
      // full-access key has none). nullptr = every key absent, never used.
      auth::ConditionContext context;
      bool conditional = std::any_of(policies.begin(), policies.end(), [](const auth::Policy& p) {
        return std::any_of(p.statements().begin(), p.statements().end(),
                           [](const auth::Statement& st) { return !st.conditions.empty(); });
      });
      if (conditional) fill_context(context, *principal, now);
      auth::Decision decision = auth::evaluate(policies, {"execute-api:Invoke", arn, &context});
      if (decision != auth::Decision::kAllow) {
        return respond_auth_error(
            auth::access_denied(auth::Endpoint::kHttpApi, decision == auth::Decision::kExplicitDeny,
                                principal->principal_arn, "execute-api:Invoke", arn));
      }
    }
    const Integration& integration = *match_.route->integration;
    if (integration.type == IntegrationType::kFunction) {
      return invoke_function(integration, principal ? &*principal : nullptr);
    }
    return invoke_http(integration);
  }

  void fill_context(auth::ConditionContext& c, const auth::Principal& p,
                    auth::Clock::time_point now) {
    c.set("aws:SourceIp", peer_ip_);
    c.set("aws:SecureTransport", std::string("false"));
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    c.set("aws:EpochTime", std::to_string(secs));
    std::string iso = auth::format_amz_date(now);  // YYYYMMDDTHHMMSSZ
    c.set("aws:CurrentTime", iso.substr(0, 4) + "-" + iso.substr(4, 2) + "-" + iso.substr(6, 5) +
                                 ":" + iso.substr(11, 2) + ":" + iso.substr(13, 3));
    if (auto ua = req_[http::field::user_agent]; !ua.empty())
      c.set("aws:UserAgent", std::string(ua));
    if (auto ref = req_[http::field::referer]; !ref.empty()) c.set("aws:Referer", std::string(ref));
    c.set("aws:PrincipalArn", p.principal_arn);
    c.set("aws:PrincipalAccount", p.account_id);
    c.set("aws:PrincipalType", std::string("User"));
    c.set("aws:userid", p.user_id);
    if (auto slash = p.principal_arn.rfind('/'); slash != std::string::npos) {
      c.set("aws:username", p.principal_arn.substr(slash + 1));
    }
    c.set("aws:RequestedRegion", p.region);
  }

  // Queues `work` for a worker and arms the integration timeout; answers 503
  // at once when the queue is full.
  void submit(std::function<void()> work, int timeout_ms) {
    auto job = srv_.submit(std::move(work));
    job_ = job;
    if (!job) {
      awaiting_ = false;
      ex_.integration_error = "integration queue full";
      return respond_message(http::status::service_unavailable, "Service Unavailable", {}, false);
    }
    timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    timer_.async_wait([self = shared_from_this(), seq = seq_](beast::error_code ec) {
      if (ec || seq != self->seq_ || !self->awaiting_) return;
      self->awaiting_ = false;
      auto queued = self->job_.lock();
      if (queued && queued->withdraw()) {
        // It never started and never will: HTTP APIs answer 503 (spec §9),
        // and retrying is safe.
        self->ex_.integration_error = "integration timed out before it started";
        return self->respond_message(http::status::service_unavailable, "Service Unavailable", {},
                                     false);
      }
      // It is running and may still change something: say so instead of
      // inviting a blind retry.
      self->ex_.integration_error = "integration timed out while running";
      self->respond_message(http::status::gateway_timeout,
                            "Endpoint request timed out; the integration was still running, "
                            "so its outcome is unknown",
                            {}, false);
    });
  }

  // Starts an integration exchange; the result comes back through finish().
  std::uint64_t begin_integration() {
    awaiting_ = true;
    return ++seq_;
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
    std::uint64_t seq = begin_integration();
    auto self = shared_from_this();
    submit(
        [self, seq] {
          Status s = self->srv_.deps.ready ? self->srv_.deps.ready() : Status{};
          {
            std::lock_guard lock(self->srv_.ready_mu);
            self->srv_.ready_checked = std::chrono::steady_clock::now();
            self->srv_.ready_ok = s.ok();
            self->srv_.ready_running = false;
          }
          asio::post(self->stream_.get_executor(), [self, seq, ok = s.ok()] {
            if (seq != self->seq_ || !self->awaiting_) return;
            self->awaiting_ = false;
            self->timer_.cancel();
            self->answer_ready(ok);
          });
        },
        5000);
    if (!awaiting_) {  // not queued: let the next probe try again
      std::lock_guard lock(srv_.ready_mu);
      srv_.ready_running = false;
    }
  }

  void answer_ready(bool ok) {
    if (ok) return respond_json(http::status::ok, R"({"status":"ready"})");
    ex_.integration_error = "database unreachable";
    respond_message(http::status::service_unavailable, "Service Unavailable", {}, false);
  }

  void invoke_function(const Integration& integration, const auth::Principal* principal) {
    auto it = srv_.deps.functions.find(integration.function_name);
    if (it == srv_.deps.functions.end()) {
      ex_.integration_error = "function " + integration.function_name + " is not deployed";
      return respond_message(http::status::internal_server_error, "Internal Server Error", {},
                             false);
    }
    IncomingRequest in{req_.method_string(),   target_->path, target_->query, headers_,
                       std::move(req_.body()), peer_ip_,      ex_.request_id, ex_.time};
    auto event = std::make_shared<functions::ProxyEvent>(
        build_event(in, match_, principal, srv_.deps.account_id, srv_.deps.api_id));
    std::uint64_t seq = begin_integration();
    const functions::Handler* handler = &it->second;
    auto self = shared_from_this();
    // The work holds the body's reservation: the budget counts the body
    // until the call has run or been withdrawn.
    submit(
        [self, handler, event, seq, reservation = body_reservation_,
         name = integration.function_name] {
          auto t0 = std::chrono::steady_clock::now();
          functions::ProxyResponse response;
          bool failed = false;
          try {
            response = (*handler)(*event);
          } catch (...) {
            // Handlers must not throw; if one does, the caller gets API
            // Gateway's 500 and the log says so, the process stays up.
            failed = true;
          }
          auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - t0)
                            .count();
          self->log_function(name, event->request_context.request_id, micros, failed,
                             response.status_code);
          asio::post(self->stream_.get_executor(), [self, seq, failed,
                                                    response = std::move(response)]() mutable {
            self->on_integration(seq, failed ? std::nullopt : std::optional(std::move(response)),
                                 "function error");
          });
        },
        integration.timeout_ms);
  }

  void invoke_http(const Integration& integration) {
    auto url = expand_uri(integration.uri, match_);
    if (!url.ok()) {
      // The message names the parameter and is our own text.
      ex_.integration_error = url.error().message;
      return respond_message(http::status::bad_request, url.error().message, {}, false);
    }
    ForwardRequest fwd;
    fwd.method =
        integration.method == "ANY" ? std::string(req_.method_string()) : integration.method;
    fwd.raw_query = target_->query;
    for (const auto& h : headers_) fwd.headers.emplace_back(h.name, h.value);
    fwd.body = std::move(req_.body());
    std::uint64_t seq = begin_integration();
    auto self = shared_from_this();
    auto timeout = std::chrono::milliseconds(integration.timeout_ms);
    submit(
        [self, seq, url = std::move(*url), fwd = std::move(fwd), timeout,
         reservation = body_reservation_]() mutable {
          auto result = forward_http(url, std::move(fwd), timeout);
          std::optional<functions::ProxyResponse> response;
          std::string error;
          if (result.ok()) {
            response = std::move(*result);
          } else {
            error = result.error().message;
          }
          asio::post(self->stream_.get_executor(),
                     [self, seq, response = std::move(response), error]() mutable {
                       self->on_integration(seq, std::move(response), error);
                     });
        },
        integration.timeout_ms);
  }

  void on_integration(std::uint64_t seq, std::optional<functions::ProxyResponse> response,
                      std::string_view error) {
    if (seq != seq_ || !awaiting_) return;  // already answered (timeout)
    awaiting_ = false;
    timer_.cancel();
    if (!response || response->status_code < 100 || response->status_code > 599) {
      ex_.integration_error = response ? "invalid statusCode from integration" : std::string(error);
      return respond_message(http::status::internal_server_error, "Internal Server Error", {},
                             false);
    }
    res_.emplace();
    res_->result(static_cast<unsigned>(response->status_code));
    bool has_type = false;
    for (auto& [k, v] : response->headers) {
      if (beast::iequals(k, "content-length") || beast::iequals(k, "transfer-encoding") ||
          beast::iequals(k, "connection")) {
        continue;
      }
      has_type = has_type || beast::iequals(k, "content-type");
      res_->set(k, v);
    }
    if (!has_type) res_->set(http::field::content_type, "application/json");
    if (response->is_base64_encoded) {
      auto decoded = base64_decode(response->body);
      if (!decoded) {
        ex_.integration_error = "integration returned invalid base64 body";
        return respond_message(http::status::internal_server_error, "Internal Server Error", {},
                               false);
      }
      res_->body() = std::move(*decoded);
    } else {
      res_->body() = std::move(response->body);
    }
    // The response is this client's until it has read it.
    if (body_reservation_) body_reservation_->add_held(res_->body().size());
    send(false);
  }

  void respond_auth_error(const auth::AuthError& error) {
    ex_.auth_error = error.error_type.empty() ? "Forbidden" : std::string(error.error_type);
    respond_message(static_cast<http::status>(error.http_status), error.message, error.error_type,
                    false);
  }

  void respond_json(http::status status, std::string body) {
    res_.emplace();
    res_->result(status);
    res_->set(http::field::content_type, "application/json");
    res_->body() = std::move(body);
    send(false);
  }

  // Gateway-generated errors: {"message": …}, optionally x-amzn-ErrorType.
  void respond_message(http::status status, std::string_view message, std::string_view error_type,
                       bool close_after) {
    res_.emplace();
    res_->result(status);
    res_->set(http::field::content_type, "application/json");
    if (!error_type.empty()) res_->set("x-amzn-ErrorType", error_type);
    res_->body() = message_body(message);
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
    res_->set("apigw-requestid", ex_.request_id);
    res_->keep_alive(keep_alive);
    res_->prepare_payload();
    // HEAD: the same header (Content-Length included), no body on the wire,
    // or a keep-alive client would read it as the start of the next response.
    if (head_request_) res_->body().clear();
    stream_.expires_after(srv_.opts.write_timeout);
    http::async_write(
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
    access_log();
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
    stream_.async_read_some(asio::buffer(drain_buf_),
                            [self = shared_from_this()](beast::error_code e, std::size_t) {
                              if (e) return self->close();
                              self->drain_and_close_more();
                            });
  }
  void drain_and_close_more() {
    stream_.async_read_some(asio::buffer(drain_buf_),
                            [self = shared_from_this()](beast::error_code e, std::size_t) {
                              if (e) return self->close();
                              self->drain_and_close_more();
                            });
  }

  void close() {
    beast::error_code ignored;
    timer_.cancel();
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  void access_log() {
    if (srv_.deps.log == nullptr) return;
    auto dash = [](const std::string& s) -> std::string_view {
      return s.empty() ? "-" : std::string_view(s);
    };
    // Only a parsed target is logged: a refused one may hold any bytes.
    const std::string path = target_ ? target_->path : std::string();
    json::object o;
    o["requestId"] = ex_.request_id;
    o["sourceIp"] = dash(peer_ip_);
    o["requestTime"] = clf_time(ex_.time);
    o["protocol"] = "HTTP/1.1";
    o["httpMethod"] = dash(ex_.method);
    o["resourcePath"] = dash(ex_.resource_path);
    o["routeKey"] = dash(ex_.route_key);
    o["status"] = std::to_string(res_ ? res_->result_int() : 0);
    o["responseLength"] = std::to_string(res_ ? res_->body().size() : 0);
    o["integrationErrorMessage"] = dash(ex_.integration_error);
    // Beyond the seed's fields: the path without its query (a presigned
    // query carries a signature), latency, and for auth failures only the
    // error type; the access key id only once it verified.
    o["path"] = dash(path);
    o["responseLatency"] = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::steady_clock::now() - ex_.started)
                                              .count());
    if (!ex_.auth_error.empty()) o["authError"] = ex_.auth_error;
    if (!ex_.access_key_id.empty()) o["accessKeyId"] = ex_.access_key_id;
    srv_.deps.log->append(srv_.access_group, json::serialize(o));
  }

  void log_function(const std::string& name, const std::string& request_id, long long micros,
                    bool failed, int status) {
    if (srv_.deps.log == nullptr) return;
    json::object o;
    o["requestId"] = request_id;
    o["function"] = name;
    o["durationUs"] = micros;  // an integer: Boost.JSON writes doubles as 1.82E-1
    o["outcome"] = failed ? "error" : (status >= 500 ? "error_response" : "ok");
    if (!failed) o["statusCode"] = status;
    srv_.deps.log->append("/aws/lambda/" + name, json::serialize(o));
  }

  Server::Impl& srv_;
  beast::tcp_stream stream_;
  asio::steady_timer timer_;  // the integration timeout
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  // This exchange's share of the body budgets; the queued integration holds
  // it too, so it is returned when both are done.
  std::shared_ptr<BodyReservation> body_reservation_;
  // The integration's work while it is queued or running. Weak: the work
  // holds this session, and a pool that stops drops it with everything it
  // holds.
  std::weak_ptr<WorkItem> job_;
  http::request<http::string_body> req_;
  bool request_read_ = false;  // req_ holds the whole request (body included)
  std::optional<cloudlet::http::Target> target_;
  // What on_header decided with, kept for the rest of the exchange so that a
  // reload in between changes nothing for it.
  std::shared_ptr<const RouteTable> routes_;
  std::shared_ptr<const Credentials> credentials_;
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<http::response<http::string_body>> res_;
  std::vector<auth::HeaderField> headers_;
  Match match_;
  Exchange ex_;
  std::string peer_ip_;
  std::string client_;  // the key of its body budget share (client_key)
  std::chrono::steady_clock::time_point body_started_;
  std::size_t body_received_ = 0;
  std::vector<char> drain_buf_;
  bool busy_ = false;
  bool awaiting_ = false;
  bool admitted_ = false;        // counted in its client's connections
  bool head_request_ = false;    // HEAD: the response goes without its body
  std::size_t head_fields_ = 0;  // fields in the request head (trailers would add more)
  std::uint64_t seq_ = 0;
};

}  // namespace detail

using detail::Session;

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
    asio::post(session->get_executor_for_start(), [session, over] {
      if (over) {
        session->start_rejected(http::status::service_unavailable);
      } else if (!session->admitted()) {
        session->start_rejected(http::status::too_many_requests);
      } else {
        session->start();
      }
    });
    self->do_accept();
  });
}

Server::Server(ServerOptions options, Dependencies deps)
    : impl_(std::make_shared<Impl>(std::move(options), std::move(deps))) {}

Server::~Server() { stop(); }

Status Server::start() {
  Impl& s = *impl_;
  if (s.started) return {};
  beast::error_code ec;
  auto address = asio::ip::make_address(s.opts.host, ec);
  if (ec) return Error::invalid_argument("gateway: bad listen address '" + s.opts.host + "'");
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
    return Error::unavailable("gateway: cannot listen on " + where + ": " + ec.message());
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
      asio::post(session->get_executor_for_start(), [session, force] {
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
  // Running integrations finish (bounded by the query timeout); queued ones are dropped.
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

void Server::set_routes(std::shared_ptr<const RouteTable> routes) {
  impl_->routes.store(std::move(routes));
}

void Server::set_credentials(std::shared_ptr<const Credentials> credentials) {
  impl_->credentials.store(std::move(credentials));
}

GatewayService::GatewayService(ServerOptions options, Dependencies deps)
    : options_(options), server_(std::move(options), std::move(deps)) {}

std::string GatewayService::endpoint() const {
  return "http://" + options_.host + ":" + std::to_string(server_.port());
}

}  // namespace cloudlet::gateway
