#include "events/targets.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "core/utf8.hpp"
#include "events/api.hpp"
#include "events/store.hpp"

namespace cloudlet::events {
namespace {

using namespace std::chrono_literals;

TargetKind kind_of(std::string_view arn) { return *parse_target_arn(arn); }

TargetPolicy local_policy() {
  TargetPolicy p;
  p.usermgmt_servers = {"127.0.0.1:50051"};
  p.http_origins = {"127.0.0.1:9000"};
  p.functions = {"contacts_insert"};
  return p;
}

TEST(TargetPolicy, OnlyListedServersAndOrigins) {
  const TargetPolicy p = local_policy();
  EXPECT_FALSE(
      policy_refusal(p, kind_of("arn:cloudlet:usermgmt:us-east-1:0:server/127.0.0.1:50051")));
  EXPECT_TRUE(
      policy_refusal(p, kind_of("arn:cloudlet:usermgmt:us-east-1:0:server/10.0.0.1:50051")));
  EXPECT_FALSE(
      policy_refusal(p, kind_of("arn:cloudlet:http:us-east-1:0:url/http://127.0.0.1:9000/x")));
  EXPECT_TRUE(
      policy_refusal(p, kind_of("arn:cloudlet:http:us-east-1:0:url/http://127.0.0.1:9001/x")));
  // No port is port 80, which is not 9000.
  EXPECT_TRUE(policy_refusal(p, kind_of("arn:cloudlet:http:us-east-1:0:url/http://127.0.0.1/x")));
  TargetPolicy any = p;
  any.http_origins = {"*"};
  EXPECT_FALSE(
      policy_refusal(any, kind_of("arn:cloudlet:http:us-east-1:0:url/http://example.com/")));
}

TEST(TargetPolicy, HttpTargetsAreOffByDefault) {
  EXPECT_TRUE(
      policy_refusal(TargetPolicy{}, kind_of("arn:cloudlet:http:r:0:url/http://127.0.0.1:9000/")));
}

TEST(TargetPolicy, OnlyHostedFunctions) {
  const TargetPolicy p = local_policy();
  EXPECT_FALSE(policy_refusal(p, kind_of("arn:aws:lambda:us-east-1:0:function:contacts_insert")));
  auto refused = policy_refusal(p, kind_of("arn:aws:lambda:us-east-1:0:function:other"));
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->find("other"), std::string::npos);
}

TEST(TargetPolicy, RunCommandIsOffUntilEnabledAndNeedsItsCommands) {
  TargetPolicy p = local_policy();
  const auto ssm = kind_of("arn:aws:ssm:us-east-1::document/AWS-RunShellScript");
  const std::optional<std::string> commands = R"({"commands": ["echo hi"]})";
  auto off = put_targets_refusal(p, ssm, commands, false);
  ASSERT_TRUE(off);
  EXPECT_NE(off->find("events.run_command_enabled"), std::string::npos);
  p.run_command.enabled = true;
  EXPECT_TRUE(put_targets_refusal(p, ssm, commands, false));  // echo is not listed
  p.run_command.programs = {"echo"};
  EXPECT_FALSE(put_targets_refusal(p, ssm, commands, false));
  EXPECT_TRUE(put_targets_refusal(p, ssm, std::nullopt, false));  // nothing to run
  // Event content never reaches a command line.
  auto from_event = put_targets_refusal(p, ssm, std::nullopt, true);
  ASSERT_TRUE(from_event);
  EXPECT_NE(from_event->find("Input only"), std::string::npos);
  EXPECT_TRUE(put_targets_refusal(p, ssm, R"({"commands": ["echo a | b"]})", false));
  p.run_command.shell = "/bin/sh";
  p.run_command.programs = {"/bin/sh"};
  EXPECT_FALSE(put_targets_refusal(p, ssm, R"({"commands": ["echo a | b"]})", false));
}

Delivery delivery_to(std::string arn, std::string payload) {
  Delivery d;
  d.event_id = "e1";
  d.rule = "r";
  d.target_id = "t";
  d.target_arn = std::move(arn);
  d.payload = std::move(payload);
  return d;
}

TEST(TargetDeliverers, ANarrowedPolicyStopsDeliveriesAlreadyRouted) {
  TargetDeliverers deliverers(TargetPolicy{}, 1s, nullptr);
  auto failure = deliverers.deliver(
      delivery_to("arn:cloudlet:usermgmt:us-east-1:0:server/127.0.0.1:50051", "{}"), Clock::now());
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->error_code, "NO_PERMISSIONS");
  EXPECT_FALSE(failure->retryable);
}

