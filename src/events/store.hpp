// The event bus's PostgreSQL store (db/migrations/0006_event_bus.sql): bus,
// rule and target configuration, the durable inbox, deliveries owed to
// targets, dead letters and schedule fires. README.md ("Store") says why each
// table exists and what holds across processes.
//
// Contract:
// - Every call blocks (one or a few round trips): call it from a worker
//   thread, never an I/O thread. Thread-safe: it only holds the pool.
// - Errors are the pool's (core/pg_pool.hpp, "What a failure says"): for a
//   write, kUnknown means it may or may not have been applied; reads turn
//   kUnknown into kUnavailable. The store's own codes are listed per call.
// - Names and values are not validated here beyond what the schema checks
//   (a bad rule state is kInvalidArgument from its CHECK): the API validates.
// - Times the store compares (due, lease expiry) come from the caller (the
//   `now` parameters, defaulting to the system clock), so one clock decides;
//   created/modified/fired times are the server's, for display only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/pg_pool.hpp"
#include "core/result.hpp"

namespace cloudlet::events {

using Clock = std::chrono::system_clock;

// Payload bytes one routing transaction may insert (route_pending).
inline constexpr std::size_t kDefaultRouteBatchBytes = 64 * 1024 * 1024;

struct BusRecord {
  std::string name, description;
  std::chrono::sys_seconds created_at, modified_at;
};

struct RuleRecord {
  std::string bus, name;
  std::optional<std::string> event_pattern, schedule_expression;
  std::string state = "ENABLED", description, role_arn, managed_by;
};

struct TargetRecord {
  std::string id, arn;
  std::string spec_json;  // the whole target object (stored as jsonb: key order may change)
};

struct NewEvent {
  std::string bus, event_id, envelope_json;
  Clock::time_point ingested_at;
  // Set for a schedule's event: only this rule of `bus` receives it.
  std::optional<std::string> only_rule;
};

struct PendingEvent {
  std::int64_t seq = 0;
  NewEvent event;
};

struct NewDelivery {
  std::string event_id, bus, rule, target_id, target_arn, payload;
  int max_retry_attempts = 185;
  int max_event_age_s = 86400;
  std::optional<std::string> dead_letter_arn;
  Clock::time_point ingested_at;
};

struct Delivery : NewDelivery {
  std::int64_t id = 0;
  int attempts = 0;  // failed attempts so far (retry_delivery calls)
};

struct DeadLetter {
  std::int64_t id = 0;
  std::string event_id, bus, rule, target_id, target_arn, payload;
  std::optional<std::string> dead_letter_arn;
  std::string rule_arn, error_code, error_message;
  std::optional<std::string> exhausted_retry_condition;
  int retry_attempts = 0;
  Clock::time_point ingested_at, dead_at;
};

class EventStore {
 public:
  explicit EventStore(pg::Pool& pool) : pool_(pool) {}

  // --- buses ---
  // kAlreadyExists for a taken name.
  Result<BusRecord> create_bus(std::string_view name, std::string_view description);
  Result<std::optional<BusRecord>> find_bus(std::string_view name);
  // Name order, names > after_name starting with prefix (both may be empty).
  Result<std::vector<BusRecord>> list_buses(std::string_view prefix, std::string_view after_name,
                                            int limit);
  // kNotFound unknown; kFailedPrecondition while it has rules; kInvalidArgument
  // for "default".
  Status delete_bus(std::string_view name);

  // --- rules (each change bumps version() in its transaction) ---
  // Creates or replaces every member (AWS PutRule). kNotFound: no such bus;
  // kResourceExhausted: a new rule on a bus that has max_rules_per_bus already.
  // Returns the rule as stored.
  Result<RuleRecord> put_rule(const RuleRecord& rule, int max_rules_per_bus);
  Result<std::optional<RuleRecord>> find_rule(std::string_view bus, std::string_view name);
  // Name order (keyset paging). kNotFound: no such bus.
  Result<std::vector<RuleRecord>> list_rules(std::string_view bus, std::string_view prefix,
                                             std::string_view after_name, int limit);
  // Ok when the rule is absent; kNotFound: no such bus; kFailedPrecondition:
  // the rule still has targets.
  Status delete_rule(std::string_view bus, std::string_view name);
  // kNotFound when the rule is absent.
  Status set_rule_state(std::string_view bus, std::string_view name, std::string_view state);

  // --- targets (each change bumps version()) ---
  // Upserts by id; a replaced target keeps its first position; a repeated id
  // in `targets` counts once, the last one wins. kNotFound: no such rule;
  // kResourceExhausted: the rule would have more than max_targets_per_rule
  // (checked with the rule row locked, so concurrent calls cannot overshoot).
  Status put_targets(std::string_view bus, std::string_view rule,
                     const std::vector<TargetRecord>& targets, int max_targets_per_rule);
  // Insertion order, after the target `after_id` (empty: from the start).
  // kNotFound: no such rule; kInvalidArgument: after_id is not on the rule
  // (removed since the previous page: a stale page token).
  Result<std::vector<TargetRecord>> list_targets(std::string_view bus, std::string_view rule,
                                                 std::string_view after_id, int limit);
  // Returns the ids that were not on the rule, in request order. kNotFound:
  // no such rule.
  Result<std::vector<std::string>> remove_targets(std::string_view bus, std::string_view rule,
                                                  const std::vector<std::string>& ids);

