#include "core/pg_pool.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <deque>
#include <system_error>
#include <thread>
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
  if (s == "53100") return ErrorCode::kUnavailable;  // disk full: retry once space is freed
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

Error timeout_error() {
  return {ErrorCode::kDeadlineExceeded, "the query took longer than the query timeout", "57014"};
}

// What a send puts on the wire: the caller's statement, or the Prepare that
// precedes the statement's first use on a connection (the statement itself
// is then not sent yet).
enum class Sent { kStatement, kPrepare };

// The connection was lost after `what` was sent and before its whole answer.
Error lost(Sent what) {
  if (what == Sent::kPrepare) {
    return {ErrorCode::kUnavailable,
            "lost the connection to the database while preparing a statement; it was not run",
            "08006"};
  }
  return {ErrorCode::kUnknown,
          "lost the connection to the database after the statement was sent; its outcome is "
          "unknown",
          "08006"};
}

// A timed-out statement whose cancel was not confirmed: it may still run.
Error uncancelled(Sent what) {
  if (what == Sent::kPrepare) return timeout_error();
  return {ErrorCode::kUnknown,
          "the query took longer than the query timeout and its cancel was not confirmed; its "
          "outcome is unknown",
          "08006"};
}

}  // namespace

// ---------------------------------------------------------------- Canceller

// Runs PQcancel, which has no timeout, on a helper thread and waits for it
// at most until a deadline (see "Cancels" in pg_pool.hpp). Shared (by
// shared_ptr) between the pool and its helper threads, which may outlive
// the pool.
//
// A helper owns its PGcancel (a copy of the connection's cancel key and
// address, independent of the connection) and frees it when PQcancel
// returns, whether or not anyone still waits. One whose caller stopped
// waiting counts as stuck until then.
class Canceller : public std::enable_shared_from_this<Canceller> {
 public:
  explicit Canceller(std::size_t max_stuck) : max_stuck_(max_stuck) {}
  Canceller(const Canceller&) = delete;
  Canceller& operator=(const Canceller&) = delete;

  // Sends `cancel` (owned; null when libpq could not make one) and waits
  // until `until`. True when the server took the request (it does not say
  // whether the statement was still running). False when it failed, was
  // still pending at `until`, or was not tried because max_stuck helpers
  // are stuck. Never blocks past `until`.
  bool send(PGcancel* cancel, Clock::time_point until) {
    if (cancel == nullptr) return false;
    {
      std::lock_guard lock(mu_);
      if (stuck_ >= max_stuck_) {
        PQfreeCancel(cancel);
        return false;
      }
    }
    auto call = std::make_shared<Call>();
    try {
      std::thread([self = shared_from_this(), call, cancel] {
        char why[256];
        bool delivered = PQcancel(cancel, why, sizeof why) == 1;
        PQfreeCancel(cancel);
        bool abandoned = false;
        {
          std::lock_guard lock(call->mu);
          call->done = true;
          call->delivered = delivered;
          abandoned = call->abandoned;
        }
        call->finished.notify_one();
        if (abandoned) self->unstick();
      }).detach();
    } catch (const std::system_error&) {  // no thread to be had: no cancel
      PQfreeCancel(cancel);
      return false;
    }
    std::unique_lock lock(call->mu);
    if (call->finished.wait_until(lock, until, [&] { return call->done; })) return call->delivered;
    // Counted under call->mu, so the helper sees `abandoned` only once it is
    // counted, and uncounts it exactly once.
    call->abandoned = true;
    std::lock_guard stuck_lock(mu_);
    ++stuck_;
    return false;
  }

  std::size_t stuck() const {
    std::lock_guard lock(mu_);
    return stuck_;
  }

 private:
  struct Call {
    std::mutex mu;
    std::condition_variable finished;
    bool done = false;       // guarded by mu: PQcancel returned
    bool delivered = false;  // guarded by mu: ... with success
    bool abandoned = false;  // guarded by mu: the caller stopped waiting
  };

  void unstick() {
    std::lock_guard lock(mu_);
    --stuck_;
  }

