// A bounded pool of PostgreSQL connections on libpq.
//
// Contract:
// - Thread-safe. At most `size` connections are leased; a caller waits up
//   to `acquire_timeout` for one and then gets kResourceExhausted. The
//   pipeline lanes (below) are `pipeline_lanes` more, opened on first use.
// - Every query is bounded by `query_timeout`: on expiry the query is
//   cancelled on the server (see "What a failure says", below). The cancel
//   request and the wait for its effect are bounded by `cancel_timeout`
//   together, so a timed-out call returns within about query_timeout +
//   cancel_timeout, even when the server stops answering.
// - Connections that the server dropped (restart, crash, admin shutdown) are
//   detected before reuse and replaced, so after PostgreSQL comes back queries
//   recover without any action. While it is down, calls fail fast with
//   kUnavailable (SQLSTATE class 08 or 57P0x).
// - Prepared statements are prepared lazily, once per connection.
// - Errors are values: `Error::sqlstate` carries the server's SQLSTATE and the
//   code is derived from it (see classify_sqlstate). SQL text and connection
//   strings never appear in an Error's message.
// - Calls block the calling thread: run them on a worker pool, never on an
//   I/O thread.
//
// What a failure says about the statement, for query() and execute() (on the
// Pool or a Lease) and a Lease's exec_script() and copy_in():
// - kUnavailable (class 08, or the server's 57P0x): not applied, safe to
//   retry. The server could not be reached; or the connection was found
//   closed, or the statement could not be handed to it, before it was sent;
//   or the connection was lost during the Prepare that precedes a
//   statement's first use on a connection (the statement itself was not
//   sent); or the server ended the session with its own error (57P01: admin
//   shutdown) before the statement succeeded, which rolls it back.
// - kUnknown (08006): the statement was sent and may or may not have been
//   applied; read before retrying a change. Either the connection was lost
//   before the statement's whole answer arrived (an INSERT's row can come
//   before its commit), or it ran past query_timeout and the cancel could
//   not be confirmed: the cancel request got no answer within
//   cancel_timeout (or was not tried, below), or the statement's answer did
//   not arrive within cancel_timeout after it. The connection is closed, not
//   reused (a Lease's later calls on it get kUnavailable).
// - kDeadlineExceeded (57014): it ran past query_timeout and the server
//   confirmed the cancel, so its implicit transaction was rolled back: not
//   applied (in a Lease's explicit transaction, the transaction is aborted).
//   A Prepare that times out gets kDeadlineExceeded too (the statement was
//   not sent).
// - A statement that ran past query_timeout but finished before the cancel
//   landed returns its own outcome (its rows, or its own error), late.
// - Every other error is the server's answer to the statement (it failed, was
//   not applied).
// The code, not the SQLSTATE, says what is known: kUnknown carries 08006
// (connection failure), which classify_sqlstate maps to kUnavailable.
//
// Cancels. libpq 15's PQcancel has no timeout: it connects to the server,
// sends the cancel request and waits for the server to close that
// connection. It runs on a helper thread that the caller waits for at most
// cancel_timeout; a helper still blocked then is "stuck" until PQcancel
// returns (the OS gives up on the connection in the end). While
// `max_stuck_cancels` helpers of this pool are stuck no new cancel is tried:
// the timed-out statement's connection is just closed (kUnknown), so a
// server that stopped answering cannot make threads pile up.
//
// Pipeline lanes.
// - execute_pipelined() runs one statement on a shared *lane*: a connection
//   in libpq pipeline mode that carries the statements of many callers at
//   once, each followed by its own Sync (so each is its own implicit
//   transaction and an error in one never touches another). PostgreSQL then
//   reads several statements per wake-up instead of one, which is most of a
//   point query's cost. The calling threads take turns reading the socket
//   (leader/follower): no extra thread, no extra hop. A slow statement delays
//   the ones queued behind it on its lane, so use it for short statements
//   (point reads by key), and execute() or a Lease for the rest.
// - execute_pipelined() is only for statements that are safe to retry (reads,
//   idempotent writes). Its codes do not tell "not applied" from "unknown":
//   when a lane's connection breaks, every statement already sent on it
//   fails with kUnavailable although it may have run (its message says so),
//   and kDeadlineExceeded means the caller stopped waiting, whether or not
//   the statement has run or will. A lane also sends a statement again when
//   a failure was not the statement's own (a Prepare queued by another call
//   failed, or a cancel meant for another statement hit it).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

struct pg_conn;
struct pg_result;

