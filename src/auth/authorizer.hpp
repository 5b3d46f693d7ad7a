// The one authorizer of every AWS-style API: SigV4 verification, then IAM
// evaluation, against one atomically swapped snapshot of the principals.
//
// A request is authorized in three steps, each over the same parsed request
// the handler sees (the http::Target parsed once, the same header list):
//   1. precheck(): from the headers alone, before any body byte is read
//      (Verifier::precheck);
//   2. verify(): SigV4 in full once the body is here;
//   3. allow(): IAM for one action on one resource, with the condition keys
//      the request carries (aws:SourceIp, aws:CurrentTime, …).
// Steps 2 and 3 are apart because an API may only know its IAM resource after
// reading the body (the event bus names a rule in it); authorize() runs both
// when the resource is known from the head.
//
// Thread safety: every member may be called concurrently; set_principals()
// swaps the snapshot for requests that start after it.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/errors.hpp"
#include "auth/principals.hpp"
#include "auth/sigv4.hpp"

namespace cloudlet::auth {

// What the request says about its client, for IAM condition keys.
struct ClientFacts {
  std::string_view source_ip;
  std::string_view user_agent;  // empty: absent
  std::string_view referer;     // empty: absent
};

class Authorizer {
 public:
  Authorizer(Settings settings, std::shared_ptr<const Principals> principals);

  // The principals a request is checked against from its head to its end.
  std::shared_ptr<const Principals> principals() const { return principals_.load(); }
  void set_principals(std::shared_ptr<const Principals> principals);

  std::optional<AuthError> precheck(const RequestView& request, const Principals& principals,
                                    Clock::time_point now) const;
  AuthResult verify(const RequestView& request, const Principals& principals,
                    Clock::time_point now) const;
  // nullopt: `principal` may do `action` on `resource`; otherwise the
  // endpoint's AccessDenied answer.
  std::optional<AuthError> allow(const Principal& principal, const Principals& principals,
                                 std::string_view action, std::string_view resource,
                                 const ClientFacts& client, Clock::time_point now) const;
  // verify() then allow().
  AuthResult authorize(const RequestView& request, const Principals& principals,
                       std::string_view action, std::string_view resource,
                       const ClientFacts& client, Clock::time_point now) const;

  const Settings& settings() const { return verifier_.settings(); }

 private:
  Verifier verifier_;
  std::atomic<std::shared_ptr<const Principals>> principals_;
};

// The IAM global condition keys of one request by `principal` at `now`.
void fill_condition_context(ConditionContext& context, const Principal& principal,
                            const ClientFacts& client, Clock::time_point now);

}  // namespace cloudlet::auth