  const std::size_t max_stuck_;
  mutable std::mutex mu_;
  std::size_t stuck_ = 0;  // guarded by mu_: helpers whose caller stopped waiting
};

// ---------------------------------------------------------------- Connection

class Connection {
 public:
  Connection(pg_conn* conn, std::shared_ptr<Canceller> canceller,
             std::chrono::milliseconds cancel_timeout)
      : conn_(conn), canceller_(std::move(canceller)), cancel_timeout_(cancel_timeout) {
    // NOTICEs (e.g. "relation already exists, skipping") are not errors and
    // must not reach stderr.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
  }
  ~Connection() { PQfinish(conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  pg_conn* raw() { return conn_; }

  // A connection the server has closed shows as readable with EOF or a FATAL
  // message; consuming input then flips its status to CONNECTION_BAD.
  bool healthy() { return alive() && PQtransactionStatus(conn_) == PQTRANS_IDLE; }

  // The server has not closed it, and it was not given up. (In pipeline mode
  // the transaction status of an idle connection is not PQTRANS_IDLE:
  // healthy() is for the rest.)
  bool alive() {
    if (given_up_ || PQstatus(conn_) != CONNECTION_OK) return false;
    // An idle connection has nothing to read unless the server is telling
    // it something (usually FATAL, then EOF); read until it is quiet.
    for (int i = 0; i < 4; ++i) {
      pollfd pfd{PQsocket(conn_), POLLIN, 0};
      if (::poll(&pfd, 1, 0) <= 0) break;
      if (PQconsumeInput(conn_) == 0) return false;
    }
    return PQstatus(conn_) == CONNECTION_OK;
  }

  // May go back to the pool: open, idle, and not given up.
  bool reusable() const {
    return !given_up_ && PQstatus(conn_) == CONNECTION_OK &&
           PQtransactionStatus(conn_) == PQTRANS_IDLE;
  }

  // Sends one query asynchronously and waits for its last result within the
  // deadline; on expiry cancels it on the server. The code of a failure says
  // whether `what` may have been applied (the contract in pg_pool.hpp).
  Result<Rows> run(const std::function<int()>& send, std::chrono::milliseconds timeout,
                   Sent what = Sent::kStatement) {
    // A server that closed the connection while it sat idle (or leased) is
    // found here, before sending: then nothing was sent.
    if (!alive() || send() == 0) return not_sent();
    switch (await(Clock::now() + timeout)) {
      case Wait::kAnswered:
        return collect(what);
      case Wait::kLost:
        given_up_ = true;
        return lost(what);
      case Wait::kTimedOut:
        break;
    }
    // Past the deadline. The cancel request and the wait for the
    // statement's answer after it share one bound.
    auto until = Clock::now() + cancel_timeout_;
    Wait after = Wait::kTimedOut;
    if (canceller_->send(PQgetCancel(conn_), until)) after = await(until);
    switch (after) {
      case Wait::kAnswered:
        break;
      case Wait::kLost:
        given_up_ = true;
        return lost(what);
      case Wait::kTimedOut:
        // The statement may still be running, and may commit: this
        // connection stays busy with it and is never reused.
        given_up_ = true;
        return uncancelled(what);
    }
    // The answer says what happened: 57014 if the cancel stopped it (its
    // implicit transaction rolled back); otherwise it finished before the
    // cancel landed, and its own outcome stands.
    auto r = collect(what);
    if (!r.ok() && r.error().sqlstate == "57014") return timeout_error();
    return r;
  }

  bool prepared(const std::string& name) const { return prepared_.contains(name); }
  void mark_prepared(const std::string& name) { prepared_.insert(name); }
  void forget_prepared(const std::string& name) { prepared_.erase(name); }

 private:
  enum class Wait { kAnswered, kLost, kTimedOut };

  // Reads until the whole answer is here (or the connection is lost, or
  // `until` passes).
  Wait await(Clock::time_point until) {
    while (PQisBusy(conn_) != 0) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
      if (left.count() <= 0) return Wait::kTimedOut;
      pollfd pfd{PQsocket(conn_), POLLIN, 0};
      int ready = ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left.count(), 60'000)));
      if (ready < 0 && errno != EINTR) return Wait::kLost;
      if (ready > 0 && PQconsumeInput(conn_) == 0) return Wait::kLost;
    }
    return Wait::kAnswered;
  }

  // The statement was not sent: the connection was lost before, or libpq
  // refused it.
  Error not_sent() {
    if (given_up_) {
      return {ErrorCode::kUnavailable,
              "the connection was given up after an earlier failure; the statement was not sent",
              "08006"};
    }
    if (PQstatus(conn_) == CONNECTION_BAD) {
      return {ErrorCode::kUnavailable,
              "lost the connection to the database before the statement was sent", "08006"};
    }
    return error_from_result(nullptr, conn_);
  }

  // Keeps the last result; an error in any result wins, unless the
  // connection broke before the end of the answer.
  Result<Rows> collect(Sent what) {
    Rows last;
    bool succeeded = false;  // a result of the statement itself said OK
    bool server_failed = false;
    std::optional<Error> failure;
    while (PGresult* res = PQgetResult(conn_)) {
      ExecStatusType st = PQresultStatus(res);
      if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE) {
        if (!failure) {
          server_failed = PQresultErrorField(res, PG_DIAG_SQLSTATE) != nullptr;
          failure = error_from_result(res, conn_);
        }
        PQclear(res);
      } else {
        last = Rows(res);
        succeeded = true;
      }
    }
    if (PQstatus(conn_) == CONNECTION_BAD) {
      given_up_ = true;
      // Only the server's error, before any success, says the statement
      // failed; a success result can come before the commit (an INSERT's
      // row arrives before its Sync commits it), and libpq's own error says
      // only that the connection broke.
      if (!failure || !server_failed || succeeded) return lost(what);
    }
    if (failure) return *failure;
    return last;
  }

