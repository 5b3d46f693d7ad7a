// PutTargets, RemoveTargets, ListTargetsByRule (spec §4.7-§4.9).
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/log.hpp"
#include "events/api.hpp"
#include "events/aws_validation.hpp"
#include "events/names.hpp"
#include "events/store.hpp"
#include "events/target_arn.hpp"
#include "events/target_input.hpp"
#include "events/targets.hpp"

namespace cloudlet::events {

namespace json = boost::json;

namespace {

constexpr StringRule kRuleName{1, kMaxRuleNameLength, kRuleNamePattern, valid_rule_name};
constexpr StringRule kTargetId{1, kMaxTargetIdLength, kTargetIdPattern, valid_rule_name};
constexpr StringRule kArn{1, 1600, {}, nullptr};
constexpr StringRule kBusNameOrArn{
    1, kMaxBusNameOrArnLength, kBusNameOrArnPattern,
    [](std::string_view s) { return resolve_bus_name(s).has_value(); }};
constexpr int kMaxTargetsPerRequest = 100;  // the model's limit (the docs say 10)

// One element of `Targets`, read and checked.
struct TargetRequest {
  std::string id, arn;
  std::optional<std::string> input, input_path;
  std::optional<InputTransformer> transformer;
  std::string spec_json;  // the element as sent, for ListTargetsByRule
};

std::string member_path(std::size_t index, std::string_view member) {
  return "targets." + std::to_string(index) + ".member." + std::string(member);
}

// RunCommandParameters: 1-5 RunCommandTargets of a Key and 1-50 Values, as
// AWS checks them. cloudlet runs the commands on its own host, so the
// instances they name are only recorded (ListTargetsByRule shows them).
void read_run_command_parameters(RequestReader& member, const json::object& parameters,
                                 std::size_t index) {
  RequestReader p(parameters);
  const std::string path = member_path(index, "runCommandParameters.runCommandTargets");
  const json::array* targets = p.array("RunCommandTargets");
  if (targets == nullptr) {
    p.check_string(std::nullopt, path, {}, true);
  } else {
    p.check_count(targets->size(), path, 1, 5, json::serialize(*targets));
    for (std::size_t i = 0; i < targets->size(); ++i) {
      if (!(*targets)[i].is_object()) {
        p.serialization_error("RunCommandTargets must be a list of structures.");
        break;
      }
      RequestReader t((*targets)[i].get_object());
      const std::string at = path + "." + std::to_string(i + 1) + ".member.";
      (void)t.required_string("Key", at + "key", StringRule{1, 128, {}, nullptr});
      const json::array* values = t.array("Values");
      if (values == nullptr) {
        t.check_string(std::nullopt, at + "values", {}, true);
      } else {
        t.check_count(values->size(), at + "values", 1, 50, json::serialize(*values));
        for (const auto& v : *values) {
          if (!v.is_string()) {
            t.serialization_error("Values must be a list of strings.");
            break;
          }
          t.check_string(v.get_string(), at + "values", StringRule{1, 256, {}, nullptr}, true);
        }
      }
      p.absorb(t);
    }
  }
  member.absorb(p);
}

// Reads `Targets[index-1]` into `out`, recording its problems in `in`.
void read_target(RequestReader& in, const json::value& element, std::size_t index,
                 TargetRequest& out) {
  if (!element.is_object()) {
    in.serialization_error("Targets must be a list of structures.");
    return;
  }
  const json::object& t = element.get_object();
  RequestReader member(t);
  out.id = member.required_string("Id", member_path(index, "id"), kTargetId).value_or("");
  out.arn = member.required_string("Arn", member_path(index, "arn"), kArn).value_or("");
  (void)member.string("RoleArn", member_path(index, "roleArn"), kArn);
  out.input = member.string("Input", member_path(index, "input"));
  out.input_path = member.string("InputPath", member_path(index, "inputPath"));
  if (const json::object* transformer = member.object("InputTransformer")) {
    RequestReader tr(*transformer);
    InputTransformer parsed;
    parsed.input_template =
        tr.required_string("InputTemplate", member_path(index, "inputTransformer.inputTemplate"))
            .value_or("");
    if (const json::object* map = tr.object("InputPathsMap")) {
      for (const auto& [name, path] : *map) {
        if (!path.is_string()) {
          member.serialization_error("InputPathsMap values must be strings.");
          continue;
        }
        parsed.paths_map.emplace_back(std::string(name), std::string(path.get_string()));
      }
    }
    member.absorb(tr);
    out.transformer = std::move(parsed);
  }
  if (const json::object* retry = member.object("RetryPolicy")) {
    RequestReader rp(*retry);
    (void)rp.integer("MaximumRetryAttempts", member_path(index, "retryPolicy.maximumRetryAttempts"),
                     0, 185);
    (void)rp.integer("MaximumEventAgeInSeconds",
                     member_path(index, "retryPolicy.maximumEventAgeInSeconds"), 60, 86400);
    member.absorb(rp);
  }
  if (const json::object* dlq = member.object("DeadLetterConfig")) {
    RequestReader d(*dlq);
    (void)d.string("Arn", member_path(index, "deadLetterConfig.arn"), kArn);
    member.absorb(d);
  }
  if (const json::object* run = member.object("RunCommandParameters"))
    read_run_command_parameters(member, *run, index);
  for (const auto& v : target_input_violations({out.id, index}, out.input, out.input_path,
                                               out.transformer ? &*out.transformer : nullptr)) {
    member.add_violation(v);
  }
  in.absorb(member);
  out.spec_json = json::serialize(t);
}

json::object failed_entry(std::string_view id, std::string_view code, std::string_view message) {
  json::object o;
  o["TargetId"] = id;
  o["ErrorCode"] = code;
  o["ErrorMessage"] = message;
  return o;
}

}  // namespace

ApiReply EventBusApi::put_targets(const json::object& body) const {
  RequestReader in(body);
  auto rule = in.required_string("Rule", "rule", kRuleName);
  auto bus_given = in.string("EventBusName", "eventBusName", kBusNameOrArn);
  const std::string bus = resolve_bus_name(bus_given).value_or(std::string(kDefaultBus));
  const json::array* targets = in.array("Targets");
  if (targets == nullptr) {
    in.check_string(std::nullopt, "targets", {}, true);
  } else {
    in.check_count(targets->size(), "targets", 1, kMaxTargetsPerRequest, json::serialize(*targets));
  }
  std::vector<TargetRequest> requests;
  if (targets != nullptr && targets->size() <= static_cast<std::size_t>(kMaxTargetsPerRequest)) {
    requests.resize(targets->size());
    for (std::size_t i = 0; i < targets->size(); ++i)
      read_target(in, (*targets)[i], i + 1, requests[i]);
  }
  if (auto failure = in.failure()) return *failure;
  // Input choice and templates: the whole request fails, as on AWS.
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto& t = requests[i];
    auto compiled = parse_target_input({t.id, i + 1}, t.input, t.input_path,
                                       t.transformer ? &*t.transformer : nullptr);
    if (!compiled.ok()) return error_reply(error_type::kValidation, compiled.error().message);
  }
  // ARNs cloudlet cannot deliver to fail alone, in FailedEntries.
  json::array failed;
  std::vector<TargetRecord> records;
  for (const auto& t : requests) {
    auto kind = parse_target_arn(t.arn);
    std::string problem;
    if (!kind.ok()) {
      problem = kind.error().message;
    } else if (auto refused = put_targets_refusal(settings_.targets, *kind, t.input,
                                                  t.input_path || t.transformer)) {
      problem = std::move(*refused);
    }
    if (!problem.empty()) {
      failed.push_back(failed_entry(t.id, error_type::kValidation, problem));
      continue;
    }
    records.push_back({t.id, t.arn, t.spec_json});
  }
  if (!records.empty()) {
    Status stored = store_.put_targets(bus, *rule, records, settings_.max_targets_per_rule);
    if (!stored.ok()) {
      if (stored.error().code == ErrorCode::kNotFound) return rule_not_found(bus, *rule);
      if (stored.error().code == ErrorCode::kResourceExhausted) {
        return error_reply(error_type::kLimitExceeded,
                           "The requested resource exceeds the maximum number allowed.");
      }
      log::error("events.store_error",
                 {{"action", "PutTargets"}, {"error", stored.error().message}});
      return internal_reply();
    }
  } else {
    // Nothing to store: the rule must still exist for the answer to mean
    // anything.
    auto found = store_.find_rule(bus, *rule);
    if (!found.ok()) return internal_reply();
    if (!found->has_value()) return rule_not_found(bus, *rule);
  }
  json::object out;
  out["FailedEntryCount"] = failed.size();
  out["FailedEntries"] = std::move(failed);
  return ok_reply(out);
}

