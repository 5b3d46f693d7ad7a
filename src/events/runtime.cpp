#include "events/runtime.hpp"

#include <unistd.h>

#include <random>

#include "core/log.hpp"
#include "core/uuid.hpp"
#include "events/entry.hpp"
#include "events/names.hpp"
#include "events/target_arn.hpp"

namespace cloudlet::events {

EventBusRuntime::EventBusRuntime(RuntimeSettings settings, EventStore& store)
    : settings_(std::move(settings)),
      store_(store),
      targets_(settings_.targets, settings_.target_timeout, settings_.functions) {
  // A lease must outlast the longest attempt, or another worker takes the
  // delivery while it runs and a command runs twice: a Run Command
  // delivery runs up to its time limit plus two kill graces.
  const auto longest = std::max(settings_.target_timeout,
                                settings_.targets.run_command.timeout + std::chrono::seconds(10));
  settings_.lease = std::max(settings_.lease, longest + std::chrono::seconds(30));
  if (settings_.owner.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    settings_.owner = std::string(host) + ":" + std::to_string(getpid()) + ":" + random_uuid();
  }
  table_.store(std::make_shared<const RoutingTable>());
}

EventBusRuntime::~EventBusRuntime() { stop(); }

void EventBusRuntime::start() {
  if (running_.exchange(true)) return;
  threads_.emplace_back([this] { route_loop(); });
  for (std::size_t i = 0; i < settings_.delivery_workers; ++i)
    threads_.emplace_back([this] { deliver_loop(); });
  threads_.emplace_back([this] { schedule_loop(); });
}

void EventBusRuntime::stop() {
  if (!running_.exchange(false)) return;
  // Taking the mutex once orders the flag before any waiter's next check,
  // so none sleeps through the notify.
  { std::lock_guard lock(mutex_); }
  route_cv_.notify_all();
  deliver_cv_.notify_all();
  schedule_cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void EventBusRuntime::wake() {
  {
    std::lock_guard lock(mutex_);
    route_wanted_ = true;
  }
  route_cv_.notify_one();
}

RuntimeStats EventBusRuntime::stats() const {
  return {routed_.load(), delivered_.load(), retried_.load(), dead_.load(), fired_.load()};
}

void EventBusRuntime::wait(std::condition_variable& cv, std::atomic<bool>& flag,
                           std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  cv.wait_for(lock, d, [&] { return flag.load() || !running_.load(); });
  flag = false;
}

std::shared_ptr<const RoutingTable> EventBusRuntime::table() {
  auto current = table_.load();
  auto version = store_.version();
  if (!version.ok()) return current;
  if (*version == current->version() && *version != 0) return current;
  auto snapshot = store_.load_snapshot();
  if (!snapshot.ok()) {
    log::warn("events.snapshot_failed", {{"error", snapshot.error().message}});
    return current;
  }
  auto fresh = std::make_shared<const RoutingTable>(
      RoutingTable::build(*snapshot, settings_.region, settings_.account_id));
  for (const auto& why : fresh->skipped()) log::warn("events.rule_skipped", {{"why", why}});
  table_.store(fresh);
  return fresh;
}

void EventBusRuntime::route_loop() {
  while (running_) {
    auto t = table();
    auto routed = store_.route_pending(
        settings_.route_batch, [&](const PendingEvent& e) { return t->route(e); }, now());
    if (!routed.ok()) {
      log::warn("events.route_failed", {{"error", routed.error().message}});
      wait(route_cv_, route_wanted_, settings_.poll);
      continue;
    }
    if (*routed > 0) {
      routed_ += *routed;
      {
        std::lock_guard lock(mutex_);
        deliver_wanted_ = true;
      }
      deliver_cv_.notify_all();
      continue;  // more may be waiting
    }
    wait(route_cv_, route_wanted_, settings_.poll);
  }
}

void EventBusRuntime::deliver_loop() {
  const std::size_t per_target = settings_.max_deliveries_per_target != 0
                                     ? settings_.max_deliveries_per_target
                                     : std::max<std::size_t>(1, settings_.delivery_workers / 2);
  while (running_) {
    Result<std::vector<Delivery>> leased = std::vector<Delivery>{};
    {
      std::lock_guard lock(lease_mutex_);
      std::vector<std::string> saturated;
      for (const auto& [arn, count] : in_flight_)
        if (count >= per_target) saturated.push_back(arn);
      leased = store_.lease_due(settings_.owner, 1, settings_.lease, now(), saturated);
      if (leased.ok() && !leased->empty()) ++in_flight_[leased->front().target_arn];
    }
    if (!leased.ok()) {
      log::warn("events.lease_failed", {{"error", leased.error().message}});
      wait(deliver_cv_, deliver_wanted_, settings_.poll);
      continue;
    }
    if (leased->empty()) {
      wait(deliver_cv_, deliver_wanted_, settings_.poll);
      continue;
    }
    deliver(leased->front());
    bool had_no_room = false;
    {
      std::lock_guard lock(lease_mutex_);
      auto it = in_flight_.find(leased->front().target_arn);
      if (it != in_flight_.end()) {
        had_no_room = it->second >= per_target;
        if (--it->second == 0) in_flight_.erase(it);
      }
    }
    if (had_no_room) deliver_cv_.notify_all();  // its waiting deliveries may go now
  }
}

void EventBusRuntime::deliver(const Delivery& d) {
  const std::optional<AttemptFailure> failure = targets_.deliver(d, now());
  const auto rule_arn_text = rule_arn(settings_.region, settings_.account_id, d.bus, d.rule);
  if (!failure) {
    if (Status s = store_.complete_delivery(d.id, settings_.owner); !s.ok())
      log::warn("events.complete_failed", {{"error", s.error().message}});
    ++delivered_;
    log::debug("events.delivered",
               {{"eventId", d.event_id}, {"rule", rule_arn_text}, {"target", d.target_id}});
    return;
  }
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const double draw = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  auto decision =
      decide_after_failure(*failure, d.attempts, d.max_retry_attempts, d.max_event_age_s,
                           d.ingested_at, now(), settings_.backoff, draw);
  log::warn("events.delivery_failed", {{"eventId", d.event_id},
                                       {"rule", rule_arn_text},
                                       {"target", d.target_id},
                                       {"attempt", d.attempts + 1},
                                       {"errorCode", failure->error_code},
                                       {"error", failure->message},
                                       {"deadLetter", decision.dead_letter}});
  if (decision.dead_letter) {
    std::optional<std::string_view> condition;
    if (decision.exhausted_retry_condition) condition = *decision.exhausted_retry_condition;
    Status s = store_.dead_letter_delivery(d.id, settings_.owner, rule_arn_text,
                                           failure->error_code, failure->message, condition, now());
    if (!s.ok()) log::warn("events.dead_letter_failed", {{"error", s.error().message}});
    ++dead_;
    return;
  }
  Status s = store_.retry_delivery(d.id, settings_.owner, decision.next_attempt_at,
                                   failure->error_code, failure->message);
  if (!s.ok()) log::warn("events.retry_failed", {{"error", s.error().message}});
  ++retried_;
}

void EventBusRuntime::schedule_loop() {
  while (running_) {
    if (settings_.schedules) fire_due_schedules(*table());
    expire_dead_letters();
    wait(schedule_cv_, unused_, settings_.schedule_tick);
  }
}

void EventBusRuntime::expire_dead_letters() {
  if (settings_.dead_letter_retention.count() == 0) return;
  const auto steady = std::chrono::steady_clock::now();
  if (steady < next_retention_check_) return;
  next_retention_check_ = steady + settings_.retention_check;
  // In slices, so that a large backlog never holds one long transaction.
  const auto before = now() - settings_.dead_letter_retention;
  for (int slice = 0; slice < 100 && running_; ++slice) {
    auto deleted = store_.expire_dead_letters(before, 1000);
    if (!deleted.ok()) {
      log::warn("events.retention_failed", {{"error", deleted.error().message}});
      return;
    }
    if (*deleted > 0) log::info("events.dead_letters_expired", {{"deleted", *deleted}});
    if (*deleted < 1000) return;
  }
}

void EventBusRuntime::fire_due_schedules(const RoutingTable& table) {
  const auto t = std::chrono::floor<std::chrono::seconds>(now());
  for (const auto& scheduled : table.schedules()) {
    const RoutedRule& rule = table.rules()[scheduled.rule];
    const std::string key = rule.bus + "/" + rule.name;
    // Where to look from: the last instant fired (this process's memory,
    // else the store's), or the last minute for a rule never fired.
    std::chrono::sys_seconds from =
        std::chrono::floor<std::chrono::minutes>(t) - std::chrono::minutes(1);
    if (auto it = last_fired_.find(key); it != last_fired_.end()) {
      from = std::chrono::floor<std::chrono::seconds>(it->second);
    } else if (auto last = store_.last_schedule_fire(rule.bus, rule.name); last.ok() && *last) {
      from = std::max(**last, from - std::chrono::hours(24));
    }
    // The latest instant in (from, t], looking back at most a day: an
    // outage costs a bounded walk and fires once.
    std::optional<std::chrono::sys_seconds> latest;
    auto cursor = from;
    for (int steps = 0; steps < 2000; ++steps) {
      auto next = next_fire_after(scheduled.schedule, cursor, std::chrono::sys_seconds{});
      if (!next || *next > t) break;
      latest = *next;
      cursor = *next;
    }
    if (!latest) continue;
    last_fired_[key] = *latest;
    PutEventsEntry entry;
    entry.source = "aws.events";
    entry.detail_type = "Scheduled Event";
    entry.detail = "{}";
    entry.resources = {rule.arn};
    entry.time = *latest;
    NewEvent event;
    event.bus = rule.bus;
    event.event_id = random_uuid();
    event.envelope_json =
        make_event_envelope(entry, event.event_id, settings_.account_id, settings_.region, *latest);
    event.ingested_at = now();
    event.only_rule = rule.name;
    // Claim and event in one statement: only one process fires an instant,
    // and a claimed instant always has its event.
    auto fired = store_.fire_schedule(rule.bus, rule.name, *latest, event);
    if (!fired.ok()) {
      log::warn("events.schedule_fire_failed",
                {{"rule", rule.arn}, {"error", fired.error().message}});
      last_fired_.erase(key);
      continue;
    }
    if (!*fired) continue;  // another process fired it
    ++fired_;
    log::info("events.schedule_fired", {{"rule", rule.arn}, {"eventId", event.event_id}});
    wake();
  }
}

}  // namespace cloudlet::events
