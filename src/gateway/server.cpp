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

  void release(const std::string& client, std::size_t bytes) {
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
  std::size_t body_bytes = 0;                                 // guarded by budget_mu
  std::unordered_map<std::string, std::size_t> client_bytes;  // guarded by budget_mu
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

// A share of the server's body budgets, returned when the last holder (the
// session, or the integration's queued work) lets go of it.
class BodyReservation {
 public:
  BodyReservation(Server::Impl& server, std::string client, std::size_t bytes)
      : server_(server), client_(std::move(client)), bytes_(bytes) {}
  BodyReservation(const BodyReservation&) = delete;
  BodyReservation& operator=(const BodyReservation&) = delete;
  ~BodyReservation() { server_.release(client_, bytes_); }

 private:
  Server::Impl& server_;  // outlives every session and queued job (Server::stop)
  std::string client_;
  std::size_t bytes_;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Server::Impl& server, tcp::socket socket)
      : srv_(server), stream_(std::move(socket)), timer_(stream_.get_executor()) {
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
  }

  ~Session() {
    {
      std::lock_guard lock(srv_.mu);
      srv_.sessions.erase(this);
    }
    srv_.connections.fetch_sub(1, std::memory_order_relaxed);
  }

  void start() {
    {
      std::lock_guard lock(srv_.mu);
      srv_.sessions.emplace(this, weak_from_this());
    }
    read_next();
  }

  // Too many connections: answer 503 without reading anything.
  void start_rejected() {
    begin_exchange();
    respond_message(http::status::service_unavailable, "Service Unavailable", {}, true);
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
    stream_.expires_after(srv_.opts.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  bool quiet_end(const beast::error_code& ec) const {
    return ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
           ec == beast::error::timeout || ec == asio::error::connection_reset ||
           ec == asio::error::eof || ec == asio::error::bad_descriptor;
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
      if (quiet_end(ec)) return close();
      return respond_message(http::status::bad_request, "Bad Request", {}, true);
    }
    const auto& head = parser_->get();
    auto target = cloudlet::http::parse_target(head.target());
    if (!target.ok()) {
      ex_.integration_error = target.error().message;
      return respond_message(http::status::bad_request, "Bad Request", {}, true);
    }
    target_ = std::move(*target);
    const std::string& path = target_->path;
    std::string_view method = head.method_string();

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
      credentials_ = srv_.credentials.load();
      collect_headers(head);
      auth::RequestView view{method, path, target_->query, headers_, {}, {}};
      if (auto refused = srv_.verifier.precheck(view, *credentials_->store, srv_.now())) {
        return respond_auth_error(*refused);
      }
    }
    if (!reserve_body()) return;
    if (parser_->is_done()) return on_body({});  // no body to read
    // curl sends `Expect: 100-continue` for bodies over 1 MB and waits for it.
    auto expect = head[http::field::expect];
    if (beast::iequals(expect, "100-continue") && !parser_->is_done()) {
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

  // Takes this request's share of the body budgets, or answers it (503 when
  // the server's budget is spent, 429 when this client's is) and returns false.
  bool reserve_body() {
    if (parser_->is_done()) return true;  // no body
    std::size_t want = srv_.opts.max_body_bytes;
    if (auto length = parser_->content_length()) want = static_cast<std::size_t>(*length);
    switch (srv_.reserve(client_, want)) {
      case Server::Impl::Reserve::kOk:
        body_reservation_ = std::make_shared<BodyReservation>(srv_, client_, want);
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

  // The body is read piecewise against a deadline that starts at the grace
  // period and moves one second later per min-rate bytes received.
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
                            if (ec || self->parser_->is_done()) return self->on_body(ec);
                            self->read_body_some();
                          });
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
    job_ = srv_.submit(std::move(work));
    if (!job_) {
      awaiting_ = false;
      ex_.integration_error = "integration queue full";
      return respond_message(http::status::service_unavailable, "Service Unavailable", {}, false);
    }
    timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    timer_.async_wait([self = shared_from_this(), seq = seq_](beast::error_code ec) {
      if (ec || seq != self->seq_ || !self->awaiting_) return;
      self->awaiting_ = false;
      if (self->job_ && self->job_->withdraw()) {
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
    std::uint64_t seq = begin_integration();
    auto self = shared_from_this();
    submit(
        [self, seq] {
          Status s = self->srv_.deps.ready ? self->srv_.deps.ready() : Status{};
          asio::post(self->stream_.get_executor(), [self, seq, ok = s.ok()] {
            if (seq != self->seq_ || !self->awaiting_) return;
            self->awaiting_ = false;
            self->timer_.cancel();
            if (ok) return self->respond_json(http::status::ok, R"({"status":"ready"})");
            self->ex_.integration_error = "database unreachable";
            self->respond_message(http::status::service_unavailable, "Service Unavailable", {},
                                  false);
          });
        },
        5000);
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
  std::shared_ptr<WorkItem> job_;  // the integration's queued or running work
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
        session->start_rejected();
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
