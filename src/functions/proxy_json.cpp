#include "functions/proxy_json.hpp"

#include <boost/json.hpp>

namespace cloudlet::functions {

namespace json = boost::json;

namespace {

json::object string_map(const std::map<std::string, std::string>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

// Reads obj[key] as a string (absent or null = ""); false on another type.
bool read_string(const json::object& obj, std::string_view key, std::string& out) {
  const json::value* v = obj.if_contains(key);
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_string()) return false;
  out = std::string(v->get_string());
  return true;
}

bool read_map(const json::object& obj, std::string_view key,
              std::map<std::string, std::string>& out) {
  const json::value* v = obj.if_contains(key);
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_object()) return false;
  for (const auto& kv : v->get_object()) {
    if (!kv.value().is_string()) return false;
    out[std::string(kv.key())] = std::string(kv.value().get_string());
  }
  return true;
}

const json::object* child(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

}  // namespace

Result<ProxyEvent> proxy_event_from_json(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Error::invalid_argument("event: not a JSON object");
  const json::object& o = v.get_object();
  ProxyEvent e;
  bool ok = read_string(o, "version", e.version) && read_string(o, "routeKey", e.route_key) &&
            read_string(o, "rawPath", e.raw_path) &&
            read_string(o, "rawQueryString", e.raw_query_string) &&
            read_map(o, "headers", e.headers) &&
            read_map(o, "queryStringParameters", e.query_string_parameters) &&
            read_map(o, "pathParameters", e.path_parameters) && read_string(o, "body", e.body);
  if (const json::value* b = o.if_contains("isBase64Encoded"); b != nullptr && !b->is_null()) {
    ok = ok && b->is_bool();
    if (b->is_bool()) e.is_base64_encoded = b->get_bool();
  }
  // Cookies travel in their own array in 2.0; handlers read them as the header.
  if (const json::value* c = o.if_contains("cookies"); c != nullptr && c->is_array()) {
    std::string joined;
    for (const auto& item : c->get_array()) {
      if (!item.is_string()) return Error::invalid_argument("event: cookies must be strings");
      if (!joined.empty()) joined += "; ";
      joined += std::string(item.get_string());
    }
    if (!joined.empty()) e.headers["cookie"] = joined;
  }
  if (const json::object* rc = child(o, "requestContext")) {
    RequestContext& r = e.request_context;
    ok = ok && read_string(*rc, "accountId", r.account_id) && read_string(*rc, "apiId", r.api_id) &&
         read_string(*rc, "domainName", r.domain_name) &&
         read_string(*rc, "requestId", r.request_id) && read_string(*rc, "routeKey", r.route_key) &&
         read_string(*rc, "stage", r.stage) && read_string(*rc, "time", r.time);
    if (const json::value* t = rc->if_contains("timeEpoch"); t != nullptr && t->is_int64()) {
      r.time_epoch = t->get_int64();
    }
    if (const json::object* http = child(*rc, "http")) {
      ok = ok && read_string(*http, "method", r.http_method) &&
           read_string(*http, "path", r.http_path) &&
           read_string(*http, "protocol", r.http_protocol) &&
           read_string(*http, "sourceIp", r.source_ip) &&
           read_string(*http, "userAgent", r.user_agent);
    }
    if (const json::object* auth = child(*rc, "authorizer")) {
      if (const json::object* iam = child(*auth, "iam")) {
        IamIdentity id;
        ok = ok && read_string(*iam, "accessKey", id.access_key) &&
             read_string(*iam, "accountId", id.account_id) &&
             read_string(*iam, "callerId", id.caller_id) &&
             read_string(*iam, "userArn", id.user_arn);
        r.iam = std::move(id);
      }
    }
  }
  if (!ok) return Error::invalid_argument("event: a field has the wrong type");
  return e;
}

std::string proxy_event_to_json(const ProxyEvent& e) {
  const RequestContext& r = e.request_context;
  json::object o;
  o["version"] = e.version;
  o["routeKey"] = e.route_key;
  o["rawPath"] = e.raw_path;
  o["rawQueryString"] = e.raw_query_string;
  o["headers"] = string_map(e.headers);
  if (!e.query_string_parameters.empty()) {
    o["queryStringParameters"] = string_map(e.query_string_parameters);
  }
  if (!e.path_parameters.empty()) o["pathParameters"] = string_map(e.path_parameters);
  json::object rc;
  rc["accountId"] = r.account_id;
  rc["apiId"] = r.api_id;
  if (r.iam) {
    rc["authorizer"] = json::object{{"iam", json::object{{"accessKey", r.iam->access_key},
                                                         {"accountId", r.iam->account_id},
                                                         {"callerId", r.iam->caller_id},
                                                         {"cognitoIdentity", nullptr},
                                                         {"principalOrgId", nullptr},
                                                         {"userArn", r.iam->user_arn},
                                                         {"userId", r.iam->caller_id}}}};
  }
  rc["domainName"] = r.domain_name;
  rc["domainPrefix"] = r.domain_name.substr(0, r.domain_name.find('.'));
  rc["http"] = json::object{{"method", r.http_method},
                            {"path", r.http_path},
                            {"protocol", r.http_protocol},
                            {"sourceIp", r.source_ip},
                            {"userAgent", r.user_agent}};
  rc["requestId"] = r.request_id;
  rc["routeKey"] = r.route_key;
  rc["stage"] = r.stage;
  rc["time"] = r.time;
  rc["timeEpoch"] = r.time_epoch;
  o["requestContext"] = std::move(rc);
  if (!e.body.empty()) o["body"] = e.body;
  o["isBase64Encoded"] = e.is_base64_encoded;
  return json::serialize(o);
}

std::string proxy_response_to_json(const ProxyResponse& r) {
  json::object o;
  o["statusCode"] = r.status_code;
  o["headers"] = string_map(r.headers);
  o["body"] = r.body;
  o["isBase64Encoded"] = r.is_base64_encoded;
  return json::serialize(o);
}

}  // namespace cloudlet::functions
