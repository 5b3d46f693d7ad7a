// The event bus API's reading of untrusted request bodies, without a
// database: which IAM resources a call names (events::iam_resources), the
// members' checks (RequestReader), the names and ARNs in it (bus names and
// ARNs, target ARNs), NextToken decoding, and the gateway's
// EventBridge-PutEvents entry built from a request body.
//
// Input: byte 0 picks the action, the rest is the request body.
//
// Invariants: every call names at least one resource, each an events ARN of
// our region and account (or "*" for TestEventPattern); a resolved bus name
// has only bus-name characters; a token round-trips a name for its own
// scope, reads only names, and never reads for another scope; an entry the gateway builds is one
// JSON entry holding the route's literals.
#include <array>
#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "events/api.hpp"
#include "events/api_support.hpp"
#include "events/names.hpp"
#include "events/target_arn.hpp"
#include "fuzz_support.hpp"
#include "gateway/put_events.hpp"

namespace {

using namespace cloudlet;
namespace json = boost::json;

constexpr std::array<std::string_view, 16> kActions = {
    "PutEvents",        "TestEventPattern", "PutRule",           "DescribeRule",
    "ListRules",        "DeleteRule",       "EnableRule",        "DisableRule",
    "PutTargets",       "RemoveTargets",    "ListTargetsByRule", "CreateEventBus",
    "DescribeEventBus", "ListEventBuses",   "DeleteEventBus",    "NoSuchAction"};

// Every string anywhere in the document, for the name and ARN parsers.
void strings_in(const json::value& v, std::vector<std::string>& out, int depth = 0) {
  if (depth > 64 || out.size() > 256) return;
  if (v.is_string()) out.emplace_back(v.get_string());
  if (v.is_array()) {
    for (const auto& e : v.get_array()) strings_in(e, out, depth + 1);
  }
  if (v.is_object()) {
    for (const auto& [k, e] : v.get_object()) {
      out.emplace_back(k);
      strings_in(e, out, depth + 1);
    }
  }
}

void check_names(const std::string& s) {
  if (auto bus = events::resolve_bus_name(s)) FUZZ_CHECK(events::valid_bus_name_chars(*bus));
  if (events::valid_rule_name(s)) FUZZ_CHECK(!s.empty() && s.size() <= 64);
  auto kind = events::parse_target_arn(s);
  if (kind.ok()) {
    FUZZ_CHECK(s.starts_with("arn:"));
    FUZZ_CHECK(!events::target_kind_name(*kind).empty());
  } else {
    FUZZ_CHECK(!kind.error().message.empty());
  }
  const std::string token = events::make_next_token("rules\ndefault\n", s);
  // Names round-trip; anything else is refused, never handed on.
  auto read = events::read_next_token(token, "rules\ndefault\n");
  if (events::valid_bus_name_chars(s)) FUZZ_CHECK(read == s);
  if (read) FUZZ_CHECK(events::valid_bus_name_chars(*read));
  FUZZ_CHECK(!events::read_next_token(token, "rules\nother\n").has_value());
  (void)events::read_next_token(s, "rules\ndefault\n");
}

void check_gateway_entry(std::string_view body) {
  gateway::Integration integration;
  integration.type = gateway::IntegrationType::kEventBridgePutEvents;
  integration.request_parameters = {{"Detail", "$request.body.detail"},
                                    {"DetailType", "sampledata"},
                                    {"Source", "com.srcecde.app"},
                                    {"Resources", "$request.body.resources"}};
  auto request = gateway::put_events_request(integration, {body, nullptr});
  if (!request.ok()) return;
  boost::system::error_code ec;
  json::value v = json::parse(*request, ec);
  FUZZ_CHECK(!ec);
  const auto& entries = v.at("Entries").as_array();
  FUZZ_CHECK(entries.size() == 1);
  const auto& entry = entries[0].as_object();
  FUZZ_CHECK(entry.at("Source").as_string() == "com.srcecde.app");
  FUZZ_CHECK(entry.at("DetailType").as_string() == "sampledata");
  FUZZ_CHECK(entry.at("Detail").is_string());
  FUZZ_CHECK(entry.at("Resources").is_array());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view action = kActions[data[0] % kActions.size()];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  check_gateway_entry(body);
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) return 0;
  const json::object& object = parsed.get_object();

  auto resources = events::iam_resources(action, object, "us-east-1", "000000000000");
  FUZZ_CHECK(!resources.empty());
  for (const auto& r : resources) {
    FUZZ_CHECK(r == "*" || r.starts_with("arn:aws:events:us-east-1:000000000000:"));
  }
  // Function and Run Command targets: checks on our own ARNs only.
  for (const auto& c : events::target_iam_checks(object, "us-east-1", "000000000000")) {
    FUZZ_CHECK((c.action == "lambda:InvokeFunction" &&
                c.resource.starts_with("arn:aws:lambda:us-east-1:000000000000:function:") &&
                c.resource.find(':', 47) == std::string::npos) ||
               (c.action == "ssm:SendCommand" &&
                c.resource == "arn:aws:ssm:us-east-1::document/AWS-RunShellScript"));
  }

  events::RequestReader in(object);
  (void)in.required_string("Name", "name", {1, 64, "", events::valid_rule_name});
  (void)in.integer("Limit", "limit", 1, 100);
  (void)in.enum_string("State", "state", {"ENABLED", "DISABLED"});
  (void)in.boolean("Force");
  if (const json::array* targets = in.array("Targets")) {
    for (const auto& t : *targets) {
      if (!t.is_object()) continue;
      events::RequestReader nested(t.get_object());
      (void)nested.integer("MaximumRetryAttempts", "x", 0, 185);
      in.absorb(nested);
    }
  }
  if (auto failure = in.failure()) {
    FUZZ_CHECK(failure->status == 400);
    FUZZ_CHECK(json::parse(failure->body).at("message").is_string());
  }

  std::vector<std::string> strings;
  strings_in(parsed, strings);
  for (const auto& s : strings) check_names(s);
  return 0;
}
