#include "events/api.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <set>

#include "core/log.hpp"
#include "events/event_appender.hpp"
#include "events/matcher.hpp"
#include "events/names.hpp"
#include "events/pattern.hpp"
#include "events/schedule.hpp"
#include "events/store.hpp"
#include "events/target_arn.hpp"

namespace cloudlet::events {

namespace json = boost::json;

namespace {

constexpr StringRule kRuleName{1, kMaxRuleNameLength, kRuleNamePattern, valid_rule_name};
constexpr StringRule kBusNameOrArn{
    1, kMaxBusNameOrArnLength, kBusNameOrArnPattern,
    [](std::string_view s) { return resolve_bus_name(s).has_value(); }};
constexpr StringRule kBusName{1, kMaxBusNameLength, kBusNamePattern, valid_bus_name_chars};
constexpr StringRule kNextToken{1, 2048, {}, nullptr};
constexpr StringRule kDescription{0, 512, {}, nullptr};
constexpr StringRule kRoleArn{1, 1600, {}, nullptr};
constexpr StringRule kScheduleExpression{0, 256, {}, nullptr};
constexpr int kDefaultPageSize = 100;

// The store failed: the log gets its message (safe: no SQL, no secrets),
// the client a plain InternalException.
ApiReply store_failure(std::string_view action, const Error& error) {
  log::error("events.store_error", {{"action", std::string(action)},
                                    {"code", std::string(to_string(error.code))},
                                    {"error", error.message}});
  return internal_reply();
}

// The `EventBusName` member resolved (name or ARN); absent is `default`.
std::string bus_member(RequestReader& in, std::string_view member = "EventBusName",
                       std::string_view path = "eventBusName") {
  auto given = in.string(member, path, kBusNameOrArn);
  auto bus = resolve_bus_name(given);
  return bus ? *bus : std::string(kDefaultBus);
}

ApiReply bus_not_found(std::string_view bus) {
  return error_reply(error_type::kNotFound, "Event bus " + std::string(bus) + " does not exist.");
}

// The Limit member (1-100), default kDefaultPageSize.
int page_size(RequestReader& in) {
  return static_cast<int>(in.integer("Limit", "limit", 1, 100).value_or(kDefaultPageSize));
}

ApiReply invalid_token() {
  return error_reply(error_type::kValidation, "The provided NextToken is not valid.");
}

json::object rule_json(const RuleRecord& rule, const ApiSettings& settings, bool describe) {
  json::object o;
  o["Name"] = rule.name;
  o["Arn"] = rule_arn(settings.region, settings.account_id, rule.bus, rule.name);
  if (rule.event_pattern) o["EventPattern"] = *rule.event_pattern;
  if (rule.schedule_expression) o["ScheduleExpression"] = *rule.schedule_expression;
  o["State"] = rule.state;
  if (!rule.description.empty()) o["Description"] = rule.description;
  if (!rule.role_arn.empty()) o["RoleArn"] = rule.role_arn;
  if (!rule.managed_by.empty()) o["ManagedBy"] = rule.managed_by;
  o["EventBusName"] = rule.bus;
  if (describe) o["CreatedBy"] = settings.account_id;
  return o;
}

json::object bus_json(const BusRecord& bus, const ApiSettings& settings) {
  json::object o;
  o["Name"] = bus.name;
  o["Arn"] = bus_arn(settings.region, settings.account_id, bus.name);
  if (!bus.description.empty()) o["Description"] = bus.description;
  o["CreationTime"] = epoch_seconds(bus.created_at);
  o["LastModifiedTime"] = epoch_seconds(bus.modified_at);
  return o;
}

// TestEventPattern's Event: a JSON object with the envelope members AWS
// requires (spec §4.10).
bool valid_test_event(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return false;
  for (const char* member : {"id", "account", "source", "time", "region", "detail-type"}) {
    if (!v.get_object().contains(member)) return false;
  }
  return true;
}

}  // namespace

EventBusApi::EventBusApi(ApiSettings settings, EventStore& store, EventAppender& appender,
                         std::function<std::string()> new_event_id,
                         std::function<void()> on_appended)
    : settings_(std::move(settings)),
      store_(store),
      appender_(appender),
      new_event_id_(std::move(new_event_id)),
      on_appended_(std::move(on_appended)) {}

bool EventBusApi::known_action(std::string_view action) {
  static const std::set<std::string_view> actions = {
      "PutEvents",        "TestEventPattern", "PutRule",           "DescribeRule",
      "ListRules",        "DeleteRule",       "EnableRule",        "DisableRule",
      "PutTargets",       "RemoveTargets",    "ListTargetsByRule", "CreateEventBus",
      "DescribeEventBus", "ListEventBuses",   "DeleteEventBus"};
  return actions.contains(action);
}

std::vector<std::string> iam_resources(std::string_view action, const json::object& body,
                                       std::string_view region, std::string_view account) {
  auto text = [&](const json::object& o,
                  std::string_view member) -> std::optional<std::string_view> {
    auto it = o.find(member);
    if (it == o.end() || !it->value().is_string()) return std::nullopt;
    return std::string_view(it->value().get_string());
  };
  auto bus_of = [&](const json::object& o, std::string_view member) {
    return resolve_bus_name(text(o, member)).value_or(std::string(kDefaultBus));
  };
  if (action == "PutEvents") {
    std::set<std::string> buses;
    if (auto it = body.find("Entries"); it != body.end() && it->value().is_array()) {
      // Past 10 entries the action refuses the request: authorize no more
      // than that, so a huge Entries array costs nothing here.
      const auto& entries = it->value().get_array();
      for (std::size_t i = 0; i < entries.size() && i < kMaxEntriesPerRequest; ++i) {
        if (entries[i].is_object()) buses.insert(bus_of(entries[i].get_object(), "EventBusName"));
      }
    }
    if (buses.empty()) buses.insert(std::string(kDefaultBus));
    std::vector<std::string> out;
    for (const auto& bus : buses) out.push_back(bus_arn(region, account, bus));
    return out;
  }
  const bool names_rule = action == "PutRule" || action == "DescribeRule" ||
                          action == "DeleteRule" || action == "EnableRule" ||
                          action == "DisableRule";
  const bool names_target_rule =
      action == "PutTargets" || action == "RemoveTargets" || action == "ListTargetsByRule";
  if (names_rule || names_target_rule) {
    auto rule = text(body, names_rule ? "Name" : "Rule");
    if (rule && valid_rule_name(*rule))
      return {rule_arn(region, account, bus_of(body, "EventBusName"), *rule)};
  }
  if (action == "CreateEventBus" || action == "DescribeEventBus" || action == "DeleteEventBus")
    return {bus_arn(region, account, bus_of(body, "Name"))};
  if (action == "ListRules") return {rule_arn(region, account, bus_of(body, "EventBusName"), "*")};
  if (action == "ListEventBuses") return {bus_arn(region, account, "*")};
  // TestEventPattern acts on no resource (AWS: "*").
  if (action == "TestEventPattern") return {"*"};
  return {bus_arn(region, account, bus_of(body, "EventBusName"))};
}

std::vector<IamCheck> target_iam_checks(const json::object& body, std::string_view region,
                                        std::string_view account) {
  std::vector<IamCheck> out;
  auto targets = body.find("Targets");
  if (targets == body.end() || !targets->value().is_array()) return out;
  const auto& list = targets->value().get_array();
  for (std::size_t i = 0; i < list.size() && i < 100; ++i) {
    if (!list[i].is_object()) continue;
    auto arn = list[i].get_object().find("Arn");
    if (arn == list[i].get_object().end() || !arn->value().is_string()) continue;
    auto kind = parse_target_arn(arn->value().get_string());
    if (!kind.ok()) continue;
    IamCheck check;
    if (const auto* function = std::get_if<FunctionTarget>(&*kind)) {
      check = {"lambda:InvokeFunction", "arn:aws:lambda:" + std::string(region) + ":" +
                                            std::string(account) + ":function:" + function->name};
    } else if (std::holds_alternative<RunCommandTarget>(*kind)) {
      check = {"ssm:SendCommand",
               "arn:aws:ssm:" + std::string(region) + "::document/AWS-RunShellScript"};
    } else {
      continue;
    }
    if (std::none_of(out.begin(), out.end(), [&](const IamCheck& c) {
          return c.action == check.action && c.resource == check.resource;
        }))
      out.push_back(std::move(check));
  }
  return out;
}

ApiReply EventBusApi::call(std::string_view action, const json::object& body,
                           const CallContext& context) const {
  if (action == "PutEvents") return put_events(body, context);
  if (action == "TestEventPattern") return test_event_pattern(body);
  if (action == "PutRule") return put_rule(body);
  if (action == "DescribeRule") return describe_rule(body);
  if (action == "ListRules") return list_rules(body);
  if (action == "DeleteRule") return delete_rule(body);
  if (action == "EnableRule") return set_rule_state(body, "ENABLED");
  if (action == "DisableRule") return set_rule_state(body, "DISABLED");
  if (action == "PutTargets") return put_targets(body);
  if (action == "RemoveTargets") return remove_targets(body);
  if (action == "ListTargetsByRule") return list_targets_by_rule(body);
  if (action == "CreateEventBus") return create_event_bus(body);
  if (action == "DescribeEventBus") return describe_event_bus(body);
  if (action == "ListEventBuses") return list_event_buses(body);
  if (action == "DeleteEventBus") return delete_event_bus(body);
  return error_reply(error_type::kUnknownOperation, "Unknown operation " + std::string(action));
}

ApiReply EventBusApi::rule_not_found(std::string_view bus, std::string_view rule) const {
  auto found = store_.find_bus(bus);
  if (found.ok() && !found->has_value()) return bus_not_found(bus);
  return error_reply(
      error_type::kNotFound,
      "Rule " + std::string(rule) + " does not exist on EventBus " + std::string(bus) + ".");
}

// --- events -------------------------------------------------------------------

ApiReply EventBusApi::put_events(const json::object& body, const CallContext& context) const {
  const json::value whole(body);
  if (Status shape = check_put_events_shape(whole); !shape.ok())
    return error_reply(error_type::kSerialization, shape.error().message);
  auto entries = parse_put_events_request(whole);
  if (!entries.ok()) return error_reply(error_type::kValidation, entries.error().message);
  if (Status size = check_request_size(*entries, settings_.max_put_events_bytes); !size.ok())
    return error_reply(error_type::kValidation, size.error().message);
  // EventBusName must be a name or a bus ARN; a bus that does not exist is
  // accepted and its events dropped, as AWS does (no rules match them).
  std::vector<std::string> violations;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const auto& name = (*entries)[i].event_bus_name;
    if (name && !resolve_bus_name(*name)) {
      RequestReader check(body);
      check.check_string(*name, "entries." + std::to_string(i + 1) + ".member.eventBusName",
                         kBusNameOrArn, false);
      if (auto failure = check.failure()) return *failure;
    }
  }
  const auto now = std::chrono::floor<std::chrono::seconds>(context.now);
  std::vector<NewEvent> accepted;
  json::array results;
  std::vector<std::size_t> slot_of_accepted;
  std::size_t failed = 0;
  for (const auto& entry : *entries) {
    if (auto error = validate_entry(entry)) {
      json::object r;
      r["ErrorCode"] = error->code;
      r["ErrorMessage"] = error->message;
      results.push_back(std::move(r));
      ++failed;
      continue;
    }
    NewEvent event;
    event.bus = *resolve_bus_name(entry.event_bus_name);
    event.event_id = new_event_id_();
    event.envelope_json =
        make_event_envelope(entry, event.event_id, settings_.account_id, settings_.region, now);
    event.ingested_at = context.now;
    json::object r;
    r["EventId"] = event.event_id;
    slot_of_accepted.push_back(results.size());
    results.push_back(std::move(r));
    accepted.push_back(std::move(event));
  }
  if (!accepted.empty()) {
    // Durable before the answer: the appender returns once the transaction
    // holding these rows committed.
    auto stored = appender_.append(std::move(accepted));
    if (!stored.ok()) return store_failure("PutEvents", stored.error());
    if (on_appended_) on_appended_();
  }
  json::object out;
  out["FailedEntryCount"] = failed;
  out["Entries"] = std::move(results);
  return ok_reply(out);
}