ApiReply EventBusApi::remove_targets(const json::object& body) const {
  RequestReader in(body);
  auto rule = in.required_string("Rule", "rule", kRuleName);
  auto bus_given = in.string("EventBusName", "eventBusName", kBusNameOrArn);
  const std::string bus = resolve_bus_name(bus_given).value_or(std::string(kDefaultBus));
  (void)in.boolean("Force");
  std::vector<std::string> ids;
  const json::array* given = in.array("Ids");
  if (given == nullptr) {
    in.check_string(std::nullopt, "ids", {}, true);
  } else {
    in.check_count(given->size(), "ids", 1, 100, json::serialize(*given));
    for (std::size_t i = 0; i < given->size(); ++i) {
      if (!(*given)[i].is_string()) {
        in.serialization_error("Ids must be a list of strings.");
        break;
      }
      ids.emplace_back((*given)[i].get_string());
      in.check_string(ids.back(), "ids." + std::to_string(i + 1) + ".member", kTargetId, false);
    }
  }
  if (auto failure = in.failure()) return *failure;
  auto missing = store_.remove_targets(bus, *rule, ids);
  if (!missing.ok()) {
    if (missing.error().code == ErrorCode::kNotFound) return rule_not_found(bus, *rule);
    log::error("events.store_error",
               {{"action", "RemoveTargets"}, {"error", missing.error().message}});
    return internal_reply();
  }
  json::array failed;
  for (const auto& id : *missing) {
    failed.push_back(failed_entry(id, error_type::kNotFound,
                                  "Target " + id + " does not exist on rule " + *rule + "."));
  }
  json::object out;
  out["FailedEntryCount"] = failed.size();
  out["FailedEntries"] = std::move(failed);
  return ok_reply(out);
}

