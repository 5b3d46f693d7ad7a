// The gateway end to end in one process: a real server on port 0, a real
// HTTP client, requests signed with auth's signer, small test functions.
#include "gateway/server.hpp"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "gateway/event.hpp"
#include "http/target.hpp"

namespace cloudlet::gateway {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr std::string_view kRoutes = R"({
  "integrations": {
    "echo": {"integration_type": "AWS_PROXY", "integration_uri": "echo", "payload_format_version": "2.0"},
    "slow": {"integration_type": "AWS_PROXY", "integration_uri": "slow", "payload_format_version": "2.0",
             "timeout_milliseconds": 200},
    "slow_ok": {"integration_type": "AWS_PROXY", "integration_uri": "slow", "payload_format_version": "2.0"},
    "throws": {"integration_type": "AWS_PROXY", "integration_uri": "throws", "payload_format_version": "2.0"},
    "missing": {"integration_type": "AWS_PROXY", "integration_uri": "not_deployed", "payload_format_version": "2.0"},
    "block": {"integration_type": "AWS_PROXY", "integration_uri": "block", "payload_format_version": "2.0"},
    "big": {"integration_type": "AWS_PROXY", "integration_uri": "big", "payload_format_version": "2.0"},
    "count": {"integration_type": "AWS_PROXY", "integration_uri": "count", "payload_format_version": "2.0",
              "timeout_milliseconds": 100}
  },
  "routes": [
    {"route_key": "ANY /echo", "authorization_type": "AWS_IAM", "target": "integrations/echo"},
    {"route_key": "GET /contacts/{id}", "authorization_type": "AWS_IAM", "target": "integrations/echo"},
    {"route_key": "GET /open", "authorization_type": "NONE", "target": "integrations/echo"},
    {"route_key": "ANY /slow", "authorization_type": "NONE", "target": "integrations/slow"},
    {"route_key": "ANY /slow_ok", "authorization_type": "NONE", "target": "integrations/slow_ok"},
    {"route_key": "ANY /throws", "authorization_type": "NONE", "target": "integrations/throws"},
    {"route_key": "ANY /missing", "authorization_type": "NONE", "target": "integrations/missing"},
    {"route_key": "ANY /block", "authorization_type": "NONE", "target": "integrations/block"},
    {"route_key": "ANY /count", "authorization_type": "NONE", "target": "integrations/count"},
    {"route_key": "GET /big", "authorization_type": "NONE", "target": "integrations/big"},
    {"route_key": "ANY /seen/{proxy+}", "authorization_type": "NONE", "target": "integrations/echo"}
  ]})";

constexpr std::string_view kCredentials = R"({"principals":[
  {"user_name":"alice","access_key_id":"AKIDALICE","secret_access_key":"alice-secret-0123456789",
   "policies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}]},
  {"user_name":"bob","access_key_id":"AKIDBOB","secret_access_key":"bob-secret-0123456789",
   "policies":[{"Version":"2012-10-17","Statement":[
     {"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"},
     {"Effect":"Deny","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:123456789012:testapi/$default/DELETE/*"}]}]},
  {"user_name":"dave","access_key_id":"AKIDDAVE","secret_access_key":"dave-secret-0123456789",
   "policies":[{"Version":"2012-10-17","Statement":[
     {"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}},
     {"Effect":"Deny","Action":"execute-api:Invoke","Resource":"*","Condition":{"StringEquals":{"aws:username":"dave"},"StringLike":{"aws:UserAgent":"blocked*"}}}]}]}]})";

struct Reply {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
};

