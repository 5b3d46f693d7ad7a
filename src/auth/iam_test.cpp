// IAM policy parsing and evaluation (spec §8): a table of policies × requests,
// then malformed documents with the message each must produce.
#include "auth/iam.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "auth/errors.hpp"

namespace cloudlet::auth {
namespace {

constexpr std::string_view kInvoke = "execute-api:Invoke";
const std::string kArnPost = execute_api_arn("us-east-1", "123456789012", "a1b2c3d4e5", "$default",
                                             "post", "/contacts_insert");

TEST(ExecuteApiArn, BuildsTheResourceOfAGatewayCall) {
  EXPECT_EQ(kArnPost,
            "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/$default/POST/contacts_insert");
  EXPECT_EQ(execute_api_arn("us-east-1", "1", "api", "$default", "GET", "/"),
            "arn:aws:execute-api:us-east-1:1:api/$default/GET/");
}

struct Row {
  const char* name;
  const char* policy;
  std::string_view action;
  std::string resource;
  Decision expected;
};

std::string doc(const std::string& statements) {
  return R"({"Version":"2012-10-17","Statement":)" + statements + "}";
}

TEST(IamEvaluate, PolicyTable) {
  const std::string prefix = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/$default/";
  const std::vector<Row> rows = {
      {"allow exact", R"({"Effect":"Allow","Action":"execute-api:Invoke","Resource":"ARN"})",
       kInvoke, kArnPost, Decision::kAllow},
      {"default deny: other resource",
       R"({"Effect":"Allow","Action":"execute-api:Invoke","Resource":"ARN"})", kInvoke,
       prefix + "GET/contacts", Decision::kImplicitDeny},
      {"action case-insensitive",
       R"({"Effect":"Allow","Action":"EXECUTE-API:invoke","Resource":"*"})", kInvoke, kArnPost,
       Decision::kAllow},
      {"resource case-sensitive",
       R"({"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/$default/post/*"})",
       kInvoke, kArnPost, Decision::kImplicitDeny},
      {"star in resource part crosses slashes",
       R"({"Effect":"Allow","Action":"execute-api:*","Resource":"arn:aws:execute-api:*:*:a1b2c3d4e5/*"})",
       kInvoke, kArnPost, Decision::kAllow},
      {"question mark is one character",
       R"({"Effect":"Allow","Action":"execute-api:Invok?","Resource":"arn:aws:execute-api:us-east-?:123456789012:a1b2c3d4e5/$default/POST/contacts_inser?"})",
       kInvoke, kArnPost, Decision::kAllow},
      {"question mark is not zero characters",
       R"({"Effect":"Allow","Action":"execute-api:Invoke?","Resource":"*"})", kInvoke, kArnPost,
       Decision::kImplicitDeny},
      {"star in a field does not cross colons",
       R"({"Effect":"Allow","Action":"*","Resource":"arn:aws:execute-api:*:123456789012:*/POST/*"})",
       kInvoke, "arn:aws:execute-api:us-east-1:extra:123456789012:a/$default/POST/x",
       Decision::kImplicitDeny},
      {"deny wins regardless of order",
       R"([{"Effect":"Deny","Action":"*","Resource":"arn:aws:execute-api:*:*:*/*/POST/*"},
           {"Effect":"Allow","Action":"*","Resource":"*"}])",
       kInvoke, kArnPost, Decision::kExplicitDeny},
      {"deny not applying leaves the allow",
       R"([{"Effect":"Allow","Action":"*","Resource":"*"},
           {"Effect":"Deny","Action":"*","Resource":"arn:aws:execute-api:*:*:*/*/DELETE/*"}])",
       kInvoke, kArnPost, Decision::kAllow},
      {"NotAction excludes the action",
       R"({"Effect":"Allow","NotAction":"execute-api:Invoke","Resource":"*"})", kInvoke, kArnPost,
       Decision::kImplicitDeny},
      {"NotAction applies to other actions",
       R"({"Effect":"Deny","NotAction":"execute-api:ManageConnections","Resource":"*"})", kInvoke,
       kArnPost, Decision::kExplicitDeny},
      {"NotResource excludes the resource",
       R"({"Effect":"Allow","Action":"*","NotResource":"arn:aws:execute-api:*:*:*/*/POST/contacts_*"})",
       kInvoke, kArnPost, Decision::kImplicitDeny},
      {"NotResource applies to other resources",
       R"({"Effect":"Allow","Action":"*","NotResource":["arn:aws:execute-api:*:*:*/*/GET/*"]})",
       kInvoke, kArnPost, Decision::kAllow},
      {"events action", R"({"Effect":"Allow","Action":"events:Put*","Resource":"*"})",
       "events:PutEvents", "arn:aws:events:us-east-1:123456789012:event-bus/default",
       Decision::kAllow},
      {"literal dollar",
       R"({"Effect":"Allow","Action":"*","Resource":"arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/$default/*"})",
       kInvoke, kArnPost, Decision::kAllow},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    std::string text = doc(row.policy);
    if (const auto at = text.find("\"ARN\""); at != std::string::npos) {
      text.replace(at, 5, "\"" + kArnPost + "\"");
    }
    auto policy = parse_policy(text);
    ASSERT_TRUE(policy.ok()) << policy.error().message;
    EXPECT_EQ(evaluate(*policy, {row.action, row.resource, nullptr}), row.expected);
  }
}

TEST(IamEvaluate, NoPolicyIsAnImplicitDeny) {
  EXPECT_EQ(evaluate(std::span<const Policy>(), {kInvoke, kArnPost, nullptr}),
            Decision::kImplicitDeny);
}

TEST(IamEvaluate, DenyInAnotherPolicyWins) {
  std::vector<Policy> policies;
  policies.push_back(*parse_policy(doc(R"({"Effect":"Allow","Action":"*","Resource":"*"})")));
  policies.push_back(*parse_policy(doc(R"({"Effect":"Deny","Action":"*","Resource":"*"})")));
  EXPECT_EQ(evaluate(policies, {kInvoke, kArnPost, nullptr}), Decision::kExplicitDeny);
}

Decision with_condition(const std::string& condition, const ConditionContext* ctx) {
  auto policy = parse_policy(
      doc(R"({"Effect":"Allow","Action":"*","Resource":"*","Condition":)" + condition + "}"));
  EXPECT_TRUE(policy.ok()) << (policy.ok() ? "" : policy.error().message);
  if (!policy.ok()) return Decision::kImplicitDeny;
  return evaluate(*policy, {kInvoke, kArnPost, ctx});
}

TEST(IamConditions, OperatorsKeysAndAbsence) {
  ConditionContext ctx;
  ctx.set("aws:SourceIp", "127.0.0.1");
  ctx.set("aws:SecureTransport", "false");
  ctx.set("aws:EpochTime", "1795843533");
  ctx.set("aws:CurrentTime", "2026-11-28T05:25:33Z");
  ctx.set("aws:username", "alice");
  ctx.set("aws:PrincipalArn", "arn:aws:iam::123456789012:user/alice");
  const auto allow = Decision::kAllow;
  const auto deny = Decision::kImplicitDeny;
  EXPECT_EQ(with_condition(R"({"IpAddress":{"aws:SourceIp":["10.0.0.0/8","127.0.0.0/8"]}})", &ctx),
            allow);
  EXPECT_EQ(with_condition(R"({"NotIpAddress":{"aws:sourceip":"127.0.0.1"}})", &ctx), deny);
  EXPECT_EQ(with_condition(R"({"IpAddress":{"aws:SourceIp":"::1/128"}})", &ctx), deny);
  EXPECT_EQ(with_condition(R"({"Bool":{"aws:SecureTransport":"true"}})", &ctx), deny);
  EXPECT_EQ(with_condition(R"({"Bool":{"aws:SecureTransport":false}})", &ctx), allow);
  EXPECT_EQ(with_condition(R"({"NumericLessThan":{"aws:EpochTime":1795843534}})", &ctx), allow);
  EXPECT_EQ(with_condition(R"({"DateGreaterThan":{"aws:CurrentTime":"2027-01-01"}})", &ctx), deny);
  EXPECT_EQ(
      with_condition(R"({"DateLessThan":{"aws:CurrentTime":"2026-11-28T06:00:00+00:00"}})", &ctx),
      allow);
  EXPECT_EQ(with_condition(R"({"StringEquals":{"aws:username":"Alice"}})", &ctx), deny);
  EXPECT_EQ(with_condition(R"({"StringEqualsIgnoreCase":{"aws:username":"Alice"}})", &ctx), allow);
  EXPECT_EQ(with_condition(R"({"StringLike":{"aws:username":"al*"}})", &ctx), allow);
  EXPECT_EQ(with_condition(R"({"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}})", &ctx),
            allow);
  // Absent keys: false, except negated operators, IfExists, Null and ForAllValues
  // (the tables below have every combination).
  EXPECT_EQ(with_condition(R"({"StringEquals":{"aws:UserAgent":"curl"}})", &ctx), deny);
  EXPECT_EQ(with_condition(R"({"StringNotEquals":{"aws:UserAgent":"curl"}})", &ctx), allow);
  EXPECT_EQ(with_condition(R"({"StringEqualsIfExists":{"aws:UserAgent":"curl"}})", &ctx), allow);
  EXPECT_EQ(with_condition(R"({"Null":{"aws:UserAgent":"true"}})", &ctx), allow);
  EXPECT_EQ(with_condition(R"({"Null":{"aws:username":"true"}})", &ctx), deny);
  EXPECT_EQ(with_condition(R"({"ForAllValues:StringEquals":{"aws:TagKeys":"x"}})", &ctx), allow);
  EXPECT_EQ(with_condition(R"({"ForAnyValue:StringEquals":{"aws:TagKeys":"x"}})", &ctx), deny);
  // All operators and all keys must hold.
  EXPECT_EQ(
      with_condition(
          R"({"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"}})",
          &ctx),
      deny);
  EXPECT_EQ(with_condition(R"({"StringEquals":{"aws:username":"alice"}})", nullptr), deny);
}

// Condition operators × set operators × what the request holds, each row the
// result AWS documents (IAM User Guide, "Condition operators" and "Multivalued
// context keys"):
// - a plain operator holds when any request value matches any policy value; its
//   negation when none does (NOR), so it is true when the key is absent;
// - ForAnyValue: holds when at least one request value satisfies the operator
//   (negated: at least one value matches no policy value); false when the key is
//   absent, for negated operators too;
// - ForAllValues: holds when every request value satisfies the operator; true
//   when the key is absent.
enum class Ctx { kMatch, kMixed, kNoMatch, kAbsent };

struct ConditionRow {
  std::string op;  // e.g. "ForAnyValue:StringNotLike"
  Ctx ctx;
  bool holds;
};

struct Family {
  const char* key;
  const char* policy_values;         // JSON array
  std::vector<std::string> matches;  // two request values, each matching a policy value
  std::vector<std::string> misses;   // two request values matching none
};

const Family kStrings{"aws:TagKeys", R"(["alpha","beta"])", {"alpha", "beta"}, {"gamma", "delta"}};
const Family kLike{"aws:TagKeys", R"(["al*","be??"])", {"alpha", "beta"}, {"gamma", "bet"}};
const Family kIps{"aws:SourceIp",
                  R"(["10.0.0.0/8","192.168.0.0/16"])",
                  {"10.1.2.3", "192.168.7.7"},
                  {"172.16.0.1", "8.8.8.8"}};

const Family& family_of(std::string_view op) {
  if (op.find("Ip") != std::string_view::npos) return kIps;
  if (op.find("Like") != std::string_view::npos) return kLike;
  return kStrings;
}

// The request's values for a row: one value for plain operators (the keys
// they are meant for are single-valued), two for set operators.
std::optional<std::vector<std::string>> request_values(const ConditionRow& row) {
  const Family& f = family_of(row.op);
  const bool set = row.op.starts_with("For");
  switch (row.ctx) {
    case Ctx::kMatch:
      return set ? f.matches : std::vector<std::string>{f.matches[0]};
    case Ctx::kMixed:
      return std::vector<std::string>{f.matches[0], f.misses[0]};
    case Ctx::kNoMatch:
      return set ? f.misses : std::vector<std::string>{f.misses[0]};
    case Ctx::kAbsent:
      break;
  }
  return std::nullopt;
}

const char* ctx_name(Ctx c) {
  switch (c) {
    case Ctx::kMatch:
      return "present, matching";
    case Ctx::kMixed:
      return "present, one matching and one not";
    case Ctx::kNoMatch:
      return "present, not matching";
    case Ctx::kAbsent:
      break;
  }
  return "absent";
}

// Each row is checked twice: the condition on an Allow (true = allowed) and on
// a Deny beside an Allow of everything (true = explicitly denied).
void expect_condition_rows(const std::vector<ConditionRow>& rows) {
  for (const ConditionRow& row : rows) {
    const Family& f = family_of(row.op);
    SCOPED_TRACE(row.op + " with the key " + ctx_name(row.ctx));
    const std::string condition =
        R"({")" + row.op + R"(":{")" + f.key + R"(":)" + f.policy_values + "}}";
    ConditionContext ctx;
    ctx.set("aws:username", "alice");  // another key, always present
    if (auto values = request_values(row)) ctx.set(f.key, std::move(*values));
    auto allow = parse_policy(
        doc(R"({"Effect":"Allow","Action":"*","Resource":"*","Condition":)" + condition + "}"));
    auto deny = parse_policy(doc(R"([{"Effect":"Allow","Action":"*","Resource":"*"},
        {"Effect":"Deny","Action":"*","Resource":"*","Condition":)" +
                                 condition + "}]"));
    ASSERT_TRUE(allow.ok()) << allow.error().message;
    ASSERT_TRUE(deny.ok()) << deny.error().message;
    EXPECT_EQ(evaluate(*allow, {kInvoke, kArnPost, &ctx}),
              row.holds ? Decision::kAllow : Decision::kImplicitDeny);
    EXPECT_EQ(evaluate(*deny, {kInvoke, kArnPost, &ctx}),
              row.holds ? Decision::kExplicitDeny : Decision::kAllow);
  }
}

TEST(IamConditions, SetOperatorsNegationAndAbsentKeys) {
  using enum Ctx;
  const bool T = true, F = false;
  std::vector<ConditionRow> rows;
  for (std::string base : {"StringEquals", "StringLike", "IpAddress"}) {
    const std::string neg = base == "IpAddress" ? "NotIpAddress" : "StringNot" + base.substr(6);
    rows.insert(rows.end(), {
                                // plain operator, single-valued key
                                {base, kMatch, T},
                                {base, kNoMatch, F},
                                {base, kAbsent, F},
                                {neg, kMatch, F},
                                {neg, kNoMatch, T},
                                {neg, kAbsent, T},
                                // ForAnyValue: at least one request value
                                {"ForAnyValue:" + base, kMatch, T},
                                {"ForAnyValue:" + base, kMixed, T},
                                {"ForAnyValue:" + base, kNoMatch, F},
                                {"ForAnyValue:" + base, kAbsent, F},
                                {"ForAnyValue:" + neg, kMatch, F},
                                {"ForAnyValue:" + neg, kMixed, T},
                                {"ForAnyValue:" + neg, kNoMatch, T},
                                {"ForAnyValue:" + neg, kAbsent, F},
                                // ForAllValues: every request value
                                {"ForAllValues:" + base, kMatch, T},
                                {"ForAllValues:" + base, kMixed, F},
                                {"ForAllValues:" + base, kNoMatch, F},
                                {"ForAllValues:" + base, kAbsent, T},
                                {"ForAllValues:" + neg, kMatch, F},
                                {"ForAllValues:" + neg, kMixed, F},
                                {"ForAllValues:" + neg, kNoMatch, T},
                                {"ForAllValues:" + neg, kAbsent, T},
                            });
  }
  expect_condition_rows(rows);
}

TEST(IamConditions, IfExists) {
  using enum Ctx;
  const bool T = true, F = false;
  expect_condition_rows({
      // Present: the base operator. Absent: true.
      {"StringEqualsIfExists", kMatch, T},
      {"StringEqualsIfExists", kNoMatch, F},
      {"StringEqualsIfExists", kAbsent, T},
      {"StringNotEqualsIfExists", kMatch, F},
      {"StringNotEqualsIfExists", kNoMatch, T},
      {"StringNotEqualsIfExists", kAbsent, T},
      {"StringLikeIfExists", kNoMatch, F},
      {"StringLikeIfExists", kAbsent, T},
      {"IpAddressIfExists", kMatch, T},
      {"IpAddressIfExists", kNoMatch, F},
      {"IpAddressIfExists", kAbsent, T},
      {"NotIpAddressIfExists", kMatch, F},
      {"NotIpAddressIfExists", kAbsent, T},
      // Under a set operator IfExists applies to each value, not to the key:
      // an absent key is still "no values", false for ForAnyValue (AWS
      // re:Post QU9HFmDzP0QGuU-fd7rS6B7w: ForAnyValue:StringEqualsIfExists on a
      // request without aws:TagKeys does not allow) and true for ForAllValues.
      {"ForAnyValue:StringEqualsIfExists", kMatch, T},
      {"ForAnyValue:StringEqualsIfExists", kAbsent, F},
      {"ForAnyValue:StringNotEqualsIfExists", kAbsent, F},
      {"ForAllValues:StringEqualsIfExists", kMixed, F},
      {"ForAllValues:StringEqualsIfExists", kAbsent, T},
      {"ForAllValues:StringNotEqualsIfExists", kAbsent, T},
  });
}

// A dual-stack listener reports IPv4 clients as IPv4-mapped IPv6
// (::ffff:a.b.c.d). AWS sees them as IPv4, so they must match IPv4 ranges:
// otherwise a Deny on an IPv4 range fails open.
TEST(IamConditions, Ipv4MappedAddressesMatchIpv4Ranges) {
  auto decide = [](const std::string& statements, std::string_view source_ip) {
    ConditionContext ctx;
    ctx.set("aws:SourceIp", std::string(source_ip));
    auto policy = parse_policy(doc(statements));
    EXPECT_TRUE(policy.ok()) << (policy.ok() ? "" : policy.error().message);
    return policy.ok() ? evaluate(*policy, {kInvoke, kArnPost, &ctx}) : Decision::kImplicitDeny;
  };
  const std::string allow_office =
      R"({"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}})";
  EXPECT_EQ(decide(allow_office, "::ffff:10.1.2.3"), Decision::kAllow);
  EXPECT_EQ(decide(allow_office, "::FFFF:10.1.2.3"), Decision::kAllow);
  EXPECT_EQ(decide(allow_office, "::ffff:a01:203"), Decision::kAllow);  // 10.1.2.3 in hex
  EXPECT_EQ(decide(allow_office, "::ffff:11.1.2.3"), Decision::kImplicitDeny);
  EXPECT_EQ(decide(allow_office, "2001:db8::a01:203"), Decision::kImplicitDeny);
  EXPECT_EQ(decide(allow_office, "::a01:203"), Decision::kImplicitDeny);  // not mapped

  const std::string deny_range = R"([{"Effect":"Allow","Action":"*","Resource":"*"},
      {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}])";
  EXPECT_EQ(decide(deny_range, "::ffff:203.0.113.7"), Decision::kExplicitDeny);
  EXPECT_EQ(decide(deny_range, "203.0.113.7"), Decision::kExplicitDeny);
  EXPECT_EQ(decide(deny_range, "::ffff:198.51.100.7"), Decision::kAllow);

  const std::string deny_outside = R"([{"Effect":"Allow","Action":"*","Resource":"*"},
      {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","127.0.0.1"]}}}])";
  EXPECT_EQ(decide(deny_outside, "::ffff:10.1.2.3"), Decision::kAllow);
  EXPECT_EQ(decide(deny_outside, "::ffff:127.0.0.1"), Decision::kAllow);
  EXPECT_EQ(decide(deny_outside, "::ffff:8.8.8.8"), Decision::kExplicitDeny);

  // A policy may write the range in the mapped form too; it means the IPv4 range.
  const std::string allow_mapped =
      R"({"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["::ffff:10.0.0.0/104","::ffff:192.0.2.1"]}}})";
  EXPECT_EQ(decide(allow_mapped, "10.200.0.1"), Decision::kAllow);
  EXPECT_EQ(decide(allow_mapped, "::ffff:10.200.0.1"), Decision::kAllow);
  EXPECT_EQ(decide(allow_mapped, "192.0.2.1"), Decision::kAllow);
  EXPECT_EQ(decide(allow_mapped, "192.0.2.2"), Decision::kImplicitDeny);
  EXPECT_EQ(decide(allow_mapped, "11.0.0.1"), Decision::kImplicitDeny);

  // An IPv4 client is not in an IPv6 range, however it was reported (AWS
  // policies list 0.0.0.0/0 and ::/0 separately for this reason).
  const std::string allow_v6 =
      R"({"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"::/0"}}})";
  EXPECT_EQ(decide(allow_v6, "2001:db8::1"), Decision::kAllow);
  EXPECT_EQ(decide(allow_v6, "::ffff:10.1.2.3"), Decision::kImplicitDeny);
}

TEST(IamParse, MalformedPoliciesAreRejectedWithAReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "not valid JSON"},
      {"[]", "must be a JSON object"},
      {R"({"Version":"2012-10-17"})", "missing Statement"},
      {R"({"Version":"2020-01-01","Statement":[]})", "Version must be"},
      {R"({"Statement":[],"Extra":1})", "unknown top-level key 'Extra'"},
      {doc("[]"), "Statement must not be empty"},
      {doc(R"({"Effect":"allow","Action":"*","Resource":"*"})"), "Effect must be"},
      {doc(R"({"Action":"*","Resource":"*"})"), "lacks Effect"},
      {doc(R"({"Effect":"Allow","Resource":"*"})"), "needs Action or NotAction"},
      {doc(R"({"Effect":"Allow","Action":"*"})"), "needs Resource or NotResource"},
      {doc(R"({"Effect":"Allow","Action":"*","NotAction":"x:y","Resource":"*"})"),
       "both Action and NotAction"},
      {doc(R"({"Effect":"Allow","Action":"invoke","Resource":"*"})"), "<service>:<action>"},
      {doc(R"({"Effect":"Allow","Action":[],"Resource":"*"})"), "must not be empty"},
      {doc(R"({"Effect":"Allow","Action":[1],"Resource":"*"})"), "must be strings"},
      {doc(R"({"Effect":"Allow","Action":"*","Resource":"contacts"})"), "must be \"*\" or an ARN"},
      {doc(R"({"Effect":"Allow","Action":"*","Resource":"*","Principal":"*"})"),
       "resource policies"},
      {doc(R"({"Effect":"Allow","Action":"*","Resource":"*","Foo":1})"), "unknown key 'Foo'"},
      {doc(R"({"Effect":"Allow","Action":"*","Resource":"arn:aws:execute-api:*:*:*/${aws:username}"})"),
       "policy variables"},
      {doc(R"({"Effect":"Deny","Action":"*","Resource":"arn:aws:execute-api:*"})"),
       "arn:partition:service:region:account:resource"},
      {doc(R"({"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringMatches":{"k":"v"}}})"),
       "unsupported condition operator 'StringMatches'"},
      {doc(R"({"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericEquals":{"k":"x"}}})"),
       "is not a number"},
      {doc(R"({"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"k":"1.2.3.4/40"}}})"),
       "not an IP address"},
      {doc(R"({"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateEquals":{"k":"yesterday"}}})"),
       "not an ISO-8601 date"},
  };
  for (const auto& [text, expected] : cases) {
    SCOPED_TRACE(text);
    auto policy = parse_policy(text);
    ASSERT_FALSE(policy.ok());
    EXPECT_EQ(policy.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(policy.error().message.find("MalformedPolicyDocument: "), std::string::npos);
    EXPECT_NE(policy.error().message.find(expected), std::string::npos) << policy.error().message;
  }
}

TEST(IamParse, LegacyVersionMatchesDollarBraceLiterally) {
  auto policy = parse_policy(
      R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${x}"}})");
  ASSERT_TRUE(policy.ok());
  EXPECT_EQ(policy->version(), "2008-10-17");
  EXPECT_EQ(evaluate(*policy, {kInvoke, "arn:aws:s3:::${x}", nullptr}), Decision::kAllow);
}

TEST(IamAccessDenied, GatewayAnswersBareForbidden) {
  const AuthError e = access_denied(Endpoint::kHttpApi, true, "arn:u", kInvoke, kArnPost);
  EXPECT_EQ(e.http_status, 403);
  EXPECT_EQ(e.error_type, "");
  EXPECT_EQ(e.message, "Forbidden");
  EXPECT_EQ(e.catalogue_row(), 20);
  const AuthError b = access_denied(Endpoint::kEventBus, false, "arn:u", "events:PutEvents", "r");
  EXPECT_EQ(b.error_type, "AccessDeniedException");
  EXPECT_EQ(b.message, "User: arn:u is not authorized to perform: events:PutEvents on resource: r");
}

}  // namespace
}  // namespace cloudlet::auth