TEST(TargetDeliverers, AFunctionTargetGetsTheInputAsAPostBody) {
  auto functions = std::make_shared<FunctionMap>();
  std::vector<functions::ProxyEvent> seen;
  (*functions)["contacts_insert"] = [&](const functions::ProxyEvent& e) {
    seen.push_back(e);
    return functions::ProxyResponse{
        e.body == "bad" ? 400 : (e.body == "busy" ? 503 : 201), {}, "x"};
  };
  TargetPolicy p;
  p.functions = {"contacts_insert"};
  TargetDeliverers deliverers(p, 1s, functions);
  const std::string arn = "arn:aws:lambda:us-east-1:0:function:contacts_insert";
  EXPECT_FALSE(deliverers.deliver(delivery_to(arn, R"({"k":1})"), Clock::now()));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].body, R"({"k":1})");
  EXPECT_EQ(seen[0].request_context.http_method, "POST");
  EXPECT_EQ(seen[0].raw_path, "/contacts_insert");
  EXPECT_FALSE(seen[0].request_context.iam.has_value());
  auto refused = deliverers.deliver(delivery_to(arn, "bad"), Clock::now());
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->retryable);
  auto busy = deliverers.deliver(delivery_to(arn, "busy"), Clock::now());
  ASSERT_TRUE(busy);
  EXPECT_TRUE(busy->retryable);
}

TEST(TargetDeliverers, AFailureMessageIsPrintableBoundedUtf8) {
  auto functions = std::make_shared<FunctionMap>();
  (*functions)["f"] = [](const functions::ProxyEvent&) {
    return functions::ProxyResponse{
        500, {}, std::string("bad\xC3") + '\0' + "\r\n" + std::string(5000, 'x')};
  };
  TargetPolicy p;
  p.functions = {"f"};
  TargetDeliverers deliverers(p, 1s, functions);
  auto failure =
      deliverers.deliver(delivery_to("arn:aws:lambda:us-east-1:0:function:f", "{}"), Clock::now());
  ASSERT_TRUE(failure);
  EXPECT_TRUE(utf8::valid(failure->message));
  EXPECT_LE(failure->message.size(), 1024u + 3);
  for (char c : failure->message) EXPECT_GE(static_cast<unsigned char>(c), 0x20u);
}

TEST(TargetIamChecks, FunctionAndRunCommandTargetsNeedTheirOwnPermission) {
  auto body = boost::json::parse(R"({"Rule": "r", "Targets": [
      {"Id": "a", "Arn": "arn:aws:lambda:eu-west-1:999999999999:function:contacts_delete_by_contact_id:prod"},
      {"Id": "b", "Arn": "arn:aws:lambda:us-east-1:000000000000:function:contacts_delete_by_contact_id"},
      {"Id": "c", "Arn": "arn:aws:ssm:us-east-1::document/AWS-RunShellScript"},
      {"Id": "d", "Arn": "arn:cloudlet:usermgmt:us-east-1:0:server/127.0.0.1:50051"},
      {"Id": "e", "Arn": 7}, "junk"]})")
                  .as_object();
  auto checks = target_iam_checks(body, "us-east-1", "000000000000");
  ASSERT_EQ(checks.size(), 2u);  // a and b are one function, whatever their ARNs say
  EXPECT_EQ(checks[0].action, "lambda:InvokeFunction");
  EXPECT_EQ(checks[0].resource,
            "arn:aws:lambda:us-east-1:000000000000:function:contacts_delete_by_contact_id");
  EXPECT_EQ(checks[1].action, "ssm:SendCommand");
  EXPECT_EQ(checks[1].resource, "arn:aws:ssm:us-east-1::document/AWS-RunShellScript");
  EXPECT_TRUE(target_iam_checks(boost::json::object{}, "us-east-1", "0").empty());
}

TEST(HttpOrigin, HostAndPortOfTheUrl) {
  EXPECT_EQ(http_origin("http://127.0.0.1:9000/a?b"), "127.0.0.1:9000");
  EXPECT_EQ(http_origin("http://example.com/a"), "example.com:80");
  EXPECT_EQ(http_origin("http://example.com?x"), "example.com:80");
  EXPECT_EQ(http_origin("http://[::1]:8080/x"), "[::1]:8080");
  EXPECT_EQ(http_origin("http://[::1]/x"), "[::1]:80");
}

}  // namespace
}  // namespace cloudlet::events