class GatewayServerTest : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }
  void TearDown() override {
    open_gate();  // a worker held by the test must not hold stop() up
    if (server_) server_->stop();
    server_.reset();
    if (log_) log_->stop();
    std::filesystem::remove_all(log_root_);
  }

  void start(ServerOptions options) {
    if (server_) server_->stop();
    log_root_ =
        std::filesystem::temp_directory_path() / ("cloudlet-gw-" + std::to_string(::getpid()));
    log_ = std::make_unique<logs::LogWriter>(logs::Options{.root = log_root_});
    Dependencies deps;
    deps.routes = *RouteTable::compile(kRoutes);
    auth::PrincipalsBuilder creds("123456789012");
    EXPECT_TRUE(creds.add_document(kCredentials).ok());
    deps.principals = creds.build();
    deps.account_id = "123456789012";
    deps.api_id = "testapi";
    deps.log = log_.get();
    deps.ready = [this]() -> Status {
      if (ready_) return {};
      return Error::unavailable("db down");
    };
    deps.functions["echo"] = [](const functions::ProxyEvent& e) {
      functions::ProxyResponse r;
      r.status_code = 200;
      r.headers["content-type"] = "text/plain";
      r.body = e.request_context.http_method + " " + e.raw_path + " " + e.body + " " +
               (e.request_context.iam ? e.request_context.iam->access_key : "-") + " " +
               (e.path_parameters.contains("id") ? e.path_parameters.at("id") : "") + " " +
               e.request_context.request_id;
      return r;
    };
    deps.functions["slow"] = [](const functions::ProxyEvent&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(600));
      return functions::ProxyResponse{201, {}, R"({"slow":true})", false};
    };
    deps.functions["throws"] = [](const functions::ProxyEvent&) -> functions::ProxyResponse {
      throw std::runtime_error("SELECT secret FROM internals");
    };
    // Holds its worker until the test opens the gate.
    deps.functions["block"] = [this](const functions::ProxyEvent&) {
      std::unique_lock lock(gate_mu_);
      ++blocked_;
      gate_cv_.notify_all();
      gate_cv_.wait(lock, [this] { return gate_open_; });
      return functions::ProxyResponse{200, {}, "{}", false};
    };
    deps.functions["big"] = [](const functions::ProxyEvent&) {
      return functions::ProxyResponse{200, {}, std::string(11 << 20, 'b'), false};
    };
    deps.functions["count"] = [this](const functions::ProxyEvent&) {
      ++counted_;
      return functions::ProxyResponse{200, {}, "{}", false};
    };
    options.port = 0;
    options.io_threads = 2;
    if (options.workers == ServerOptions{}.workers) options.workers = 4;
    server_ = std::make_unique<Server>(options, std::move(deps));
    ASSERT_TRUE(server_->start().ok());
  }

  std::string host() const { return "127.0.0.1:" + std::to_string(server_->port()); }

  Reply exchange(tcp::socket& socket, http::request<http::string_body>& req) {
    req.prepare_payload();
    http::write(socket, req);
    return read_reply(socket);
  }

  tcp::socket connect() {
    tcp::socket s(ioc_);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    return s;
  }

  http::request<http::string_body> make(http::verb verb, std::string target,
                                        std::string body = "") {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, host());
    req.body() = std::move(body);
    if (!req.body().empty()) req.set(http::field::content_type, "application/json");
    return req;
  }

  // Signs `req` like curl --aws-sigv4 does (content-type;host;x-amz-date).
  void sign(http::request<http::string_body>& req, std::string key, std::string secret,
            auth::Clock::time_point when = auth::Clock::now()) {
    std::string date = auth::format_amz_date(when);
    req.set("x-amz-date", date);
    std::vector<auth::HeaderField> headers;
    for (const auto& f : req) headers.push_back({f.name_string(), f.value()});
    std::string signed_headers =
        req.body().empty() ? "host;x-amz-date" : "content-type;host;x-amz-date";
    auto target = cloudlet::http::parse_target(req.target());
    ASSERT_TRUE(target.ok());
    auth::RequestView view{
        req.method_string(), target->path, target->query, headers, req.body(), {}};
    auto header = auth::authorization_header(
        view, {key, secret, date, "us-east-1", "execute-api", signed_headers, true});
    ASSERT_TRUE(header.ok());
    req.set(http::field::authorization, *header);
  }

  Reply call(http::request<http::string_body> req) {
    auto socket = connect();
    return exchange(socket, req);
  }

  // The line is appended once the response is written, which can be just
  // after the client read it: wait (bounded) for `needle` to be logged.
  std::string access_log(const std::string& needle = "") {
    for (int i = 0; i < 100; ++i) {
      std::string text = read_access_log();
      if (needle.empty() || text.find(needle) != std::string::npos) return text;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return read_access_log();
  }

  std::string read_access_log() {
    log_->flush();
    std::ifstream in(log_root_ / "aws/api_gw/testapi" /
                     (logs::daily_stream(std::chrono::system_clock::now()) + ".jsonl"));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // Waits (bounded) until `done` holds; false if it never did.
  template <class F>
  static bool eventually(F done) {
    for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
         std::chrono::steady_clock::now() < deadline;) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return done();
  }

  void wait_blocked(int n) {
    std::unique_lock lock(gate_mu_);
    ASSERT_TRUE(gate_cv_.wait_for(lock, std::chrono::seconds(10), [&] { return blocked_ >= n; }));
  }
  void open_gate() {
    std::lock_guard lock(gate_mu_);
    gate_open_ = true;
    gate_cv_.notify_all();
  }

  // A socket from another loopback address (Linux routes 127/8 to lo).
  tcp::socket connect_from(std::string_view source) {
    tcp::socket s(ioc_);
    s.open(tcp::v4());
    s.bind(tcp::endpoint(asio::ip::make_address(source), 0));
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    return s;
  }

  // Request headers that pass the SigV4 pre-check (known key, current date,
  // host signed) with a signature nobody computed: what an attacker who saw
  // one signed request can send.
  std::string precheck_passing_head(std::string_view path, std::size_t content_length) {
    std::string date = auth::format_amz_date(auth::Clock::now());
    return "POST " + std::string(path) + " HTTP/1.1\r\nHost: " + host() +
           "\r\nX-Amz-Date: " + date + "\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDALICE/" +
           date.substr(0, 8) +
           "/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=" +
           std::string(64, '0') + "\r\nContent-Length: " + std::to_string(content_length) +
           "\r\n\r\n";
  }

  // Writes raw bytes and reads one response (or nothing, if the server closes).
  Reply raw_exchange(tcp::socket& socket, std::string_view bytes) {
    asio::write(socket, asio::buffer(bytes));
    return read_reply(socket);
  }
  Reply read_reply(tcp::socket& socket) {
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1 << 20);
    beast::error_code ec;
    http::read(socket, buffer, parser, ec);
    Reply r;
    if (ec) return r;
    r.status = parser.get().result_int();
    r.body = parser.get().body();
    for (const auto& f : parser.get())
      r.headers[std::string(f.name_string())] = std::string(f.value());
    return r;
  }

  asio::io_context ioc_;
  std::mutex gate_mu_;
  std::condition_variable gate_cv_;
  bool gate_open_ = false;  // guarded by gate_mu_
  int blocked_ = 0;         // guarded by gate_mu_
  std::atomic<int> counted_{0};
  std::unique_ptr<Server> server_;
  std::unique_ptr<logs::LogWriter> log_;
  std::filesystem::path log_root_;
  std::atomic<bool> ready_{true};
};

