#include "core/pg_pool.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <charconv>
#include <cstring>
#include <unordered_set>

namespace cloudlet::pg {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------- Rows

Rows::Rows(pg_result* result) : result_(result) {}
Rows::Rows(Rows&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
Rows& Rows::operator=(Rows&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}
Rows::~Rows() {
  if (result_ != nullptr) PQclear(result_);
}
int Rows::size() const { return result_ == nullptr ? 0 : PQntuples(result_); }
int Rows::columns() const { return result_ == nullptr ? 0 : PQnfields(result_); }
int Rows::column(std::string_view name) const {
  if (result_ == nullptr) return -1;
  for (int i = 0; i < PQnfields(result_); ++i) {
    if (name == PQfname(result_, i)) return i;
  }
  return -1;
}
bool Rows::is_null(int row, int col) const { return PQgetisnull(result_, row, col) != 0; }
std::string_view Rows::text(int row, int col) const {
  return {PQgetvalue(result_, row, col), static_cast<std::size_t>(PQgetlength(result_, row, col))};
}
Result<long long> Rows::integer(int row, int col) const {
  std::string_view t = text(row, col);
  long long v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || ptr != t.data() + t.size()) {
    return Error::internal(std::string("column ") + PQfname(result_, col) + " is not an integer");
  }
  return v;
}
long long Rows::affected() const {
  if (result_ == nullptr) return 0;
  const char* n = PQcmdTuples(result_);
  return (n == nullptr || *n == '\0') ? 0 : std::atoll(n);
}

// ---------------------------------------------------------------- errors

ErrorCode classify_sqlstate(std::string_view s) {
  if (s == "23505") return ErrorCode::kAlreadyExists;
  if (s == "23503") return ErrorCode::kFailedPrecondition;
  if (s == "23514" || s == "23502" || s.starts_with("22")) return ErrorCode::kInvalidArgument;
  if (s == "57014") return ErrorCode::kDeadlineExceeded;
  if (s.starts_with("08") || s == "57P01" || s == "57P02" || s == "57P03" || s == "53300") {
    return ErrorCode::kUnavailable;
  }
  if (s == "40001" || s == "40P01") return ErrorCode::kAborted;
  if (s.starts_with("53")) return ErrorCode::kResourceExhausted;
  return ErrorCode::kInternal;
}

namespace {

// The server's primary message is safe to log (it never echoes the
// connection string); SQL text is never included.
Error error_from_result(PGresult* res, pg_conn* conn) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = res != nullptr ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  Error e;
  if (state != nullptr) {
    e.sqlstate = state;
    e.code = classify_sqlstate(e.sqlstate);
    e.message = primary != nullptr ? primary : "database error";
  } else if (PQstatus(conn) == CONNECTION_BAD) {
    e.sqlstate = "08006";
    e.code = ErrorCode::kUnavailable;
    e.message = "lost the connection to the database";
  } else {
    e.code = ErrorCode::kInternal;
    e.message = "database error";
  }
  return e;
}

Error connection_error() {
  return {ErrorCode::kUnavailable, "the database is unreachable", "08001"};
}

}  // namespace

// ---------------------------------------------------------------- Connection

class Connection {
 public:
  explicit Connection(pg_conn* conn) : conn_(conn) {
    // NOTICEs (e.g. "relation already exists, skipping") are not errors and
    // must not reach stderr.
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  }
  ~Connection() { PQfinish(conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  pg_conn* raw() { return conn_; }

  // A connection the server has closed shows as readable with EOF or a FATAL
  // message; consuming input then flips its status to CONNECTION_BAD.
  bool healthy() {
    if (PQstatus(conn_) != CONNECTION_OK) return false;
    // An idle connection has nothing to read unless the server is telling
    // it something (usually FATAL, then EOF); read until it is quiet.
    for (int i = 0; i < 4; ++i) {
      pollfd pfd{PQsocket(conn_), POLLIN, 0};
      if (::poll(&pfd, 1, 0) <= 0) break;
      if (PQconsumeInput(conn_) == 0) return false;
    }
    return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
  }

  // Sends one query asynchronously and waits for its last result within the
  // deadline; on expiry cancels it on the server.
  Result<Rows> run(const std::function<int()>& send, std::chrono::milliseconds timeout) {
    if (send() == 0) return error_from_result(nullptr, conn_);
    auto deadline = Clock::now() + timeout;
    while (PQisBusy(conn_) != 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        cancel();
        drain();
        return Error{ErrorCode::kDeadlineExceeded, "the query took longer than the query timeout",
                     "57014"};
      }
      pollfd pfd{PQsocket(conn_), POLLIN, 0};
      int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno != EINTR) return error_from_result(nullptr, conn_);
      if (ready > 0 && PQconsumeInput(conn_) == 0) return error_from_result(nullptr, conn_);
    }
    return collect();
  }

  bool prepared(const std::string& name) const { return prepared_.contains(name); }
  void mark_prepared(const std::string& name) { prepared_.insert(name); }

 private:
  // Keeps the last result; an error in any result wins.
  Result<Rows> collect() {
    Rows last;
    std::optional<Error> failure;
    while (PGresult* res = PQgetResult(conn_)) {
      ExecStatusType st = PQresultStatus(res);
      if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE) {
        if (!failure) failure = error_from_result(res, conn_);
        PQclear(res);
      } else {
        last = Rows(res);
      }
    }
    if (failure) return *failure;
    if (PQstatus(conn_) == CONNECTION_BAD) return error_from_result(nullptr, conn_);
    return last;
  }

  void cancel() {
    if (PGcancel* c = PQgetCancel(conn_)) {
      char buf[256];
      PQcancel(c, buf, sizeof buf);
      PQfreeCancel(c);
    }
  }
  void drain() {
    while (PGresult* res = PQgetResult(conn_)) PQclear(res);
  }

  pg_conn* conn_;
  std::unordered_set<std::string> prepared_;
};

