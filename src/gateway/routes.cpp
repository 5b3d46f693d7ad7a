#include "gateway/routes.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <set>

#include "gateway/put_events.hpp"

namespace cloudlet::gateway {

namespace json = boost::json;

namespace {

bool valid_method(std::string_view m) {
  static constexpr std::string_view kMethods[] = {"ANY",   "GET",    "POST",    "PUT",
                                                  "PATCH", "DELETE", "OPTIONS", "HEAD"};
  return std::find(std::begin(kMethods), std::end(kMethods), m) != std::end(kMethods);
}

Error bad(std::string what) { return Error::invalid_argument("routes: " + std::move(what)); }

Status compile_path(Route& route) {
  std::string_view path = route.path;
  if (path.empty() || path.front() != '/')
    return bad("route '" + route.route_key + "': path must start with '/'");
  if (path == "/") return {};
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg.empty()) return bad("route '" + route.route_key + "': empty path segment");
    if (!route.kinds.empty() && route.kinds.back() == Route::Segment::kGreedy) {
      return bad("route '" + route.route_key +
                 "': a greedy {name+} variable must be the last segment");
    }
    if (seg.front() == '{') {
      if (seg.back() != '}' || seg.size() < 3) {
        return bad("route '" + route.route_key + "': bad path variable '" + std::string(seg) + "'");
      }
      std::string_view name = seg.substr(1, seg.size() - 2);
      bool greedy = name.back() == '+';
      if (greedy) name.remove_suffix(1);
      if (name.empty() || name.find_first_of("{}+/") != std::string_view::npos) {
        return bad("route '" + route.route_key + "': bad path variable '" + std::string(seg) + "'");
      }
      route.kinds.push_back(greedy ? Route::Segment::kGreedy : Route::Segment::kParam);
      route.texts.emplace_back(name);
    } else {
      if (seg.find_first_of("{}") != std::string_view::npos) {
        return bad("route '" + route.route_key + "': variables must span a whole segment");
      }
      route.kinds.push_back(Route::Segment::kLiteral);
      route.texts.emplace_back(seg);
    }
    start = end + 1;
  }
  return {};
}

// True when `a` must be tried before `b`: the first differing segment kind
// decides (literal > param > greedy); then a concrete method beats ANY.
bool more_specific(const Route& a, const Route& b) {
  std::size_t n = std::min(a.kinds.size(), b.kinds.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (a.kinds[i] != b.kinds[i]) return a.kinds[i] > b.kinds[i];
  }
  if (a.kinds.size() != b.kinds.size()) return a.kinds.size() > b.kinds.size();
  return (a.method != "ANY") && (b.method == "ANY");
}

const json::string* get_string(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v == nullptr ? nullptr : v->if_string();
}

// AWS_PROXY with integration_subtype EventBridge-PutEvents (API Gateway's
// first-class integration): request_parameters map PutEvents entry members
// to literals or selectors; Detail, DetailType and Source are required, as
// AWS requires them.
Result<std::unique_ptr<Integration>> compile_event_bridge(std::unique_ptr<Integration> integration,
                                                          const json::object& o) {
  const std::string& id = integration->id;
  const json::string* type = get_string(o, "integration_type");
  const json::string* subtype = get_string(o, "integration_subtype");
  if (subtype == nullptr || *subtype != "EventBridge-PutEvents" || type == nullptr ||
      *type != "AWS_PROXY") {
    return bad("integration '" + id +
               "': the only integration_subtype is EventBridge-PutEvents, with integration_type "
               "AWS_PROXY");
  }
  integration->type = IntegrationType::kEventBridgePutEvents;
  const json::value* params = o.if_contains("request_parameters");
  if (params == nullptr || !params->is_object())
    return bad("integration '" + id + "': request_parameters (an object) is required");
  static const std::set<std::string_view> kMembers = {"Detail", "DetailType",   "Source",
                                                      "Time",   "EventBusName", "Resources",
                                                      "Region", "TraceHeader"};
  for (const auto& kv : params->get_object()) {
    if (!kMembers.contains(std::string_view(kv.key()))) {
      return bad("integration '" + id + "': request_parameters: unknown member '" +
                 std::string(kv.key()) + "'");
    }
    if (!kv.value().is_string() || kv.value().get_string().empty()) {
      return bad("integration '" + id + "': request_parameters." + std::string(kv.key()) +
                 " must be a non-empty string");
    }
    if (Status s = check_parameter_selector(kv.value().get_string()); !s.ok())
      return bad("integration '" + id + "': request_parameters." + std::string(kv.key()) + ": " +
                 s.error().message);
    // The bus is the route's decision, never the caller's: a selector
    // would let any client of the route put events on any bus.
    if (kv.key() == "EventBusName" && kv.value().get_string().starts_with("$")) {
      return bad("integration '" + id + "': request_parameters.EventBusName must be a literal");
    }
    integration->request_parameters.emplace_back(std::string(kv.key()),
                                                 std::string(kv.value().get_string()));
  }
  for (const char* required : {"Detail", "DetailType", "Source"}) {
    if (!params->get_object().contains(required)) {
      return bad("integration '" + id + "': request_parameters." + required + " is required");
    }
  }
  if (const json::value* t = o.if_contains("timeout_milliseconds")) {
    if (!t->is_int64() || t->as_int64() < 50 || t->as_int64() > 30000) {
      return bad("integration '" + id +
                 "': timeout_milliseconds must be an integer from 50 to 30000");
    }
    integration->timeout_ms = static_cast<int>(t->as_int64());
  }
  return integration;
}

