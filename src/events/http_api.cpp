#include "events/http_api.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/json/parse.hpp>

#include "auth/authorizer.hpp"
#include "core/uuid.hpp"

namespace cloudlet::events {

namespace json = boost::json;
namespace wire = http::wire;

namespace {

constexpr std::string_view kJson11 = "application/x-amz-json-1.1";
constexpr std::string_view kTargetPrefix = "AWSEvents.";

http::Response to_response(const ApiReply& reply) {
  http::Response res;
  res.result(reply.status);
  res.set(wire::field::content_type, kJson11);
  if (!reply.error_type.empty()) res.set("X-Amzn-ErrorType", reply.error_type);
  res.body() = reply.body;
  return res;
}

http::Response error(std::string_view type, std::string_view message) {
  return to_response(error_reply(type, message));
}

// SigV4 and IAM refusals in the JSON protocol's form (the status is the
// catalogue's: 400 for signature errors, 403 without credentials).
http::Response auth_error(const auth::AuthError& e) {
  ApiReply reply =
      error_reply(e.error_type.empty() ? "AccessDeniedException" : e.error_type, e.message);
  reply.status = static_cast<unsigned>(e.http_status);
  return to_response(reply);
}

std::vector<auth::HeaderField> header_list(const wire::fields& fields) {
  std::vector<auth::HeaderField> out;
  for (const auto& f : fields) out.push_back({f.name_string(), f.value()});
  return out;
}

}  // namespace

class HttpApi::Handler final : public http::Handler {
 public:
  explicit Handler(HttpApiDependencies d)
      : deps(std::move(d)),
        authorizer(deps.sigv4,
                   deps.principals
                       ? deps.principals
                       : auth::PrincipalsBuilder(deps.api->settings().account_id).build()) {}

  std::unique_ptr<http::Call> begin(http::Exchange& exchange) override;
  std::string new_request_id() const override { return random_uuid(); }
  std::string_view request_id_header() const override { return "x-amzn-RequestId"; }

  // The server's own refusals, as AWS JSON errors botocore understands:
  // throttling for the load limits (it retries those), the rest by class.
  http::Response error_response(wire::status status, std::string_view message) const override {
    const auto code = static_cast<unsigned>(status);
    std::string_view type = "ValidationException";
    if (code == 429 || code == 503) type = "ThrottlingException";
    if (code == 408) type = "RequestTimeoutException";
    if (code == 413) type = "RequestEntityTooLargeException";
    if (code >= 500 && code != 503) type = "InternalException";
    ApiReply reply = error_reply(type, message);
    reply.status = code;
    return to_response(reply);
  }

  http::Response timeout_response(bool started) const override {
    if (!started) {
      ApiReply reply = error_reply("ThrottlingException", "Service Unavailable");
      reply.status = 503;
      return to_response(reply);
    }
    return error("InternalException", "The request timed out; its outcome is unknown.");
  }

  auth::Clock::time_point now() const { return deps.clock ? deps.clock() : auth::Clock::now(); }

  const HttpApiDependencies deps;
  auth::Authorizer authorizer;
};

namespace {

class EventsCall final : public http::Call {
 public:
  explicit EventsCall(const HttpApi::Handler& handler) : handler_(handler) {}

  std::optional<http::Response> on_head(const http::RequestHead& head,
                                        http::Exchange& exchange) override {
    if (head.method() != wire::verb::post || exchange.target->path != "/")
      return error("UnknownOperationException", "Only POST / is served here.");
    std::string_view target = head["X-Amz-Target"];
    if (!target.starts_with(kTargetPrefix) ||
        !EventBusApi::known_action(target.substr(kTargetPrefix.size()))) {
      exchange.error = "unknown X-Amz-Target";
      return error("UnknownOperationException", "The action or operation requested is invalid.");
    }
    action_ = std::string(target.substr(kTargetPrefix.size()));
    principals_ = handler_.authorizer.principals();
    std::vector<auth::HeaderField> headers = header_list(head);
    auth::RequestView view{
        head.method_string(), exchange.target->path, exchange.target->query, headers, {}, {}};
    if (auto refused = handler_.authorizer.precheck(view, *principals_, handler_.now())) {
      exchange.error = std::string(refused->error_type);
      return auth_error(*refused);
    }
    return std::nullopt;
  }

  void on_request(http::Request& request, http::Exchange& exchange,
                  http::Responder responder) override {
    std::vector<auth::HeaderField> headers = header_list(request.base());
    auth::RequestView view{request.method_string(), exchange.target->path,
                           exchange.target->query,  headers,
                           request.body(),          {}};
    const auto now = handler_.now();
    auth::AuthResult verified = handler_.authorizer.verify(view, *principals_, now);
    if (!verified.ok()) {
      return responder.respond(auth_error(verified.error()),
                               std::string(verified.error().error_type));
    }
    // botocore sends `{}` for inputs without members; an empty body reads
    // the same.
    json::object body;
    if (!request.body().empty()) {
      boost::system::error_code ec;
      json::value parsed = json::parse(request.body(), ec);
      if (ec || !parsed.is_object()) {
        return responder.respond(
            error("SerializationException", "The request body is not a JSON object."),
            "body is not a JSON object");
      }
      body = std::move(parsed.get_object());
    }
    const auth::ClientFacts client{exchange.peer_ip, request[wire::field::user_agent],
                                   request[wire::field::referer]};
    const std::string iam_action = "events:" + action_;
    const ApiSettings& settings = handler_.deps.api->settings();
    for (const auto& resource :
         iam_resources(action_, body, settings.region, settings.account_id)) {
      if (auto denied = handler_.authorizer.allow(verified.value(), *principals_, iam_action,
                                                  resource, client, now)) {
        return responder.respond(auth_error(*denied), "denied " + iam_action);
      }
    }
    if (action_ == "PutTargets") {
      for (const auto& check : target_iam_checks(body, settings.region, settings.account_id)) {
        if (auto denied = handler_.authorizer.allow(verified.value(), *principals_, check.action,
                                                    check.resource, client, now)) {
          return responder.respond(auth_error(*denied), "denied " + check.action);
        }
      }
    }
    const EventBusApi* api = handler_.deps.api;
    responder.submit(
        [api, responder, action = action_, body = std::move(body), now] {
          ApiReply reply = api->call(action, body, {now});
          std::string log_error = reply.error_type;
          responder.respond(to_response(reply), std::move(log_error));
        },
        handler_.deps.action_timeout);
  }

 private:
  const HttpApi::Handler& handler_;
  std::string action_;
  std::shared_ptr<const auth::Principals> principals_;
};

}  // namespace

std::unique_ptr<http::Call> HttpApi::Handler::begin(http::Exchange&) {
  return std::make_unique<EventsCall>(*this);
}

HttpApi::HttpApi(http::ServerOptions options, HttpApiDependencies deps) {
  if (options.name == http::ServerOptions{}.name) options.name = "events";
  http::ServerHooks hooks{deps.ready, deps.clock};
  handler_ = std::make_unique<Handler>(std::move(deps));
  server_ = std::make_unique<http::Server>(std::move(options), *handler_, std::move(hooks));
}

HttpApi::~HttpApi() { stop(); }

Status HttpApi::start() { return server_->start(); }
void HttpApi::stop() { server_->stop(); }
std::uint16_t HttpApi::port() const { return server_->port(); }
void HttpApi::set_principals(std::shared_ptr<const auth::Principals> principals) {
  handler_->authorizer.set_principals(std::move(principals));
}

}  // namespace cloudlet::events
