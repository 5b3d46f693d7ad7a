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
    "missing": {"integration_type": "AWS_PROXY", "integration_uri": "not_deployed", "payload_format_version": "2.0"}
  },
  "routes": [
    {"route_key": "ANY /echo", "authorization_type": "AWS_IAM", "target": "integrations/echo"},
    {"route_key": "GET /contacts/{id}", "authorization_type": "AWS_IAM", "target": "integrations/echo"},
    {"route_key": "GET /open", "authorization_type": "NONE", "target": "integrations/echo"},
    {"route_key": "ANY /slow", "authorization_type": "NONE", "target": "integrations/slow"},
    {"route_key": "ANY /slow_ok", "authorization_type": "NONE", "target": "integrations/slow_ok"},
    {"route_key": "ANY /throws", "authorization_type": "NONE", "target": "integrations/throws"},
    {"route_key": "ANY /missing", "authorization_type": "NONE", "target": "integrations/missing"}
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
    CredentialsBuilder creds("123456789012");
    EXPECT_TRUE(creds.add_document(kCredentials).ok());
    deps.credentials = creds.build();
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
    options.port = 0;
    options.io_threads = 2;
    options.workers = 4;
    server_ = std::make_unique<Server>(options, std::move(deps));
    ASSERT_TRUE(server_->start().ok());
  }

  std::string host() const { return "127.0.0.1:" + std::to_string(server_->port()); }

  Reply exchange(tcp::socket& socket, http::request<http::string_body>& req) {
    req.prepare_payload();
    http::write(socket, req);
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
    auth::RequestView view{req.method_string(), req.target(), headers, req.body(), {}};
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

  asio::io_context ioc_;
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
  EXPECT_EQ(call(make(http::verb::get, "/healthz")).status, 200u);
  EXPECT_EQ(call(make(http::verb::get, "/readyz")).status, 200u);
  ready_ = false;
  Reply r = call(make(http::verb::get, "/readyz"));
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.body.find("db down"), std::string::npos);
}

TEST_F(GatewayServerTest, IntegrationTimeoutIsServiceUnavailable) {
  Reply r = call(make(http::verb::post, "/slow", "{}"));
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.body, R"({"message":"Service Unavailable"})");
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
  // A slow client holds 1000 bytes of the budget: headers sent, body not yet.
  auto slow = connect();
  std::string head =
      "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: 1000\r\n\r\n";
  asio::write(slow, asio::buffer(head));
  // The budget is taken once the server has read those headers; a second
  // 1000-byte body does not fit.
  Reply refused;
  for (int i = 0; i < 200 && refused.status != 503u; ++i) {
    refused = call(make(http::verb::post, "/echo", std::string(1000, 'y')));
    if (refused.status != 503u) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(refused.status, 503u);
  EXPECT_EQ(refused.body, R"({"message":"Service Unavailable"})");
  // Small bodies still fit beside it.
  EXPECT_EQ(call(make(http::verb::post, "/echo", std::string(100, 'z'))).status, 403u);
  // When the slow request ends, its share is free again. (These requests are
  // unsigned: a body that fits is read and then refused by SigV4 with 403.)
  asio::write(slow, asio::buffer(std::string(1000, 'x')));
  slow.close();
  Reply later;
  for (int i = 0; i < 200 && later.status != 403u; ++i) {
    later = call(make(http::verb::post, "/echo", std::string(1000, 'y')));
    if (later.status != 403u) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(later.status, 403u);
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

TEST_F(GatewayServerTest, CredentialsReloadAtomically) {
  CredentialsBuilder b("123456789012");
  b.add_full_access("carol", "AKIDCAROL", "carol-secret-0123456789");
  server_->set_credentials(b.build());
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