Result<std::unique_ptr<Integration>> compile_integration(std::string id, const json::value& v) {
  const json::object* o = v.if_object();
  if (o == nullptr) return bad("integration '" + id + "' must be an object");
  static const std::set<std::string_view> kKeys = {
      "integration_type",     "integration_uri",     "integration_method", "payload_format_version",
      "timeout_milliseconds", "integration_subtype", "description",        "request_parameters"};
  for (const auto& kv : *o) {
    if (!kKeys.contains(std::string_view(kv.key()))) {
      return bad("integration '" + id + "': unknown key '" + std::string(kv.key()) + "'");
    }
  }
  auto integration = std::make_unique<Integration>();
  integration->id = id;
  const json::string* type = get_string(*o, "integration_type");
  const json::string* uri = get_string(*o, "integration_uri");
  if (type == nullptr) return bad("integration '" + id + "': integration_type is required");
  if (o->contains("integration_subtype")) return compile_event_bridge(std::move(integration), *o);
  if (o->contains("request_parameters")) {
    return bad("integration '" + id +
               "': request_parameters are only for integration_subtype EventBridge-PutEvents");
  }
  if (uri == nullptr || uri->empty())
    return bad("integration '" + id + "': integration_uri is required");
  if (const json::value* t = o->if_contains("timeout_milliseconds")) {
    if (!t->is_int64() || t->as_int64() < 50 || t->as_int64() > 30000) {
      return bad("integration '" + id +
                 "': timeout_milliseconds must be an integer from 50 to 30000");
    }
    integration->timeout_ms = static_cast<int>(t->as_int64());
  }
  if (*type == "AWS_PROXY") {
    integration->type = IntegrationType::kFunction;
    // Omitted means 1.0, as Terraform does (spec §10); the function contract
    // (functions/proxy.hpp) is the 2.0 event, so 1.0 is refused at load time
    // instead of sending functions an event they do not expect.
    const json::string* version = get_string(*o, "payload_format_version");
    if (version == nullptr || *version != "2.0") {
      return bad("integration '" + id +
                 "': payload_format_version must be \"2.0\" for function integrations "
                 "(omitted means \"1.0\", which cloudlet's functions do not take)");
    }
    std::string_view name = *uri;
    // Accept a Lambda ARN (…:function:NAME[:alias]) as well as a bare name.
    if (auto pos = name.find(":function:"); pos != std::string_view::npos) {
      name = name.substr(pos + 10);
      name = name.substr(0, name.find(':'));
    }
    if (name.empty()) return bad("integration '" + id + "': no function name in integration_uri");
    integration->function_name = std::string(name);
  } else if (*type == "HTTP_PROXY") {
    integration->type = IntegrationType::kHttpProxy;
    if (!uri->starts_with("http://")) {
      return bad("integration '" + id + "': HTTP_PROXY integration_uri must be an http:// URL");
    }
    integration->uri = std::string(*uri);
    if (const json::string* m = get_string(*o, "integration_method")) {
      if (!valid_method(*m)) return bad("integration '" + id + "': bad integration_method");
      integration->method = std::string(*m);
    }
  } else {
    return bad("integration '" + id + "': integration_type must be AWS_PROXY or HTTP_PROXY");
  }
  return integration;
}

}  // namespace

