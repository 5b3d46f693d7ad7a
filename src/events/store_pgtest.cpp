// EventStore against a real PostgreSQL: every call's results and error
// codes, paging, limits, and what must hold with several processes at once
// (threads with their own pools stand in for processes).
#include <gmock/gmock.h>

#include <atomic>
#include <latch>
#include <map>
#include <mutex>
#include <ostream>
#include <set>
#include <thread>

#include "core/pg_pool.hpp"
#include "events/store.hpp"
#include "pg_harness.hpp"

namespace cloudlet {
// Failures name the code (gtest would print its bytes).
void PrintTo(ErrorCode code, std::ostream* os) { *os << to_string(code); }
}  // namespace cloudlet

namespace cloudlet::events {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A fixed, microsecond-aligned clock for the calls that take `now`.
const Clock::time_point kT0 = Clock::time_point(
    std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(1'800'000'000)));

template <class R>
ErrorCode code_of(const R& r) {
  return r.ok() ? ErrorCode::kCancelled : r.error().code;  // kCancelled: "it succeeded"
}

std::vector<std::string> names(const std::vector<BusRecord>& buses) {
  std::vector<std::string> out;
  for (const auto& b : buses) out.push_back(b.name);
  return out;
}
std::vector<std::string> names(const std::vector<RuleRecord>& rules) {
  std::vector<std::string> out;
  for (const auto& r : rules) out.push_back(r.name);
  return out;
}
std::vector<std::string> ids(const std::vector<TargetRecord>& targets) {
  std::vector<std::string> out;
  for (const auto& t : targets) out.push_back(t.id);
  return out;
}

RuleRecord rule(std::string bus, std::string name, std::string pattern = R"({"source":["a"]})") {
  RuleRecord r;
  r.bus = std::move(bus);
  r.name = std::move(name);
  r.event_pattern = std::move(pattern);
  return r;
}

TargetRecord target(std::string id, std::string arn = "arn:aws:lambda:us-east-1:1:function:f") {
  return TargetRecord{id, arn, R"({"Id":")" + id + R"(","Arn":")" + arn + R"("})"};
}

NewEvent event(std::string id, std::string bus = "default") {
  return NewEvent{std::move(bus), id, R"({"id":")" + id + R"(","detail":{}})", kT0, std::nullopt};
}

NewDelivery delivery(std::string event_id, std::string target_id = "t1") {
  NewDelivery d;
  d.event_id = std::move(event_id);
  d.bus = "default";
  d.rule = "r";
  d.target_id = std::move(target_id);
  d.target_arn = "arn:aws:lambda:us-east-1:1:function:f";
  d.payload = R"({"p":1})";
  d.max_retry_attempts = 3;
  d.max_event_age_s = 600;
  d.dead_letter_arn = "arn:aws:sqs:us-east-1:1:dlq";
  d.ingested_at = kT0;
  return d;
}

class StoreTest : public ::testing::Test {
 protected:
  StoreTest() : url_(cloudlet::testing::fresh_database()), pool_({.url = url_, .size = 4}) {}

  std::int64_t version() {
    auto v = store_.version();
    EXPECT_TRUE(v.ok());
    return v.ok() ? *v : -1;
  }
  long long count(const std::string& sql) {
    auto rows = pool_.query(sql);
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return rows.ok() ? *rows->integer(0, 0) : -1;
  }
  // Puts the deliveries through the inbox, as the router does.
  void add_deliveries(const std::vector<NewDelivery>& deliveries) {
    std::vector<NewEvent> events;
    for (const auto& d : deliveries) events.push_back(event(d.event_id));
    ASSERT_TRUE(store_.append_events(events).ok());
    std::map<std::string, NewDelivery> by_event;
    for (const auto& d : deliveries) by_event.emplace(d.event_id, d);
    auto routed = store_.route_pending(
        deliveries.size(),
        [&](const PendingEvent& e) { return std::vector{by_event.at(e.event.event_id)}; }, kT0);
    ASSERT_TRUE(routed.ok()) << routed.error().message;
    ASSERT_EQ(*routed, deliveries.size());
  }

  std::string url_;
  pg::Pool pool_;
  EventStore store_{pool_};
};

// --- buses -------------------------------------------------------------------

TEST_F(StoreTest, TheDefaultBusExistsAfterTheMigration) {
  auto bus = store_.find_bus("default");
  ASSERT_TRUE(bus.ok());
  ASSERT_TRUE(bus->has_value());
  EXPECT_EQ((*bus)->name, "default");
}

TEST_F(StoreTest, CreateBusStoresItAndRefusesADuplicate) {
  auto created = store_.create_bus("orders", "the orders");
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->name, "orders");
  EXPECT_EQ(created->description, "the orders");
  EXPECT_EQ(created->created_at, created->modified_at);
  EXPECT_GT(created->created_at.time_since_epoch().count(), 1'600'000'000);

  auto found = store_.find_bus("orders");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->description, "the orders");
  EXPECT_EQ((*found)->created_at, created->created_at);

  auto again = store_.create_bus("orders", "");
  EXPECT_EQ(code_of(again), ErrorCode::kAlreadyExists);
  EXPECT_EQ(again.error().message, "Event bus orders already exists.");

  auto missing = store_.find_bus("nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(StoreTest, ListBusesPagesInNameOrderWithAPrefix) {
  for (const char* name : {"b-2", "a-1", "b-1", "b-3", "c"}) {
    ASSERT_TRUE(store_.create_bus(name, "").ok());
  }
  auto all = store_.list_buses("", "", 100);
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(names(*all), ElementsAre("a-1", "b-1", "b-2", "b-3", "c", "default"));

  auto page1 = store_.list_buses("b-", "", 2);
  ASSERT_TRUE(page1.ok());
  EXPECT_THAT(names(*page1), ElementsAre("b-1", "b-2"));
  auto page2 = store_.list_buses("b-", page1->back().name, 2);
  ASSERT_TRUE(page2.ok());
  EXPECT_THAT(names(*page2), ElementsAre("b-3"));
  auto page3 = store_.list_buses("b-", "b-3", 2);
  ASSERT_TRUE(page3.ok());
  EXPECT_THAT(*page3, IsEmpty());
  // A prefix is literal text, not a LIKE pattern.
  auto pattern = store_.list_buses("b_", "", 10);
  ASSERT_TRUE(pattern.ok());
  EXPECT_THAT(*pattern, IsEmpty());
}

TEST_F(StoreTest, DeleteBusCodes) {
  EXPECT_EQ(code_of(store_.delete_bus("nope")), ErrorCode::kNotFound);
  EXPECT_EQ(store_.delete_bus("nope").error().message, "Event bus nope does not exist.");
  EXPECT_EQ(code_of(store_.delete_bus("default")), ErrorCode::kInvalidArgument);

  ASSERT_TRUE(store_.create_bus("orders", "").ok());
  ASSERT_TRUE(store_.put_rule(rule("orders", "r"), 300).ok());
  EXPECT_EQ(code_of(store_.delete_bus("orders")), ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(store_.delete_rule("orders", "r").ok());
  EXPECT_TRUE(store_.delete_bus("orders").ok());
  auto found = store_.find_bus("orders");
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
}

// --- rules -------------------------------------------------------------------

TEST_F(StoreTest, PutRuleCreatesAndThenReplacesEveryMember) {
  RuleRecord full = rule("default", "r1");
  full.schedule_expression = "rate(5 minutes)";
  full.state = "DISABLED";
  full.description = "d";
  full.role_arn = "arn:aws:iam::1:role/x";
  full.managed_by = "me";
  auto stored = store_.put_rule(full, 300);
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  EXPECT_EQ(stored->event_pattern, full.event_pattern);
  EXPECT_EQ(stored->schedule_expression, full.schedule_expression);
  EXPECT_EQ(stored->state, "DISABLED");
  EXPECT_EQ(stored->description, "d");
  EXPECT_EQ(stored->role_arn, "arn:aws:iam::1:role/x");
  EXPECT_EQ(stored->managed_by, "me");

  // Omitted members become empty (PutRule replaces, it does not merge).
  RuleRecord bare;
  bare.bus = "default";
  bare.name = "r1";
  bare.schedule_expression = "rate(1 hour)";
  ASSERT_TRUE(store_.put_rule(bare, 300).ok());
  auto found = store_.find_rule("default", "r1");
  ASSERT_TRUE(found.ok() && found->has_value());
  const RuleRecord& r = **found;
  EXPECT_EQ(r.event_pattern, std::nullopt);
  EXPECT_EQ(r.schedule_expression, "rate(1 hour)");
  EXPECT_EQ(r.state, "ENABLED");
  EXPECT_EQ(r.description, "");
  EXPECT_EQ(r.role_arn, "");
  EXPECT_EQ(r.managed_by, "");

  auto none = store_.find_rule("default", "r2");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_F(StoreTest, PutRuleOnAMissingBusIsNotFound) {
  auto r = store_.put_rule(rule("nope", "r"), 300);
  EXPECT_EQ(code_of(r), ErrorCode::kNotFound);
  EXPECT_EQ(r.error().message, "Event bus nope does not exist.");
}

TEST_F(StoreTest, PutRuleRefusesANewRulePastTheLimitButReplacesExistingOnes) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store_.put_rule(rule("default", "r" + std::to_string(i)), 3).ok());
  }
  auto fourth = store_.put_rule(rule("default", "r3"), 3);
  EXPECT_EQ(code_of(fourth), ErrorCode::kResourceExhausted);
  EXPECT_TRUE(store_.put_rule(rule("default", "r1", R"({"source":["b"]})"), 3).ok());
  // The limit is per bus.
  ASSERT_TRUE(store_.create_bus("other", "").ok());
  EXPECT_TRUE(store_.put_rule(rule("other", "r3"), 3).ok());
  EXPECT_EQ(count("SELECT count(*) FROM event_rules WHERE bus = 'default'"), 3);
}

TEST_F(StoreTest, ConcurrentNewRulesNeverOvershootTheLimit) {
  constexpr int kThreads = 8, kLimit = 5;
  std::latch start(kThreads);
  std::atomic<int> created{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      pg::Pool pool({.url = url_, .size = 1});
      EventStore store(pool);
      EXPECT_TRUE(pool.ping().ok());  // connected before the start line
      start.arrive_and_wait();
      for (int i = 0; i < 3; ++i) {
        auto r = store.put_rule(rule("default", "t" + std::to_string(t) + "-" + std::to_string(i)),
                                kLimit);
        if (r.ok()) ++created;
        if (!r.ok() && r.error().code == ErrorCode::kResourceExhausted) ++refused;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(created.load(), kLimit);
  EXPECT_EQ(refused.load(), kThreads * 3 - kLimit);
  EXPECT_EQ(count("SELECT count(*) FROM event_rules"), kLimit);
}

TEST_F(StoreTest, ListRulesPagesInNameOrderWithAPrefix) {
  for (const char* name : {"x2", "x1", "y", "x3"}) {
    ASSERT_TRUE(store_.put_rule(rule("default", name), 300).ok());
  }
  ASSERT_TRUE(store_.create_bus("other", "").ok());
  ASSERT_TRUE(store_.put_rule(rule("other", "x0"), 300).ok());

  auto page1 = store_.list_rules("default", "x", "", 2);
  ASSERT_TRUE(page1.ok());
  EXPECT_THAT(names(*page1), ElementsAre("x1", "x2"));
  EXPECT_EQ(page1->front().bus, "default");
  EXPECT_EQ(page1->front().event_pattern, R"({"source":["a"]})");
  auto page2 = store_.list_rules("default", "x", "x2", 2);
  ASSERT_TRUE(page2.ok());
  EXPECT_THAT(names(*page2), ElementsAre("x3"));
  auto all = store_.list_rules("default", "", "", 100);
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(names(*all), ElementsAre("x1", "x2", "x3", "y"));

  auto empty_bus = store_.list_rules("other", "y", "", 10);
  ASSERT_TRUE(empty_bus.ok());
  EXPECT_THAT(*empty_bus, IsEmpty());
  EXPECT_EQ(code_of(store_.list_rules("nope", "", "", 10)), ErrorCode::kNotFound);
}

TEST_F(StoreTest, DeleteRuleCodes) {
  EXPECT_TRUE(store_.delete_rule("default", "absent").ok());
  EXPECT_EQ(code_of(store_.delete_rule("nope", "absent")), ErrorCode::kNotFound);

  ASSERT_TRUE(store_.put_rule(rule("default", "r"), 300).ok());
  ASSERT_TRUE(store_.put_targets("default", "r", {target("t1")}, 5).ok());
  Status refused = store_.delete_rule("default", "r");
  EXPECT_EQ(code_of(refused), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(refused.error().message, "Rule can't be deleted since it has targets.");

  ASSERT_TRUE(store_.remove_targets("default", "r", {"t1"}).ok());
  EXPECT_TRUE(store_.delete_rule("default", "r").ok());
  auto found = store_.find_rule("default", "r");
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
}

TEST_F(StoreTest, SetRuleState) {
  ASSERT_TRUE(store_.put_rule(rule("default", "r"), 300).ok());
  ASSERT_TRUE(store_.set_rule_state("default", "r", "DISABLED").ok());
  EXPECT_EQ((*store_.find_rule("default", "r"))->state, "DISABLED");
  ASSERT_TRUE(store_.set_rule_state("default", "r", "ENABLED").ok());
  EXPECT_EQ((*store_.find_rule("default", "r"))->state, "ENABLED");

  Status missing = store_.set_rule_state("default", "absent", "DISABLED");
  EXPECT_EQ(code_of(missing), ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message, "Rule absent does not exist on EventBus default.");
  EXPECT_EQ(code_of(store_.set_rule_state("default", "r", "SLEEPY")), ErrorCode::kInvalidArgument);
}

// --- targets -----------------------------------------------------------------

TEST_F(StoreTest, PutTargetsKeepsInsertionOrderAndAReplacedTargetsPosition) {
  ASSERT_TRUE(store_.put_rule(rule("default", "r"), 300).ok());
  ASSERT_TRUE(store_.put_targets("default", "r", {target("b"), target("a")}, 5).ok());
  ASSERT_TRUE(store_.put_targets("default", "r", {target("c"), target("b", "arn:new")}, 5).ok());

  auto listed = store_.list_targets("default", "r", "", 100);
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  EXPECT_THAT(ids(*listed), ElementsAre("b", "a", "c"));
  EXPECT_EQ(listed->front().arn, "arn:new");
  // The spec comes back as the same JSON (jsonb may reorder keys).
  EXPECT_THAT(listed->front().spec_json, ::testing::HasSubstr(R"("Arn": "arn:new")"));
  EXPECT_THAT(listed->front().spec_json, ::testing::HasSubstr(R"("Id": "b")"));
}

TEST_F(StoreTest, PutTargetsEchoesEveryMemberOfTheSpec) {
  ASSERT_TRUE(store_.put_rule(rule("default", "r"), 300).ok());
  std::string spec = R"({"Id":"t","Arn":"arn:x","Input":"{\"a\": [1, \"<b>\"]}",)"
                     R"("RetryPolicy":{"MaximumRetryAttempts":0,"MaximumEventAgeInSeconds":60},)"
                     R"("DeadLetterConfig":{"Arn":"arn:aws:sqs:us-east-1:1:q"}})";
  ASSERT_TRUE(store_.put_targets("default", "r", {TargetRecord{"t", "arn:x", spec}}, 5).ok());
  auto rows = pool_.query("SELECT spec = $1::jsonb FROM event_targets", {spec});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->text(0, 0), "t");
  auto listed = store_.list_targets("default", "r", "", 10);
  ASSERT_TRUE(listed.ok());
  auto same = pool_.query("SELECT $1::jsonb = $2::jsonb", {listed->front().spec_json, spec});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->text(0, 0), "t");
}

TEST_F(StoreTest, ARepeatedIdInOneRequestCountsOnceAndTheLastWins) {
  ASSERT_TRUE(store_.put_rule(rule("default", "r"), 300).ok());
  ASSERT_TRUE(
      store_
          .put_targets("default", "r", {target("a", "arn:1"), target("b"), target("a", "arn:2")}, 2)
          .ok());
  auto listed = store_.list_targets("default", "r", "", 10);
  ASSERT_TRUE(listed.ok());
  EXPECT_THAT(ids(*listed), ElementsAre("a", "b"));
  EXPECT_EQ(listed->front().arn, "arn:2");
}

TEST_F(StoreTest, TheSixthTargetIsRefusedButReplacingOneOfFiveIsNot) {
  ASSERT_TRUE(store_.put_rule(rule("default", "r"), 300).ok());
  ASSERT_TRUE(store_
                  .put_targets("default", "r",
                               {target("1"), target("2"), target("3"), target("4"), target("5")}, 5)
                  .ok());
  Status sixth = store_.put_targets("default", "r", {target("6")}, 5);
  EXPECT_EQ(code_of(sixth), ErrorCode::kResourceExhausted);
  EXPECT_EQ(sixth.error().message, "The requested resource exceeds the maximum number allowed.");
  EXPECT_TRUE(store_.put_targets("default", "r", {target("3", "arn:other")}, 5).ok());
  // A refused request changes nothing, even its targets that would fit.
  EXPECT_EQ(code_of(store_.put_targets("default", "r", {target("1", "arn:z"), target("7")}, 5)),
            ErrorCode::kResourceExhausted);
  EXPECT_EQ(count("SELECT count(*) FROM event_targets"), 5);
  EXPECT_EQ(count("SELECT count(*) FROM event_targets WHERE arn = 'arn:z'"), 0);
}

TEST_F(StoreTest, ConcurrentPutTargetsNeverOvershootTheLimit) {
  ASSERT_TRUE(store_.put_rule(rule("default", "r"), 300).ok());
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      pg::Pool pool({.url = url_, .size = 1});
      EventStore store(pool);
      EXPECT_TRUE(pool.ping().ok());
      start.arrive_and_wait();
      if (store.put_targets("default", "r", {target("t" + std::to_string(t))}, 5).ok()) ++accepted;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(accepted.load(), 5);
  EXPECT_EQ(count("SELECT count(*) FROM event_targets"), 5);
}

TEST_F(StoreTest, PutTargetsOnAMissingRuleIsNotFound) {
  Status s = store_.put_targets("default", "absent", {target("t")}, 5);
  EXPECT_EQ(code_of(s), ErrorCode::kNotFound);
  EXPECT_EQ(s.error().message, "Rule absent does not exist on EventBus default.");
}

TEST_F(StoreTest, ListTargetsPagesAfterAnId) {
  ASSERT_TRUE(store_.put_rule(rule("default", "r"), 300).ok());
  ASSERT_TRUE(
      store_.put_targets("default", "r", {target("z"), target("y"), target("x"), target("w")}, 5)
          .ok());
  auto page1 = store_.list_targets("default", "r", "", 3);
  ASSERT_TRUE(page1.ok());
  EXPECT_THAT(ids(*page1), ElementsAre("z", "y", "x"));
  auto page2 = store_.list_targets("default", "r", "x", 3);
  ASSERT_TRUE(page2.ok());
  EXPECT_THAT(ids(*page2), ElementsAre("w"));
  auto page3 = store_.list_targets("default", "r", "w", 3);
  ASSERT_TRUE(page3.ok());
  EXPECT_THAT(*page3, IsEmpty());

  EXPECT_EQ(code_of(store_.list_targets("default", "r", "gone", 3)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code_of(store_.list_targets("default", "absent", "", 3)), ErrorCode::kNotFound);
  EXPECT_EQ(code_of(store_.list_targets("default", "absent", "x", 3)), ErrorCode::kNotFound);
  ASSERT_TRUE(store_.put_rule(rule("default", "empty"), 300).ok());
  auto none = store_.list_targets("default", "empty", "", 3);
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
}

TEST_F(StoreTest, RemoveTargetsReportsTheIdsThatWereNotThere) {
  ASSERT_TRUE(store_.put_rule(rule("default", "r"), 300).ok());
  ASSERT_TRUE(store_.put_targets("default", "r", {target("a"), target("b"), target("c")}, 5).ok());
  auto missing = store_.remove_targets("default", "r", {"x", "a", "c", "x", "q"});
  ASSERT_TRUE(missing.ok()) << missing.error().message;
  EXPECT_THAT(*missing, ElementsAre("x", "q"));
  auto left = store_.list_targets("default", "r", "", 10);
  ASSERT_TRUE(left.ok());
  EXPECT_THAT(ids(*left), ElementsAre("b"));
  EXPECT_EQ(code_of(store_.remove_targets("default", "absent", {"a"})), ErrorCode::kNotFound);
}

// --- version and snapshot ----------------------------------------------------

TEST_F(StoreTest, EveryRuleOrTargetChangeBumpsTheVersion) {
  std::int64_t v = version();
  auto expect_bump = [&](const char* what) {
    std::int64_t now = version();
    EXPECT_GT(now, v) << what;
    v = now;
  };
  auto expect_same = [&](const char* what) { EXPECT_EQ(version(), v) << what; };

  ASSERT_TRUE(store_.put_rule(rule("default", "r"), 300).ok());
  expect_bump("put_rule (new)");
  ASSERT_TRUE(store_.put_rule(rule("default", "r", R"({"source":["b"]})"), 300).ok());
  expect_bump("put_rule (replace)");
  ASSERT_TRUE(store_.set_rule_state("default", "r", "DISABLED").ok());
  expect_bump("set_rule_state");
  ASSERT_TRUE(store_.put_targets("default", "r", {target("t")}, 5).ok());
  expect_bump("put_targets");
  ASSERT_TRUE(store_.remove_targets("default", "r", {"t"}).ok());
  expect_bump("remove_targets");
  ASSERT_TRUE(store_.delete_rule("default", "r").ok());
  expect_bump("delete_rule");

  ASSERT_TRUE(store_.delete_rule("default", "r").ok());
  expect_same("delete_rule of an absent rule");
  ASSERT_FALSE(store_.put_rule(rule("default", "r"), 0).ok());
  expect_same("a refused put_rule");
  ASSERT_TRUE(store_.create_bus("b", "").ok());
  expect_same("create_bus");
}

TEST_F(StoreTest, ASnapshotHoldsEveryRuleWithItsTargetsAndTheVersion) {
  ASSERT_TRUE(store_.create_bus("orders", "").ok());
  ASSERT_TRUE(store_.put_rule(rule("orders", "b"), 300).ok());
  ASSERT_TRUE(store_.put_rule(rule("default", "a"), 300).ok());
  ASSERT_TRUE(store_.put_rule(rule("default", "c"), 300).ok());
  ASSERT_TRUE(store_.put_targets("default", "a", {target("2"), target("1")}, 5).ok());
  ASSERT_TRUE(store_.put_targets("orders", "b", {target("x")}, 5).ok());

  auto snapshot = store_.load_snapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.error().message;
  EXPECT_EQ(snapshot->version, version());
  ASSERT_EQ(snapshot->rules.size(), 3u);
  std::map<std::string, std::vector<std::string>> by_rule;
  for (const auto& [r, targets] : snapshot->rules) by_rule[r.bus + "/" + r.name] = ids(targets);
  EXPECT_THAT(by_rule["default/a"], ElementsAre("2", "1"));
  EXPECT_THAT(by_rule["default/c"], IsEmpty());
  EXPECT_THAT(by_rule["orders/b"], ElementsAre("x"));
}

// --- the inbox and routing ---------------------------------------------------

TEST_F(StoreTest, AppendEventsReturnsIncreasingSeqsInInputOrder) {
  auto first = store_.append_events({event("e1"), event("e2"), event("e3")});
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->size(), 3u);
  EXPECT_LT((*first)[0], (*first)[1]);
  EXPECT_LT((*first)[1], (*first)[2]);
  auto rows = pool_.query("SELECT seq, event_id FROM pending_events ORDER BY seq");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(*rows->integer(i, 0), (*first)[static_cast<std::size_t>(i)]);
    EXPECT_EQ(rows->text(i, 1), "e" + std::to_string(i + 1));
  }
  auto empty = store_.append_events({});
  ASSERT_TRUE(empty.ok());
  EXPECT_THAT(*empty, IsEmpty());
}

TEST_F(StoreTest, EventsAndDeliveriesRoundTripAnyText) {
  // Array-literal syntax, JSON escapes, "NULL", empty, non-ASCII, newlines.
  const std::vector<std::string> awkward = {R"({"a":"q\"uote","b":"back\\slash","c":"{x,y}"})",
                                            "NULL",
                                            "",
                                            "caf\xc3\xa9 \xe2\x9c\x93",
                                            "line1\nline2\t\"",
                                            R"(\\\")"};
  std::vector<NewEvent> events;
  for (std::size_t i = 0; i < awkward.size(); ++i) {
    events.push_back(NewEvent{"bus " + awkward[i], "id" + std::to_string(i), awkward[i],
                              kT0 + std::chrono::microseconds(i), std::nullopt});
  }
  ASSERT_TRUE(store_.append_events(events).ok());

