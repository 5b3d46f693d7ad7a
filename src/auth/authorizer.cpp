#include "auth/authorizer.hpp"

#include <algorithm>

#include "auth/iam.hpp"

namespace cloudlet::auth {

Authorizer::Authorizer(Settings settings, std::shared_ptr<const Principals> principals)
    : verifier_(std::move(settings)) {
  principals_.store(principals ? std::move(principals) : PrincipalsBuilder("000000000000").build());
}

void Authorizer::set_principals(std::shared_ptr<const Principals> principals) {
  if (principals) principals_.store(std::move(principals));
}

std::optional<AuthError> Authorizer::precheck(const RequestView& request,
                                              const Principals& principals,
                                              Clock::time_point now) const {
  return verifier_.precheck(request, *principals.store, now);
}

AuthResult Authorizer::verify(const RequestView& request, const Principals& principals,
                              Clock::time_point now) const {
  return verifier_.verify(request, *principals.store, now);
}

std::optional<AuthError> Authorizer::allow(const Principal& principal, const Principals& principals,
                                           std::string_view action, std::string_view resource,
                                           const ClientFacts& client, Clock::time_point now) const {
  auto policies = principals.policies_for(principal.access_key_id);
  // The condition context costs a dozen allocations; build it only for
  // principals whose policies have a Condition block (the default
  // full-access key has none). An empty context means every key is absent.
  ConditionContext context;
  const bool conditional = std::any_of(policies.begin(), policies.end(), [](const Policy& p) {
    return std::any_of(p.statements().begin(), p.statements().end(),
                       [](const Statement& st) { return !st.conditions.empty(); });
  });
  if (conditional) fill_condition_context(context, principal, client, now);
  const Decision decision = evaluate(policies, {action, resource, &context});
  if (decision == Decision::kAllow) return std::nullopt;
  return access_denied(settings().endpoint, decision == Decision::kExplicitDeny,
                       principal.principal_arn, action, resource);
}

AuthResult Authorizer::authorize(const RequestView& request, const Principals& principals,
                                 std::string_view action, std::string_view resource,
                                 const ClientFacts& client, Clock::time_point now) const {
  AuthResult verified = verify(request, principals, now);
  if (!verified.ok()) return verified;
  if (auto denied = allow(verified.value(), principals, action, resource, client, now)) {
    return *denied;
  }
  return verified;
}

void fill_condition_context(ConditionContext& c, const Principal& p, const ClientFacts& client,
                            Clock::time_point now) {
  c.set("aws:SourceIp", std::string(client.source_ip));
  c.set("aws:SecureTransport", std::string("false"));
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  c.set("aws:EpochTime", std::to_string(secs));
  std::string iso = format_amz_date(now);  // YYYYMMDDTHHMMSSZ
  c.set("aws:CurrentTime", iso.substr(0, 4) + "-" + iso.substr(4, 2) + "-" + iso.substr(6, 5) +
                               ":" + iso.substr(11, 2) + ":" + iso.substr(13, 3));
  if (!client.user_agent.empty()) c.set("aws:UserAgent", std::string(client.user_agent));
  if (!client.referer.empty()) c.set("aws:Referer", std::string(client.referer));
  c.set("aws:PrincipalArn", p.principal_arn);
  c.set("aws:PrincipalAccount", p.account_id);
  c.set("aws:PrincipalType", std::string("User"));
  c.set("aws:userid", p.user_id);
  if (auto slash = p.principal_arn.rfind('/'); slash != std::string::npos) {
    c.set("aws:username", p.principal_arn.substr(slash + 1));
  }
  c.set("aws:RequestedRegion", p.region);
}

}  // namespace cloudlet::auth