Result<std::shared_ptr<const RouteTable>> RouteTable::compile(std::string_view text) {
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) return bad("not valid JSON: " + ec.message());
  const json::object* root = doc.if_object();
  if (root == nullptr) return bad("the document must be a JSON object");
  for (const auto& kv : *root) {
    if (kv.key() != "integrations" && kv.key() != "routes" && kv.key() != "description") {
      return bad("unknown top-level key '" + std::string(kv.key()) + "'");
    }
  }
  auto table = std::make_shared<RouteTable>();
  std::map<std::string, const Integration*, std::less<>> by_id;
  if (const json::value* ints = root->if_contains("integrations")) {
    if (!ints->is_object()) return bad("'integrations' must be an object of id -> integration");
    for (const auto& kv : ints->get_object()) {
      auto integration = compile_integration(std::string(kv.key()), kv.value());
      if (!integration.ok()) return integration.error();
      by_id[std::string(kv.key())] = integration->get();
      table->integrations_.push_back(std::move(*integration));
    }
  }
  const json::value* routes = root->if_contains("routes");
  if (routes == nullptr || !routes->is_array()) return bad("'routes' must be an array");
  std::set<std::string, std::less<>> keys;
  for (const auto& rv : routes->get_array()) {
    const json::object* o = rv.if_object();
    if (o == nullptr) return bad("every route must be an object");
    for (const auto& kv : *o) {
      if (kv.key() != "route_key" && kv.key() != "authorization_type" && kv.key() != "target" &&
          kv.key() != "description") {
        return bad("route: unknown key '" + std::string(kv.key()) + "'");
      }
    }
    const json::string* key = get_string(*o, "route_key");
    if (key == nullptr) return bad("route: route_key is required");
    Route route;
    route.route_key = std::string(*key);
    if (!keys.insert(route.route_key).second)
      return bad("duplicate route_key '" + route.route_key + "'");
    const json::string* auth = get_string(*o, "authorization_type");
    if (auth == nullptr || *auth == "NONE") {
      route.authorization = AuthorizationType::kNone;
    } else if (*auth == "AWS_IAM") {
      route.authorization = AuthorizationType::kAwsIam;
    } else {
      return bad("route '" + route.route_key + "': authorization_type must be NONE or AWS_IAM");
    }
    const json::string* target = get_string(*o, "target");
    if (target == nullptr || !target->starts_with("integrations/")) {
      return bad("route '" + route.route_key + "': target must be \"integrations/<id>\"");
    }
    auto it = by_id.find(std::string_view(*target).substr(13));
    if (it == by_id.end())
      return bad("route '" + route.route_key + "': unknown target '" + std::string(*target) + "'");
    route.integration = it->second;
    if (route.route_key == "$default") {
      table->default_route_ = std::move(route);
      continue;
    }
    auto space = route.route_key.find(' ');
    if (space == std::string::npos)
      return bad("route_key '" + route.route_key + "' must be \"METHOD /path\" or \"$default\"");
    route.method = route.route_key.substr(0, space);
    route.path = route.route_key.substr(space + 1);
    if (!valid_method(route.method)) return bad("route '" + route.route_key + "': unknown method");
    if (Status s = compile_path(route); !s.ok()) return s.error();
    table->routes_.push_back(std::move(route));
  }
  std::stable_sort(table->routes_.begin(), table->routes_.end(), more_specific);
  return std::shared_ptr<const RouteTable>(std::move(table));
}

std::optional<Match> RouteTable::match(std::string_view method, std::string_view raw_path) const {
  // Split the request path once; segments stay views into raw_path.
  std::vector<std::string_view> segs;
  if (raw_path.empty() || raw_path.front() != '/') return std::nullopt;
  if (raw_path.size() > 1) {
    std::size_t start = 1;
    while (start <= raw_path.size()) {
      std::size_t end = raw_path.find('/', start);
      if (end == std::string_view::npos) end = raw_path.size();
      segs.push_back(raw_path.substr(start, end - start));
      start = end + 1;
    }
  }
  for (const Route& route : routes_) {
    if (route.method != "ANY" && route.method != method) continue;
    bool greedy = !route.kinds.empty() && route.kinds.back() == Route::Segment::kGreedy;
    if (greedy ? segs.size() < route.kinds.size() : segs.size() != route.kinds.size()) continue;
    bool ok = true;
    for (std::size_t i = 0; ok && i < route.kinds.size(); ++i) {
      switch (route.kinds[i]) {
        case Route::Segment::kLiteral:
          ok = segs[i] == route.texts[i] || percent_decode(segs[i]) == route.texts[i];
          break;
        case Route::Segment::kParam:
          ok = !segs[i].empty();
          break;
        case Route::Segment::kGreedy:
          break;
      }
    }
    if (!ok) continue;
    Match m{&route, {}};
    for (std::size_t i = 0; i < route.kinds.size(); ++i) {
      if (route.kinds[i] == Route::Segment::kParam) {
        m.parameters.emplace_back(route.texts[i], percent_decode(segs[i]));
      } else if (route.kinds[i] == Route::Segment::kGreedy) {
        // The rest of the path, from this segment on.
        std::size_t offset = static_cast<std::size_t>(segs[i].data() - raw_path.data());
        m.parameters.emplace_back(route.texts[i], percent_decode(raw_path.substr(offset)));
      }
    }
    return m;
  }
  if (default_route_) return Match{&*default_route_, {}};
  return std::nullopt;
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace cloudlet::gateway