  std::vector<PendingEvent> seen;
  auto routed = store_.route_pending(
      100,
      [&](const PendingEvent& e) {
        seen.push_back(e);
        NewDelivery d = delivery(e.event.event_id);
        d.payload = e.event.envelope_json;
        d.target_arn = e.event.bus;
        d.dead_letter_arn = std::nullopt;
        d.ingested_at = e.event.ingested_at;
        return std::vector{d};
      },
      kT0);
  ASSERT_TRUE(routed.ok()) << routed.error().message;
  ASSERT_EQ(seen.size(), awkward.size());
  for (std::size_t i = 0; i < awkward.size(); ++i) {
    EXPECT_EQ(seen[i].event.envelope_json, awkward[i]);
    EXPECT_EQ(seen[i].event.bus, "bus " + awkward[i]);
    EXPECT_EQ(seen[i].event.ingested_at, events[i].ingested_at);
  }
  auto leased = store_.lease_due("w", 100, seconds(30), kT0);
  ASSERT_TRUE(leased.ok()) << leased.error().message;
  ASSERT_EQ(leased->size(), awkward.size());
  for (const Delivery& d : *leased) {
    std::size_t i = std::stoul(d.event_id.substr(2));
    EXPECT_EQ(d.payload, awkward[i]);
    EXPECT_EQ(d.target_arn, "bus " + awkward[i]);
    EXPECT_EQ(d.dead_letter_arn, std::nullopt);
    EXPECT_EQ(d.ingested_at, events[i].ingested_at);
  }
}

