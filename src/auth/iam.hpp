// IAM identity-policy evaluation for execute-api:Invoke and events:<Action>
// (spec/apigateway-sigv4.md §8).
//
// "Parse, don't validate": parse_policy() compiles a JSON document once into a
// Policy that can only hold valid statements (known keys, Allow/Deny, patterns,
// typed condition values); anything unsupported is rejected at load time with
// a message naming the problem. evaluate() then only matches.
//
// Thread safety: Policy is immutable after parsing; evaluate() is pure and may
// run concurrently on shared policies. Cost: linear in the number of patterns;
// wildcard matching is O(pattern × text) in the worst case, no allocation.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace cloudlet::auth {

enum class Effect { kAllow, kDeny };
enum class Decision { kAllow, kImplicitDeny, kExplicitDeny };

// The request facts conditions look at (§8.5). Keys are case-insensitive;
// every key may hold several values. A key not set (or set to no values) is
// "absent", and a condition on it holds exactly as in AWS: false under
// ForAnyValue: (negated operators and IfExists too), true under
// ForAllValues:, and otherwise true only for negated operators, IfExists and
// Null "true". Addresses for IpAddress/NotIpAddress (aws:SourceIp) may be
// given in the IPv4-mapped form a dual-stack socket reports (::ffff:a.b.c.d):
// they are compared as the IPv4 address, in the context and in policies.
class ConditionContext {
 public:
  void set(std::string_view key, std::vector<std::string> values);
  void set(std::string_view key, std::string value);
  // nullptr when absent.
  const std::vector<std::string>* get(std::string_view key) const;

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> values_;  // lower-case keys
};

// One compiled statement; constructed only by parse_policy().
struct CompiledCondition;
struct Statement {
  Effect effect = Effect::kDeny;
  bool not_action = false;  // NotAction: applies when no pattern matches
  std::vector<std::string> actions;
  bool not_resource = false;
  std::vector<std::string> resources;
  std::vector<CompiledCondition> conditions;  // all must hold

  Statement();
  ~Statement();
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  Statement(const Statement&);
  Statement& operator=(const Statement&);
};

class Policy {
 public:
  const std::vector<Statement>& statements() const { return statements_; }
  const std::string& version() const { return version_; }

 private:
  friend cloudlet::Result<Policy> parse_policy(std::string_view json);
  std::string version_;
  std::vector<Statement> statements_;
};

// Parses and compiles one identity-policy document. Errors are
// kInvalidArgument with "MalformedPolicyDocument: <what is wrong>".
cloudlet::Result<Policy> parse_policy(std::string_view json);

struct AuthzRequest {
  std::string_view action;                    // e.g. "execute-api:Invoke"
  std::string_view resource;                  // e.g. execute_api_arn(...)
  const ConditionContext* context = nullptr;  // nullptr: every key absent
};

// §8.4: an applying Deny wins, else an applying Allow, else implicit deny
// (also when `policies` is empty).
Decision evaluate(std::span<const Policy> policies, const AuthzRequest& request);
Decision evaluate(const Policy& policy, const AuthzRequest& request);

// arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/{METHOD}/{path}
// `method` is upper-cased; one leading `/` of `path` is dropped (`GET /` gives
// `…/GET/`). Pass the percent-decoded path (§8.1).
std::string execute_api_arn(std::string_view region, std::string_view account_id,
                            std::string_view api_id, std::string_view stage,
                            std::string_view method, std::string_view path);

// `*` matches any run (also empty), `?` exactly one character. Exposed for tests.
bool wildcard_match(std::string_view pattern, std::string_view text, bool ignore_case);
// §8.3 resource matching: field by field over the first five `:`-separated
// fields, then the resource part, case-sensitive.
bool arn_match(std::string_view pattern, std::string_view arn);

}  // namespace cloudlet::auth