namespace cloudlet::pg {

struct PoolSettings {
  std::string url;  // a libpq connection URI or key=value string
  std::size_t size = 8;
  std::chrono::milliseconds acquire_timeout{5000};
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds query_timeout{10000};
  // Bounds a timed-out query's cancel: the cancel request, then the wait for
  // the statement's answer after it.
  std::chrono::milliseconds cancel_timeout{2000};
  // Cancel helpers (threads blocked in PQcancel past cancel_timeout) that may
  // be stuck at once; beyond that a timed-out query's connection is closed
  // without a cancel.
  std::size_t max_stuck_cancels = 4;
  std::string application_name = "cloudlet";
  // Connections (besides `size`, at most `size`) used as pipeline lanes by
  // execute_pipelined(), each thread keeping to one; 0 = execute_pipelined()
  // is execute().
  std::size_t pipeline_lanes = 2;
};

// A text-format query parameter; nullopt is SQL NULL.
using Param = std::optional<std::string>;
using Params = std::vector<Param>;

// A statement prepared once per connection under `name`.
struct Statement {
  std::string name;
  std::string sql;
};

// The rows of one query result, in text format. Owns the libpq result.
class Rows {
 public:
  Rows() = default;
  explicit Rows(pg_result* result);
  Rows(Rows&&) noexcept;
  Rows& operator=(Rows&&) noexcept;
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  ~Rows();

  int size() const;
  int columns() const;
  bool empty() const { return size() == 0; }
  // The column's index by name, or -1.
  int column(std::string_view name) const;
  bool is_null(int row, int col) const;
  // The text value; empty for NULL (check is_null when it matters).
  std::string_view text(int row, int col) const;
  // The value converted; an error names the column when it does not convert.
  Result<long long> integer(int row, int col) const;
  // Number of rows affected by INSERT/UPDATE/DELETE.
  long long affected() const;

 private:
  pg_result* result_ = nullptr;
};

// Maps a SQLSTATE to the caller-oriented code (23505 -> kAlreadyExists,
// 23503 -> kFailedPrecondition, class 22/23514 -> kInvalidArgument, class 08
// and 57P0x -> kUnavailable, 57014 -> kDeadlineExceeded, 40001/40P01 -> kAborted).
ErrorCode classify_sqlstate(std::string_view sqlstate);

// One checked-out connection. Return it by destroying the handle.
class Connection;
class Canceller;
class Pool;

class Lease {
 public:
  Lease(Lease&&) noexcept;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  ~Lease();

  Result<Rows> query(std::string_view sql, const Params& params = {});
  Result<Rows> execute(const Statement& statement, const Params& params = {});
  // Runs several statements separated by ';' with no parameters (migrations).
  Status exec_script(std::string_view sql);
  // Streams rows into `COPY ... FROM STDIN`; `chunks` yields text-format data.
  // Returns the number of rows the server reports.
  Result<long long> copy_in(std::string_view copy_sql,
                            const std::function<std::optional<std::string>()>& next_chunk);
  pg_conn* raw();

 private:
  friend class Pool;
  Lease(Pool* pool, std::unique_ptr<Connection> conn);
  Pool* pool_;
  std::unique_ptr<Connection> conn_;
};

class Pool {
 public:
  explicit Pool(PoolSettings settings);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // One statement on any free connection (codes: see the contract above).
  Result<Rows> query(std::string_view sql, const Params& params = {});
  Result<Rows> execute(const Statement& statement, const Params& params = {});
  // One short statement that is safe to retry on a pipeline lane, shared
  // with other callers' statements in flight (see the contract above). The
  // server's own errors as execute(), and:
  // - the answer or kDeadlineExceeded within about query_timeout of the
  //   call, however many statements are queued ahead of this one (plus up to
  //   cancel_timeout for the caller whose turn it is to cancel the statement
  //   at the head of the lane). kDeadlineExceeded: the statement may or may
  //   not have run, or may still run;
  // - kUnavailable at once while the lane's connection is down or being
  //   replaced (one caller at a time tries to reconnect, for at most
  //   connect_timeout; only a lane's first connection is waited for): not
  //   sent;
  // - kUnavailable (08006), with a message saying it may or may not have
  //   run, when the connection breaks after the statement was sent, or the
  //   server does not confirm a cancel within cancel_timeout or does not
  //   answer a cancelled head within another query_timeout (the lane is then
  //   replaced). Never kUnknown: lanes are for statements safe to retry.
  Result<Rows> execute_pipelined(const Statement& statement, const Params& params = {});
  // Statements sent on the pipeline lanes and not yet answered, including
  // those whose callers gave up. For monitoring and tests; locks each lane.
  std::size_t pipelined_in_flight() const;
  // Checks out a connection (for transactions or several statements in a row).
  Result<Lease> acquire();
  // True when a connection can be made and answers `SELECT 1`.
  Status ping();
  // Cancel helpers stuck now (see "Cancels" above). For monitoring and tests.
  std::size_t stuck_cancels() const;

  const PoolSettings& settings() const { return settings_; }

 private:
  friend class Lease;
  class Lane;
  void release(std::unique_ptr<Connection> conn);

  PoolSettings settings_;
  std::shared_ptr<Canceller> canceller_;      // shared with cancel helper threads
  std::size_t capacity_ = 0;                  // connections for leases: size
  std::vector<std::unique_ptr<Lane>> lanes_;  // fixed after construction
  std::atomic<std::size_t> next_lane_{0};
  std::mutex mu_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mu_
  std::size_t open_ = 0;                           // guarded by mu_: idle + leased
};

}  // namespace cloudlet::pg
