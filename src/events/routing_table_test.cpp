#include "events/routing_table.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace cloudlet::events {
namespace {

namespace json = boost::json;

RuleRecord rule(std::string name, std::optional<std::string> pattern,
                std::optional<std::string> schedule = std::nullopt, std::string bus = "default") {
  RuleRecord r;
  r.bus = std::move(bus);
  r.name = std::move(name);
  r.event_pattern = std::move(pattern);
  r.schedule_expression = std::move(schedule);
  return r;
}

TargetRecord target(std::string id, std::string spec) {
  return {std::move(id), "arn:cloudlet:usermgmt:us-east-1:000000000000:server/127.0.0.1:50054",
          std::move(spec)};
}

PendingEvent event(std::string bus, std::string envelope) {
  PendingEvent e;
  e.seq = 1;
  e.event.bus = std::move(bus);
  e.event.event_id = "e1";
  e.event.envelope_json = std::move(envelope);
  e.event.ingested_at = Clock::time_point(std::chrono::seconds(1'800'000'000));
  return e;
}

const char* kSeedEvent =
    R"({"version":"0","id":"e1","detail-type":"sampledata","source":"com.srcecde.app",)"
    R"("account":"000000000000","time":"2027-01-15T08:00:00Z","region":"us-east-1",)"
    R"("resources":[],"detail":{"name":"trigger_usermgmt_op4_db_postgres","n":5}})";

EventStore::Snapshot seed_snapshot() {
  EventStore::Snapshot s;
  s.version = 7;
  s.rules.push_back(
      {rule(
           "op4",
           R"({"source":["com.srcecde.app"],"detail":{"name":["trigger_usermgmt_op4_db_postgres"]}})"),
       {target("whole", R"({"Id":"whole"})"),
        target(
            "path",
            R"({"Id":"path","InputPath":"$.detail","RetryPolicy":{"MaximumRetryAttempts":3,"MaximumEventAgeInSeconds":600},"DeadLetterConfig":{"Arn":"arn:aws:sqs:us-east-1:000000000000:dlq"}})"),
        target(
            "tpl",
            R"({"Id":"tpl","InputTransformer":{"InputPathsMap":{"n":"$.detail.n"},"InputTemplate":"{\"count\": <n>, \"rule\": \"<aws.events.rule-name>\"}"}})")}});
  s.rules.push_back({rule("op1", R"({"detail":{"name":["trigger_usermgmt_op1_no_persistence"]}})"),
                     {target("t", R"({"Id":"t"})")}});
  auto disabled = rule("off", R"({"source":["com.srcecde.app"]})");
  disabled.state = "DISABLED";
  s.rules.push_back({disabled, {target("t", R"({"Id":"t"})")}});
  s.rules.push_back({rule("other-bus", R"({"source":["com.srcecde.app"]})", std::nullopt, "orders"),
                     {target("t", R"({"Id":"t"})")}});
  s.rules.push_back(
      {rule("every-minute", std::nullopt, "cron(* * * * ? *)"), {target("t", R"({"Id":"t"})")}});
  return s;
}

TEST(RoutingTable, AMatchingEventBecomesOneDeliveryPerTargetWithItsInput) {
  RoutingTable table = RoutingTable::build(seed_snapshot(), "us-east-1", "000000000000");
  EXPECT_EQ(table.version(), 7);
  EXPECT_TRUE(table.skipped().empty());
  auto deliveries = table.route(event("default", kSeedEvent));
  ASSERT_EQ(deliveries.size(), 3u);
  EXPECT_EQ(deliveries[0].rule, "op4");
  EXPECT_EQ(deliveries[0].target_id, "whole");
  EXPECT_EQ(deliveries[0].payload, kSeedEvent);
  EXPECT_EQ(deliveries[0].max_retry_attempts, 185) << "AWS's default";
  EXPECT_EQ(deliveries[0].max_event_age_s, 86400);
  EXPECT_FALSE(deliveries[0].dead_letter_arn);
  EXPECT_EQ(json::parse(deliveries[1].payload),
            json::parse(R"({"name":"trigger_usermgmt_op4_db_postgres","n":5})"));
  EXPECT_EQ(deliveries[1].max_retry_attempts, 3);
  EXPECT_EQ(deliveries[1].max_event_age_s, 600);
  EXPECT_EQ(deliveries[1].dead_letter_arn, "arn:aws:sqs:us-east-1:000000000000:dlq");
  EXPECT_EQ(json::parse(deliveries[2].payload), json::parse(R"({"count": 5, "rule": "op4"})"));
  for (const auto& d : deliveries) {
    EXPECT_EQ(d.event_id, "e1");
    EXPECT_EQ(d.bus, "default");
  }
}

TEST(RoutingTable, DisabledRulesOtherBusesAndNonMatchingEventsGetNothing) {
  RoutingTable table = RoutingTable::build(seed_snapshot(), "us-east-1", "000000000000");
  std::string other = kSeedEvent;
  other.replace(other.find("op4_db_postgres"), 15, "op9_unknown_sto");
  EXPECT_TRUE(table.route(event("default", other)).empty());
  auto orders = table.route(event("orders", kSeedEvent));
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].rule, "other-bus");
  EXPECT_TRUE(table.route(event("nobus", kSeedEvent)).empty());
}

TEST(RoutingTable, SchedulesAreListedAndTheirEventsGoOnlyToTheirRule) {
  RoutingTable table = RoutingTable::build(seed_snapshot(), "us-east-1", "000000000000");
  ASSERT_EQ(table.schedules().size(), 1u);
  EXPECT_EQ(table.rules()[table.schedules()[0].rule].name, "every-minute");
  auto scheduled = event("default", kSeedEvent);  // would match op4 by pattern
  scheduled.event.only_rule = "every-minute";
  auto deliveries = table.route(scheduled);
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0].rule, "every-minute");
}

TEST(RoutingTable, AStoredRuleThatNoLongerCompilesIsSkippedAndNamed) {
  EventStore::Snapshot s;
  s.rules.push_back({rule("broken", R"({"source": "not-an-array"})"), {}});
  s.rules.push_back(
      {rule("ok", R"({"source":["a"]})"), {target("bad", R"({"Id":"bad","Input":"{not json"})")}});
  RoutingTable table = RoutingTable::build(s, "us-east-1", "000000000000");
  ASSERT_EQ(table.skipped().size(), 2u);
  EXPECT_NE(table.skipped()[0].find("default/broken"), std::string::npos);
  EXPECT_NE(table.skipped()[1].find("target bad"), std::string::npos);
  ASSERT_EQ(table.rules().size(), 1u);
  EXPECT_TRUE(table.rules()[0].targets.empty());
}

}  // namespace
}  // namespace cloudlet::events
