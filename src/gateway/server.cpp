#include "gateway/server.hpp"

#include <atomic>
#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>
#include <optional>

#include "auth/authorizer.hpp"
#include "auth/iam.hpp"
#include "gateway/event.hpp"
#include "gateway/http_proxy.hpp"
#include "gateway/put_events.hpp"

namespace cloudlet::gateway {

namespace json = boost::json;
namespace wire = http::wire;
using boost::beast::iequals;

namespace {

// True when no segment of the (still encoded) path decodes to a '/' or to
// "." or "..".
bool plain_decoded_segments(std::string_view path) {
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

std::vector<auth::HeaderField> header_list(const wire::fields& fields) {
  std::vector<auth::HeaderField> out;
  for (const auto& f : fields) out.push_back({f.name_string(), f.value()});
  return out;
}

// Gateway-generated errors: {"message": …}, optionally x-amzn-ErrorType.
http::Response gateway_error(wire::status status, std::string_view message,
                             std::string_view error_type = {}) {
  http::Response res = http::message_response(status, message);
  if (!error_type.empty()) res.set("x-amzn-ErrorType", error_type);
  return res;
}

http::Response internal_error() {
  return gateway_error(wire::status::internal_server_error, "Internal Server Error");
}

// The integration's answer as the client's response (spec §10.2).
std::pair<http::Response, std::string> to_response(std::optional<functions::ProxyResponse> response,
                                                   std::string_view error) {
  if (!response || response->status_code < 100 || response->status_code > 599) {
    return {internal_error(),
            response ? "invalid statusCode from integration" : std::string(error)};
  }
  http::Response res;
  res.result(static_cast<unsigned>(response->status_code));
  bool has_type = false;
  for (auto& [k, v] : response->headers) {
    if (iequals(k, "content-length") || iequals(k, "transfer-encoding") ||
        iequals(k, "connection")) {
      continue;
    }
    has_type = has_type || iequals(k, "content-type");
    res.set(k, v);
  }
  if (!has_type) res.set(wire::field::content_type, "application/json");
  if (response->is_base64_encoded) {
    auto decoded = base64_decode(response->body);
    if (!decoded) return {internal_error(), "integration returned invalid base64 body"};
    res.body() = std::move(*decoded);
  } else {
    res.body() = std::move(response->body);
  }
  return {std::move(res), {}};
}

}  // namespace

// The gateway's meaning of requests: shared by every I/O thread, so only
// immutable state and atomically swapped snapshots.
class Server::Api final : public http::Handler {
 public:
  explicit Api(Dependencies d)
      : deps(std::move(d)),
        authorizer(deps.sigv4, deps.principals ? deps.principals
                                               : auth::PrincipalsBuilder(deps.account_id).build()),
        access_group("/aws/api_gw/" + deps.api_id) {
    routes.store(deps.routes);
  }

  std::unique_ptr<http::Call> begin(http::Exchange& exchange) override;
  std::string new_request_id() const override { return gateway::new_request_id(); }
  std::string_view request_id_header() const override { return "apigw-requestid"; }
  void on_done(const http::Exchange& exchange, const http::Call* call) override;

  auth::Clock::time_point now() const { return deps.clock ? deps.clock() : auth::Clock::now(); }

  void log_function(const std::string& name, const std::string& request_id, long long micros,
                    bool failed, int status) const {
    if (deps.log == nullptr) return;
    json::object o;
    o["requestId"] = request_id;
    o["function"] = name;
    o["durationUs"] = micros;  // an integer: Boost.JSON writes doubles as 1.82E-1
    o["outcome"] = failed ? "error" : (status >= 500 ? "error_response" : "ok");
    if (!failed) o["statusCode"] = status;
    deps.log->append("/aws/lambda/" + name, json::serialize(o));
  }

  const Dependencies deps;
  auth::Authorizer authorizer;
  const std::string access_group;
  std::atomic<std::shared_ptr<const RouteTable>> routes;
};

namespace {

// One request through API Gateway. Lives on the session's thread until the
// exchange ends; the integration's work must not touch it (it may outlive
// the call when a timeout answered first).
class GatewayCall final : public http::Call {
 public:
  explicit GatewayCall(const Server::Api& api) : api_(api) {}

  std::optional<http::Response> on_head(const http::RequestHead& head,
                                        http::Exchange& exchange) override {
    const std::string& path = exchange.target->path;
    std::string_view method = head.method_string();
    routes_ = api_.routes.load();
    std::optional<Match> match = routes_ ? routes_->match(method, path) : std::nullopt;
    if (!match) return gateway_error(wire::status::not_found, "Not Found");
    match_ = std::move(*match);
    route_key_ = match_.route->route_key;
    resource_path_ = match_.route->path.empty() ? "$default" : match_.route->path;
    if (match_.route->authorization != AuthorizationType::kAwsIam) return std::nullopt;
    // The IAM resource is the decoded path: a segment that decodes to a '/'
    // or a dot segment would let `%2E%2E` or `%2F` walk past a path-prefix
    // policy after the dot segments were already resolved.
    if (!plain_decoded_segments(path)) {
      exchange.error = "path segment decodes to '/', '.' or '..'";
      return gateway_error(wire::status::bad_request, "Bad Request");
    }
    principals_ = api_.authorizer.principals();
    std::vector<auth::HeaderField> headers = header_list(head);
    auth::RequestView view{method, path, exchange.target->query, headers, {}, {}};
    if (auto refused = api_.authorizer.precheck(view, *principals_, api_.now())) {
      return auth_error(*refused);
    }
    return std::nullopt;
  }

