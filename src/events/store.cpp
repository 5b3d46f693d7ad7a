// SQL for the event store. Times cross the wire as integers (microseconds or
// seconds since 1970) and are converted by the server, so neither side's
// time-zone setting can change them. Changes that must be atomic are either
// one statement (data-modifying CTEs) or an explicit transaction on a leased
// connection, rolled back when any step fails.
#include "events/store.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "events/pg_array.hpp"

namespace cloudlet::events {

namespace {

using pg::Params;
using pg::Statement;

// A timestamptz from a parameter in microseconds since 1970 (exact, unlike
// to_timestamp(double)), and the other way round.
std::string ts_param(int n) {
  return "(timestamptz 'epoch' + $" + std::to_string(n) + "::bigint * interval '1 microsecond')";
}
std::string micros_of(std::string_view column) {
  return "(extract(epoch FROM " + std::string(column) + ") * 1000000)::bigint";
}

std::int64_t micros(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}
std::string micros_text(Clock::time_point t) { return std::to_string(micros(t)); }

// Statement names share each connection with other modules: keep a prefix.
Statement statement(const char* name, std::string sql) {
  return Statement{std::string("cloudlet_ev_") + name, std::move(sql)};
}

// Reads one row's columns left to right; the first conversion error sticks.
class Cells {
 public:
  Cells(const pg::Rows& rows, int row) : rows_(rows), row_(row) {}

  std::string text() { return std::string(rows_.text(row_, col_++)); }
  std::optional<std::string> optional_text() {
    int col = col_++;
    if (rows_.is_null(row_, col)) return std::nullopt;
    return std::string(rows_.text(row_, col));
  }
  std::int64_t integer() {
    auto v = rows_.integer(row_, col_++);
    if (!v.ok()) {
      if (error_.ok()) error_ = v.error();
      return 0;
    }
    return *v;
  }
  int small_integer() { return static_cast<int>(integer()); }
  Clock::time_point time() {
    return Clock::time_point(
        std::chrono::duration_cast<Clock::duration>(std::chrono::microseconds(integer())));
  }
  std::chrono::sys_seconds seconds() {
    return std::chrono::sys_seconds(std::chrono::seconds(integer()));
  }
  const Status& status() const { return error_; }

 private:
  const pg::Rows& rows_;
  int row_;
  int col_ = 0;
  Status error_;
};

// A statement that changes nothing has a known outcome when its connection
// is lost after it was sent: nothing happened, so it may be retried.
Error read_error(Error e) {
  if (e.code == ErrorCode::kUnknown) e.code = ErrorCode::kUnavailable;
  return e;
}
Result<pg::Rows> as_read(Result<pg::Rows> result) {
  if (result.ok()) return result;
  return read_error(result.error());
}

Error no_bus(std::string_view bus) {
  return Error::not_found("Event bus " + std::string(bus) + " does not exist.");
}
Error no_rule(std::string_view bus, std::string_view rule) {
  return Error::not_found("Rule " + std::string(rule) + " does not exist on EventBus " +
                          std::string(bus) + ".");
}
Error precondition(std::string msg) {
  return Error{ErrorCode::kFailedPrecondition, std::move(msg), {}};
}
Error exhausted(std::string msg) {
  return Error{ErrorCode::kResourceExhausted, std::move(msg), {}};
}

// An explicit transaction on one leased connection. Destroying it without
// commit() rolls back (a connection left inside a transaction would be closed
// by the pool rather than reused).
class Transaction {
 public:
  static Result<Transaction> begin(pg::Pool& pool, std::string_view begin_sql = "BEGIN") {
    auto lease = pool.acquire();
    if (!lease.ok()) return lease.error();
    Transaction tx(std::move(*lease));
    if (auto r = tx.lease_.query(begin_sql); !r.ok()) return r.error();
    tx.open_ = true;
    return tx;
  }
  Transaction(Transaction&& other) noexcept : lease_(std::move(other.lease_)), open_(other.open_) {
    other.open_ = false;
  }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction() {
    if (open_) (void)lease_.query("ROLLBACK");
  }

  Result<pg::Rows> query(std::string_view sql, const Params& params = {}) {
    return lease_.query(sql, params);
  }
  Result<pg::Rows> execute(const Statement& s, const Params& params = {}) {
    return lease_.execute(s, params);
  }
  Status commit() {
    open_ = false;
    auto r = lease_.query("COMMIT");
    if (!r.ok()) return r.error();
    return {};
  }

