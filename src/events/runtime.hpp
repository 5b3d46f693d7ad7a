// The event bus's background work, against the store: routing accepted
// events into deliveries, delivering them to targets with retries and the
// dead-letter store, and firing schedules. Any number of processes may run
// it on one database: the store's row locks and leases divide the work
// (spec §5; store.hpp says how).
//
// Threads: one router, `delivery_workers` deliverers (each holds one
// delivery at a time, and one target ARN holds at most
// `max_deliveries_per_target` of them, so a slow target ties up some
// workers, never all of them), one scheduler (which also deletes expired dead letters).
//
// Schedules: each tick, per enabled scheduled rule, the latest instant at or
// before now that has not fired yet is claimed in the store (only one
// process wins an instant) and fired once. A process that was down fires the
// latest missed instant once, not the backlog (AWS does not backfill
// either). `rate()` instants count from the Unix epoch, floored to the
// minute: rate(5 minutes) fires at :00, :05, … [AWS counts from the rule's
// creation; unconfirmed in what detail].
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "events/retry_policy.hpp"
#include "events/routing_table.hpp"
#include "events/store.hpp"
#include "events/targets.hpp"

namespace cloudlet::events {

struct RuntimeSettings {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  std::string owner;                    // this process in leases ("host:pid"); empty: generated
  std::chrono::milliseconds poll{200};  // idle wait between store scans
  std::size_t route_batch = 500;        // events per routing transaction
  std::size_t delivery_workers = 8;
  // Deliveries one target ARN may have in flight in this process at once,
  // so that a slow target cannot take every worker
  // (events.max_deliveries_per_target); 0: half the workers, at least 1.
  std::size_t max_deliveries_per_target = 0;
  std::chrono::milliseconds lease{60000};           // a delivery held by a worker
  std::chrono::milliseconds target_timeout{10000};  // one attempt (Run Command: its own)
  TargetPolicy targets;
  std::shared_ptr<const FunctionMap> functions;  // what function targets call
  BackoffSettings backoff;
  std::chrono::milliseconds schedule_tick{1000};
  // Dead letters older than this are deleted (events.dead_letter_retention_days;
  // zero keeps them for ever), checked every `retention_check`.
  std::chrono::hours dead_letter_retention{24 * 14};
  std::chrono::milliseconds retention_check{std::chrono::hours(1)};
  bool schedules = true;
  std::function<Clock::time_point()> clock;  // unset: system clock (tests inject)
};

struct RuntimeStats {
  std::uint64_t routed_events = 0, delivered = 0, retried = 0, dead_lettered = 0, fired = 0;
};

class EventBusRuntime {
 public:
  EventBusRuntime(RuntimeSettings settings, EventStore& store);
  ~EventBusRuntime();
  EventBusRuntime(const EventBusRuntime&) = delete;
  EventBusRuntime& operator=(const EventBusRuntime&) = delete;

  void start();
  // Stops every thread; a delivery in flight finishes first (its lease
  // would hand it to another process anyway).
  void stop();
  // New events were stored: route them now rather than at the next poll.
  void wake();
  RuntimeStats stats() const;

 private:
  void route_loop();
  void deliver_loop();
  void schedule_loop();
  // Reloads the routing table when the store's version moved.
  std::shared_ptr<const RoutingTable> table();
  void deliver(const Delivery& delivery);
  void fire_due_schedules(const RoutingTable& table);
  void expire_dead_letters();
  Clock::time_point now() const { return settings_.clock ? settings_.clock() : Clock::now(); }
  // Sleeps up to `d` unless woken or stopping.
  void wait(std::condition_variable& cv, std::atomic<bool>& flag, std::chrono::milliseconds d);

  RuntimeSettings settings_;
  EventStore& store_;
  TargetDeliverers targets_;
  std::mutex mutex_;
  std::condition_variable route_cv_, deliver_cv_, schedule_cv_;
  std::atomic<bool> route_wanted_{false}, deliver_wanted_{false}, unused_{false};
  std::atomic<bool> running_{false};
  std::atomic<std::shared_ptr<const RoutingTable>> table_;
  std::map<std::string, Clock::time_point> last_fired_;  // scheduler thread only
  // Deliveries in flight per target ARN; leasing happens under the same
  // mutex, so workers leasing at once cannot all pick one slow target.
  std::mutex lease_mutex_;
  std::map<std::string, std::size_t, std::less<>> in_flight_;
  std::chrono::steady_clock::time_point next_retention_check_{};  // scheduler thread only
  std::vector<std::thread> threads_;
  std::atomic<std::uint64_t> routed_{0}, delivered_{0}, retried_{0}, dead_{0}, fired_{0};
};

}  // namespace cloudlet::events