  pg_conn* conn_;
  std::shared_ptr<Canceller> canceller_;
  std::chrono::milliseconds cancel_timeout_;
  // Lost, or busy with a statement whose cancel was not confirmed: close it.
  bool given_up_ = false;
  std::unordered_set<std::string> prepared_;
};

// A new connection, or nullptr when the server cannot be reached. Blocks up
// to connect_timeout.
std::unique_ptr<Connection> connect(const PoolSettings& settings,
                                    const std::shared_ptr<Canceller>& canceller) {
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  std::string timeout = std::to_string(std::max<long long>(
      1, std::chrono::duration_cast<std::chrono::seconds>(settings.connect_timeout).count()));
  const char* values[] = {settings.url.c_str(), timeout.c_str(), settings.application_name.c_str(),
                          nullptr};
  pg_conn* raw = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  auto conn = std::make_unique<Connection>(raw, canceller, settings.cancel_timeout);
  // PQerrorMessage may echo host names but never the password; still, keep
  // it out of any Error so that no connection detail can reach a client.
  if (PQstatus(raw) != CONNECTION_OK) return nullptr;
  return conn;
}

// ---------------------------------------------------------------- Lease

Lease::Lease(Pool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), conn_(std::move(other.conn_)) {}
Lease::~Lease() {
  if (pool_ != nullptr) pool_->release(std::move(conn_));
}
pg_conn* Lease::raw() { return conn_->raw(); }