TEST_F(GatewayServerTest, SignedRequestReachesTheFunctionWithItsEvent) {
  auto req = make(http::verb::post, "/echo", R"({"id":1})");
  sign(req, "AKIDALICE", "alice-secret-0123456789");
  Reply r = call(std::move(req));
  EXPECT_EQ(r.status, 200u);
  std::string id = r.headers["apigw-requestid"];
  EXPECT_EQ(id.size(), 16u);
  EXPECT_EQ(r.body, "POST /echo {\"id\":1} AKIDALICE  " + id);
  EXPECT_EQ(r.headers["content-type"], "text/plain");
}

TEST_F(GatewayServerTest, PathParametersReachTheFunction) {
  auto req = make(http::verb::get, "/contacts/42");
  sign(req, "AKIDALICE", "alice-secret-0123456789");
  Reply r = call(std::move(req));
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find(" 42 "), std::string::npos);
}

TEST_F(GatewayServerTest, UnsignedRequestIsABareForbidden) {
  Reply r = call(make(http::verb::post, "/echo", "{}"));
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(r.body, R"({"message":"Forbidden"})");
  EXPECT_FALSE(r.headers.contains("x-amzn-ErrorType"));
  EXPECT_EQ(r.headers["apigw-requestid"].size(), 16u);
}

TEST_F(GatewayServerTest, WrongSecretIsASignatureMismatch) {
  auto req = make(http::verb::post, "/echo", "{}");
  sign(req, "AKIDALICE", "not-the-secret");
  Reply r = call(std::move(req));
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(r.headers["x-amzn-ErrorType"], "InvalidSignatureException");
  EXPECT_NE(r.body.find("The request signature we calculated does not match"), std::string::npos);
  EXPECT_EQ(r.body.find("not-the-secret"), std::string::npos);
}

TEST_F(GatewayServerTest, BodyChangedAfterSigningIsRefused) {
  auto req = make(http::verb::post, "/echo", R"({"id":1})");
  sign(req, "AKIDALICE", "alice-secret-0123456789");
  req.body() = R"({"id":2})";
  Reply r = call(std::move(req));
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(r.headers["x-amzn-ErrorType"], "InvalidSignatureException");
}

TEST_F(GatewayServerTest, UnknownAccessKeyIsUnrecognized) {
  auto req = make(http::verb::post, "/echo", "{}");
  sign(req, "AKIDNOBODY", "whatever");
  Reply r = call(std::move(req));
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(r.headers["x-amzn-ErrorType"], "UnrecognizedClientException");
  EXPECT_EQ(r.body, R"({"message":"The security token included in the request is invalid."})");
}

TEST_F(GatewayServerTest, DateOutsideSkewWindowIsExpired) {
  auto req = make(http::verb::post, "/echo", "{}");
  sign(req, "AKIDALICE", "alice-secret-0123456789", auth::Clock::now() - std::chrono::minutes(6));
  Reply r = call(std::move(req));
  EXPECT_EQ(r.status, 403u);
  EXPECT_NE(r.body.find("Signature expired"), std::string::npos);
}

TEST_F(GatewayServerTest, ExplicitDenyInPolicyIsABareForbidden) {
  auto req = make(http::verb::delete_, "/echo");
  sign(req, "AKIDBOB", "bob-secret-0123456789");
  Reply r = call(std::move(req));
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(r.body, R"({"message":"Forbidden"})");
  EXPECT_FALSE(r.headers.contains("x-amzn-ErrorType"));
  auto ok = make(http::verb::get, "/echo");
  sign(ok, "AKIDBOB", "bob-secret-0123456789");
  EXPECT_EQ(call(std::move(ok)).status, 200u);
}

TEST_F(GatewayServerTest, UnknownRouteIsNotFoundBeforeAuth) {
  Reply r = call(make(http::verb::get, "/nope"));
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.body, R"({"message":"Not Found"})");
}

TEST_F(GatewayServerTest, RouteWithoutAuthorizationNeedsNoSignature) {
  Reply r = call(make(http::verb::get, "/open"));
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("GET /open"), std::string::npos);
}

TEST_F(GatewayServerTest, HealthAndReadiness) {
  start({.readiness_cache = std::chrono::milliseconds(0)});
  EXPECT_EQ(call(make(http::verb::get, "/healthz")).status, 200u);
  EXPECT_EQ(call(make(http::verb::get, "/readyz")).status, 200u);
  ready_ = false;
  Reply r = call(make(http::verb::get, "/readyz"));
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.body.find("db down"), std::string::npos);
}

// The function is running when the timeout fires: it may still change
// something, so the caller is not told to retry.
TEST_F(GatewayServerTest, TimeoutOfARunningIntegrationSaysTheOutcomeIsUnknown) {
  Reply r = call(make(http::verb::post, "/slow", "{}"));
  EXPECT_EQ(r.status, 504u);
  EXPECT_NE(r.body.find("outcome is unknown"), std::string::npos);
}

