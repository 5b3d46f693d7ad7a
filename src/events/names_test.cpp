#include "events/names.hpp"

#include <gtest/gtest.h>

#include "events/target_arn.hpp"

namespace cloudlet::events {
namespace {

TEST(Names, RuleNamesAreOneTo64OfTheModelCharacters) {
  EXPECT_TRUE(valid_rule_name("trigger_usermgmt_op4_db_postgres"));
  EXPECT_TRUE(valid_rule_name("a.b-c_D9"));
  EXPECT_TRUE(valid_rule_name(std::string(64, 'x')));
  EXPECT_FALSE(valid_rule_name(std::string(65, 'x')));
  EXPECT_FALSE(valid_rule_name(""));
  EXPECT_FALSE(valid_rule_name("has space"));
  EXPECT_FALSE(valid_rule_name("slash/no"));
}

TEST(Names, EventBusNameIsANameOrABusArn) {
  EXPECT_EQ(resolve_bus_name(std::nullopt), "default");
  EXPECT_EQ(resolve_bus_name("orders"), "orders");
  EXPECT_EQ(resolve_bus_name("arn:aws:events:us-east-1:123456789012:event-bus/orders"), "orders");
  EXPECT_EQ(resolve_bus_name("arn:aws:events:us-east-1:123456789012:event-bus/default"), "default");
  EXPECT_FALSE(resolve_bus_name("arn:aws:events:us-east-1:1234:event-bus/orders"));
  EXPECT_FALSE(resolve_bus_name("arn:aws:sqs:us-east-1:123456789012:event-bus/orders"));
  EXPECT_FALSE(resolve_bus_name("arn:aws:events:us-east-1:123456789012:rule/orders"));
  EXPECT_FALSE(resolve_bus_name("bad name"));
  EXPECT_FALSE(resolve_bus_name(""));
}

TEST(Names, ArnsAsAwsWritesThem) {
  EXPECT_EQ(bus_arn("us-east-1", "123456789012", "default"),
            "arn:aws:events:us-east-1:123456789012:event-bus/default");
  EXPECT_EQ(rule_arn("us-east-1", "123456789012", "default", "r1"),
            "arn:aws:events:us-east-1:123456789012:rule/r1");
  EXPECT_EQ(rule_arn("us-east-1", "123456789012", "orders", "r1"),
            "arn:aws:events:us-east-1:123456789012:rule/orders/r1");
}

TEST(TargetArn, TheFormsCloudletDeliversTo) {
  auto grpc =
      parse_target_arn("arn:cloudlet:usermgmt:us-east-1:000000000000:server/127.0.0.1:50054");
  ASSERT_TRUE(grpc.ok());
  const auto& server = std::get<UserManagementTarget>(*grpc);
  EXPECT_EQ(server.host, "127.0.0.1");
  EXPECT_EQ(server.port, 50054);
  auto ssm = parse_target_arn("arn:aws:ssm:us-east-1::document/AWS-RunShellScript");
  ASSERT_TRUE(ssm.ok());
  EXPECT_EQ(target_kind_name(*ssm), "run-command");
  auto fn = parse_target_arn("arn:aws:lambda:us-east-1:000000000000:function:contacts_insert");
  ASSERT_TRUE(fn.ok());
  EXPECT_EQ(std::get<FunctionTarget>(*fn).name, "contacts_insert");
  auto url =
      parse_target_arn("arn:cloudlet:http:us-east-1:000000000000:url/http://127.0.0.1:9/hook");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(std::get<HttpTarget>(*url).url, "http://127.0.0.1:9/hook");
}

TEST(TargetArn, EverythingElseIsRefusedWithAMessage) {
  for (const char* arn :
       {"arn:aws:sqs:us-east-1:123456789012:queue", "not-an-arn",
        "arn:cloudlet:usermgmt:r:a:server/host",        // no port
        "arn:cloudlet:usermgmt:r:a:server/host:0",      // port 0
        "arn:cloudlet:usermgmt:r:a:server/host:70000",  // too big
        "arn:cloudlet:usermgmt:r:a:server/ho st:1",     // bad host
        "arn:aws:ssm:us-east-1::document/AWS-RunPowerShellScript",
        "arn:cloudlet:http:r:a:url/https://x", "arn:cloudlet:http:r:a:url/http://",
        "arn:aws:lambda:us-east-1:0:function:"}) {
    auto parsed = parse_target_arn(arn);
    ASSERT_FALSE(parsed.ok()) << arn;
    EXPECT_NE(parsed.error().message.find("is not a target cloudlet can deliver to"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace cloudlet::events