namespace {
// libpq passes text parameters as C strings: a NUL would silently cut the
// value short, so such a value is refused instead of stored truncated.
Status check_no_nul(const Params& params) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (params[i] && params[i]->find('\0') != std::string::npos) {
      return Error::invalid_argument(
          "parameter $" + std::to_string(i + 1) +
          " contains a NUL character, which PostgreSQL text cannot hold");
    }
  }
  return {};
}

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
  if (Status st = check_no_nul(params); !st.ok()) return st.error();
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
  if (Status st = check_no_nul(params); !st.ok()) return st.error();
  pg_conn* c = conn_->raw();
  auto timeout = pool_->settings().query_timeout;
  if (!conn_->prepared(statement.name)) {
    auto prepared = conn_->run(
        [&] { return PQsendPrepare(c, statement.name.c_str(), statement.sql.c_str(), 0, nullptr); },
        timeout, Sent::kPrepare);
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
  auto r =
      conn_->run([&] { return PQsendQuery(c, text.c_str()); }, pool_->settings().query_timeout);
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
  // Until here nothing is applied: the server commits a COPY only at its end.
  if (PQputCopyEnd(c, nullptr) != 1) return error_from_result(nullptr, c);
  long long rows = 0;
  bool server_failed = false;
  std::optional<Error> failure;
  while (PGresult* r = PQgetResult(c)) {
    if (PQresultStatus(r) == PGRES_COMMAND_OK) {
      rows = Rows(r).affected();
      continue;  // Rows took ownership
    }
    if (!failure) {
      server_failed = PQresultErrorField(r, PG_DIAG_SQLSTATE) != nullptr;
      failure = error_from_result(r, c);
    }
    PQclear(r);
  }
  if (failure && !server_failed && PQstatus(c) == CONNECTION_BAD) return lost(Sent::kStatement);
  if (failure) return *failure;
  return rows;
}

// ---------------------------------------------------------------- Lane

// One connection in pipeline mode shared by many calling threads.
//
// Every call queues Prepare (first use on this connection), Bind/Execute and
// a Sync, flushes, and appends its Waiter to `pending_`, the FIFO of Syncs the
// server has yet to answer. Exactly one caller at a time, the reader, polls
// the socket and hands each result to the Waiter at the head of the FIFO,
// waking it at its PGRES_PIPELINE_SYNC; when it leaves it hands the reader
// role to the first caller still waiting. libpq is only ever called under
// mu_; the reader polls the socket without it so others can queue meanwhile.
// The socket is non-blocking: output a sender could not flush is flushed by
// the reader, which polls for POLLOUT while any is left.
//
// Deadlines. Every caller waits until its own deadline and no longer, reader
// or not: one that gives up marks its Waiter abandoned (the Waiter is shared,
// so it stays in `pending_` and its results are read and dropped later) and
// gets kDeadlineExceeded. The statement at the head of the FIFO is the one the
// server is running (or about to), so when the head's deadline passes the
// reader cancels it on the server. The reader waits for the cancel request
// at most cancel_timeout (see Canceller) and gives the lane up when it is not
// confirmed; if the cancelled head is not answered within another
// query_timeout the lane is given up too.
//
// Stray cancels. PQcancel cancels whatever the server runs when the request
// lands, so a cancel aimed at a head that has just finished hits the
// statement behind it. Two measures: the reader reads everything already
// received before it cancels (a head whose answer is here is not cancelled),
// which shrinks the window to the answer's time in flight; and a statement
// that fails with 57014 without being the one we cancelled is sent again
// once, while its caller is within its deadline. That is safe because a
// cancelled statement's implicit transaction is rolled back, and lanes are
// for statements that are safe to retry anyway (see pg_pool.hpp).
//
// Prepared statements. A name is `preparing_` from the moment its Prepare is
// queued until the Prepare's result arrives; only an OK result marks it
// prepared on the connection. Callers that find the name preparing queue only
// their Execute behind that Prepare (pipeline order guarantees it runs
// first); if the Prepare failed their Execute fails with 26000, and they are
// sent again once, preparing anew.
//
// Reconnecting. While the connection is down (the last attempt failed, or
// the lane broke), one caller at a time tries to reconnect, outside mu_; the
// others fail fast with kUnavailable instead of queueing behind attempts.
// Only the very first connection is waited for, so that a burst of first
// calls does not fail.
class Pool::Lane {
 public:
  Lane(const PoolSettings& settings, std::shared_ptr<Canceller> canceller)
      : settings_(settings), canceller_(std::move(canceller)) {}
  Lane(const Lane&) = delete;
  Lane& operator=(const Lane&) = delete;