// Regression (security review, defect 5): a call answered 503 by the
// integration timeout while it waited for a worker used to run later anyway
// (a DELETE answered 503 applied minutes later). It is withdrawn instead.
TEST_F(GatewayServerTest, TimedOutQueuedIntegrationNeverRuns) {
  start({.workers = 1});
  std::thread holder([this] { call(make(http::verb::post, "/block", "{}")); });
  wait_blocked(1);  // the only worker is busy
  Reply r = call(make(http::verb::post, "/count", "{}"));
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.body, R"({"message":"Service Unavailable"})");
  EXPECT_EQ(server_->stats().queued_jobs, 0u);  // withdrawn, not waiting
  open_gate();
  holder.join();
  // The worker is free: a fresh call runs, the withdrawn one never did.
  EXPECT_EQ(call(make(http::verb::post, "/count", "{}")).status, 200u);
  EXPECT_EQ(counted_.load(), 1);
}

TEST_F(GatewayServerTest, FullIntegrationQueueIsRefusedAtOnce) {
  start({.workers = 1, .max_queued_jobs = 1});
  std::thread holder([this] { call(make(http::verb::post, "/block", "{}")); });
  wait_blocked(1);
  // One call may wait for the worker (slow_ok has a 30 s timeout) ...
  std::thread waiting([this] { call(make(http::verb::post, "/slow_ok", "{}")); });
  EXPECT_TRUE(eventually([&] { return server_->stats().queued_jobs == 1; }));
  // ... a second is refused without queueing.
  Reply r = call(make(http::verb::get, "/open"));
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(server_->stats().queued_jobs, 1u);
  open_gate();
  holder.join();
  waiting.join();
}

TEST_F(GatewayServerTest, FailingOrMissingFunctionIsInternalErrorWithoutDetails) {
  Reply r = call(make(http::verb::post, "/throws", "{}"));
  EXPECT_EQ(r.status, 500u);
  EXPECT_EQ(r.body, R"({"message":"Internal Server Error"})");
  Reply m = call(make(http::verb::post, "/missing", "{}"));
  EXPECT_EQ(m.status, 500u);
  EXPECT_EQ(m.body, R"({"message":"Internal Server Error"})");
}

TEST_F(GatewayServerTest, BodyOverTheLimitIs413) {
  start({.max_body_bytes = 1024});
  Reply r = call(make(http::verb::post, "/echo", std::string(2048, 'x')));
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(r.body, R"({"message":"Request Entity Too Large"})");
}

TEST_F(GatewayServerTest, BodiesBeyondTheInFlightBudgetGet503UntilBudgetFrees) {
  start({.max_body_bytes = 1024, .body_budget_bytes = 1500});
  // A slow client holds 900 bytes of the budget: they arrived, the rest not yet.
  auto slow = connect();
  asio::write(slow, asio::buffer(precheck_passing_head("/echo", 1000) + std::string(900, 'x')));
  ASSERT_TRUE(eventually([&] { return server_->stats().body_bytes_reserved == 900; }));
  // A second 1000-byte body does not fit, from another address too: 503
  // once the budget is spent, and what it had sent is given back.
  auto other = connect_from("127.0.0.2");
  Reply refused =
      raw_exchange(other, precheck_passing_head("/echo", 1000) + std::string(1000, 'y'));
  EXPECT_EQ(refused.status, 503u);
  EXPECT_EQ(refused.body, R"({"message":"Service Unavailable"})");
  ASSERT_TRUE(eventually([&] { return server_->stats().body_bytes_reserved == 900; }));
  // Small bodies still fit beside it (and are then refused by SigV4: 403).
  auto small = connect();
  EXPECT_EQ(raw_exchange(small, precheck_passing_head("/echo", 100) + std::string(100, 'z')).status,
            403u);
  // When the slow request ends, its share is free again.
  asio::write(slow, asio::buffer(std::string(100, 'x')));
  EXPECT_EQ(read_reply(slow).status, 403u);
  ASSERT_TRUE(eventually([&] { return server_->stats().body_bytes_reserved == 0; }));
  auto later = connect();
  EXPECT_EQ(
      raw_exchange(later, precheck_passing_head("/echo", 1000) + std::string(1000, 'y')).status,
      403u);
}

// Regression (security review, defect 2): bodies were reserved as soon as the
// headers arrived, before routing or any signature check, so 26 silent
// unauthenticated connections stopped every request with a body.
TEST_F(GatewayServerTest, RequestsRefusedFromTheirHeadersReserveNothing) {
  start({.max_body_bytes = 1 << 20, .body_budget_bytes = 2 << 20});
  // No route: 404 at once, the declared body neither awaited nor reserved.
  std::vector<tcp::socket> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(connect_from("127.0.0." + std::to_string(2 + i)));
    std::string head = "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 1048576\r\n\r\n";
    Reply r = raw_exchange(held.back(), head);
    EXPECT_EQ(r.status, 404u);
    EXPECT_EQ(r.headers["Connection"], "close");
  }
  // An AWS_IAM route without a signature, or with one that fails the
  // pre-check: 403 at once.
  for (std::string head :
       {std::string("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 1048576\r\n\r\n"),
        std::string("POST /echo HTTP/1.1\r\nHost: h\r\nX-Amz-Date: 20200101T000000Z\r\n"
                    "Authorization: AWS4-HMAC-SHA256 Credential=AKIDALICE/20200101/us-east-1/"
                    "execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=00\r\n"
                    "Content-Length: 1048576\r\n\r\n"),
        std::string("POST /echo HTTP/1.1\r\nHost: h\r\nX-Amz-Date: ") +
            auth::format_amz_date(auth::Clock::now()) +
            "\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDNOBODY/" +
            auth::format_amz_date(auth::Clock::now()).substr(0, 8) +
            "/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=00\r\n"
            "Content-Length: 1048576\r\n\r\n"}) {
    held.push_back(connect_from("127.0.0.9"));
    EXPECT_EQ(raw_exchange(held.back(), head).status, 403u) << head;
  }
  EXPECT_EQ(server_->stats().body_bytes_reserved, 0u);
  // Meanwhile a correctly signed request with a body is served.
  auto req = make(http::verb::post, "/echo", R"({"id":1})");
  sign(req, "AKIDALICE", "alice-secret-0123456789");
  EXPECT_EQ(call(std::move(req)).status, 200u);
}

