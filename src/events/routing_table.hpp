// Which deliveries an accepted event becomes: every enabled rule of its bus
// whose pattern matches, times each of the rule's targets, with the target's
// input rendered and its retry policy and dead-letter ARN attached (spec
// §5). Built once from a store snapshot (rules change rarely; events arrive
// all the time), immutable afterwards, so every router thread shares one.
//
// Matching goes through one Matcher per bus (matcher.hpp): its cost does not
// grow with the number of rules.
//
// Pure: no I/O. A stored rule or target that no longer compiles (a pattern
// the engine now refuses) is left out and named in skipped(), never thrown.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "events/matcher.hpp"
#include "events/schedule.hpp"
#include "events/store.hpp"
#include "events/target_input.hpp"

namespace cloudlet::events {

struct RoutedTarget {
  std::string id, arn;
  TargetInput input;
  int max_retry_attempts = 185;  // RetryPolicy defaults (spec §5.3)
  int max_event_age_s = 86400;
  std::optional<std::string> dead_letter_arn;
};

struct RoutedRule {
  std::string bus, name, arn;
  std::vector<RoutedTarget> targets;
};

// An enabled rule with a ScheduleExpression.
struct ScheduledRule {
  std::uint32_t rule = 0;  // index into the table's rules
  Schedule schedule;
};

class RoutingTable {
 public:
  RoutingTable() = default;
  static RoutingTable build(const EventStore::Snapshot& snapshot, std::string_view region,
                            std::string_view account);

  // The deliveries of one pending event; none when nothing matches (the
  // event is then dropped, as AWS drops it). An event addressed to one rule
  // (a schedule's) goes to that rule's targets only.
  std::vector<NewDelivery> route(const PendingEvent& event) const;
  // The deliveries of one rule for an event made for it (a schedule firing).
  std::vector<NewDelivery> deliveries_for(const RoutedRule& rule, const NewEvent& event) const;

  std::int64_t version() const { return version_; }
  const std::vector<RoutedRule>& rules() const { return rules_; }
  const std::vector<ScheduledRule>& schedules() const { return schedules_; }
  // "<bus>/<rule>: <why>" for each rule or target left out.
  const std::vector<std::string>& skipped() const { return skipped_; }
  const RoutedRule* find(std::string_view bus, std::string_view rule) const;

 private:
  std::int64_t version_ = 0;
  std::vector<RoutedRule> rules_;
  std::map<std::string, Matcher, std::less<>> matchers_;  // per bus, keys index rules_
  std::vector<ScheduledRule> schedules_;
  std::vector<std::string> skipped_;
};

}  // namespace cloudlet::events
