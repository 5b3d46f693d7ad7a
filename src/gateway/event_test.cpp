#include "gateway/event.hpp"

#include <gtest/gtest.h>

namespace cloudlet::gateway {
namespace {

TEST(ProxyEvent, FollowsPayloadFormat2) {
  auto routes = RouteTable::compile(
      R"({"integrations":{"f":{"integration_type":"AWS_PROXY","integration_uri":"f","payload_format_version":"2.0"}},)"
      R"("routes":[{"route_key":"GET /contacts/{id}","target":"integrations/f","authorization_type":"AWS_IAM"}]})");
  ASSERT_TRUE(routes.ok());
  auto match = (*routes)->match("GET", "/contacts/42");
  ASSERT_TRUE(match);
  IncomingRequest in{"GET",
                     "/contacts/42",
                     "a=1&a=2&b=x+y&c=%2B",
                     {{"Host", "127.0.0.1:8080"},
                      {"X-Multi", "v1"},
                      {"x-multi", " v2 "},
                      {"User-Agent", "curl/7.88.1"}},
                     "",
                     "127.0.0.1",
                     "REQID",
                     std::chrono::system_clock::time_point(std::chrono::seconds(1795843533))};
  auth::Principal p{
      "AKID", "arn:aws:iam::123456789012:user/alice", "AIDAX", "123456789012", "us-east-1", false};
  auto e = build_event(in, *match, &p, "123456789012", "cloudlet");
  EXPECT_EQ(e.route_key, "GET /contacts/{id}");
  EXPECT_EQ(e.raw_path, "/contacts/42");
  EXPECT_EQ(e.raw_query_string, "a=1&a=2&b=x+y&c=%2B");
  EXPECT_EQ(e.headers.at("x-multi"), "v1,v2");
  EXPECT_EQ(e.headers.at("host"), "127.0.0.1:8080");
  EXPECT_EQ(e.query_string_parameters.at("a"), "1,2");
  EXPECT_EQ(e.query_string_parameters.at("b"), "x y");
  EXPECT_EQ(e.query_string_parameters.at("c"), "+");
  EXPECT_EQ(e.path_parameters.at("id"), "42");
  EXPECT_EQ(e.request_context.time, "28/Nov/2026:05:25:33 +0000");
  EXPECT_EQ(e.request_context.time_epoch, 1795843533000);
  EXPECT_EQ(e.request_context.request_id, "REQID");
  EXPECT_EQ(e.request_context.domain_name, "127.0.0.1:8080");
  EXPECT_EQ(e.request_context.user_agent, "curl/7.88.1");
  ASSERT_TRUE(e.request_context.iam);
  EXPECT_EQ(e.request_context.iam->user_arn, "arn:aws:iam::123456789012:user/alice");
  EXPECT_FALSE(e.is_base64_encoded);
}

// Found by fuzz_http_request: obs-text header values (allowed by RFC 9110),
// decoded query bytes and textual bodies need not be UTF-8, and the event
// must stay JSON text (the Lambda runtime sends it as JSON).
TEST(ProxyEvent, HoldsOnlyUtf8TextAndCarriesOtherBodiesAsBase64) {
  auto routes = RouteTable::compile(
      R"({"integrations":{"f":{"integration_type":"AWS_PROXY","integration_uri":"f","payload_format_version":"2.0"}},)"
      R"("routes":[{"route_key":"ANY /x/{p}","target":"integrations/f"}]})");
  ASSERT_TRUE(routes.ok());
  auto match = (*routes)->match("POST", "/x/%FF");
  ASSERT_TRUE(match);
  IncomingRequest in{"POST",
                     "/x/%FF",
                     "q=%FE&caf%C3%A9=1",
                     {{"Host", "h"}, {"X-Obs", "caf\xE9"}, {"Content-Type", "text/plain"}},
                     "not utf-8: \xFF",
                     "127.0.0.1",
                     "REQID",
                     std::chrono::system_clock::time_point(std::chrono::seconds(1795843533))};
  auto e = build_event(in, *match, nullptr, "123456789012", "cloudlet");
  EXPECT_EQ(e.headers.at("x-obs"), "caf\xEF\xBF\xBD");
  EXPECT_EQ(e.query_string_parameters.at("q"), "\xEF\xBF\xBD");
  EXPECT_EQ(e.query_string_parameters.at("caf\xC3\xA9"), "1");
  EXPECT_EQ(e.path_parameters.at("p"), "\xEF\xBF\xBD");
  EXPECT_TRUE(e.is_base64_encoded);
  EXPECT_EQ(base64_decode(e.body).value(), "not utf-8: \xFF");
}

TEST(ProxyEvent, BinaryBodiesAreBase64) {
  EXPECT_TRUE(is_textual_content_type("application/json; charset=utf-8"));
  EXPECT_TRUE(is_textual_content_type("application/vnd.api+json"));
  EXPECT_TRUE(is_textual_content_type(""));
  EXPECT_FALSE(is_textual_content_type("application/octet-stream"));
  EXPECT_EQ(base64_encode("hello!?"), "aGVsbG8hPw==");
  EXPECT_EQ(base64_decode("aGVsbG8hPw==").value(), "hello!?");
  EXPECT_FALSE(base64_decode("a*b").has_value());
}

TEST(RequestId, SixteenCharactersAndUnique) {
  std::string a = new_request_id();
  std::string b = new_request_id();
  EXPECT_EQ(a.size(), 16u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace cloudlet::gateway