  Result<Rows> execute(const Statement& statement, const Params& params) {
    const auto deadline = Clock::now() + settings_.query_timeout;
    std::unique_lock lock(mu_);
    for (int attempt = 0;; ++attempt) {
      if (Status up = ensure_connected(lock); !up.ok()) return up.error();
      auto me = std::make_shared<Waiter>();
      me->name = statement.name;
      me->deadline = deadline;
      if (Status sent = send(*me, statement, params); !sent.ok()) return sent.error();
      pending_.push_back(me);
      if (!reading_) {
        reading_ = true;
        me->lead = true;
      }
      wait(lock, *me);
      if (!me->done) {
        return Error{ErrorCode::kDeadlineExceeded, "the query took longer than the query timeout",
                     "57014"};
      }
      if (!me->failure) return std::move(me->last);
      if (attempt == 0 && retriable(*me) && Clock::now() < deadline) continue;
      return *me->failure;
    }
  }

  std::size_t in_flight() const {
    std::lock_guard lock(mu_);
    return pending_.size();
  }

 private:
  struct Waiter {
    std::string name;  // the statement's
    Rows last;
    std::optional<Error> failure;
    Clock::time_point deadline;
    int results = 0;
    bool prepare = false;        // this call queued the Prepare
    bool done = false;           // its Sync arrived, or the lane broke
    bool lead = false;           // this caller is the reader
    bool abandoned = false;      // the caller gave up: drop its results
    bool cancel_target = false;  // the reader cancelled this statement
    std::condition_variable wake;
  };
  using WaiterPtr = std::shared_ptr<Waiter>;

  // A failure that says nothing about the statement itself: its Prepare
  // (queued by another call) failed, or a cancel meant for another hit it.
  static bool retriable(const Waiter& w) {
    const std::string& s = w.failure->sqlstate;
    return (s == "26000" && !w.prepare) || (s == "57014" && !w.cancel_target);
  }

  // Under mu_ (released while connecting). OK when conn_ can take a statement.
  Status ensure_connected(std::unique_lock<std::mutex>& lock) {
    if (conn_ && !broken_) {
      if (reading_ || !pending_.empty() || conn_->alive()) return {};
      broken_ = true;  // the server dropped it while idle
      down_ = true;
    }
    if (reading_) return connection_error();  // the reader still polls the old socket
    while (connecting_) {
      if (down_) return connection_error();  // fail fast; one attempt at a time
      connect_done_.wait(lock);
    }
    if (conn_ && !broken_) return {};  // connected while we waited
    connecting_ = true;
    std::unique_ptr<Connection> old = std::move(conn_);
    lock.unlock();
    old.reset();
    auto conn = connect(settings_, canceller_);
    if (conn && (PQsetnonblocking(conn->raw(), 1) != 0 || PQenterPipelineMode(conn->raw()) == 0)) {
      conn.reset();
    }
    lock.lock();
    connecting_ = false;
    connect_done_.notify_all();
    if (!conn) {
      down_ = true;
      return connection_error();
    }
    conn_ = std::move(conn);
    broken_ = false;
    down_ = false;
    cancelling_ = false;
    preparing_.clear();
    return {};
  }

  // Under mu_: queues the statement (and its Prepare when needed) and a Sync.
  Status send(Waiter& me, const Statement& statement, const Params& params) {
    pg_conn* c = conn_->raw();
    if (!conn_->prepared(statement.name) && !preparing_.contains(statement.name)) {
      if (PQsendPrepare(c, statement.name.c_str(), statement.sql.c_str(), 0, nullptr) == 0) {
        return broken();
      }
      preparing_.insert(statement.name);
      me.prepare = true;
    }
    ParamArrays arrays(params);
    if (PQsendQueryPrepared(c, statement.name.c_str(), arrays.count(), arrays.values.data(),
                            nullptr, nullptr, 0) == 0 ||
        PQpipelineSync(c) == 0) {
      return broken();
    }
    return {};
  }

