#include "events/api_support.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace cloudlet::events {
namespace {

namespace json = boost::json;

bool lower_only(std::string_view s) {
  for (char c : s) {
    if (c < 'a' || c > 'z') return false;
  }
  return true;
}

std::string message_of(const ApiReply& reply) {
  return std::string(json::parse(reply.body).at("message").as_string());
}

TEST(RequestReader, ConstraintViolationsBecomeOneValidationException) {
  json::object body = json::parse(R"({"Name": "Bad Name!", "State": "ON"})").as_object();
  RequestReader in(body);
  (void)in.required_string("Name", "name", {1, 64, "[a-z]+", lower_only});
  (void)in.enum_string("State", "state", {"ENABLED", "DISABLED"});
  (void)in.required_string("Rule", "rule");
  auto failure = in.failure();
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->status, 400u);
  EXPECT_EQ(failure->error_type, "ValidationException");
  EXPECT_EQ(message_of(*failure),
            "3 validation errors detected: Value 'Bad Name!' at 'name' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [a-z]+; Value 'ON' at "
            "'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, "
            "DISABLED]; Value null at 'rule' failed to satisfy constraint: Member must not be "
            "null");
}

TEST(RequestReader, ALongRefusedValueIsEchoedOnlyInPart) {
  json::object body;
  body["Description"] = std::string(100000, 'x');
  RequestReader in(body);
  (void)in.string("Description", "description", {0, 512, {}, nullptr});
  auto failure = in.failure();
  ASSERT_TRUE(failure);
  const std::string message = message_of(*failure);
  EXPECT_LT(message.size(), 1200u);
  EXPECT_NE(message.find(std::string(1000, 'x') + "...' at 'description'"), std::string::npos);
}

TEST(RequestReader, AWrongJsonTypeIsASerializationExceptionFirst) {
  json::object body = json::parse(R"({"Name": 5, "Rule": null, "Limit": 500})").as_object();
  RequestReader in(body);
  EXPECT_FALSE(in.string("Name", "name"));
  EXPECT_FALSE(in.string("Rule", "rule")) << "null reads as absent";
  EXPECT_FALSE(in.integer("Limit", "limit", 1, 100));
  auto failure = in.failure();
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->error_type, "SerializationException");
}

TEST(RequestReader, RangesAndLengthsUseAwsTexts) {
  json::object body = json::parse(R"({"Limit": 0, "Description": "xxxx"})").as_object();
  RequestReader in(body);
  EXPECT_FALSE(in.integer("Limit", "limit", 1, 100));
  EXPECT_TRUE(in.string("Description", "description", {0, 3, {}, nullptr}));
  EXPECT_EQ(message_of(*in.failure()),
            "2 validation errors detected: Value '0' at 'limit' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1; Value 'xxxx' at 'description' "
            "failed to satisfy constraint: Member must have length less than or equal to 3");
}

TEST(RequestReader, NestedReadersProblemsCountForTheRequest) {
  json::object body = json::parse(R"({"RetryPolicy": {"MaximumRetryAttempts": 200}})").as_object();
  RequestReader in(body);
  RequestReader nested(*in.object("RetryPolicy"));
  (void)nested.integer("MaximumRetryAttempts", "targets.1.member.retryPolicy.maximumRetryAttempts",
                       0, 185);
  in.absorb(nested);
  ASSERT_TRUE(in.failure());
  EXPECT_NE(message_of(*in.failure()).find("'targets.1.member.retryPolicy.maximumRetryAttempts'"),
            std::string::npos);
}

TEST(RequestReader, NothingWrongIsNoFailure) {
  json::object body = json::parse(R"({"Name": "abc"})").as_object();
  RequestReader in(body);
  EXPECT_EQ(in.required_string("Name", "name", {1, 64, "[a-z]+", lower_only}), "abc");
  EXPECT_FALSE(in.failure());
}

TEST(NextToken, RoundTripsOnlyForItsOwnScope) {
  std::string token = make_next_token("rules\ndefault\nabc", "abc-rule-7");
  EXPECT_EQ(read_next_token(token, "rules\ndefault\nabc"), "abc-rule-7");
  EXPECT_FALSE(read_next_token(token, "rules\nother\nabc"));
  EXPECT_FALSE(read_next_token("garbage", "rules\ndefault\nabc"));
  EXPECT_FALSE(read_next_token(token + "z", "rules\ndefault\nabc"));
  // A forged token (the digest is no secret) with bytes no name has.
  std::string forged = make_next_token("rules\ndefault\nabc", "x");
  forged.replace(forged.size() - 2, 2, "ff");
  EXPECT_FALSE(read_next_token(forged, "rules\ndefault\nabc"));
  EXPECT_FALSE(read_next_token(make_next_token("s", ""), "s"));
}

TEST(Replies, ErrorsAreJsonObjectsWithTypeAndMessage) {
  ApiReply r =
      error_reply("ResourceNotFoundException", "Rule x does not exist on EventBus default.");
  EXPECT_EQ(r.status, 400u);
  auto v = json::parse(r.body).as_object();
  EXPECT_EQ(v.at("__type").as_string(), "ResourceNotFoundException");
  EXPECT_EQ(internal_reply().status, 500u);
  EXPECT_EQ(ok_reply({{"Result", true}}).body, R"({"Result":true})");
}

}  // namespace
}  // namespace cloudlet::events