TEST_F(StoreTest, RoutePendingTurnsEventsIntoDeliveriesInSeqOrder) {
  ASSERT_TRUE(store_.append_events({event("e1"), event("e2"), event("e3"), event("e4")}).ok());
  std::vector<std::string> order;
  auto routed = store_.route_pending(
      3,
      [&](const PendingEvent& e) {
        order.push_back(e.event.event_id);
        if (e.event.event_id == "e2") return std::vector<NewDelivery>{};  // matched nothing
        return std::vector{delivery(e.event.event_id, "t1"), delivery(e.event.event_id, "t2")};
      },
      kT0);
  ASSERT_TRUE(routed.ok()) << routed.error().message;
  EXPECT_EQ(*routed, 3u);
  EXPECT_THAT(order, ElementsAre("e1", "e2", "e3"));
  EXPECT_EQ(count("SELECT count(*) FROM pending_events"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM event_deliveries"), 4);
  EXPECT_EQ(count("SELECT count(*) FROM event_deliveries WHERE event_id = 'e2'"), 0);

  auto rest =
      store_.route_pending(10, [](const PendingEvent&) { return std::vector<NewDelivery>{}; });
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, 1u);
  auto none =
      store_.route_pending(10, [](const PendingEvent&) { return std::vector<NewDelivery>{}; });
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0u);
}

