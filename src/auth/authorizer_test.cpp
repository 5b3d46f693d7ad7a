#include "auth/authorizer.hpp"

#include <gtest/gtest.h>

namespace cloudlet::auth {
namespace {

// Alice may put events only from 10.0.0.0/8; Bob has no policy.
constexpr std::string_view kDoc = R"({"principals":[
  {"user_name":"alice","access_key_id":"AKIDALICE","secret_access_key":"s1",
   "policies":[{"Version":"2012-10-17","Statement":[
     {"Effect":"Allow","Action":"events:PutEvents","Resource":"*",
      "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
     {"Effect":"Deny","Action":"events:DeleteRule","Resource":"*"}]}]},
  {"user_name":"bob","access_key_id":"AKIDBOB","secret_access_key":"s2"}]})";

std::shared_ptr<const Principals> principals() {
  PrincipalsBuilder b("123456789012");
  EXPECT_TRUE(b.add_document(kDoc).ok());
  return b.build();
}

Principal principal_of(const Principals& p, std::string_view key) {
  auto c = p.store->find(key);
  EXPECT_NE(c, nullptr);
  Principal out;
  out.access_key_id = std::string(key);
  out.principal_arn = c ? c->principal_arn : "";
  out.account_id = "123456789012";
  out.region = "us-east-1";
  return out;
}

const Clock::time_point kNow = Clock::time_point(std::chrono::seconds(1'780'000'000));
constexpr std::string_view kBus = "arn:aws:events:us-east-1:123456789012:event-bus/default";

TEST(Authorizer, ConditionKeysComeFromTheClient) {
  Authorizer authorizer(Settings::event_bus(), principals());
  auto snapshot = authorizer.principals();
  Principal alice = principal_of(*snapshot, "AKIDALICE");
  EXPECT_FALSE(
      authorizer.allow(alice, *snapshot, "events:PutEvents", kBus, {"10.1.2.3", "", ""}, kNow));
  auto denied =
      authorizer.allow(alice, *snapshot, "events:PutEvents", kBus, {"192.168.0.1", "", ""}, kNow);
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->http_status, 400);
  EXPECT_EQ(denied->error_type, "AccessDeniedException");
  // The event bus names who was denied what, as AWS does.
  EXPECT_NE(denied->message.find("arn:aws:iam::123456789012:user/alice"), std::string::npos);
  EXPECT_NE(denied->message.find("events:PutEvents"), std::string::npos);
}

TEST(Authorizer, ExplicitAndImplicitDenyBothRefuse) {
  Authorizer authorizer(Settings::event_bus(), principals());
  auto snapshot = authorizer.principals();
  EXPECT_TRUE(authorizer.allow(principal_of(*snapshot, "AKIDALICE"), *snapshot, "events:DeleteRule",
                               kBus, {"10.1.2.3", "", ""}, kNow));
  EXPECT_TRUE(authorizer.allow(principal_of(*snapshot, "AKIDBOB"), *snapshot, "events:PutEvents",
                               kBus, {"10.1.2.3", "", ""}, kNow));
}

TEST(Authorizer, GatewayDenialIsTheBareForbidden) {
  Authorizer authorizer(Settings::gateway(), principals());
  auto snapshot = authorizer.principals();
  auto denied =
      authorizer.allow(principal_of(*snapshot, "AKIDBOB"), *snapshot, "execute-api:Invoke",
                       "arn:aws:execute-api:us-east-1:1:a/b/GET/", {"127.0.0.1", "", ""}, kNow);
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->http_status, 403);
  EXPECT_EQ(denied->message, "Forbidden");
}

TEST(Authorizer, SwappedPrincipalsServeLaterRequests) {
  Authorizer authorizer(Settings::event_bus(), nullptr);
  EXPECT_EQ(authorizer.principals()->store->find("AKIDALICE"), nullptr);
  authorizer.set_principals(principals());
  EXPECT_NE(authorizer.principals()->store->find("AKIDALICE"), nullptr);
}

TEST(Authorizer, ConditionContextHasTheGlobalKeys) {
  ConditionContext c;
  Principal p;
  p.principal_arn = "arn:aws:iam::123456789012:user/alice";
  p.region = "eu-west-1";
  fill_condition_context(c, p, {"10.0.0.1", "curl/7.88.1", ""}, kNow);
  ASSERT_NE(c.get("aws:username"), nullptr);
  EXPECT_EQ(c.get("aws:username")->front(), "alice");
  EXPECT_EQ(c.get("aws:UserAgent")->front(), "curl/7.88.1");
  EXPECT_EQ(c.get("aws:Referer"), nullptr);
  EXPECT_EQ(c.get("aws:RequestedRegion")->front(), "eu-west-1");
  EXPECT_EQ(c.get("aws:CurrentTime")->front(), "2026-05-28T20:26:40Z");
}

}  // namespace
}  // namespace cloudlet::auth