TEST_F(GatewayServerTest, OneClientAddressIsHeldToItsShareOfTheBodyBudget) {
  start({.max_body_bytes = 1000,
         .body_budget_bytes = 10000,
         .client_body_budget_bytes = 2500,
         .body_grace = std::chrono::seconds(30)});
  // 127.0.0.2 holds two bodies of 900 bytes each, still arriving.
  std::vector<tcp::socket> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(connect_from("127.0.0.2"));
    asio::write(held.back(),
                asio::buffer(precheck_passing_head("/echo", 1000) + std::string(900, 'x')));
  }
  ASSERT_TRUE(eventually([&] { return server_->client_body_bytes("127.0.0.2") == 1800; }));
  // A third would pass its share: 429, and its bytes are given back.
  auto third = connect_from("127.0.0.2");
  Reply r = raw_exchange(third, precheck_passing_head("/echo", 1000) + std::string(1000, 'y'));
  EXPECT_EQ(r.status, 429u);
  EXPECT_EQ(r.body, R"({"message":"Too Many Requests"})");
  ASSERT_TRUE(eventually([&] { return server_->client_body_bytes("127.0.0.2") == 1800; }));
  // Other addresses are not affected.
  auto other = connect_from("127.0.0.3");
  asio::write(other, asio::buffer(precheck_passing_head("/echo", 1000) + std::string(900, 'z')));
  ASSERT_TRUE(eventually([&] { return server_->client_body_bytes("127.0.0.3") == 900; }));
  auto req = make(http::verb::post, "/echo", R"({"id":1})");
  sign(req, "AKIDALICE", "alice-secret-0123456789");
  EXPECT_EQ(call(std::move(req)).status, 200u);
}

// Regression (security review, second pass): one address could take every
// connection slot with requests that never finish their headers.
TEST_F(GatewayServerTest, OneClientAddressIsHeldToItsShareOfConnections) {
  start({.max_connections = 100, .max_connections_per_client = 3});
  std::vector<tcp::socket> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(connect_from("127.0.0.2"));
    asio::write(held.back(), asio::buffer(std::string("GET /open HTTP/1.1\r\nHost: h\r\n")));
  }
  ASSERT_TRUE(eventually([&] { return server_->stats().connections == 3; }));
  auto fourth = connect_from("127.0.0.2");
  Reply r = read_reply(fourth);
  EXPECT_EQ(r.status, 429u);
  EXPECT_EQ(call(make(http::verb::get, "/open")).status, 200u);  // 127.0.0.1 is served
}

// A request that starts and then trickles its headers is cut off after the
// header timeout, not the (longer) idle timeout.
TEST_F(GatewayServerTest, SlowHeadersAreCutOffAfterTheHeaderTimeout) {
  start(
      {.idle_timeout = std::chrono::seconds(60), .header_timeout = std::chrono::milliseconds(200)});
  auto slow = connect();
  asio::write(slow, asio::buffer(std::string("GET /open HTTP/1.1\r\nHost: h\r\n")));
  Reply r = read_reply(slow);  // returns once the server gives up on the headers
  EXPECT_NE(r.status, 200u);
  ASSERT_TRUE(eventually([&] { return server_->stats().connections == 0; }));
}

// Regression (security review, second pass): a chunk-size line or extension
// that never ends, or endless trailers, grew the read buffer without bound.
TEST_F(GatewayServerTest, ChunkFramingAndTrailersAreBounded) {
  const std::string head = "GET /open HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  {
    auto s = connect();
    beast::error_code ec;
    asio::write(s, asio::buffer(head + "1;" + std::string(200000, 'a')), ec);
    EXPECT_EQ(read_reply(s).status, 400u);
  }
  {
    auto s = connect();
    std::string trailers;
    for (int i = 0; i < 20000; ++i) trailers += "X-T" + std::to_string(i) + ": v\r\n";
    beast::error_code ec;
    asio::write(s, asio::buffer(head + "1\r\nx\r\n0\r\n" + trailers), ec);
    EXPECT_EQ(read_reply(s).status, 400u);
  }
  {
    auto s = connect();  // one short trailer: refused too, trailers are not accepted
    EXPECT_EQ(raw_exchange(s, head + "1\r\nx\r\n0\r\nX-T: v\r\n\r\n").status, 400u);
  }
  {
    auto s = connect();  // plain chunked bodies work
    Reply ok = raw_exchange(s,
                            "GET /open HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "3\r\nabc\r\n0\r\n\r\n");
    EXPECT_EQ(ok.status, 200u);
    EXPECT_NE(ok.body.find(" abc "), std::string::npos);
  }
  EXPECT_TRUE(eventually([&] { return server_->stats().body_bytes_reserved == 0; }));
}