  // With the whole body: SigV4 in full, IAM, then the integration. The
  // target, route and principals are the ones on_head decided with.
  void on_request(http::Request& request, http::Exchange& exchange,
                  http::Responder responder) override {
    const std::string& path = exchange.target->path;
    std::string_view method = request.method_string();
    std::vector<auth::HeaderField> headers = header_list(request.base());
    std::optional<auth::Principal> principal;
    if (match_.route->authorization == AuthorizationType::kAwsIam) {
      auth::RequestView view{method, path, exchange.target->query, headers, request.body(), {}};
      const auto now = api_.now();
      std::string arn =
          auth::execute_api_arn(api_.authorizer.settings().region, api_.deps.account_id,
                                api_.deps.api_id, "$default", method, percent_decode(path));
      const auth::ClientFacts client{exchange.peer_ip, request[wire::field::user_agent],
                                     request[wire::field::referer]};
      auth::AuthResult verified = api_.authorizer.verify(view, *principals_, now);
      if (!verified.ok()) return responder.respond(auth_error(verified.error()));
      principal = verified.value();
      access_key_id_ = principal->access_key_id;
      if (auto denied = api_.authorizer.allow(*principal, *principals_, "execute-api:Invoke", arn,
                                              client, now)) {
        return responder.respond(auth_error(*denied));
      }
    }
    const Integration& integration = *match_.route->integration;
    if (integration.type == IntegrationType::kFunction) {
      return invoke_function(integration, request, headers, exchange, principal, responder);
    }
    if (integration.type == IntegrationType::kEventBridgePutEvents) {
      return invoke_event_bus(integration, request, headers, responder);
    }
    invoke_http(integration, request, headers, exchange, responder);
  }

  const std::string& route_key() const { return route_key_; }
  const std::string& resource_path() const { return resource_path_; }
  const std::string& auth_error_type() const { return auth_error_; }
  const std::string& access_key_id() const { return access_key_id_; }

 private:
  http::Response auth_error(const auth::AuthError& error) {
    auth_error_ = error.error_type.empty() ? "Forbidden" : std::string(error.error_type);
    return gateway_error(static_cast<wire::status>(error.http_status), error.message,
                         error.error_type);
  }

  void invoke_function(const Integration& integration, http::Request& request,
                       std::vector<auth::HeaderField>& headers, const http::Exchange& exchange,
                       const std::optional<auth::Principal>& principal,
                       const http::Responder& responder) {
    auto it = api_.deps.functions.find(integration.function_name);
    if (it == api_.deps.functions.end()) {
      return responder.respond(internal_error(),
                               "function " + integration.function_name + " is not deployed");
    }
    IncomingRequest in{request.method_string(),   exchange.target->path,
                       exchange.target->query,    std::move(headers),
                       std::move(request.body()), exchange.peer_ip,
                       exchange.request_id,       exchange.time};
    auto event = std::make_shared<functions::ProxyEvent>(build_event(
        in, match_, principal ? &*principal : nullptr, api_.deps.account_id, api_.deps.api_id));
    const functions::Handler* handler = &it->second;
    const Server::Api* api = &api_;
    // The work holds the Responder, and with it the body's charge: the
    // budget counts the body until the call has run or been withdrawn.
    responder.submit(
        [api, handler, event, responder, name = integration.function_name] {
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
          api->log_function(name, event->request_context.request_id, micros, failed,
                            response.status_code);
          auto [res, error] = to_response(
              failed ? std::nullopt : std::optional(std::move(response)), "function error");
          responder.respond(std::move(res), std::move(error));
        },
        std::chrono::milliseconds(integration.timeout_ms));
  }

  // The EventBridge-PutEvents integration: the entry built from the request
  // here (400 when a selector finds nothing), PutEvents on the worker pool,
  // and its answer as the response.
  void invoke_event_bus(const Integration& integration, const http::Request& request,
                        const std::vector<auth::HeaderField>& headers,
                        const http::Responder& responder) {
    if (!api_.deps.put_events) {
      return responder.respond(internal_error(), "no event bus for EventBridge-PutEvents");
    }
    std::vector<std::pair<std::string, std::string>> fields;
    for (const auto& h : headers) fields.emplace_back(h.name, h.value);
    auto body = put_events_request(integration, {request.body(), &fields});
    if (!body.ok()) {
      return responder.respond(gateway_error(wire::status::bad_request, body.error().message),
                               body.error().message);
    }
    const auto* put_events = &api_.deps.put_events;
    responder.submit(
        [responder, put_events, body = std::move(*body)] {
          auto [status, text] = (*put_events)(body);
          http::Response res;
          res.result(status);
          res.set(wire::field::content_type, "application/json");
          res.body() = std::move(text);
          responder.respond(std::move(res), status >= 400 ? "PutEvents failed" : "");
        },
        std::chrono::milliseconds(integration.timeout_ms));
  }