ApiReply EventBusApi::test_event_pattern(const json::object& body) const {
  RequestReader in(body);
  auto event = in.required_string("Event", "event");
  auto pattern_text = in.required_string("EventPattern", "eventPattern",
                                         {0, settings_.max_event_pattern_chars, {}, nullptr});
  if (auto failure = in.failure()) return *failure;
  if (!valid_test_event(*event))
    return error_reply(error_type::kValidation, "Parameter Event is not valid.");
  auto pattern = parse_pattern(*pattern_text, settings_.max_event_pattern_chars);
  if (!pattern.ok()) return error_reply(error_type::kInvalidPattern, pattern.error().message);
  json::object out;
  out["Result"] = matches(*pattern, *event);
  return ok_reply(out);
}

// --- rules --------------------------------------------------------------------

ApiReply EventBusApi::put_rule(const json::object& body) const {
  RequestReader in(body);
  RuleRecord rule;
  auto name = in.required_string("Name", "name", kRuleName);
  rule.event_pattern = in.string("EventPattern", "eventPattern",
                                 {0, settings_.max_event_pattern_chars, {}, nullptr});
  rule.schedule_expression =
      in.string("ScheduleExpression", "scheduleExpression", kScheduleExpression);
  auto state = in.enum_string(
      "State", "state", {"ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"});
  rule.description = in.string("Description", "description", kDescription).value_or("");
  rule.role_arn = in.string("RoleArn", "roleArn", kRoleArn).value_or("");
  (void)in.array("Tags");  // accepted, not kept (spec §4.2)
  rule.bus = bus_member(in);
  if (auto failure = in.failure()) return *failure;
  rule.name = *name;
  if (state) rule.state = *state;
  if (rule.event_pattern && rule.event_pattern->empty()) rule.event_pattern.reset();
  if (rule.schedule_expression && rule.schedule_expression->empty())
    rule.schedule_expression.reset();
  if (!rule.event_pattern && !rule.schedule_expression) {
    return error_reply(error_type::kValidation,
                       "Parameter(s) EventPattern or ScheduleExpression must be specified.");
  }
  if (rule.schedule_expression) {
    if (rule.bus != kDefaultBus) {
      return error_reply(error_type::kValidation,
                         "ScheduleExpression is supported only on the default event bus.");
    }
    if (auto schedule = parse_schedule(*rule.schedule_expression); !schedule.ok())
      return error_reply(error_type::kValidation, schedule.error().message);
  }
  if (rule.event_pattern) {
    if (auto pattern = parse_pattern(*rule.event_pattern, settings_.max_event_pattern_chars);
        !pattern.ok())
      return error_reply(error_type::kInvalidPattern, pattern.error().message);
  }
  auto stored = store_.put_rule(rule, settings_.max_rules_per_bus);
  if (!stored.ok()) {
    if (stored.error().code == ErrorCode::kNotFound) return bus_not_found(rule.bus);
    if (stored.error().code == ErrorCode::kResourceExhausted) {
      return error_reply(error_type::kLimitExceeded,
                         "The requested resource exceeds the maximum number allowed.");
    }
    return store_failure("PutRule", stored.error());
  }
  json::object out;
  out["RuleArn"] = rule_arn(settings_.region, settings_.account_id, rule.bus, rule.name);
  return ok_reply(out);
}