ApiReply EventBusApi::list_targets_by_rule(const json::object& body) const {
  RequestReader in(body);
  auto rule = in.required_string("Rule", "rule", kRuleName);
  auto bus_given = in.string("EventBusName", "eventBusName", kBusNameOrArn);
  const std::string bus = resolve_bus_name(bus_given).value_or(std::string(kDefaultBus));
  auto token = in.string("NextToken", "nextToken", {1, 2048, {}, nullptr});
  const int limit = static_cast<int>(in.integer("Limit", "limit", 1, 100).value_or(100));
  if (auto failure = in.failure()) return *failure;
  const std::string scope = "targets\n" + bus + "\n" + *rule;
  std::string after;
  if (token) {
    auto key = read_next_token(*token, scope);
    if (!key) return error_reply(error_type::kValidation, "The provided NextToken is not valid.");
    after = *key;
  }
  auto targets = store_.list_targets(bus, *rule, after, limit + 1);
  if (!targets.ok()) {
    if (targets.error().code == ErrorCode::kNotFound) return rule_not_found(bus, *rule);
    // A token whose target was removed since: as any stale token.
    if (targets.error().code == ErrorCode::kInvalidArgument)
      return error_reply(error_type::kValidation, "The provided NextToken is not valid.");
    log::error("events.store_error",
               {{"action", "ListTargetsByRule"}, {"error", targets.error().message}});
    return internal_reply();
  }
  const bool more = targets->size() > static_cast<std::size_t>(limit);
  if (more) targets->resize(static_cast<std::size_t>(limit));
  json::array list;
  for (const auto& t : *targets) {
    boost::system::error_code ec;
    json::value spec = json::parse(t.spec_json, ec);
    if (ec || !spec.is_object()) spec = json::object{{"Id", t.id}, {"Arn", t.arn}};
    list.push_back(std::move(spec));
  }
  json::object out;
  out["Targets"] = std::move(list);
  if (more) out["NextToken"] = make_next_token(scope, targets->back().id);
  return ok_reply(out);
}

}  // namespace cloudlet::events