  // Under mu_: until `me` is answered, or its deadline passes (then it is
  // abandoned). Leaves the reader role to the next caller still waiting.
  void wait(std::unique_lock<std::mutex>& lock, Waiter& me) {
    while (!me.done) {
      if (me.lead) {
        read_some(lock, me);
        if (!me.done && Clock::now() >= me.deadline) break;
      } else if (!me.wake.wait_until(lock, me.deadline, [&] { return me.done || me.lead; })) {
        break;
      }
    }
    if (!me.done) me.abandoned = true;
    if (me.lead) {
      me.lead = false;
      reading_ = false;
      for (const WaiterPtr& w : pending_) {
        if (!w->abandoned) {
          reading_ = true;
          w->lead = true;
          w->wake.notify_one();
          break;
        }
      }
    }
  }

  // Under mu_: the connection is unusable; fail everything in flight. What
  // was sent may or may not have run.
  Error broken(std::string why = "lost the connection to the database") {
    Error e{ErrorCode::kUnavailable,
            std::move(why) + "; a statement already sent may or may not have run", "08006"};
    broken_ = true;
    down_ = true;
    cancelling_ = false;
    for (const WaiterPtr& w : pending_) {
      if (!w->failure) w->failure = e;
      w->done = true;
      w->wake.notify_one();
    }
    pending_.clear();
    return e;
  }

  // The reader's step, under mu_ (released while polling or cancelling).
  void read_some(std::unique_lock<std::mutex>& lock, Waiter& me) {
    pg_conn* c = conn_->raw();
    int unsent = PQflush(c);
    if (unsent < 0 || PQconsumeInput(c) == 0) {
      broken();
      return;
    }
    // Whatever has arrived first: a head whose answer is here is not cancelled.
    dispatch(c);
    if (me.done) return;
    Waiter& head = *pending_.front();
    auto now = Clock::now();
    if (!cancelling_ && now >= head.deadline) {
      cancelling_ = true;
      head.cancel_target = true;
      cancel_deadline_ = now + settings_.query_timeout;
      PGcancel* cancel = PQgetCancel(c);
      lock.unlock();
      bool sent = canceller_->send(cancel, now + settings_.cancel_timeout);
      lock.lock();
      // Unconfirmed, the head may run on for ever: give the lane up rather
      // than wait another query_timeout for an answer that may not come.
      if (!sent && !broken_) broken("the database did not confirm a cancel");
      return;
    }
    if (cancelling_ && now >= cancel_deadline_) {
      broken("the database did not answer a cancel");
      return;
    }
    auto until = std::min(me.deadline, cancelling_ ? cancel_deadline_ : head.deadline);
    auto left = std::chrono::ceil<std::chrono::milliseconds>(until - now);
    pollfd pfd{PQsocket(c), static_cast<short>(POLLIN | (unsent == 1 ? POLLOUT : 0)), 0};
    lock.unlock();
    int ready = ::poll(&pfd, 1, static_cast<int>(std::max<long long>(0, left.count())));
    lock.lock();
    if (broken_) return;  // a sender failed everything meanwhile (us too)
    if (ready < 0 && errno != EINTR) {
      broken();
      return;
    }
    if (ready > 0 && (pfd.revents & (POLLIN | POLLERR | POLLHUP)) != 0 && PQconsumeInput(c) == 0) {
      broken();
      return;
    }
    dispatch(c);
  }