// ---------------------------------------------------------------- Lease

Lease::Lease(Pool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), conn_(std::move(other.conn_)) {}
Lease::~Lease() {
  if (pool_ != nullptr) pool_->release(std::move(conn_));
}
pg_conn* Lease::raw() { return conn_->raw(); }

namespace {
struct ParamArrays {
  std::vector<const char*> values;
  explicit ParamArrays(const Params& params) {
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  }
  int count() const { return static_cast<int>(values.size()); }
};
}  // namespace

Result<Rows> Lease::query(std::string_view sql, const Params& params) {
  std::string text(sql);
  ParamArrays arrays(params);
  pg_conn* c = conn_->raw();
  return conn_->run(
      [&] {
        return PQsendQueryParams(c, text.c_str(), arrays.count(), nullptr, arrays.values.data(),
                                 nullptr, nullptr, 0);
      },
      pool_->settings().query_timeout);
}

Result<Rows> Lease::execute(const Statement& statement, const Params& params) {
  pg_conn* c = conn_->raw();
  auto timeout = pool_->settings().query_timeout;
  if (!conn_->prepared(statement.name)) {
    auto prepared = conn_->run(
        [&] {
          return PQsendPrepare(c, statement.name.c_str(), statement.sql.c_str(), 0, nullptr);
        },
        timeout);
    if (!prepared.ok()) return prepared.error();
    conn_->mark_prepared(statement.name);
  }
  ParamArrays arrays(params);
  return conn_->run(
      [&] {
        return PQsendQueryPrepared(c, statement.name.c_str(), arrays.count(), arrays.values.data(),
                                   nullptr, nullptr, 0);
      },
      timeout);
}

Status Lease::exec_script(std::string_view sql) {
  std::string text(sql);
  pg_conn* c = conn_->raw();
  auto r = conn_->run([&] { return PQsendQuery(c, text.c_str()); }, pool_->settings().query_timeout);
  if (!r.ok()) return r.error();
  return {};
}

Result<long long> Lease::copy_in(std::string_view copy_sql,
                                 const std::function<std::optional<std::string>()>& next_chunk) {
  pg_conn* c = conn_->raw();
  std::string text(copy_sql);
  PGresult* res = PQexec(c, text.c_str());
  if (PQresultStatus(res) != PGRES_COPY_IN) {
    Error e = error_from_result(res, c);
    PQclear(res);
    return e;
  }
  PQclear(res);
  while (auto chunk = next_chunk()) {
    if (PQputCopyData(c, chunk->data(), static_cast<int>(chunk->size())) != 1) {
      return error_from_result(nullptr, c);
    }
  }
  if (PQputCopyEnd(c, nullptr) != 1) return error_from_result(nullptr, c);
  long long rows = 0;
  std::optional<Error> failure;
  while (PGresult* r = PQgetResult(c)) {
    if (PQresultStatus(r) == PGRES_COMMAND_OK) {
      rows = Rows(r).affected();
      continue;  // Rows took ownership
    }
    if (!failure) failure = error_from_result(r, c);
    PQclear(r);
  }
  if (failure) return *failure;
  return rows;
}

// ---------------------------------------------------------------- Pool

Pool::Pool(PoolSettings settings) : settings_(std::move(settings)) {
  if (settings_.size == 0) settings_.size = 1;
}

Pool::~Pool() = default;

Result<Lease> Pool::acquire() {
  std::unique_lock lock(mu_);
  auto deadline = Clock::now() + settings_.acquire_timeout;
  while (true) {
    while (!idle_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_.back());
      idle_.pop_back();
      if (conn->healthy()) return Lease(this, std::move(conn));
      --open_;  // dropped by the server: replace it below
    }
    if (open_ < settings_.size) break;
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= settings_.size) {
      return Error{ErrorCode::kResourceExhausted, "no database connection free within the timeout",
                   {}};
    }
  }
  ++open_;
  lock.unlock();

  // Connect outside the lock: it may take up to connect_timeout.
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  std::string timeout = std::to_string(
      std::max<long long>(1, std::chrono::duration_cast<std::chrono::seconds>(
                                 settings_.connect_timeout).count()));
  const char* values[] = {settings_.url.c_str(), timeout.c_str(),
                          settings_.application_name.c_str(), nullptr};
  pg_conn* raw = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  auto conn = std::make_unique<Connection>(raw);
  if (PQstatus(raw) != CONNECTION_OK) {
    // PQerrorMessage may echo host names but never the password; still, keep
    // it out of the Error so that no connection detail can reach a client.
    std::lock_guard relock(mu_);
    --open_;
    available_.notify_one();
    return connection_error();
  }
  return Lease(this, std::move(conn));
}

void Pool::release(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(mu_);
  if (conn && PQstatus(conn->raw()) == CONNECTION_OK &&
      PQtransactionStatus(conn->raw()) == PQTRANS_IDLE) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;  // broken or left mid-transaction: close it
  }
  available_.notify_one();
}

Result<Rows> Pool::query(std::string_view sql, const Params& params) {
  auto lease = acquire();
  if (!lease.ok()) return lease.error();
  return lease->query(sql, params);
}

Result<Rows> Pool::execute(const Statement& statement, const Params& params) {
  auto lease = acquire();
  if (!lease.ok()) return lease.error();
  return lease->execute(statement, params);
}

Status Pool::ping() {
  auto r = query("SELECT 1");
  if (!r.ok()) return r.error();
  return {};
}

}  // namespace cloudlet::pg