// Regression (security review, second pass): a Transfer-Encoding that does
// not end in chunked left Beast reading no body, so the body was parsed as a
// second request; HEAD answers carried a body a keep-alive client would read
// as the next response.
TEST_F(GatewayServerTest, AmbiguousFramingIs400AndHeadHasNoBody) {
  for (std::string te : {"gzip", "chunked, gzip", "identity"}) {
    auto s = connect();
    Reply r = raw_exchange(s, "POST /open HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: " + te +
                                  "\r\n\r\nGET /open HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_EQ(r.status, 400u) << te;
    EXPECT_EQ(r.headers["Connection"], "close") << te;
  }
  for (std::string hosts : {std::string(), std::string("Host: a\r\nHost: b\r\n")}) {
    auto s = connect();
    EXPECT_EQ(raw_exchange(s, "GET /open HTTP/1.1\r\n" + hosts + "\r\n").status, 400u) << hosts;
  }
  auto s = connect();
  asio::write(s, asio::buffer(std::string("HEAD /healthz HTTP/1.1\r\nHost: h\r\n\r\n"
                                          "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n")));
  // Read both responses as raw bytes: the HEAD one must end at its header.
  std::string bytes;
  beast::error_code ec;
  char buf[4096];
  while (bytes.find(R"({"status":"ok"})") == std::string::npos && !ec) {
    std::size_t n = s.read_some(asio::buffer(buf), ec);
    bytes.append(buf, n);
  }
  const std::size_t second = bytes.find("HTTP/1.1 200", 1);
  ASSERT_NE(second, std::string::npos) << bytes;
  EXPECT_EQ(bytes.substr(0, second).find("status"), std::string::npos) << bytes;
  EXPECT_NE(bytes.substr(0, second).find("Content-Length: 15"), std::string::npos) << bytes;
}

// Regression (security review, second pass): the IAM resource is the
// decoded path, so `%2E%2E` or `%2F` could walk past a path-prefix Deny.
TEST_F(GatewayServerTest, EncodedDotSegmentsAndSlashesAre400OnIamRoutes) {
  for (std::string target : {"/contacts/%2E%2E", "/contacts/%2e", "/contacts/1%2F.."}) {
    auto req = make(http::verb::get, target);
    sign(req, "AKIDALICE", "alice-secret-0123456789");
    EXPECT_EQ(call(std::move(req)).status, 400u) << target;
  }
  // An escape that decodes to a plain character is fine.
  auto req = make(http::verb::get, "/ech%6F");
  sign(req, "AKIDALICE", "alice-secret-0123456789");
  EXPECT_EQ(call(std::move(req)).status, 200u);
}

// A client that does not read large responses holds them against its share:
// its next request waits.
TEST_F(GatewayServerTest, UnreadResponsesCountAgainstTheClientsShare) {
  start({.client_body_budget_bytes = 10 * 1024 * 1024 + 1000});
  // /big answers 11 MiB; the sockets' buffers hold far less, so the write waits.
  auto reader = connect_from("127.0.0.5");
  asio::write(reader, asio::buffer(std::string("GET /big HTTP/1.1\r\nHost: h\r\n\r\n")));
  ASSERT_TRUE(eventually([&] { return server_->client_body_bytes("127.0.0.5") > 0; }));
  auto next = connect_from("127.0.0.5");
  EXPECT_EQ(raw_exchange(next, "GET /open HTTP/1.1\r\nHost: h\r\n\r\n").status, 429u);
  auto other = connect_from("127.0.0.6");
  EXPECT_EQ(raw_exchange(other, "GET /open HTTP/1.1\r\nHost: h\r\n\r\n").status, 200u);
}

TEST_F(GatewayServerTest, BodiesBelowTheMinimumRateAreCutOff) {
  start({.body_grace = std::chrono::milliseconds(300), .body_min_bytes_per_second = 100});
  auto trickle = connect();
  asio::write(trickle, asio::buffer(precheck_passing_head("/echo", 100000) + "0123456789"));
  ASSERT_TRUE(eventually([&] { return server_->stats().body_bytes_reserved == 10; }));
  // One byte every 50 ms is 20 B/s, below the 100 B/s asked for.
  beast::error_code ec;
  for (int i = 0; i < 200 && !ec && server_->stats().body_bytes_reserved != 0; ++i) {
    asio::write(trickle, asio::buffer("x", 1), ec);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(server_->stats().body_bytes_reserved, 0u);
  // The server closed the connection: reading ends.
  char byte;
  trickle.read_some(asio::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec);
}

// Regression (security review, defect 1): the verifier cut the target at '#'
// while the router passed everything after '?' on, so a signed GET could be
// replayed with parameters nobody signed. A target is parsed once and one
// holding '#' (or a byte URIs cannot hold) is refused before routing.
TEST_F(GatewayServerTest, TargetsHoldingAFragmentOrBytesUrisExcludeAre400) {
  auto signed_get = make(http::verb::get, "/echo");
  sign(signed_get, "AKIDALICE", "alice-secret-0123456789");
  std::string headers;
  for (const auto& f : signed_get) {
    headers += std::string(f.name_string()) + ": " + std::string(f.value()) + "\r\n";
  }
  auto replay = [&](std::string_view target) {
    auto socket = connect();
    return raw_exchange(socket, "GET " + std::string(target) + " HTTP/1.1\r\n" + headers + "\r\n");
  };
  EXPECT_EQ(replay("/echo").status, 200u);  // the signed request itself
  for (std::string_view target :
       {"/echo?#&page_size=2&search=Pearl", "/echo#x", "/echo?a=1#b", "/ech\xC3\xB6",
        "/echo?x=\xFF", "/echo?x=\"", "/echo?x=<", "/echo?x=>", "/echo?x={", "/echo?x=}",
        "/echo?x=|", "/echo?x=\\", "/echo?x=^", "/echo?x=`", "/open#", "/nope#"}) {
    Reply r = replay(target);
    EXPECT_EQ(r.status, 400u) << target;
    EXPECT_EQ(r.body, R"({"message":"Bad Request"})") << target;
  }
}

TEST_F(GatewayServerTest, PresignedUrlWithAFragmentIsRefused) {
  std::string date = auth::format_amz_date(auth::Clock::now());
  std::string query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDALICE%2F" +
                      date.substr(0, 8) +
                      "%2Fus-east-1%2Fexecute-api%2Faws4_request&X-Amz-Date=" + date +
                      "&X-Amz-Expires=300&X-Amz-SignedHeaders=host";
  const std::string host_value = host();
  std::vector<auth::HeaderField> headers{{"Host", host_value}};
  auth::RequestView view{"GET", "/echo", query, headers, "", {}};
  auto creq = auth::canonical_request(view, "host", auth::kEmptyPayloadHash);
  ASSERT_TRUE(creq.ok());
  std::string scope = auth::credential_scope(date.substr(0, 8), "us-east-1", "execute-api");
  auto key = auth::derive_signing_key("alice-secret-0123456789", date.substr(0, 8), "us-east-1",
                                      "execute-api");
  std::string signature(
      auth::view(auth::compute_signature(key, auth::string_to_sign(date, scope, *creq))));
  std::string url = "/echo?" + query + "&X-Amz-Signature=" + signature;
  auto send = [&](const std::string& target) {
    auto socket = connect();
    return raw_exchange(socket, "GET " + target + " HTTP/1.1\r\nHost: " + host() + "\r\n\r\n");
  };
  EXPECT_EQ(send(url).status, 200u);
  EXPECT_EQ(send(url + "#&search=Pearl").status, 400u);
  EXPECT_EQ(send(url + "&search=Pearl").status, 403u);  // unsigned parameter: mismatch
}

// The path routed is the path signed: dot and empty segments go as SigV4
// canonicalisation drops them, before routing.
TEST_F(GatewayServerTest, DotSegmentsAreResolvedBeforeRoutingAsTheSignatureSeesThem) {
  auto socket = connect();
  Reply r = raw_exchange(socket, "GET /x/../open HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("GET /open "), std::string::npos);
  auto req = make(http::verb::get, "/contacts/7/../42");
  sign(req, "AKIDALICE", "alice-secret-0123456789");
  Reply p = call(std::move(req));
  EXPECT_EQ(p.status, 200u);
  EXPECT_NE(p.body.find(" 42 "), std::string::npos);
}

// Regression (security review, defect 3): decoded path parameters were
// pasted raw into the upstream's request line (CR LF: header injection;
// ../: path traversal).
TEST_F(GatewayServerTest, HttpProxyReencodesPathParameters) {
  std::string port = std::to_string(server_->port());
  std::string doc =
      R"({"integrations":{"one":{"integration_type":"HTTP_PROXY","integration_uri":"http://127.0.0.1:)" +
      port +
      R"(/seen/p/{name}"},"many":{"integration_type":"HTTP_PROXY","integration_uri":"http://127.0.0.1:)" +
      port +
      R"(/seen/g/{proxy}"},"echo":{"integration_type":"AWS_PROXY","integration_uri":"echo","payload_format_version":"2.0"}},)"
      R"("routes":[{"route_key":"ANY /one/{name}","target":"integrations/one"},)"
      R"({"route_key":"ANY /many/{proxy+}","target":"integrations/many"},)"
      R"({"route_key":"ANY /seen/{proxy+}","target":"integrations/echo"}]})";
  auto routes = RouteTable::compile(doc);
  ASSERT_TRUE(routes.ok()) << routes.error().message;
  server_->set_routes(*routes);
  auto get = [&](std::string target) {
    auto socket = connect();
    return raw_exchange(socket, "GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n");
  };
  // The upstream (the echo function behind /seen) sees each value encoded.
  Reply r = get("/one/a%20b%3Fc%23d%2Fe%25");
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("GET /seen/p/a%20b%3Fc%23d%2Fe%25 "), std::string::npos) << r.body;
  Reply g = get("/many/x%20y/z");
  EXPECT_EQ(g.status, 200u);
  EXPECT_NE(g.body.find("GET /seen/g/x%20y/z "), std::string::npos) << g.body;
  Reply dotted = get("/one/a..b%2F.c");  // dots that are not a whole segment are data
  EXPECT_NE(dotted.body.find("GET /seen/p/a..b%2F.c "), std::string::npos) << dotted.body;
  // Refused: control characters, and dot segments a greedy value would carry.
  for (std::string target :
       {"/one/x%0D%0AInjected:%201", "/many/a%0Ab", "/many/..%2Fadmin", "/one/..%2F..%2Fadmin",
        "/one/a%2F..", "/many/%2E%2E/admin", "/one/%2E%2E", "/one/%00"}) {
    Reply bad = get(target);
    EXPECT_EQ(bad.status, 400u) << target;
    EXPECT_NE(bad.body.find("path parameter"), std::string::npos) << target;
  }
}