ApiReply EventBusApi::describe_rule(const json::object& body) const {
  RequestReader in(body);
  auto name = in.required_string("Name", "name", kRuleName);
  const std::string bus = bus_member(in);
  if (auto failure = in.failure()) return *failure;
  auto rule = store_.find_rule(bus, *name);
  if (!rule.ok()) return store_failure("DescribeRule", rule.error());
  if (!rule->has_value()) return rule_not_found(bus, *name);
  return ok_reply(rule_json(**rule, settings_, true));
}

ApiReply EventBusApi::list_rules(const json::object& body) const {
  RequestReader in(body);
  const std::string prefix = in.string("NamePrefix", "namePrefix", kRuleName).value_or("");
  const std::string bus = bus_member(in);
  auto token = in.string("NextToken", "nextToken", kNextToken);
  const int limit = page_size(in);
  if (auto failure = in.failure()) return *failure;
  const std::string scope = "rules\n" + bus + "\n" + prefix;
  std::string after;
  if (token) {
    auto key = read_next_token(*token, scope);
    if (!key) return invalid_token();
    after = *key;
  }
  auto rules = store_.list_rules(bus, prefix, after, limit + 1);
  if (!rules.ok()) {
    if (rules.error().code == ErrorCode::kNotFound) return bus_not_found(bus);
    return store_failure("ListRules", rules.error());
  }
  json::object out;
  json::array list;
  const bool more = rules->size() > static_cast<std::size_t>(limit);
  if (more) rules->resize(static_cast<std::size_t>(limit));
  for (const auto& rule : *rules) list.push_back(rule_json(rule, settings_, false));
  out["Rules"] = std::move(list);
  if (more) out["NextToken"] = make_next_token(scope, rules->back().name);
  return ok_reply(out);
}

