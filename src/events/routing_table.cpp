#include "events/routing_table.hpp"

#include <boost/json/parse.hpp>

#include "events/names.hpp"
#include "events/pattern.hpp"

namespace cloudlet::events {

namespace json = boost::json;

namespace {

// A stored pattern passed PutRule's limit then; read it back under the
// largest limit the setting allows, so lowering the setting never drops a
// rule that exists.
constexpr std::size_t kMaxStoredPatternChars = 4096;

std::optional<std::string> text_member(const json::object& o, std::string_view name) {
  auto it = o.find(name);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().get_string());
}

// The target as PutTargets stored it (its whole AWS object), compiled.
Result<RoutedTarget> compile_target(const TargetRecord& record) {
  boost::system::error_code ec;
  json::value spec = json::parse(record.spec_json, ec);
  if (ec || !spec.is_object()) return Error::internal("stored target is not a JSON object");
  const json::object& t = spec.get_object();
  RoutedTarget out;
  out.id = record.id;
  out.arn = record.arn;
  auto input = text_member(t, "Input");
  auto input_path = text_member(t, "InputPath");
  std::optional<InputTransformer> transformer;
  if (auto it = t.find("InputTransformer"); it != t.end() && it->value().is_object()) {
    const json::object& tr = it->value().get_object();
    InputTransformer parsed;
    parsed.input_template = text_member(tr, "InputTemplate").value_or("");
    if (auto m = tr.find("InputPathsMap"); m != tr.end() && m->value().is_object()) {
      for (const auto& [name, path] : m->value().get_object()) {
        if (path.is_string()) parsed.paths_map.emplace_back(name, std::string(path.get_string()));
      }
    }
    transformer = std::move(parsed);
  }
  auto compiled =
      parse_target_input({out.id, 1}, input, input_path, transformer ? &*transformer : nullptr);
  if (!compiled.ok()) return compiled.error();
  out.input = std::move(*compiled);
  if (auto it = t.find("RetryPolicy"); it != t.end() && it->value().is_object()) {
    const json::object& rp = it->value().get_object();
    if (auto a = rp.find("MaximumRetryAttempts"); a != rp.end() && a->value().is_int64())
      out.max_retry_attempts = static_cast<int>(a->value().get_int64());
    if (auto a = rp.find("MaximumEventAgeInSeconds"); a != rp.end() && a->value().is_int64())
      out.max_event_age_s = static_cast<int>(a->value().get_int64());
  }
  if (auto it = t.find("DeadLetterConfig"); it != t.end() && it->value().is_object())
    out.dead_letter_arn = text_member(it->value().get_object(), "Arn");
  return out;
}

}  // namespace

RoutingTable RoutingTable::build(const EventStore::Snapshot& snapshot, std::string_view region,
                                 std::string_view account) {
  RoutingTable table;
  table.version_ = snapshot.version;
  std::map<std::string, MatcherBuilder, std::less<>> builders;
  for (const auto& [rule, targets] : snapshot.rules) {
    if (rule.state == "DISABLED") continue;
    const std::string where = rule.bus + "/" + rule.name;
    RoutedRule routed{rule.bus, rule.name, rule_arn(region, account, rule.bus, rule.name), {}};
    for (const auto& target : targets) {
      auto compiled = compile_target(target);
      if (!compiled.ok()) {
        table.skipped_.push_back(where + " target " + target.id + ": " + compiled.error().message);
        continue;
      }
      routed.targets.push_back(std::move(*compiled));
    }
    const auto index = static_cast<std::uint32_t>(table.rules_.size());
    bool usable = false;
    if (rule.event_pattern) {
      auto pattern = parse_pattern(*rule.event_pattern, kMaxStoredPatternChars);
      if (pattern.ok()) {
        builders[rule.bus].add(index, *pattern);
        usable = true;
      } else {
        table.skipped_.push_back(where + ": " + pattern.error().message);
      }
    }
    if (rule.schedule_expression) {
      auto schedule = parse_schedule(*rule.schedule_expression);
      if (schedule.ok()) {
        table.schedules_.push_back({index, std::move(*schedule)});
        usable = true;
      } else {
        table.skipped_.push_back(where + ": " + schedule.error().message);
      }
    }
    if (usable) table.rules_.push_back(std::move(routed));
  }
  for (auto& [bus, builder] : builders) table.matchers_.emplace(bus, std::move(builder).build());
  return table;
}

const RoutedRule* RoutingTable::find(std::string_view bus, std::string_view rule) const {
  for (const auto& r : rules_) {
    if (r.bus == bus && r.name == rule) return &r;
  }
  return nullptr;
}

std::vector<NewDelivery> RoutingTable::deliveries_for(const RoutedRule& rule,
                                                      const NewEvent& event) const {
  std::vector<NewDelivery> out;
  const DeliveryContext context{rule.arn, rule.name,
                                std::chrono::floor<std::chrono::seconds>(event.ingested_at)};
  for (const auto& target : rule.targets) {
    auto payload = render_target_input(target.input, event.envelope_json, context);
    NewDelivery d;
    d.event_id = event.event_id;
    d.bus = rule.bus;
    d.rule = rule.name;
    d.target_id = target.id;
    d.target_arn = target.arn;
    // An envelope we wrote always renders; should one not, the target still
    // hears of the event rather than it vanishing.
    d.payload = payload.ok() ? std::move(*payload) : event.envelope_json;
    d.max_retry_attempts = target.max_retry_attempts;
    d.max_event_age_s = target.max_event_age_s;
    d.dead_letter_arn = target.dead_letter_arn;
    d.ingested_at = event.ingested_at;
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<NewDelivery> RoutingTable::route(const PendingEvent& pending) const {
  const NewEvent& event = pending.event;
  if (event.only_rule) {
    const RoutedRule* rule = find(event.bus, *event.only_rule);
    return rule ? deliveries_for(*rule, event) : std::vector<NewDelivery>{};
  }
  auto it = matchers_.find(event.bus);
  if (it == matchers_.end()) return {};
  std::vector<std::uint32_t> matched;
  it->second.match(event.envelope_json, matched);
  std::vector<NewDelivery> out;
  for (std::uint32_t index : matched) {
    auto more = deliveries_for(rules_[index], event);
    std::move(more.begin(), more.end(), std::back_inserter(out));
  }
  return out;
}

}  // namespace cloudlet::events