TEST_F(GatewayServerTest, OversizedHeadersAre431) {
  auto req = make(http::verb::get, "/open");
  req.set("x-big", std::string(20000, 'a'));
  Reply r = call(std::move(req));
  EXPECT_EQ(r.status, 431u);
}

TEST_F(GatewayServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto socket = connect();
  for (int i = 0; i < 3; ++i) {
    auto req = make(http::verb::get, "/open");
    EXPECT_EQ(exchange(socket, req).status, 200u);
  }
}

TEST_F(GatewayServerTest, ConnectionsOverTheCapGet503) {
  start({.max_connections = 1});
  auto first = connect();
  auto req0 = make(http::verb::get, "/open");
  EXPECT_EQ(exchange(first, req0).status, 200u);
  Reply r = call(make(http::verb::get, "/open"));
  EXPECT_EQ(r.status, 503u);
}

TEST_F(GatewayServerTest, StopFinishesInFlightRequests) {
  Reply r;
  std::thread client([&] { r = call(make(http::verb::post, "/slow_ok", "{}")); });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  client.join();
  EXPECT_EQ(r.status, 201u);
  EXPECT_EQ(r.headers["Connection"], "close");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST_F(GatewayServerTest, AccessLogHasTheSeedFieldsAndNoSecrets) {
  auto req = make(http::verb::post, "/echo", "{}");
  sign(req, "AKIDALICE", "alice-secret-0123456789");
  std::string signature(
      req[http::field::authorization].substr(req[http::field::authorization].rfind('=') + 1));
  Reply ok = call(std::move(req));
  Reply bad = call(make(http::verb::post, "/echo", "{}"));
  std::string log = access_log(bad.headers["apigw-requestid"]);
  for (const char* field :
       {"requestId", "sourceIp", "requestTime", "protocol", "httpMethod", "resourcePath",
        "routeKey", "status", "responseLength", "integrationErrorMessage"}) {
    EXPECT_NE(log.find(std::string("\"") + field + "\""), std::string::npos) << field;
  }
  EXPECT_NE(log.find(ok.headers["apigw-requestid"]), std::string::npos);
  EXPECT_NE(log.find(bad.headers["apigw-requestid"]), std::string::npos);
  EXPECT_NE(log.find(R"("routeKey":"ANY /echo")"), std::string::npos);
  EXPECT_EQ(log.find("alice-secret"), std::string::npos);
  EXPECT_EQ(log.find(signature), std::string::npos);
  log_->flush();
  EXPECT_TRUE(
      std::filesystem::exists(log_root_ / "aws/lambda/echo" /
                              (logs::daily_stream(std::chrono::system_clock::now()) + ".jsonl")));
}

TEST_F(GatewayServerTest, HttpProxyForwardsToTheUpstreamAndRoutesReloadAtomically) {
  // The gateway is its own upstream: /up/{proxy+} forwards to /{proxy}.
  std::string doc =
      R"({"integrations":{"up":{"integration_type":"HTTP_PROXY","integration_uri":"http://127.0.0.1:)" +
      std::to_string(server_->port()) +
      R"(/{proxy}"},"echo":{"integration_type":"AWS_PROXY","integration_uri":"echo","payload_format_version":"2.0"}},)"
      R"("routes":[{"route_key":"ANY /up/{proxy+}","target":"integrations/up"},)"
      R"({"route_key":"GET /open","target":"integrations/echo"}]})";
  auto routes = RouteTable::compile(doc);
  ASSERT_TRUE(routes.ok()) << routes.error().message;
  EXPECT_EQ(call(make(http::verb::get, "/up/open")).status, 404u);  // not yet loaded
  server_->set_routes(*routes);
  Reply r = call(make(http::verb::get, "/up/open?x=1"));
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("GET /open"), std::string::npos);
  EXPECT_EQ(call(make(http::verb::post, "/echo", "{}")).status, 404u);  // the old table is gone
}

