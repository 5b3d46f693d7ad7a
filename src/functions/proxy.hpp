// API Gateway Lambda proxy integration types (payload format 2.0), the one
// contract between the gateway (or the Lambda runtime loop) and a function.
// See docs on the wire format in the gateway's README; the JSON forms follow
// AWS's field names exactly so the same handler runs on real AWS Lambda.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace cloudlet::functions {

struct IamIdentity {
  std::string access_key;
  std::string account_id;
  std::string caller_id;
  std::string user_arn;
};

struct RequestContext {
  std::string account_id;
  std::string api_id;
  std::string domain_name;
  std::string request_id;
  std::string route_key;  // e.g. "ANY /contacts_insert", "GET /contacts/{id}"
  std::string stage = "$default";
  std::string time;          // "12/Mar/2020:19:03:58 +0000"
  long long time_epoch = 0;  // milliseconds
  std::string http_method;
  std::string http_path;
  std::string http_protocol = "HTTP/1.1";
  std::string source_ip;
  std::string user_agent;
  std::optional<IamIdentity> iam;  // set when the route uses AWS_IAM
};

struct ProxyEvent {
  std::string version = "2.0";
  std::string route_key;
  std::string raw_path;
  std::string raw_query_string;
  std::map<std::string, std::string> headers;  // names lower-case; repeats joined with ","
  std::map<std::string, std::string> query_string_parameters;  // repeats joined with ","
  std::map<std::string, std::string> path_parameters;
  std::string body;
  bool is_base64_encoded = false;
  RequestContext request_context;
};

struct ProxyResponse {
  int status_code = 200;
  std::map<std::string, std::string> headers;
  std::string body;
  bool is_base64_encoded = false;
};

// A function: pure with respect to the transport. Must not throw.
using Handler = std::function<ProxyResponse(const ProxyEvent&)>;

}  // namespace cloudlet::functions