ApiReply EventBusApi::delete_rule(const json::object& body) const {
  RequestReader in(body);
  auto name = in.required_string("Name", "name", kRuleName);
  const std::string bus = bus_member(in);
  (void)in.boolean("Force");
  if (auto failure = in.failure()) return *failure;
  Status deleted = store_.delete_rule(bus, *name);
  if (!deleted.ok()) {
    if (deleted.error().code == ErrorCode::kFailedPrecondition)
      return error_reply(error_type::kValidation, "Rule can't be deleted since it has targets.");
    if (deleted.error().code == ErrorCode::kNotFound) return bus_not_found(bus);
    return store_failure("DeleteRule", deleted.error());
  }
  return ok_reply({});
}

ApiReply EventBusApi::set_rule_state(const json::object& body, std::string_view state) const {
  RequestReader in(body);
  auto name = in.required_string("Name", "name", kRuleName);
  const std::string bus = bus_member(in);
  if (auto failure = in.failure()) return *failure;
  Status changed = store_.set_rule_state(bus, *name, state);
  if (!changed.ok()) {
    if (changed.error().code == ErrorCode::kNotFound) return rule_not_found(bus, *name);
    return store_failure(state == "ENABLED" ? "EnableRule" : "DisableRule", changed.error());
  }
  return ok_reply({});
}

