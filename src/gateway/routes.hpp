// Routes and integrations as data, in the shape of Terraform's
// aws_apigatewayv2_route + aws_apigatewayv2_integration, compiled once into an
// immutable RouteTable that matches requests the way API Gateway HTTP APIs do.
//
// Routes file (JSON):
//   {
//     "integrations": {
//       "<id>": {"integration_type": "AWS_PROXY", "integration_uri": "<function name or Lambda
//       ARN>",
//                "payload_format_version": "2.0", "timeout_milliseconds": 30000},
//       "<id>": {"integration_type": "HTTP_PROXY", "integration_method": "ANY",
//                "integration_uri": "http://host:port/base/{proxy}"}
//     },
//     "routes": [
//       {"route_key": "ANY /contacts_insert", "authorization_type": "AWS_IAM",
//        "target": "integrations/<id>"}
//     ]
//   }
//
// Matching (AWS "Routing API requests" for HTTP APIs): the most specific route
// wins — at the first segment where two matching routes differ, a literal
// beats a `{param}`, which beats a greedy `{proxy+}`; on equal paths a route
// for the request's method beats `ANY`; `$default` catches the rest. A greedy
// variable matches one or more segments and is only allowed last.
//
// Thread safety: a RouteTable is immutable once compiled; share it as
// shared_ptr<const RouteTable> and swap the pointer to reload.
// Cost of match(): linear in the number of routes (they are pre-sorted by
// specificity, so the first hit wins), no allocation unless there are path
// parameters.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace cloudlet::gateway {

enum class AuthorizationType { kNone, kAwsIam };
enum class IntegrationType { kFunction, kHttpProxy, kEventBridgePutEvents };

struct Integration {
  std::string id;
  IntegrationType type = IntegrationType::kFunction;
  std::string function_name;   // kFunction: the handler's name
  std::string uri;             // kHttpProxy: http://host:port/path, `{name}` substituted
  std::string method = "ANY";  // kHttpProxy: ANY = the request's method
  int timeout_ms = 30000;      // 50 … 30000, as API Gateway allows
  // kEventBridgePutEvents: PutEvents entry member -> a literal or a
  // `$request.body.<path>` / `$request.header.<name>` selector (put_events.hpp).
  std::vector<std::pair<std::string, std::string>> request_parameters;
};

struct Route {
  std::string route_key;  // "ANY /contacts/{id}", "$default"
  std::string method;     // "ANY", "GET", … ; empty for $default
  std::string path;       // "/contacts/{id}"; empty for $default
  AuthorizationType authorization = AuthorizationType::kNone;
  const Integration* integration = nullptr;  // points into the owning table

  // Compiled path: one entry per segment.
  enum class Segment : std::uint8_t { kGreedy = 0, kParam = 1, kLiteral = 2 };
  std::vector<Segment> kinds;
  std::vector<std::string> texts;  // literal text, or the parameter's name
};

struct Match {
  const Route* route = nullptr;
  // Path parameters, values percent-decoded, in path order.
  std::vector<std::pair<std::string, std::string>> parameters;
};

class RouteTable {
 public:
  // Parses and validates a routes document. Errors (kInvalidArgument) name the
  // route or integration at fault: bad route keys, duplicate keys, unknown
  // targets, unsupported integration types, greedy variables not last.
  static Result<std::shared_ptr<const RouteTable>> compile(std::string_view json);

  // The route for `method` and the raw path (no query), or nullopt (404).
  std::optional<Match> match(std::string_view method, std::string_view raw_path) const;

  const std::vector<Route>& routes() const { return routes_; }
  const std::vector<std::unique_ptr<Integration>>& integrations() const { return integrations_; }

 private:
  std::vector<std::unique_ptr<Integration>> integrations_;
  std::vector<Route> routes_;  // sorted, most specific first; $default excluded
  std::optional<Route> default_route_;
};

// The routes file shipped with cloudlet: the seven seed routes
// (`ANY /contacts_*`, AWS_IAM) and the resource-style routes.
std::string_view default_routes_json();

// Percent-decodes `text`; a malformed escape is kept literally.
std::string percent_decode(std::string_view text, bool plus_is_space = false);

}  // namespace cloudlet::gateway
