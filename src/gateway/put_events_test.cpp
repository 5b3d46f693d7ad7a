#include "gateway/put_events.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace cloudlet::gateway {
namespace {

namespace json = boost::json;

Integration seed_integration() {
  Integration i;
  i.type = IntegrationType::kEventBridgePutEvents;
  i.request_parameters = {{"Detail", "$request.body.detail"},
                          {"DetailType", "sampledata"},
                          {"Source", "com.srcecde.app"}};
  return i;
}

TEST(PutEventsIntegration, TheSeedsParametersMakeOneEntry) {
  auto request = put_events_request(
      seed_integration(), {R"({"detail": {"name": "trigger_usermgmt_op4_db_postgres"}})", nullptr});
  ASSERT_TRUE(request.ok()) << request.error().message;
  json::value v = json::parse(*request);
  const auto& entry = v.at("Entries").as_array().at(0).as_object();
  EXPECT_EQ(entry.at("Source").as_string(), "com.srcecde.app");
  EXPECT_EQ(entry.at("DetailType").as_string(), "sampledata");
  // Detail is a string holding the JSON object, as PutEvents wants it.
  EXPECT_EQ(json::parse(entry.at("Detail").as_string()),
            json::parse(R"({"name": "trigger_usermgmt_op4_db_postgres"})"));
}

TEST(PutEventsIntegration, ABodyWithoutDetailOrNotJsonIsTheCallersError) {
  for (const char* body : {"{}", R"({"detail": null})", "not json", ""}) {
    auto request = put_events_request(seed_integration(), {body, nullptr});
    ASSERT_FALSE(request.ok()) << body;
    EXPECT_EQ(request.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(request.error().message.find("$request.body.detail"), std::string::npos);
  }
}

TEST(PutEventsIntegration, HeadersNestedPathsAndResources) {
  Integration i;
  i.request_parameters = {{"Detail", "$request.body.a.b"},
                          {"DetailType", "$request.header.X-Kind"},
                          {"Source", "s"},
                          {"Resources", "$request.body.res"}};
  std::vector<std::pair<std::string, std::string>> headers = {{"x-kind", "k1"}};
  auto request = put_events_request(i, {R"({"a": {"b": "text"}, "res": ["r1", "r2"]})", &headers});
  ASSERT_TRUE(request.ok()) << request.error().message;
  json::value v = json::parse(*request);
  const auto& entry = v.at("Entries").as_array().at(0).as_object();
  EXPECT_EQ(entry.at("Detail").as_string(), "text") << "a JSON string goes as itself";
  EXPECT_EQ(entry.at("DetailType").as_string(), "k1");
  EXPECT_EQ(entry.at("Resources"), json::parse(R"(["r1","r2"])"));
}

TEST(PutEventsIntegration, SelectorsAreCheckedAtLoad) {
  EXPECT_TRUE(check_parameter_selector("sampledata").ok());
  EXPECT_TRUE(check_parameter_selector("$request.body.detail").ok());
  EXPECT_TRUE(check_parameter_selector("$request.header.x-a").ok());
  EXPECT_FALSE(check_parameter_selector("$request.body.").ok());
  EXPECT_FALSE(check_parameter_selector("$request.body.a..b").ok());
  EXPECT_FALSE(check_parameter_selector("$context.requestId").ok());
}

TEST(PutEventsIntegration, RoutesFileRules) {
  const char* good = R"({"integrations": {"eb": {"integration_type": "AWS_PROXY",
      "integration_subtype": "EventBridge-PutEvents",
      "request_parameters": {"Detail": "$request.body.detail", "DetailType": "t", "Source": "s"}}},
      "routes": [{"route_key": "ANY /trigger", "authorization_type": "AWS_IAM",
                  "target": "integrations/eb"}]})";
  auto table = RouteTable::compile(good);
  ASSERT_TRUE(table.ok()) << table.error().message;
  auto match = (*table)->match("POST", "/trigger");
  ASSERT_TRUE(match);
  EXPECT_EQ(match->route->integration->type, IntegrationType::kEventBridgePutEvents);
  const char* missing_source = R"({"integrations": {"eb": {"integration_type": "AWS_PROXY",
      "integration_subtype": "EventBridge-PutEvents",
      "request_parameters": {"Detail": "$request.body.detail", "DetailType": "t"}}},
      "routes": []})";
  auto refused = RouteTable::compile(missing_source);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("request_parameters.Source is required"),
            std::string::npos);
  const char* caller_chosen_bus = R"({"integrations": {"eb": {"integration_type": "AWS_PROXY",
      "integration_subtype": "EventBridge-PutEvents", "request_parameters": {"Detail": "d",
      "DetailType": "t", "Source": "s", "EventBusName": "$request.body.bus"}}}, "routes": []})";
  auto bus_refused = RouteTable::compile(caller_chosen_bus);
  ASSERT_FALSE(bus_refused.ok());
  EXPECT_NE(bus_refused.error().message.find("EventBusName must be a literal"), std::string::npos);
  const char* other_subtype = R"({"integrations": {"eb": {"integration_type": "AWS_PROXY",
      "integration_subtype": "SQS-SendMessage", "request_parameters": {}}}, "routes": []})";
  EXPECT_FALSE(RouteTable::compile(other_subtype).ok());
  auto shipped = RouteTable::compile(default_routes_json());
  ASSERT_TRUE(shipped.ok());
  auto trigger = (*shipped)->match("POST", "/trigger_usermgmt");
  ASSERT_TRUE(trigger);
  EXPECT_EQ(trigger->route->authorization, AuthorizationType::kAwsIam);
  EXPECT_EQ(trigger->route->integration->type, IntegrationType::kEventBridgePutEvents);
}

}  // namespace
}  // namespace cloudlet::gateway