 private:
  explicit Transaction(pg::Lease lease) : lease_(std::move(lease)) {}
  pg::Lease lease_;
  bool open_ = false;
};

const char* const kBumpVersion = "UPDATE event_bus_version SET version = version + 1";

// --- buses -----------------------------------------------------------------

const std::string kBusColumns =
    "name, description, floor(extract(epoch FROM created_at))::bigint,"
    " floor(extract(epoch FROM modified_at))::bigint";

Result<std::vector<BusRecord>> read_buses(Result<pg::Rows> result) {
  if (!result.ok()) return result.error();
  std::vector<BusRecord> out;
  for (int i = 0; i < result->size(); ++i) {
    Cells c(*result, i);
    BusRecord b;
    b.name = c.text();
    b.description = c.text();
    b.created_at = c.seconds();
    b.modified_at = c.seconds();
    if (!c.status().ok()) return c.status().error();
    out.push_back(std::move(b));
  }
  return out;
}

// --- rules -----------------------------------------------------------------

const std::string kRuleColumns =
    "bus, name, event_pattern, schedule_expression, state, description, role_arn, managed_by";

RuleRecord read_rule(Cells& c) {
  RuleRecord r;
  r.bus = c.text();
  r.name = c.text();
  r.event_pattern = c.optional_text();
  r.schedule_expression = c.optional_text();
  r.state = c.text();
  r.description = c.text();
  r.role_arn = c.text();
  r.managed_by = c.text();
  return r;
}

Result<std::vector<RuleRecord>> read_rules(Result<pg::Rows> result) {
  if (!result.ok()) return result.error();
  std::vector<RuleRecord> out;
  out.reserve(static_cast<std::size_t>(result->size()));
  for (int i = 0; i < result->size(); ++i) {
    Cells c(*result, i);
    out.push_back(read_rule(c));
  }
  return out;
}

Result<bool> bus_exists(pg::Pool& pool, std::string_view bus) {
  auto rows = as_read(pool.query("SELECT 1 FROM event_buses WHERE name = $1", {std::string(bus)}));
  if (!rows.ok()) return rows.error();
  return !rows->empty();
}

Result<bool> rule_exists(pg::Pool& pool, std::string_view bus, std::string_view rule) {
  auto rows = as_read(pool.query("SELECT 1 FROM event_rules WHERE bus = $1 AND name = $2",
                                 {std::string(bus), std::string(rule)}));
  if (!rows.ok()) return rows.error();
  return !rows->empty();
}

// Locks the rule row against concurrent target changes (and its deletion)
// until the transaction ends. kNotFound when it does not exist.
Status lock_rule(Transaction& tx, std::string_view bus, std::string_view rule) {
  auto rows = tx.query("SELECT 1 FROM event_rules WHERE bus = $1 AND name = $2 FOR NO KEY UPDATE",
                       {std::string(bus), std::string(rule)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return no_rule(bus, rule);
  return {};
}

// --- targets ---------------------------------------------------------------

Result<std::vector<TargetRecord>> read_targets(Result<pg::Rows> result) {
  if (!result.ok()) return result.error();
  std::vector<TargetRecord> out;
  out.reserve(static_cast<std::size_t>(result->size()));
  for (int i = 0; i < result->size(); ++i) {
    Cells c(*result, i);
    TargetRecord t;
    t.id = c.text();
    t.arn = c.text();
    t.spec_json = c.text();
    out.push_back(std::move(t));
  }
  return out;
}

// One entry per id, at the place of its first occurrence, with its last value
// (an upsert may not touch one row twice in a statement).
std::vector<const TargetRecord*> distinct_by_id(const std::vector<TargetRecord>& targets) {
  std::vector<const TargetRecord*> out;
  std::unordered_map<std::string_view, std::size_t> index;
  for (const TargetRecord& t : targets) {
    auto [it, inserted] = index.emplace(t.id, out.size());
    if (inserted) {
      out.push_back(&t);
    } else {
      out[it->second] = &t;
    }
  }
  return out;
}

// --- the inbox and deliveries ----------------------------------------------

const Statement& append_stmt() {
  // The ORDER BY makes rows (and so their seqs) follow the input order.
  static const Statement s =
      statement("append_events",
                "INSERT INTO pending_events (bus, event_id, envelope, ingested_at, only_rule)"
                " SELECT u.bus, u.event_id, u.envelope, timestamptz 'epoch' + u.at * interval '1 "
                "microsecond',"
                "   u.only_rule"
                " FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[])"
                "   WITH ORDINALITY AS u(bus, event_id, envelope, at, only_rule, ord)"
                " ORDER BY u.ord RETURNING seq");
  return s;
}

const Statement& take_pending_stmt() {
  static const Statement s =
      statement("take_pending", "SELECT seq, bus, event_id, envelope, " + micros_of("ingested_at") +
                                    ", only_rule"
                                    " FROM pending_events ORDER BY seq LIMIT $1"
                                    " FOR UPDATE SKIP LOCKED");
  return s;
}

const Statement& insert_deliveries_stmt() {
  static const Statement s = statement(
      "insert_deliveries",
      "INSERT INTO event_deliveries (event_id, bus, rule, target_id, target_arn, payload,"
      "   max_retry_attempts, max_event_age_s, dead_letter_arn, ingested_at, next_attempt_at)"
      " SELECT u.event_id, u.bus, u.rule, u.target_id, u.target_arn, u.payload, u.retries, u.age,"
      "   u.dlq, timestamptz 'epoch' + u.at * interval '1 microsecond', " +
          ts_param(11) +
          " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
          "   $7::int[], $8::int[], $9::text[], $10::bigint[])"
          "   AS u(event_id, bus, rule, target_id, target_arn, payload, retries, age, dlq, at)");
  return s;
}

const Statement& delete_pending_stmt() {
  static const Statement s =
      statement("delete_pending", "DELETE FROM pending_events WHERE seq = ANY($1::bigint[])");
  return s;
}

const std::string kDeliveryColumns =
    "id, event_id, bus, rule, target_id, target_arn, payload, max_retry_attempts,"
    " max_event_age_s, dead_letter_arn, " +
    micros_of("ingested_at") + ", attempts";

// A lease moves next_attempt_at to the lease's end: a leased row is not due
// for anyone until then (see the migration).
const Statement& lease_stmt() {
  static const Statement s = statement(
      "lease_due",
      "UPDATE event_deliveries SET lease_owner = $1, lease_until = " + ts_param(3) +
          ", next_attempt_at = " + ts_param(3) +
          " WHERE id IN (SELECT id FROM event_deliveries WHERE next_attempt_at <= " + ts_param(2) +
          " AND target_arn <> ALL($5::text[])"
          " ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)"
          " RETURNING " +
          kDeliveryColumns);
  return s;
}

const Statement& complete_stmt() {
  static const Statement s = statement(
      "complete_delivery", "DELETE FROM event_deliveries WHERE id = $1 AND lease_owner = $2");
  return s;
}

const Statement& retry_stmt() {
  static const Statement s = statement(
      "retry_delivery",
      "UPDATE event_deliveries SET attempts = attempts + 1, next_attempt_at = " + ts_param(3) +
          ", lease_owner = NULL, lease_until = NULL,"
          " last_error_code = $4, last_error = $5"
          " WHERE id = $1 AND lease_owner = $2");
  return s;
}

const Statement& dead_letter_stmt() {
  static const Statement s = statement(
      "dead_letter_delivery",
      "WITH moved AS (DELETE FROM event_deliveries WHERE id = $1 AND lease_owner = $2"
      "   RETURNING event_id, bus, rule, target_id, target_arn, payload, dead_letter_arn,"
      "             attempts, ingested_at)"
      " INSERT INTO event_dead_letters (event_id, bus, rule, target_id, target_arn, payload,"
      "   dead_letter_arn, rule_arn, error_code, error_message, exhausted_retry_condition,"
      "   retry_attempts, ingested_at, dead_at)"
      " SELECT event_id, bus, rule, target_id, target_arn, payload, dead_letter_arn, $3, $4, $5,"
      "   $6, attempts, ingested_at, " +
          ts_param(7) + " FROM moved");
  return s;
}

Status one_row_changed(Result<pg::Rows> result, std::int64_t id, std::string_view owner) {
  if (!result.ok()) return result.error();
  if (result->affected() == 0) {
    return Error::not_found("no delivery " + std::to_string(id) + " leased to " +
                            std::string(owner));
  }
  return {};
}

}  // namespace

// --- buses -------------------------------------------------------------------

Result<BusRecord> EventStore::create_bus(std::string_view name, std::string_view description) {
  auto rows = read_buses(pool_.query(
      "INSERT INTO event_buses (name, description) VALUES ($1, $2) RETURNING " + kBusColumns,
      {std::string(name), std::string(description)}));
  if (!rows.ok()) {
    Error e = rows.error();
    if (e.code == ErrorCode::kAlreadyExists) {
      e.message = "Event bus " + std::string(name) + " already exists.";
    }
    return e;
  }
  if (rows->size() != 1) return Error::internal("create_bus returned no row");
  return std::move(rows->front());
}

Result<std::optional<BusRecord>> EventStore::find_bus(std::string_view name) {
  auto rows = read_buses(as_read(pool_.query(
      "SELECT " + kBusColumns + " FROM event_buses WHERE name = $1", {std::string(name)})));
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<BusRecord>();
  return std::optional<BusRecord>(std::move(rows->front()));
}

Result<std::vector<BusRecord>> EventStore::list_buses(std::string_view prefix,
                                                      std::string_view after_name, int limit) {
  return read_buses(as_read(pool_.query(
      "SELECT " + kBusColumns +
          " FROM event_buses WHERE name > $1 AND starts_with(name, $2) ORDER BY name LIMIT $3",
      {std::string(after_name), std::string(prefix), std::to_string(limit)})));
}

Status EventStore::delete_bus(std::string_view name) {
  if (name == "default") return Error::invalid_argument("Cannot delete event bus default.");
  auto rows = pool_.query("DELETE FROM event_buses WHERE name = $1", {std::string(name)});
  if (!rows.ok()) {
    if (rows.error().code == ErrorCode::kFailedPrecondition) {
      return precondition("Event bus " + std::string(name) + " still has rules.");
    }
    return rows.error();
  }
  if (rows->affected() == 0) return no_bus(name);
  return {};
}

// --- rules -------------------------------------------------------------------

Result<RuleRecord> EventStore::put_rule(const RuleRecord& rule, int max_rules_per_bus) {
  auto tx = Transaction::begin(pool_);
  if (!tx.ok()) return tx.error();
  // Locking the bus row serialises rule creation on the bus, so the count
  // below cannot be overtaken by a concurrent put_rule.
  auto bus = tx->query("SELECT 1 FROM event_buses WHERE name = $1 FOR NO KEY UPDATE", {rule.bus});
  if (!bus.ok()) return bus.error();
  if (bus->empty()) return no_bus(rule.bus);
  auto counts = tx->query(
      "SELECT count(*), count(*) FILTER (WHERE name = $2) FROM event_rules WHERE bus = $1",
      {rule.bus, rule.name});
  if (!counts.ok()) return counts.error();
  Cells c(*counts, 0);
  std::int64_t rules = c.integer(), existing = c.integer();
  if (!c.status().ok()) return c.status().error();
  if (existing == 0 && rules >= max_rules_per_bus) {
    return exhausted("The requested resource exceeds the maximum number allowed.");
  }
  auto stored = read_rules(
      tx->query("INSERT INTO event_rules (bus, name, event_pattern, schedule_expression, state,"
                "   description, role_arn, managed_by)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                " ON CONFLICT (bus, name) DO UPDATE SET event_pattern = excluded.event_pattern,"
                "   schedule_expression = excluded.schedule_expression, state = excluded.state,"
                "   description = excluded.description, role_arn = excluded.role_arn,"
                "   managed_by = excluded.managed_by, modified_at = now()"
                " RETURNING " +
                    kRuleColumns,
                {rule.bus, rule.name, rule.event_pattern, rule.schedule_expression, rule.state,
                 rule.description, rule.role_arn, rule.managed_by}));
  if (!stored.ok()) return stored.error();
  if (stored->size() != 1) return Error::internal("put_rule returned no row");
  if (auto r = tx->query(kBumpVersion); !r.ok()) return r.error();
  if (Status s = tx->commit(); !s.ok()) return s.error();
  return std::move(stored->front());
}

Result<std::optional<RuleRecord>> EventStore::find_rule(std::string_view bus,
                                                        std::string_view name) {
  auto rows = read_rules(as_read(
      pool_.query("SELECT " + kRuleColumns + " FROM event_rules WHERE bus = $1 AND name = $2",
                  {std::string(bus), std::string(name)})));
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<RuleRecord>();
  return std::optional<RuleRecord>(std::move(rows->front()));
}

Result<std::vector<RuleRecord>> EventStore::list_rules(std::string_view bus,
                                                       std::string_view prefix,
                                                       std::string_view after_name, int limit) {
  auto rows = read_rules(as_read(pool_.query(
      "SELECT " + kRuleColumns +
          " FROM event_rules WHERE bus = $1 AND name > $2 AND starts_with(name, $3)"
          " ORDER BY name LIMIT $4",
      {std::string(bus), std::string(after_name), std::string(prefix), std::to_string(limit)})));
  if (!rows.ok() || !rows->empty()) return rows;
  auto exists = bus_exists(pool_, bus);
  if (!exists.ok()) return exists.error();
  if (!*exists) return no_bus(bus);
  return rows;
}

Status EventStore::delete_rule(std::string_view bus, std::string_view name) {
  // One statement: the delete and the version bump commit together.
  auto rows = pool_.query(
      "WITH gone AS (DELETE FROM event_rules WHERE bus = $1 AND name = $2 RETURNING 1),"
      " bumped AS (UPDATE event_bus_version SET version = version + 1"
      "   WHERE EXISTS (SELECT 1 FROM gone))"
      " SELECT count(*) FROM gone",
      {std::string(bus), std::string(name)});
  if (!rows.ok()) {
    if (rows.error().code == ErrorCode::kFailedPrecondition) {
      return precondition("Rule can't be deleted since it has targets.");
    }
    return rows.error();
  }
  auto deleted = rows->integer(0, 0);
  if (!deleted.ok()) return deleted.error();
  if (*deleted > 0) return {};
  auto exists = bus_exists(pool_, bus);
  if (!exists.ok()) return exists.error();
  if (!*exists) return no_bus(bus);
  return {};
}

Status EventStore::set_rule_state(std::string_view bus, std::string_view name,
                                  std::string_view state) {
  auto rows = pool_.query(
      "WITH changed AS (UPDATE event_rules SET state = $3, modified_at = now()"
      "   WHERE bus = $1 AND name = $2 RETURNING 1),"
      " bumped AS (UPDATE event_bus_version SET version = version + 1"
      "   WHERE EXISTS (SELECT 1 FROM changed))"
      " SELECT count(*) FROM changed",
      {std::string(bus), std::string(name), std::string(state)});
  if (!rows.ok()) return rows.error();
  auto changed = rows->integer(0, 0);
  if (!changed.ok()) return changed.error();
  if (*changed == 0) return no_rule(bus, name);
  return {};
}

// --- targets -----------------------------------------------------------------

Status EventStore::put_targets(std::string_view bus, std::string_view rule,
                               const std::vector<TargetRecord>& targets, int max_targets_per_rule) {
  std::vector<const TargetRecord*> distinct = distinct_by_id(targets);
  ArrayLiteral ids, arns, specs;
  for (const TargetRecord* t : distinct) {
    ids.add(std::string_view(t->id));
    arns.add(std::string_view(t->arn));
    specs.add(std::string_view(t->spec_json));
  }
  std::string id_array = ids.take();

  auto tx = Transaction::begin(pool_);
  if (!tx.ok()) return tx.error();
  if (Status s = lock_rule(*tx, bus, rule); !s.ok()) return s;
  auto others = tx->query(
      "SELECT count(*) FROM event_targets"
      " WHERE bus = $1 AND rule = $2 AND NOT (id = ANY($3::text[]))",
      {std::string(bus), std::string(rule), id_array});
  if (!others.ok()) return others.error();
  auto count = others->integer(0, 0);
  if (!count.ok()) return count.error();
  if (*count + static_cast<std::int64_t>(distinct.size()) > max_targets_per_rule) {
    return exhausted("The requested resource exceeds the maximum number allowed.");
  }
  // ORDER BY ord: new targets take positions in request order.
  auto upserted = tx->query(
      "INSERT INTO event_targets (bus, rule, id, arn, spec)"
      " SELECT $1, $2, u.id, u.arn, u.spec::jsonb"
      " FROM unnest($3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS u(id, arn, spec, ord)"
      " ORDER BY u.ord"
      " ON CONFLICT (bus, rule, id) DO UPDATE SET arn = excluded.arn, spec = excluded.spec",
      {std::string(bus), std::string(rule), id_array, arns.take(), specs.take()});
  if (!upserted.ok()) return upserted.error();
  if (auto r = tx->query(kBumpVersion); !r.ok()) return r.error();
  return tx->commit();
}

Result<std::vector<TargetRecord>> EventStore::list_targets(std::string_view bus,
                                                           std::string_view rule,
                                                           std::string_view after_id, int limit) {
  std::int64_t after_position = 0;
  if (!after_id.empty()) {
    auto rows = as_read(
        pool_.query("SELECT position FROM event_targets WHERE bus = $1 AND rule = $2 AND id = $3",
                    {std::string(bus), std::string(rule), std::string(after_id)}));
    if (!rows.ok()) return rows.error();
    if (rows->empty()) {
      auto exists = rule_exists(pool_, bus, rule);
      if (!exists.ok()) return exists.error();
      if (!*exists) return no_rule(bus, rule);
      return Error::invalid_argument("target " + std::string(after_id) +
                                     " is no longer on the rule (stale page token)");
    }
    auto position = rows->integer(0, 0);
    if (!position.ok()) return position.error();
    after_position = *position;
  }
  auto targets = read_targets(as_read(
      pool_.query("SELECT id, arn, spec::text FROM event_targets"
                  " WHERE bus = $1 AND rule = $2 AND position > $3 ORDER BY position LIMIT $4",
                  {std::string(bus), std::string(rule), std::to_string(after_position),
                   std::to_string(limit)})));
  if (!targets.ok() || !targets->empty() || !after_id.empty()) return targets;
  auto exists = rule_exists(pool_, bus, rule);
  if (!exists.ok()) return exists.error();
  if (!*exists) return no_rule(bus, rule);
  return targets;
}

Result<std::vector<std::string>> EventStore::remove_targets(std::string_view bus,
                                                            std::string_view rule,
                                                            const std::vector<std::string>& ids) {
  auto tx = Transaction::begin(pool_);
  if (!tx.ok()) return tx.error();
  if (Status s = lock_rule(*tx, bus, rule); !s.ok()) return s.error();
  auto removed = tx->query(
      "DELETE FROM event_targets WHERE bus = $1 AND rule = $2 AND id = ANY($3::text[])"
      " RETURNING id",
      {std::string(bus), std::string(rule), text_array(ids)});
  if (!removed.ok()) return removed.error();
  std::unordered_set<std::string> gone;
  for (int i = 0; i < removed->size(); ++i) gone.emplace(removed->text(i, 0));
  if (!gone.empty()) {
    if (auto r = tx->query(kBumpVersion); !r.ok()) return r.error();
  }
  if (Status s = tx->commit(); !s.ok()) return s.error();
  std::vector<std::string> missing;
  std::unordered_set<std::string_view> reported;
  for (const std::string& id : ids) {
    if (!gone.contains(id) && reported.insert(id).second) missing.push_back(id);
  }
  return missing;
}

// --- snapshot ----------------------------------------------------------------

Result<EventStore::Snapshot> EventStore::load_snapshot() {
  auto tx = Transaction::begin(pool_, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (!tx.ok()) return read_error(tx.error());
  auto version = tx->query("SELECT version FROM event_bus_version");
  if (!version.ok()) return read_error(version.error());
  if (version->size() != 1) return Error::internal("event_bus_version must hold one row");
  Snapshot snapshot;
  auto v = version->integer(0, 0);
  if (!v.ok()) return v.error();
  snapshot.version = *v;

  auto rules =
      read_rules(tx->query("SELECT " + kRuleColumns + " FROM event_rules ORDER BY bus, name"));
  if (!rules.ok()) return read_error(rules.error());
  auto targets = tx->query(
      "SELECT bus, rule, id, arn, spec::text FROM event_targets ORDER BY bus, rule, position");
  if (!targets.ok()) return read_error(targets.error());
  // Read-only: nothing to lose if the COMMIT fails after the reads succeeded.
  (void)tx->commit();

  std::map<std::pair<std::string, std::string>, std::size_t> index;
  snapshot.rules.reserve(rules->size());
  for (RuleRecord& r : *rules) {
    index.emplace(std::pair{r.bus, r.name}, snapshot.rules.size());
    snapshot.rules.emplace_back(std::move(r), std::vector<TargetRecord>{});
  }
  for (int i = 0; i < targets->size(); ++i) {
    Cells c(*targets, i);
    std::string bus = c.text(), rule = c.text();
    auto it = index.find({bus, rule});
    if (it == index.end()) return Error::internal("a target without its rule in one snapshot");
    TargetRecord t;
    t.id = c.text();
    t.arn = c.text();
    t.spec_json = c.text();
    snapshot.rules[it->second].second.push_back(std::move(t));
  }
  return snapshot;
}

Result<std::int64_t> EventStore::version() {
  static const Statement s = statement("version", "SELECT version FROM event_bus_version");
  auto rows = as_read(pool_.execute_pipelined(s));
  if (!rows.ok()) return rows.error();
  if (rows->size() != 1) return Error::internal("event_bus_version must hold one row");
  auto v = rows->integer(0, 0);
  if (!v.ok()) return v.error();
  return *v;
}

// --- the inbox ---------------------------------------------------------------

Result<std::vector<std::int64_t>> EventStore::append_events(const std::vector<NewEvent>& events) {
  if (events.empty()) return std::vector<std::int64_t>{};
  ArrayLiteral buses, ids, envelopes, times, only_rules;
  for (const NewEvent& e : events) {
    buses.add(std::string_view(e.bus));
    ids.add(std::string_view(e.event_id));
    envelopes.add(std::string_view(e.envelope_json));
    times.add(micros(e.ingested_at));
    only_rules.add(e.only_rule ? std::optional<std::string_view>(*e.only_rule) : std::nullopt);
  }
  auto rows = pool_.execute(
      append_stmt(), {buses.take(), ids.take(), envelopes.take(), times.take(), only_rules.take()});
  if (!rows.ok()) return rows.error();
  if (static_cast<std::size_t>(rows->size()) != events.size()) {
    return Error::internal("append_events stored a different number of rows");
  }
  std::vector<std::int64_t> seqs;
  seqs.reserve(events.size());
  for (int i = 0; i < rows->size(); ++i) {
    auto seq = rows->integer(i, 0);
    if (!seq.ok()) return seq.error();
    seqs.push_back(*seq);
  }
  // RETURNING promises no order; the seqs were drawn in input order.
  std::sort(seqs.begin(), seqs.end());
  return seqs;
}

Result<std::size_t> EventStore::route_pending(std::size_t limit, const RouteFn& route,
                                              Clock::time_point now, std::size_t max_batch_bytes) {
  auto tx = Transaction::begin(pool_);
  if (!tx.ok()) return tx.error();
  auto pending = tx->execute(take_pending_stmt(), {std::to_string(limit)});
  if (!pending.ok()) return pending.error();
  if (pending->empty()) {
    (void)tx->commit();
    return std::size_t{0};
  }

  ArrayLiteral event_ids, buses, rules, target_ids, target_arns, payloads, retries, ages, dlqs,
      times, seqs;
  std::size_t deliveries = 0;
  std::size_t routed = 0;
  std::size_t payload_bytes = 0;
  for (int i = 0; i < pending->size(); ++i) {
    Cells c(*pending, i);
    PendingEvent event;
    event.seq = c.integer();
    event.event.bus = c.text();
    event.event.event_id = c.text();
    event.event.envelope_json = c.text();
    event.event.ingested_at = c.time();
    if (!pending->is_null(i, 5)) event.event.only_rule = std::string(pending->text(i, 5));
    if (!c.status().ok()) return c.status().error();
    // A batch stops growing once its deliveries hold max_batch_bytes of
    // payload (the events after stay pending, for the next batch), so one
    // statement never outgrows PostgreSQL's 1 GB parameter limit or this
    // process's memory. The first event always goes, however big.
    if (routed > 0 && payload_bytes >= max_batch_bytes) break;
    seqs.add(event.seq);
    ++routed;
    for (const NewDelivery& d : route(event)) {
      payload_bytes += d.payload.size();
      event_ids.add(std::string_view(d.event_id));
      buses.add(std::string_view(d.bus));
      rules.add(std::string_view(d.rule));
      target_ids.add(std::string_view(d.target_id));
      target_arns.add(std::string_view(d.target_arn));
      payloads.add(std::string_view(d.payload));
      retries.add(std::int64_t{d.max_retry_attempts});
      ages.add(std::int64_t{d.max_event_age_s});
      dlqs.add(d.dead_letter_arn ? std::optional<std::string_view>(*d.dead_letter_arn)
                                 : std::nullopt);
      times.add(micros(d.ingested_at));
      ++deliveries;
    }
  }
  if (deliveries > 0) {
    auto inserted = tx->execute(insert_deliveries_stmt(),
                                {event_ids.take(), buses.take(), rules.take(), target_ids.take(),
                                 target_arns.take(), payloads.take(), retries.take(), ages.take(),
                                 dlqs.take(), times.take(), micros_text(now)});
    if (!inserted.ok()) return inserted.error();
  }
  if (auto r = tx->execute(delete_pending_stmt(), {seqs.take()}); !r.ok()) return r.error();
  if (Status s = tx->commit(); !s.ok()) return s.error();
  return routed;
}

// --- deliveries --------------------------------------------------------------

Result<std::vector<Delivery>> EventStore::lease_due(std::string_view owner, std::size_t limit,
                                                    std::chrono::milliseconds lease,
                                                    Clock::time_point now,
                                                    const std::vector<std::string>& skip_targets) {
  ArrayLiteral skip;
  for (const auto& arn : skip_targets) skip.add(std::string_view(arn));
  auto rows =
      pool_.execute(lease_stmt(), {std::string(owner), micros_text(now), micros_text(now + lease),
                                   std::to_string(limit), skip.take()});
  if (!rows.ok()) return rows.error();
  std::vector<Delivery> out;
  out.reserve(static_cast<std::size_t>(rows->size()));
  for (int i = 0; i < rows->size(); ++i) {
    Cells c(*rows, i);
    Delivery d;
    d.id = c.integer();
    d.event_id = c.text();
    d.bus = c.text();
    d.rule = c.text();
    d.target_id = c.text();
    d.target_arn = c.text();
    d.payload = c.text();
    d.max_retry_attempts = c.small_integer();
    d.max_event_age_s = c.small_integer();
    d.dead_letter_arn = c.optional_text();
    d.ingested_at = c.time();
    d.attempts = c.small_integer();
    if (!c.status().ok()) return c.status().error();
    out.push_back(std::move(d));
  }
  std::sort(out.begin(), out.end(),
            [](const Delivery& a, const Delivery& b) { return a.id < b.id; });
  return out;
}

Status EventStore::complete_delivery(std::int64_t id, std::string_view owner) {
  return one_row_changed(pool_.execute(complete_stmt(), {std::to_string(id), std::string(owner)}),
                         id, owner);
}

Status EventStore::retry_delivery(std::int64_t id, std::string_view owner,
                                  Clock::time_point next_attempt_at, std::string_view error_code,
                                  std::string_view error_message) {
  return one_row_changed(
      pool_.execute(retry_stmt(),
                    {std::to_string(id), std::string(owner), micros_text(next_attempt_at),
                     std::string(error_code), std::string(error_message)}),
      id, owner);
}

Status EventStore::dead_letter_delivery(std::int64_t id, std::string_view owner,
                                        std::string_view rule_arn, std::string_view error_code,
                                        std::string_view error_message,
                                        std::optional<std::string_view> exhausted_retry_condition,
                                        Clock::time_point now) {
  pg::Param condition;
  if (exhausted_retry_condition) condition = std::string(*exhausted_retry_condition);
  return one_row_changed(
      pool_.execute(dead_letter_stmt(), {std::to_string(id), std::string(owner),
                                         std::string(rule_arn), std::string(error_code),
                                         std::string(error_message), condition, micros_text(now)}),
      id, owner);
}

Result<std::int64_t> EventStore::expire_dead_letters(Clock::time_point before, int limit) {
  static const Statement expire =
      statement("expire_dead_letters",
                "DELETE FROM event_dead_letters WHERE id IN (SELECT id FROM event_dead_letters"
                " WHERE dead_at < " +
                    ts_param(1) + " ORDER BY dead_at LIMIT $2)");
  auto rows = pool_.execute(expire, {micros_text(before), std::to_string(limit)});
  if (!rows.ok()) return rows.error();
  return static_cast<std::int64_t>(rows->affected());
}

Result<std::vector<DeadLetter>> EventStore::list_dead_letters(std::optional<std::string_view> bus,
                                                              std::int64_t after_id, int limit) {
  pg::Param bus_param;
  if (bus) bus_param = std::string(*bus);
  auto rows = as_read(pool_.query(
      "SELECT id, event_id, bus, rule, target_id, target_arn, payload, dead_letter_arn, rule_arn,"
      " error_code, error_message, exhausted_retry_condition, retry_attempts, " +
          micros_of("ingested_at") + ", " + micros_of("dead_at") +
          " FROM event_dead_letters WHERE ($1::text IS NULL OR bus = $1) AND id > $2"
          " ORDER BY id LIMIT $3",
      {bus_param, std::to_string(after_id), std::to_string(limit)}));
  if (!rows.ok()) return rows.error();
  std::vector<DeadLetter> out;
  out.reserve(static_cast<std::size_t>(rows->size()));
  for (int i = 0; i < rows->size(); ++i) {
    Cells c(*rows, i);
    DeadLetter d;
    d.id = c.integer();
    d.event_id = c.text();
    d.bus = c.text();
    d.rule = c.text();
    d.target_id = c.text();
    d.target_arn = c.text();
    d.payload = c.text();
    d.dead_letter_arn = c.optional_text();
    d.rule_arn = c.text();
    d.error_code = c.text();
    d.error_message = c.text();
    d.exhausted_retry_condition = c.optional_text();
    d.retry_attempts = c.small_integer();
    d.ingested_at = c.time();
    d.dead_at = c.time();
    if (!c.status().ok()) return c.status().error();
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::optional<Clock::time_point>> EventStore::next_due() {
  auto rows = as_read(
      pool_.query("SELECT " + micros_of("min(next_attempt_at)") + " FROM event_deliveries"));
  if (!rows.ok()) return rows.error();
  if (rows->size() != 1 || rows->is_null(0, 0)) return std::optional<Clock::time_point>();
  Cells c(*rows, 0);
  Clock::time_point due = c.time();
  if (!c.status().ok()) return c.status().error();
  return std::optional<Clock::time_point>(due);
}

// --- schedules ---------------------------------------------------------------

Result<bool> EventStore::claim_schedule_fire(std::string_view bus, std::string_view rule,
                                             std::chrono::sys_seconds instant) {
  // The prune sees the table as it was before the insert, so it can never
  // remove the row being claimed.
  auto rows = pool_.query(
      "WITH claimed AS (INSERT INTO event_schedule_fires (bus, rule, instant)"
      "   VALUES ($1, $2, to_timestamp($3::bigint)) ON CONFLICT DO NOTHING RETURNING instant),"
      " pruned AS (DELETE FROM event_schedule_fires f USING claimed"
      "   WHERE f.bus = $1 AND f.rule = $2 AND f.instant < claimed.instant - interval '7 days')"
      " SELECT count(*) FROM claimed",
      {std::string(bus), std::string(rule), std::to_string(instant.time_since_epoch().count())});
  if (!rows.ok()) {
    if (rows.error().code == ErrorCode::kFailedPrecondition) return no_rule(bus, rule);
    return rows.error();
  }
  auto claimed = rows->integer(0, 0);
  if (!claimed.ok()) return claimed.error();
  return *claimed == 1;
}

Result<bool> EventStore::fire_schedule(std::string_view bus, std::string_view rule,
                                       std::chrono::sys_seconds instant, const NewEvent& event) {
  auto rows = pool_.query(
      "WITH claimed AS (INSERT INTO event_schedule_fires (bus, rule, instant)"
      "   VALUES ($1, $2, to_timestamp($3::bigint)) ON CONFLICT DO NOTHING RETURNING instant),"
      " pruned AS (DELETE FROM event_schedule_fires f USING claimed"
      "   WHERE f.bus = $1 AND f.rule = $2 AND f.instant < claimed.instant - interval '7 days'),"
      " stored AS (INSERT INTO pending_events (bus, event_id, envelope, ingested_at, only_rule)"
      "   SELECT $1, $4, $5, timestamptz 'epoch' + $6::bigint * interval '1 microsecond', $2"
      "   FROM claimed)"
      " SELECT count(*) FROM claimed",
      {std::string(bus), std::string(rule), std::to_string(instant.time_since_epoch().count()),
       event.event_id, event.envelope_json, std::to_string(micros(event.ingested_at))});
  if (!rows.ok()) {
    if (rows.error().code == ErrorCode::kFailedPrecondition) return no_rule(bus, rule);
    return rows.error();
  }
  auto claimed = rows->integer(0, 0);
  if (!claimed.ok()) return claimed.error();
  return *claimed == 1;
}

Result<std::optional<std::chrono::sys_seconds>> EventStore::last_schedule_fire(
    std::string_view bus, std::string_view rule) {
  auto rows = as_read(
      pool_.query("SELECT floor(extract(epoch FROM max(instant)))::bigint FROM event_schedule_fires"
                  " WHERE bus = $1 AND rule = $2",
                  {std::string(bus), std::string(rule)}));
  if (!rows.ok()) return rows.error();
  if (rows->size() != 1 || rows->is_null(0, 0)) return std::optional<std::chrono::sys_seconds>();
  Cells c(*rows, 0);
  auto last = c.seconds();
  if (!c.status().ok()) return c.status().error();
  return std::optional<std::chrono::sys_seconds>(last);
}

}  // namespace cloudlet::events