  void invoke_http(const Integration& integration, http::Request& request,
                   const std::vector<auth::HeaderField>& headers, const http::Exchange& exchange,
                   const http::Responder& responder) {
    auto url = expand_uri(integration.uri, match_);
    if (!url.ok()) {
      // The message names the parameter and is our own text.
      return responder.respond(gateway_error(wire::status::bad_request, url.error().message),
                               url.error().message);
    }
    ForwardRequest fwd;
    fwd.method =
        integration.method == "ANY" ? std::string(request.method_string()) : integration.method;
    fwd.raw_query = exchange.target->query;
    for (const auto& h : headers) fwd.headers.emplace_back(h.name, h.value);
    fwd.body = std::move(request.body());
    auto timeout = std::chrono::milliseconds(integration.timeout_ms);
    responder.submit(
        [responder, url = std::move(*url), fwd = std::move(fwd), timeout]() mutable {
          auto result = forward_http(url, std::move(fwd), timeout);
          auto [res, error] = result.ok() ? to_response(std::move(*result), {})
                                          : to_response(std::nullopt, result.error().message);
          responder.respond(std::move(res), std::move(error));
        },
        timeout);
  }

  const Server::Api& api_;
  // What on_head decided with, kept for the rest of the exchange so that a
  // reload in between changes nothing for it.
  std::shared_ptr<const RouteTable> routes_;
  std::shared_ptr<const auth::Principals> principals_;
  Match match_;
  std::string route_key_;
  std::string resource_path_;
  std::string auth_error_;
  std::string access_key_id_;
};

}  // namespace

std::unique_ptr<http::Call> Server::Api::begin(http::Exchange&) {
  return std::make_unique<GatewayCall>(*this);
}

void Server::Api::on_done(const http::Exchange& ex, const http::Call* call) {
  if (deps.log == nullptr) return;
  const auto* gw = dynamic_cast<const GatewayCall*>(call);
  auto dash = [](std::string_view s) -> std::string_view { return s.empty() ? "-" : s; };
  // Only a parsed target is logged: a refused one may hold any bytes.
  const std::string path = ex.target ? ex.target->path : std::string();
  json::object o;
  o["requestId"] = ex.request_id;
  o["sourceIp"] = dash(ex.peer_ip);
  o["requestTime"] = clf_time(ex.time);
  o["protocol"] = "HTTP/1.1";
  o["httpMethod"] = dash(ex.method);
  o["resourcePath"] = dash(gw ? gw->resource_path() : "");
  o["routeKey"] = dash(gw ? gw->route_key() : "");
  o["status"] = std::to_string(ex.status);
  o["responseLength"] = std::to_string(ex.response_bytes);
  o["integrationErrorMessage"] = dash(ex.error);
  // Beyond the seed's fields: the path without its query (a presigned
  // query carries a signature), latency, and for auth failures only the
  // error type; the access key id only once it verified.
  o["path"] = dash(path);
  o["responseLatency"] = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::steady_clock::now() - ex.started)
                                            .count());
  if (gw && !gw->auth_error_type().empty()) o["authError"] = gw->auth_error_type();
  if (gw && !gw->access_key_id().empty()) o["accessKeyId"] = gw->access_key_id();
  deps.log->append(access_group, json::serialize(o));
}

Server::Server(ServerOptions options, Dependencies deps) {
  if (options.name == http::ServerOptions{}.name) options.name = "gateway";
  http::ServerHooks hooks{deps.ready, deps.clock};
  api_ = std::make_unique<Api>(std::move(deps));
  server_ = std::make_unique<http::Server>(std::move(options), *api_, std::move(hooks));
}

Server::~Server() { stop(); }

Status Server::start() { return server_->start(); }
void Server::stop() { server_->stop(); }
std::uint16_t Server::port() const { return server_->port(); }
ServerStats Server::stats() const { return server_->stats(); }
std::size_t Server::client_body_bytes(std::string_view address) const {
  return server_->client_body_bytes(address);
}

void Server::set_routes(std::shared_ptr<const RouteTable> routes) {
  api_->routes.store(std::move(routes));
}

void Server::set_principals(std::shared_ptr<const auth::Principals> principals) {
  api_->authorizer.set_principals(std::move(principals));
}

GatewayService::GatewayService(ServerOptions options, Dependencies deps)
    : options_(options), server_(std::move(options), std::move(deps)) {}

std::string GatewayService::endpoint() const {
  return "http://" + options_.host + ":" + std::to_string(server_.port());
}

}  // namespace cloudlet::gateway