  // Under mu_: hands every complete result to the head of the FIFO.
  void dispatch(pg_conn* c) {
    int nulls = 0;
    while (!pending_.empty() && PQisBusy(c) == 0) {
      PGresult* res = PQgetResult(c);
      if (res == nullptr) {  // the end of one statement's results
        if (++nulls > 1) break;
        continue;
      }
      nulls = 0;
      Waiter& w = *pending_.front();
      ExecStatusType st = PQresultStatus(res);
      bool prepare_result = w.prepare && w.results == 0;
      ++w.results;
      if (st == PGRES_PIPELINE_SYNC) {
        PQclear(res);
        if (w.cancel_target) cancelling_ = false;
        WaiterPtr done = std::move(pending_.front());
        pending_.pop_front();
        done->done = true;
        done->wake.notify_one();
        continue;
      }
      if (prepare_result) {
        // Prepared only once the server says so; a failed Prepare is retried
        // by the next call that needs it.
        preparing_.erase(w.name);
        if (st == PGRES_COMMAND_OK) conn_->mark_prepared(w.name);
      }
      if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE) {
        Error e = error_from_result(res, c);
        // The server no longer knows a name we had marked prepared.
        if (e.sqlstate == "26000" && !prepare_result) conn_->forget_prepared(w.name);
        if (e.sqlstate == "57014" && w.cancel_target) {
          e.message = "the query took longer than the query timeout";
        }
        if (!w.failure) w.failure = std::move(e);
        PQclear(res);
      } else if (st == PGRES_PIPELINE_ABORTED) {
        if (!w.failure) w.failure = Error::internal("database error");
        PQclear(res);
      } else if (!w.abandoned) {
        w.last = Rows(res);  // the Prepare's empty result, then the statement's rows
      } else {
        PQclear(res);
      }
    }
    if (PQstatus(c) == CONNECTION_BAD) broken();
  }

  const PoolSettings& settings_;
  const std::shared_ptr<Canceller> canceller_;
  mutable std::mutex mu_;
  std::condition_variable connect_done_;       // connecting_ went false
  std::unique_ptr<Connection> conn_;           // guarded by mu_
  std::deque<WaiterPtr> pending_;              // guarded by mu_: one per unanswered Sync, in order
  std::unordered_set<std::string> preparing_;  // guarded by mu_: Prepares not yet answered
  bool reading_ = false;                       // guarded by mu_: a caller is the reader
  bool broken_ = false;                        // guarded by mu_: replace conn_ once nobody reads it
  bool down_ = false;        // guarded by mu_: the last connect failed or the lane broke
  bool connecting_ = false;  // guarded by mu_: a caller is connecting, outside mu_
  bool cancelling_ = false;  // guarded by mu_: a cancel was sent for a head not yet answered
  Clock::time_point cancel_deadline_;  // guarded by mu_: give up on the connection then
};

// ---------------------------------------------------------------- Pool

Pool::Pool(PoolSettings settings)
    : settings_(std::move(settings)),
      canceller_(std::make_shared<Canceller>(settings_.max_stuck_cancels)) {
  if (settings_.size == 0) settings_.size = 1;
  // Lanes connect on first use, so a pool that never pipelines opens none.
  std::size_t lanes = std::min(settings_.pipeline_lanes, settings_.size);
  for (std::size_t i = 0; i < lanes; ++i) {
    lanes_.push_back(std::make_unique<Lane>(settings_, canceller_));
  }
  capacity_ = settings_.size;
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
    if (open_ < capacity_) break;
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= capacity_) {
      return Error{
          ErrorCode::kResourceExhausted, "no database connection free within the timeout", {}};
    }
  }
  ++open_;
  lock.unlock();

  // Connect outside the lock: it may take up to connect_timeout.
  auto conn = connect(settings_, canceller_);
  if (!conn) {
    std::lock_guard relock(mu_);
    --open_;
    available_.notify_one();
    return connection_error();
  }
  return Lease(this, std::move(conn));
}

void Pool::release(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(mu_);
  if (conn && conn->reusable()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;  // broken, given up or left mid-transaction: close it
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

Result<Rows> Pool::execute_pipelined(const Statement& statement, const Params& params) {
  if (Status st = check_no_nul(params); !st.ok()) return st.error();
  if (lanes_.empty()) return execute(statement, params);
  // Each thread keeps to one lane: with as many lanes as calling threads no
  // two threads ever meet on a lane's mutex.
  thread_local std::size_t t_lane = next_lane_.fetch_add(1, std::memory_order_relaxed);
  return lanes_[t_lane % lanes_.size()]->execute(statement, params);
}

std::size_t Pool::pipelined_in_flight() const {
  std::size_t n = 0;
  for (const auto& lane : lanes_) n += lane->in_flight();
  return n;
}

std::size_t Pool::stuck_cancels() const { return canceller_->stuck(); }

Status Pool::ping() {
  auto r = query("SELECT 1");
  if (!r.ok()) return r.error();
  return {};
}

}  // namespace cloudlet::pg