// --- event buses ----------------------------------------------------------------

ApiReply EventBusApi::create_event_bus(const json::object& body) const {
  RequestReader in(body);
  auto name = in.required_string("Name", "name", kBusName);
  const std::string description =
      in.string("Description", "description", kDescription).value_or("");
  (void)in.object("DeadLetterConfig");
  (void)in.string("KmsKeyIdentifier", "kmsKeyIdentifier", {0, 2048, {}, nullptr});
  (void)in.string("EventSourceName", "eventSourceName", {1, 256, {}, nullptr});
  (void)in.array("Tags");
  if (auto failure = in.failure()) return *failure;
  // Custom buses may not take '/' (partner buses) or the default's name.
  if (name->find('/') != std::string::npos || *name == kDefaultBus) {
    return error_reply(error_type::kValidation,
                       "Event bus name must not contain '/' and must not be default.");
  }
  auto existing = store_.list_buses("", "", static_cast<int>(settings_.max_buses) + 1);
  if (!existing.ok()) return store_failure("CreateEventBus", existing.error());
  if (existing->size() >= settings_.max_buses) {
    return error_reply(error_type::kLimitExceeded,
                       "The requested resource exceeds the maximum number allowed.");
  }
  auto created = store_.create_bus(*name, description);
  if (!created.ok()) {
    if (created.error().code == ErrorCode::kAlreadyExists) {
      return error_reply(error_type::kAlreadyExists, "Event bus " + *name + " already exists.");
    }
    return store_failure("CreateEventBus", created.error());
  }
  json::object out;
  out["EventBusArn"] = bus_arn(settings_.region, settings_.account_id, *name);
  if (!description.empty()) out["Description"] = description;
  return ok_reply(out);
}

ApiReply EventBusApi::describe_event_bus(const json::object& body) const {
  RequestReader in(body);
  const std::string bus = bus_member(in, "Name", "name");
  if (auto failure = in.failure()) return *failure;
  auto found = store_.find_bus(bus);
  if (!found.ok()) return store_failure("DescribeEventBus", found.error());
  if (!found->has_value()) return bus_not_found(bus);
  return ok_reply(bus_json(**found, settings_));
}

ApiReply EventBusApi::list_event_buses(const json::object& body) const {
  RequestReader in(body);
  const std::string prefix = in.string("NamePrefix", "namePrefix", kBusName).value_or("");
  auto token = in.string("NextToken", "nextToken", kNextToken);
  const int limit = page_size(in);
  if (auto failure = in.failure()) return *failure;
  const std::string scope = "buses\n" + prefix;
  std::string after;
  if (token) {
    auto key = read_next_token(*token, scope);
    if (!key) return invalid_token();
    after = *key;
  }
  auto buses = store_.list_buses(prefix, after, limit + 1);
  if (!buses.ok()) return store_failure("ListEventBuses", buses.error());
  const bool more = buses->size() > static_cast<std::size_t>(limit);
  if (more) buses->resize(static_cast<std::size_t>(limit));
  json::array list;
  for (const auto& bus : *buses) list.push_back(bus_json(bus, settings_));
  json::object out;
  out["EventBuses"] = std::move(list);
  if (more) out["NextToken"] = make_next_token(scope, buses->back().name);
  return ok_reply(out);
}

ApiReply EventBusApi::delete_event_bus(const json::object& body) const {
  RequestReader in(body);
  auto name = in.required_string("Name", "name", kBusNameOrArn);
  if (auto failure = in.failure()) return *failure;
  const std::string bus = resolve_bus_name(*name).value_or(*name);
  if (bus == kDefaultBus)
    return error_reply(error_type::kValidation, "Cannot delete event bus default.");
  Status deleted = store_.delete_bus(bus);
  if (!deleted.ok()) {
    if (deleted.error().code == ErrorCode::kNotFound) return bus_not_found(bus);
    if (deleted.error().code == ErrorCode::kFailedPrecondition) {
      return error_reply(error_type::kValidation,
                         "Cannot delete event bus " + bus + " while it has rules.");
    }
    return store_failure("DeleteEventBus", deleted.error());
  }
  return ok_reply({});
}

}  // namespace cloudlet::events