TEST_F(StoreTest, ARoutingThatFailsBeforeCommitLeavesTheEventsToRouteAgain) {
  ASSERT_TRUE(store_.append_events({event("e1"), event("e2")}).ok());
  auto failed = store_.route_pending(10, [](const PendingEvent& e) {
    NewDelivery d = delivery(e.event.event_id);
    d.max_retry_attempts = -1;  // the table's CHECK refuses it: the insert fails
    return std::vector{d};
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(count("SELECT count(*) FROM pending_events"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM event_deliveries"), 0);

  auto again = store_.route_pending(
      10, [](const PendingEvent& e) { return std::vector{delivery(e.event.event_id)}; });
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 2u);
  EXPECT_EQ(count("SELECT count(*) FROM pending_events"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM event_deliveries"), 2);
}

TEST_F(StoreTest, TwoConcurrentRoutersRouteEveryEventExactlyOnce) {
  constexpr int kEvents = 3000;
  for (int base = 0; base < kEvents; base += 500) {
    std::vector<NewEvent> batch;
    for (int i = base; i < base + 500; ++i) batch.push_back(event("e" + std::to_string(i)));
    ASSERT_TRUE(store_.append_events(batch).ok());
  }
  std::mutex mu;
  std::map<std::string, int> routed_by_callbacks;
  std::atomic<std::size_t> routed{0};
  auto router = [&] {
    pg::Pool pool({.url = url_, .size = 1});
    EventStore store(pool);
    for (;;) {
      auto n = store.route_pending(50, [&](const PendingEvent& e) {
        std::lock_guard lock(mu);
        ++routed_by_callbacks[e.event.event_id];
        return std::vector{delivery(e.event.event_id)};
      });
      ASSERT_TRUE(n.ok()) << n.error().message;
      if (*n == 0) return;
      routed += *n;
    }
  };
  std::thread a(router), b(router);
  a.join();
  b.join();
  EXPECT_EQ(routed.load(), std::size_t{kEvents});
  EXPECT_EQ(routed_by_callbacks.size(), std::size_t{kEvents});
  for (const auto& [id, times] : routed_by_callbacks) EXPECT_EQ(times, 1) << id;
  EXPECT_EQ(count("SELECT count(*) FROM event_deliveries"), kEvents);
  EXPECT_EQ(count("SELECT count(DISTINCT event_id) FROM event_deliveries"), kEvents);
  EXPECT_EQ(count("SELECT count(*) FROM pending_events"), 0);
}

// --- deliveries --------------------------------------------------------------

TEST_F(StoreTest, LeaseDueLeavesTheSkippedTargetsForLater) {
  NewDelivery slow = delivery("e1");
  slow.target_arn = "arn:cloudlet:usermgmt:us-east-1:1:server/10.0.0.1:1";
  add_deliveries({slow, delivery("e2")});
  auto leased = store_.lease_due("w", 10, seconds(30), kT0, {slow.target_arn, "x\"y{}"});
  ASSERT_TRUE(leased.ok()) << leased.error().message;
  ASSERT_EQ(leased->size(), 1u);
  EXPECT_EQ(leased->front().event_id, "e2");
  auto later = store_.lease_due("w", 10, seconds(30), kT0);
  ASSERT_TRUE(later.ok());
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ(later->front().event_id, "e1");
}

TEST_F(StoreTest, LeaseDueTakesOnlyDueDeliveriesAndHoldsThemUntilTheLeaseExpires) {
  add_deliveries({delivery("e1"), delivery("e2")});
  auto first = store_.lease_due("w1", 1, seconds(30), kT0);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->size(), 1u);
  const Delivery& d = first->front();
  EXPECT_EQ(d.event_id, "e1");
  EXPECT_EQ(d.bus, "default");
  EXPECT_EQ(d.rule, "r");
  EXPECT_EQ(d.target_id, "t1");
  EXPECT_EQ(d.target_arn, "arn:aws:lambda:us-east-1:1:function:f");
  EXPECT_EQ(d.payload, R"({"p":1})");
  EXPECT_EQ(d.max_retry_attempts, 3);
  EXPECT_EQ(d.max_event_age_s, 600);
  EXPECT_EQ(d.dead_letter_arn, "arn:aws:sqs:us-east-1:1:dlq");
  EXPECT_EQ(d.ingested_at, kT0);
  EXPECT_EQ(d.attempts, 0);

  // Before now nothing is due; the leased one is not due for anyone.
  auto early = store_.lease_due("w2", 10, seconds(30), kT0 - seconds(1));
  ASSERT_TRUE(early.ok());
  EXPECT_THAT(*early, IsEmpty());
  auto second = store_.lease_due("w2", 10, seconds(30), kT0 + seconds(29));
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ(second->front().event_id, "e2");

  auto next = store_.next_due();
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ(**next, kT0 + seconds(30));  // when w1's lease expires

  // The lease expired: another worker may take it.
  auto retaken = store_.lease_due("w3", 10, seconds(30), kT0 + seconds(30));
  ASSERT_TRUE(retaken.ok());
  ASSERT_EQ(retaken->size(), 1u);
  EXPECT_EQ(retaken->front().id, d.id);
  // w1 lost it: its completion changes nothing.
  EXPECT_EQ(code_of(store_.complete_delivery(d.id, "w1")), ErrorCode::kNotFound);
  EXPECT_EQ(count("SELECT count(*) FROM event_deliveries"), 2);
  EXPECT_TRUE(store_.complete_delivery(d.id, "w3").ok());
  EXPECT_EQ(count("SELECT count(*) FROM event_deliveries"), 1);
  EXPECT_EQ(code_of(store_.complete_delivery(d.id, "w3")), ErrorCode::kNotFound);
}

TEST_F(StoreTest, LeasesGoEarliestDueFirstUpToTheLimit) {
  add_deliveries({delivery("e1"), delivery("e2"), delivery("e3")});
  auto all = store_.lease_due("w", 10, milliseconds(1), kT0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  // e3 due first, then e1; e2 later.
  ASSERT_TRUE(store_.retry_delivery((*all)[2].id, "w", kT0 + seconds(1), "X", "x").ok());
  ASSERT_TRUE(store_.retry_delivery((*all)[0].id, "w", kT0 + seconds(2), "X", "x").ok());
  ASSERT_TRUE(store_.retry_delivery((*all)[1].id, "w", kT0 + seconds(9), "X", "x").ok());
  auto two = store_.lease_due("w", 2, seconds(1), kT0 + seconds(10));
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  std::set<std::string> got{(*two)[0].event_id, (*two)[1].event_id};
  EXPECT_EQ(got, (std::set<std::string>{"e1", "e3"}));
}

TEST_F(StoreTest, ConcurrentLeasesNeverHandOneDeliveryToTwoWorkers) {
  std::vector<NewDelivery> many;
  for (int i = 0; i < 400; ++i) many.push_back(delivery("e" + std::to_string(i)));
  add_deliveries(many);
  std::mutex mu;
  std::map<std::int64_t, int> leased;
  auto worker = [&](std::string owner) {
    pg::Pool pool({.url = url_, .size = 1});
    EventStore store(pool);
    for (;;) {
      auto got = store.lease_due(owner, 7, seconds(60), kT0);
      ASSERT_TRUE(got.ok()) << got.error().message;
      if (got->empty()) return;
      std::lock_guard lock(mu);
      for (const Delivery& d : *got) ++leased[d.id];
    }
  };
  std::thread a(worker, "a"), b(worker, "b"), c(worker, "c");
  a.join();
  b.join();
  c.join();
  EXPECT_EQ(leased.size(), 400u);
  for (const auto& [id, times] : leased) EXPECT_EQ(times, 1) << id;
}

TEST_F(StoreTest, RetryCountsTheAttemptRecordsTheErrorAndFreesTheLease) {
  add_deliveries({delivery("e1")});
  auto leased = store_.lease_due("w1", 1, seconds(30), kT0);
  ASSERT_TRUE(leased.ok() && leased->size() == 1);
  std::int64_t id = leased->front().id;

  EXPECT_EQ(code_of(store_.retry_delivery(id, "w2", kT0, "X", "x")), ErrorCode::kNotFound);
  EXPECT_EQ(count("SELECT attempts FROM event_deliveries"), 0);

  ASSERT_TRUE(store_.retry_delivery(id, "w1", kT0 + seconds(5), "THROTTLING", "slow down").ok());
  auto row = pool_.query(
      "SELECT attempts, last_error_code, last_error, lease_owner IS NULL, lease_until IS NULL"
      " FROM event_deliveries");
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->text(0, 0), "1");
  EXPECT_EQ(row->text(0, 1), "THROTTLING");
  EXPECT_EQ(row->text(0, 2), "slow down");
  EXPECT_EQ(row->text(0, 3), "t");
  EXPECT_EQ(row->text(0, 4), "t");
  // The old owner cannot act on it any more.
  EXPECT_EQ(code_of(store_.complete_delivery(id, "w1")), ErrorCode::kNotFound);

  auto next = store_.next_due();
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ(**next, kT0 + seconds(5));
  auto too_early = store_.lease_due("w2", 1, seconds(30), kT0 + seconds(4));
  ASSERT_TRUE(too_early.ok());
  EXPECT_THAT(*too_early, IsEmpty());
  auto again = store_.lease_due("w2", 1, seconds(30), kT0 + seconds(5));
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ(again->front().attempts, 1);
}

TEST_F(StoreTest, NextDueIsEmptyWithoutDeliveries) {
  auto next = store_.next_due();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
}

TEST_F(StoreTest, DeadLetteringMovesTheRowWithItsAttributes) {
  NewDelivery no_dlq = delivery("e2");
  no_dlq.dead_letter_arn = std::nullopt;
  ASSERT_TRUE(store_.create_bus("orders", "").ok());
  NewDelivery other_bus = delivery("e3");
  other_bus.bus = "orders";
  add_deliveries({delivery("e1"), no_dlq, other_bus});

  // e1 fails twice, then is given up on.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto leased = store_.lease_due("w", 1, seconds(30), kT0 + seconds(attempt));
    ASSERT_TRUE(leased.ok() && leased->size() == 1);
    ASSERT_EQ(leased->front().event_id, "e1");
    ASSERT_TRUE(
        store_.retry_delivery(leased->front().id, "w", kT0 - seconds(10), "TIMEOUT", "t").ok());
  }
  auto leased = store_.lease_due("w", 10, seconds(30), kT0 + seconds(2));
  ASSERT_TRUE(leased.ok() && leased->size() == 3);
  std::map<std::string, std::int64_t> id_of;
  for (const Delivery& d : *leased) id_of[d.event_id] = d.id;

  EXPECT_EQ(code_of(store_.dead_letter_delivery(id_of["e1"], "intruder", "arn:rule", "X", "x",
                                                std::nullopt)),
            ErrorCode::kNotFound);
  EXPECT_EQ(count("SELECT count(*) FROM event_dead_letters"), 0);

  ASSERT_TRUE(store_
                  .dead_letter_delivery(id_of["e1"], "w", "arn:aws:events:us-east-1:1:rule/r",
                                        "TIMEOUT", "no answer", "MaximumRetryAttempts",
                                        kT0 + seconds(3))
                  .ok());
  ASSERT_TRUE(store_
                  .dead_letter_delivery(id_of["e2"], "w", "arn:rule2", "NO_PERMISSIONS", "denied",
                                        std::nullopt, kT0 + seconds(4))
                  .ok());
  ASSERT_TRUE(
      store_
          .dead_letter_delivery(id_of["e3"], "w", "arn:rule3", "NO_RESOURCE", "gone", std::nullopt)
          .ok());
  EXPECT_EQ(count("SELECT count(*) FROM event_deliveries"), 0);
  EXPECT_EQ(code_of(store_.complete_delivery(id_of["e1"], "w")), ErrorCode::kNotFound);

  auto all = store_.list_dead_letters(std::nullopt, 0, 10);
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 3u);
  const DeadLetter& d = (*all)[0];
  EXPECT_EQ(d.event_id, "e1");
  EXPECT_EQ(d.bus, "default");
  EXPECT_EQ(d.rule, "r");
  EXPECT_EQ(d.target_id, "t1");
  EXPECT_EQ(d.target_arn, "arn:aws:lambda:us-east-1:1:function:f");
  EXPECT_EQ(d.payload, R"({"p":1})");
  EXPECT_EQ(d.dead_letter_arn, "arn:aws:sqs:us-east-1:1:dlq");
  EXPECT_EQ(d.rule_arn, "arn:aws:events:us-east-1:1:rule/r");
  EXPECT_EQ(d.error_code, "TIMEOUT");
  EXPECT_EQ(d.error_message, "no answer");
  EXPECT_EQ(d.exhausted_retry_condition, "MaximumRetryAttempts");
  EXPECT_EQ(d.retry_attempts, 2);
  EXPECT_EQ(d.ingested_at, kT0);
  EXPECT_EQ(d.dead_at, kT0 + seconds(3));
  const DeadLetter& second = (*all)[1];
  EXPECT_EQ(second.event_id, "e2");
  EXPECT_EQ(second.dead_letter_arn, std::nullopt);
  EXPECT_EQ(second.exhausted_retry_condition, std::nullopt);
  EXPECT_EQ(second.retry_attempts, 0);

  auto page = store_.list_dead_letters(std::nullopt, d.id, 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ(page->front().event_id, "e2");
  auto orders = store_.list_dead_letters("orders", 0, 10);
  ASSERT_TRUE(orders.ok());
  ASSERT_EQ(orders->size(), 1u);
  EXPECT_EQ(orders->front().event_id, "e3");

  // Retention: oldest first (e3 died at the real now, before kT0), at most
  // `limit` per call, never one stored at or after `before`.
  const auto before = kT0 + std::chrono::milliseconds(3500);
  auto first = store_.expire_dead_letters(before, 1);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(*first, 1);
  EXPECT_EQ(count("SELECT count(*) FROM event_dead_letters WHERE event_id = 'e3'"), 0);
  auto rest = store_.expire_dead_letters(before, 10);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, 1);
  auto left = store_.list_dead_letters(std::nullopt, 0, 10);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().event_id, "e2");
}

// --- schedules ---------------------------------------------------------------

TEST_F(StoreTest, AScheduleInstantIsClaimedOnce) {
  ASSERT_TRUE(store_.put_rule(rule("default", "tick"), 300).ok());
  const std::chrono::sys_seconds t{std::chrono::seconds(1'800'000'000)};
  auto none = store_.last_schedule_fire("default", "tick");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  auto first = store_.claim_schedule_fire("default", "tick", t);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(*first);
  auto second = store_.claim_schedule_fire("default", "tick", t);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second);
  auto next = store_.claim_schedule_fire("default", "tick", t + seconds(60));
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(*next);

  auto last = store_.last_schedule_fire("default", "tick");
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ(**last, t + seconds(60));
  EXPECT_EQ(code_of(store_.claim_schedule_fire("default", "absent", t)), ErrorCode::kNotFound);
}

TEST_F(StoreTest, ABatchStopsAtItsPayloadBudgetAndLeavesTheRestPending) {
  std::vector<NewEvent> events;
  for (int i = 0; i < 5; ++i) events.push_back(event("big" + std::to_string(i)));
  ASSERT_TRUE(store_.append_events(events).ok());
  auto fan_out = [](const PendingEvent& p) {
    NewDelivery d = delivery(p.event.event_id);
    d.payload = std::string(1000, 'x');
    return std::vector<NewDelivery>{d, d};  // 2000 bytes per event
  };
  auto first = store_.route_pending(100, fan_out, Clock::now(), 3000);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(*first, 2u) << "the second event passes the budget; the third waits";
  auto lone = store_.route_pending(100, fan_out, Clock::now(), 10);
  ASSERT_TRUE(lone.ok());
  EXPECT_EQ(*lone, 1u) << "one event always goes, however big";
  auto rest = store_.route_pending(100, fan_out);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, 2u);
}

TEST_F(StoreTest, FiringAScheduleStoresItsEventOnlyForTheWinner) {
  ASSERT_TRUE(store_.put_rule(rule("default", "tick"), 300).ok());
  const std::chrono::sys_seconds t{std::chrono::seconds(1'800'000'000)};
  NewEvent e = event("scheduled-1");
  e.only_rule = "tick";
  auto first = store_.fire_schedule("default", "tick", t, e);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(*first);
  NewEvent again = event("scheduled-2");
  again.only_rule = "tick";
  auto second = store_.fire_schedule("default", "tick", t, again);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second);
  // Exactly the winner's event is in the inbox, addressed to its rule; a
  // plain event is addressed to none.
  ASSERT_TRUE(store_.append_events({event("plain")}).ok());
  std::vector<PendingEvent> seen;
  auto routed = store_.route_pending(10, [&](const PendingEvent& p) {
    seen.push_back(p);
    return std::vector<NewDelivery>{};
  });
  ASSERT_TRUE(routed.ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].event.event_id, "scheduled-1");
  EXPECT_EQ(seen[0].event.only_rule, "tick");
  EXPECT_EQ(seen[1].event.event_id, "plain");
  EXPECT_FALSE(seen[1].event.only_rule);
  EXPECT_EQ(code_of(store_.fire_schedule("default", "absent", t, e)), ErrorCode::kNotFound);
}

TEST_F(StoreTest, ConcurrentClaimsOfOneInstantHaveExactlyOneWinner) {
  ASSERT_TRUE(store_.put_rule(rule("default", "tick"), 300).ok());
  const std::chrono::sys_seconds t{std::chrono::seconds(1'800'000'000)};
  for (int round = 0; round < 5; ++round) {
    std::latch start(6);
    std::atomic<int> won{0}, failed{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 6; ++i) {
      threads.emplace_back([&] {
        pg::Pool pool({.url = url_, .size = 1});
        EventStore store(pool);
        EXPECT_TRUE(pool.ping().ok());
        start.arrive_and_wait();
        auto claimed = store.claim_schedule_fire("default", "tick", t + seconds(60 * round));
        if (!claimed.ok()) ++failed;
        if (claimed.ok() && *claimed) ++won;
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(won.load(), 1) << "round " << round;
    EXPECT_EQ(failed.load(), 0);
  }
}

TEST_F(StoreTest, OldClaimsAreForgottenAndDeletingTheRuleForgetsAll) {
  ASSERT_TRUE(store_.put_rule(rule("default", "tick"), 300).ok());
  ASSERT_TRUE(store_.put_rule(rule("default", "other"), 300).ok());
  const std::chrono::sys_seconds t{std::chrono::seconds(1'800'000'000)};
  ASSERT_TRUE(*store_.claim_schedule_fire("default", "tick", t));
  ASSERT_TRUE(*store_.claim_schedule_fire("default", "other", t));
  ASSERT_TRUE(*store_.claim_schedule_fire("default", "tick", t + std::chrono::days(6)));
  EXPECT_EQ(count("SELECT count(*) FROM event_schedule_fires WHERE rule = 'tick'"), 2);
  ASSERT_TRUE(*store_.claim_schedule_fire("default", "tick", t + std::chrono::days(8)));
  EXPECT_EQ(count("SELECT count(*) FROM event_schedule_fires WHERE rule = 'tick'"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM event_schedule_fires WHERE rule = 'other'"), 1);

  ASSERT_TRUE(store_.delete_rule("default", "tick").ok());
  EXPECT_EQ(count("SELECT count(*) FROM event_schedule_fires WHERE rule = 'tick'"), 0);
}

}  // namespace
}  // namespace cloudlet::events