  // --- what a router needs to rebuild its matcher ---
  struct Snapshot {
    std::int64_t version = 0;
    // Every rule of every bus (bus, name order) with its targets (insertion order).
    std::vector<std::pair<RuleRecord, std::vector<TargetRecord>>> rules;
  };
  // The version and the rules read in one snapshot (REPEATABLE READ).
  Result<Snapshot> load_snapshot();
  // One cheap row; poll it and call load_snapshot() when it changes.
  Result<std::int64_t> version();

  // --- the inbox ---
  // One statement (so one commit) for the whole batch. Returns the seqs in
  // input order; they increase in input order.
  Result<std::vector<std::int64_t>> append_events(const std::vector<NewEvent>& events);

  using RouteFn = std::function<std::vector<NewDelivery>(const PendingEvent&)>;
  // In one transaction: locks up to `limit` pending events (seq order, FOR
  // UPDATE SKIP LOCKED), calls `route` on each (it must be pure and quick:
  // matching and rendering in memory), inserts every delivery it returns (due
  // at `now`) and deletes the events. Returns how many events were routed.
  // Concurrent routers never route one event twice; a failure before commit
  // leaves the events to be routed again. kUnknown (connection lost at
  // COMMIT): they may have been routed, and if not they will be again, so a
  // delivery can be duplicated but never lost (at-least-once).
  // ingested_at comes back at microsecond precision (timestamptz). A batch
  // ends early once its deliveries carry `max_batch_bytes` of payload (the
  // rest stay pending for the next call; the first event always goes).
  Result<std::size_t> route_pending(std::size_t limit, const RouteFn& route,
                                    Clock::time_point now = Clock::now(),
                                    std::size_t max_batch_bytes = kDefaultRouteBatchBytes);

  // --- deliveries ---
  // Leases up to `limit` due deliveries (next_attempt_at <= now, earliest
  // first) to `owner` until now + lease: until then they are not due for
  // anyone else; when the lease expires they are due again. `owner` must be
  // unique per worker (e.g. host, pid and worker number): ownership is all
  // that complete/retry/dead-letter check. Deliveries to the target ARNs in
  // `skip_targets` are left for later (targets already at their limit of
  // deliveries in flight).
  Result<std::vector<Delivery>> lease_due(std::string_view owner, std::size_t limit,
                                          std::chrono::milliseconds lease,
                                          Clock::time_point now = Clock::now(),
                                          const std::vector<std::string>& skip_targets = {});
  // Deletes the delivery (it was delivered). kNotFound, changing nothing,
  // when it is not leased to `owner` (its lease expired and another worker
  // took it, or it is gone).
  Status complete_delivery(std::int64_t id, std::string_view owner);
  // Counts a failed attempt, records the error, frees the lease and makes the
  // delivery due at next_attempt_at. kNotFound as complete_delivery.
  Status retry_delivery(std::int64_t id, std::string_view owner, Clock::time_point next_attempt_at,
                        std::string_view error_code, std::string_view error_message);
  // Moves the delivery to the dead letters in one statement, with
  // retry_attempts = its attempts so far. kNotFound as complete_delivery.
  Status dead_letter_delivery(std::int64_t id, std::string_view owner, std::string_view rule_arn,
                              std::string_view error_code, std::string_view error_message,
                              std::optional<std::string_view> exhausted_retry_condition,
                              Clock::time_point now = Clock::now());
  // Id order, ids > after_id, of one bus or (nullopt) all.
  Result<std::vector<DeadLetter>> list_dead_letters(std::optional<std::string_view> bus,
                                                    std::int64_t after_id, int limit);
  // Deletes up to `limit` dead letters stored before `before` (retention:
  // events.dead_letter_retention_days); the number deleted.
  Result<std::int64_t> expire_dead_letters(Clock::time_point before, int limit);
  // When the earliest delivery becomes due (a leased one: when its lease
  // expires), to sleep until then; nullopt when there is none.
  Result<std::optional<Clock::time_point>> next_due();

  // --- schedules ---
  // True when this call claimed (bus, rule, instant) first: only then fire.
  // kNotFound when the rule does not exist. Claims more than 7 days
  // older than the rule's newest claim are forgotten (the table stays small),
  // so never claim instants that old.
  Result<bool> claim_schedule_fire(std::string_view bus, std::string_view rule,
                                   std::chrono::sys_seconds instant);
  // claim_schedule_fire and, when this caller won the instant, `event` into
  // the inbox, in one statement: an instant is never claimed without its
  // event stored, nor fired twice.
  Result<bool> fire_schedule(std::string_view bus, std::string_view rule,
                             std::chrono::sys_seconds instant, const NewEvent& event);
  Result<std::optional<std::chrono::sys_seconds>> last_schedule_fire(std::string_view bus,
                                                                     std::string_view rule);

 private:
  pg::Pool& pool_;
};

}  // namespace cloudlet::events
