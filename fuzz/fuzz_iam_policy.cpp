// IAM identity-policy documents (auth::parse_policy, src/auth/iam.hpp) and
// their evaluation, including every condition operator family on dates,
// numbers, addresses, ARNs and strings; and the two matchers on pieces of the
// input.
//
// Input: a policy document (JSON). Its first line, split at the first tab, is
// also given to wildcard_match / arn_match as (pattern, text).
//
// Invariants: evaluating one policy and a span holding it agree; a copied
// policy decides as the original; adding an unconditional Deny * makes every
// decision an explicit deny, and adding an unconditional Allow * makes it an
// allow unless the policy denies explicitly; a pattern without wildcards
// matches itself, `*` matches anything, and a case-sensitive match is also a
// case-insensitive one.
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "auth/iam.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace cloudlet;
using auth::Decision;

struct Fixture {
  auth::Policy allow_all;
  auth::Policy deny_all;
  std::vector<auth::ConditionContext> contexts;
  std::vector<std::pair<std::string, std::string>> requests;  // action, resource

  Fixture() {
    auto allow = auth::parse_policy(
        R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})");
    auto deny = auth::parse_policy(
        R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]})");
    FUZZ_CHECK(allow.ok() && deny.ok());
    allow_all = std::move(*allow);
    deny_all = std::move(*deny);

    auth::ConditionContext loopback;  // what server.cpp fill_context() sets
    loopback.set("aws:SourceIp", std::string("127.0.0.1"));
    loopback.set("aws:SecureTransport", std::string("false"));
    loopback.set("aws:EpochTime", std::string("1795843560"));
    loopback.set("aws:CurrentTime", std::string("2026-11-28T05:26:00Z"));
    loopback.set("aws:UserAgent", std::string("curl/7.88.1"));
    loopback.set("aws:PrincipalArn", std::string("arn:aws:iam::000000000000:user/alice"));
    loopback.set("aws:PrincipalAccount", std::string("000000000000"));
    loopback.set("aws:PrincipalType", std::string("User"));
    loopback.set("aws:userid", std::string("AIDAEXAMPLE"));
    loopback.set("aws:username", std::string("alice"));
    loopback.set("aws:RequestedRegion", std::string("us-east-1"));
    contexts.push_back(loopback);

    auth::ConditionContext mapped;  // a dual-stack socket's IPv4 peer, several values
    mapped.set("aws:SourceIp", std::string("::ffff:10.0.0.1"));
    mapped.set("aws:username", std::vector<std::string>{"Alice", "bob"});
    mapped.set("aws:TagKeys", std::vector<std::string>{"alpha", "beta"});
    mapped.set("aws:CurrentTime", std::string("2015-08-30T12:36:00+02:00"));
    mapped.set("aws:EpochTime", std::string("-1.5e3"));
    mapped.set("aws:SecureTransport", std::string("TRUE"));
    mapped.set("aws:Referer", std::vector<std::string>{});
    contexts.push_back(mapped);

    auth::ConditionContext v6;
    v6.set("aws:SourceIp", std::string("2001:db8::1"));
    v6.set("aws:CurrentTime", std::string("not a date"));
    v6.set("aws:EpochTime", std::string("nan"));
    contexts.push_back(v6);

    contexts.emplace_back();  // every key absent

    requests.emplace_back("execute-api:Invoke",
                          auth::execute_api_arn("us-east-1", "000000000000", "cloudlet", "$default",
                                                "post", "/contacts_insert"));
    requests.emplace_back("execute-api:Invoke",
                          auth::execute_api_arn("us-east-1", "123456789012", "a1b2c3d4e5",
                                                "$default", "GET", "/contacts/1"));
    requests.emplace_back("events:PutEvents",
                          "arn:aws:events:us-east-1:123456789012:event-bus/default");
  }
};

void check_matchers(std::string_view line) {
  std::string_view text = line;
  const std::string_view pattern = fuzz::cut(text, '\t');
  const bool exact = auth::wildcard_match(pattern, text, false);
  const bool folded = auth::wildcard_match(pattern, text, true);
  FUZZ_CHECK(!exact || folded);
  FUZZ_CHECK(auth::wildcard_match("*", text, false));
  if (pattern.find_first_of("*?") == std::string_view::npos) {
    FUZZ_CHECK(auth::wildcard_match(pattern, pattern, false));
    FUZZ_CHECK(exact == (pattern == text));
  }
  (void)auth::arn_match(pattern, text);
  (void)auth::arn_match(text, pattern);
  (void)auth::arn_match(pattern, pattern);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Fixture fixture;
  const std::string_view input = fuzz::bytes(data, size);
  std::string_view rest = input;
  check_matchers(fuzz::cut(rest, '\n'));

  auto parsed = auth::parse_policy(input);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.error().code == ErrorCode::kInvalidArgument);
    return 0;
  }
  const auth::Policy& policy = *parsed;
  const auth::Policy copy = policy;  // NOLINT(performance-unnecessary-copy-initialization)
  const std::array<auth::Policy, 2> with_allow{policy, fixture.allow_all};
  const std::array<auth::Policy, 2> with_deny{fixture.deny_all, policy};
  for (const auto& [action, resource] : fixture.requests) {
    for (std::size_t i = 0; i <= fixture.contexts.size(); ++i) {
      const auth::ConditionContext* context =
          i < fixture.contexts.size() ? &fixture.contexts[i] : nullptr;
      const auth::AuthzRequest request{action, resource, context};
      const Decision alone = auth::evaluate(policy, request);
      FUZZ_CHECK(auth::evaluate(std::span<const auth::Policy>(&policy, 1), request) == alone);
      FUZZ_CHECK(auth::evaluate(copy, request) == alone);
      FUZZ_CHECK(auth::evaluate(with_deny, request) == Decision::kExplicitDeny);
      FUZZ_CHECK(auth::evaluate(with_allow, request) ==
                 (alone == Decision::kExplicitDeny ? Decision::kExplicitDeny : Decision::kAllow));
    }
  }
  return 0;
}
