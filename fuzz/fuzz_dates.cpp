// The date and time parsers of untrusted text: X-Amz-Date
// (auth::parse_amz_date), the HTTP Date header the verifier falls back to
// (through Verifier::precheck), the contacts API's dates
// (functions::parse_timestamp), and IAM's Date condition operators, on the
// policy side (parse_policy) and on the request side (aws:CurrentTime in the
// ConditionContext, through evaluate).
//
// Input: the date text, whole.
//
// Invariants: parse_amz_date and parse_timestamp round-trip through their
// formatters; of DateLessThan, DateEquals and DateGreaterThan against one
// other date at most one holds, exactly one when both sides are dates, and
// the -Equals forms are the unions they name.
#include <array>
#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "auth/iam.hpp"
#include "auth/sigv4.hpp"
#include "functions/contacts.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace cloudlet;

constexpr std::array<std::string_view, 5> kOps = {"DateLessThan", "DateEquals", "DateGreaterThan",
                                                  "DateLessThanEquals", "DateGreaterThanEquals"};
constexpr std::string_view kNow = "2026-11-28T05:26:00Z";
constexpr std::string_view kResource = "arn:aws:execute-api:us-east-1:0:a/$default/GET/";

std::string policy(std::string_view op, std::string_view json_value) {
  return std::string(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*",)") +
         R"("Resource":"*","Condition":{")" + std::string(op) + R"(":{"aws:CurrentTime":)" +
         std::string(json_value) + "}}}]}";
}

// Which of kOps allow, or nullopt when a policy did not parse.
std::optional<std::array<bool, 5>> decide(std::string_view policy_value,
                                          const auth::ConditionContext& context) {
  std::array<bool, 5> allowed{};
  for (std::size_t i = 0; i < kOps.size(); ++i) {
    auto p = auth::parse_policy(policy(kOps[i], policy_value));
    if (!p.ok()) return std::nullopt;
    allowed[i] =
        auth::evaluate(*p, {"execute-api:Invoke", kResource, &context}) == auth::Decision::kAllow;
  }
  return allowed;
}

void check_trichotomy(const std::array<bool, 5>& a, bool both_dates) {
  const int held = int{a[0]} + int{a[1]} + int{a[2]};
  FUZZ_CHECK(held <= 1);
  if (both_dates) FUZZ_CHECK(held == 1);
  FUZZ_CHECK(a[3] == (a[0] || a[1]));
  FUZZ_CHECK(a[4] == (a[2] || a[1]));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::bytes(data, size);
  if (size > 256) return 0;  // dates are short; longer inputs only cost time

  if (auto t = auth::parse_amz_date(input)) FUZZ_CHECK(auth::format_amz_date(*t) == input);
  if (auto t = functions::parse_timestamp(input)) {
    FUZZ_CHECK(functions::parse_timestamp(functions::format_timestamp(*t)) == *t);
  }

  // The Date header, when a request has no X-Amz-Date.
  static const auth::Verifier verifier{auth::Settings::gateway()};
  static const auth::InMemoryCredentialStore store;
  const std::string date(input);
  const auth::HeaderField headers[] = {
      {"Host", "127.0.0.1:8080"},
      {"Date", date},
      {"Authorization",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261128/us-east-1/execute-api/aws4_request, "
       "SignedHeaders=host, Signature=0000"}};
  (void)verifier.precheck({"GET", "/", "", headers, {}, {}}, store,
                          *auth::parse_amz_date("20261128T052600Z"));

  // IAM: the input as the policy's date, and as the request's aws:CurrentTime.
  const std::string as_json = boost::json::serialize(boost::json::string(input));
  auth::ConditionContext now;
  now.set("aws:CurrentTime", std::string(kNow));
  if (auto a = decide(as_json, now)) check_trichotomy(*a, true);

  auth::ConditionContext request;
  request.set("aws:CurrentTime", date);
  const std::string fixed = boost::json::serialize(boost::json::string(kNow));
  auto b = decide(fixed, request);
  FUZZ_CHECK(b.has_value());
  // The request's value is a date exactly when the same text is one in a policy.
  const bool is_date = auth::parse_policy(policy("DateEquals", as_json)).ok();
  check_trichotomy(*b, is_date);
  return 0;
}