TEST_F(GatewayServerTest, PrincipalsReloadAtomically) {
  auth::PrincipalsBuilder b("123456789012");
  b.add_full_access("carol", "AKIDCAROL", "carol-secret-0123456789");
  server_->set_principals(b.build());
  auto req = make(http::verb::post, "/echo", "{}");
  sign(req, "AKIDCAROL", "carol-secret-0123456789");
  EXPECT_EQ(call(std::move(req)).status, 200u);
  auto old = make(http::verb::post, "/echo", "{}");
  sign(old, "AKIDALICE", "alice-secret-0123456789");
  EXPECT_EQ(call(std::move(old)).status, 403u);
}

TEST_F(GatewayServerTest, PolicyConditionsSeeTheRequestContext) {
  auto ok = make(http::verb::get, "/echo");
  sign(ok, "AKIDDAVE", "dave-secret-0123456789");
  EXPECT_EQ(call(std::move(ok)).status, 200u);  // from 127.0.0.1, not blocked
  auto blocked = make(http::verb::get, "/echo");
  blocked.set(http::field::user_agent, "blocked-agent/1.0");
  sign(blocked, "AKIDDAVE", "dave-secret-0123456789");
  Reply r = call(std::move(blocked));
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(r.body, R"({"message":"Forbidden"})");
}

}  // namespace
}  // namespace cloudlet::gateway
