// The Lambda JSON forms of proxy events and responses (spec §10.1, §11.2).
#include "functions/proxy_json.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace cloudlet::functions {
namespace {

TEST(ProxyJson, ReadsTheSpecsExampleEvent) {
  auto e = proxy_event_from_json(R"({
    "version": "2.0", "routeKey": "ANY /contacts_insert", "rawPath": "/contacts_insert",
    "rawQueryString": "a=1&a=2", "cookies": ["session=abc", "theme=dark"],
    "headers": {"content-type": "application/json"}, "queryStringParameters": {"a": "1,2"},
    "pathParameters": {"id": "42"},
    "requestContext": {"accountId": "123456789012", "apiId": "a1b2c3d4e5", "authentication": null,
      "authorizer": {"iam": {"accessKey": "AKIA1", "accountId": "123456789012", "callerId": "AIDA1",
        "cognitoIdentity": null, "principalOrgId": null, "userArn": "arn:aws:iam::123456789012:user/alice", "userId": "AIDA1"}},
      "domainName": "127.0.0.1:8080", "domainPrefix": "127",
      "http": {"method": "POST", "path": "/contacts_insert", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "curl/7.88.1"},
      "requestId": "JKJaXmPLvHcESHA=", "routeKey": "ANY /contacts_insert", "stage": "$default",
      "time": "28/Nov/2026:05:25:33 +0000", "timeEpoch": 1795843533000},
    "body": "{\"company_id\":1}", "isBase64Encoded": false})");
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->route_key, "ANY /contacts_insert");
  EXPECT_EQ(e->query_string_parameters.at("a"), "1,2");
  EXPECT_EQ(e->path_parameters.at("id"), "42");
  EXPECT_EQ(e->headers.at("cookie"), "session=abc; theme=dark");
  EXPECT_EQ(e->request_context.http_method, "POST");
  EXPECT_EQ(e->request_context.time_epoch, 1795843533000);
  ASSERT_TRUE(e->request_context.iam.has_value());
  EXPECT_EQ(e->request_context.iam->access_key, "AKIA1");
  EXPECT_EQ(e->body, R"({"company_id":1})");
}

TEST(ProxyJson, RoundTripsAnEvent) {
  ProxyEvent e;
  e.route_key = "GET /contacts/{id}";
  e.raw_path = "/contacts/3";
  e.path_parameters["id"] = "3";
  e.request_context.http_method = "GET";
  e.request_context.iam = IamIdentity{"AKIA", "1", "AIDA", "arn"};
  auto back = proxy_event_from_json(proxy_event_to_json(e));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->path_parameters, e.path_parameters);
  EXPECT_EQ(back->request_context.http_method, "GET");
  EXPECT_EQ(back->request_context.iam->user_arn, "arn");
}

TEST(ProxyJson, RefusesWrongTypes) {
  EXPECT_FALSE(proxy_event_from_json("[]").ok());
  EXPECT_FALSE(proxy_event_from_json(R"({"rawPath": 5})").ok());
  EXPECT_FALSE(proxy_event_from_json(R"({"headers": {"a": 1}})").ok());
  EXPECT_FALSE(proxy_event_from_json(R"({"isBase64Encoded": "yes"})").ok());
}

TEST(ProxyJson, WritesTheExplicitResponseForm) {
  ProxyResponse r{201, {{"content-type", "application/json"}}, R"({"status_code":201})", false};
  auto v = boost::json::parse(proxy_response_to_json(r)).as_object();
  EXPECT_EQ(v["statusCode"].as_int64(), 201);
  EXPECT_EQ(v["headers"].as_object()["content-type"], "application/json");
  EXPECT_EQ(v["body"], R"({"status_code":201})");
  EXPECT_EQ(v["isBase64Encoded"], false);
}

}  // namespace
}  // namespace cloudlet::functions
