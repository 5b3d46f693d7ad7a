// CloudWatch-Logs-style log groups on local disk: one directory per log group
// under `<data_dir>/logs/`, one file of JSON lines per stream.
//
// Layout: group "/aws/api_gw/cloudlet", stream "2026-11-28" ->
// `<root>/aws/api_gw/cloudlet/2026-11-28.jsonl`. Streams are daily by
// default so retention is a matter of deleting whole files.
//
// Contract:
// - append() never blocks on disk: it moves the line into an in-memory queue
//   that one writer thread drains in batches (one write per file per batch),
//   every 200 ms or when 4096 lines are waiting. Lines are on disk within
//   about 200 ms, or after flush().
//   That keeps the gateway's I/O threads free of file I/O (STYLE: never block
//   the Asio threads). When the queue is full (the disk cannot keep up) lines
//   are dropped and counted, never blocking the caller; dropped() reports it.
// - Thread-safe: append() may be called from any thread.
// - flush() waits until every line appended before it has been written (or
//   has failed; see failed()); stop() flushes and joins the writer. stop() is
//   idempotent and may be called from several threads at once; the
//   destructor calls it.
// - Whole lines only: each batch goes to a stream file with write(2) calls of
//   whole lines on an O_APPEND descriptor, so a line never interleaves with a
//   line of another writer (another cloudlet process on the same data dir).
//   A write that fails (ENOSPC, EIO) is logged to stderr and its lines are
//   counted in failed(), not as written.
// - Lines are written as given: callers build JSON and must not put secrets in
//   it (cloudlet never logs secret keys, signatures or passwords).
// - Retention: files whose stream date is older than `retention_days` are
//   deleted at start and then once an hour.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/result.hpp"

namespace cloudlet::logs {

struct Options {
  std::filesystem::path root;  // <data_dir>/logs
  int retention_days = 30;
  std::size_t max_queued_lines = 200000;
  // write(2) to a stream file; tests replace it to see or fail each call.
  // Empty means ::write.
  std::function<ssize_t(int fd, const void* data, std::size_t size)> write = {};
};

// Where a log group's stream lives on disk. `group` must start with '/' and
// may not contain ".." segments; returns an error otherwise.
Result<std::filesystem::path> stream_path(const std::filesystem::path& root, std::string_view group,
                                          std::string_view stream);

// The daily stream name for a time point: "YYYY-MM-DD" (UTC).
std::string daily_stream(std::chrono::system_clock::time_point t);

class LogWriter {
 public:
  explicit LogWriter(Options options);
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Queues one JSON line (without the trailing newline) for `group`'s daily
  // stream of the current UTC day.
  void append(std::string_view group, std::string line);
  void flush();
  void stop();

  std::uint64_t dropped() const;
  // Lines whose write failed (or whose file could not be opened): on stderr
  // as "logs.write_failed", and not on disk.
  std::uint64_t failed() const;
  const Options& options() const { return options_; }

  // Deletes stream files older than the retention window. Exposed for tests.
  void purge_expired(std::chrono::system_clock::time_point now);

 private:
  struct Entry {
    std::string group;
    std::string stream;
    std::string line;
  };
  void run();
  // Writes the batch; returns how many of its lines failed.
  std::uint64_t write_batch(std::vector<Entry>& batch);
  // Writes `text` (whole lines; line `i` ends at byte `ends[i]`) to `fd`;
  // returns how many lines are fully on disk.
  std::size_t write_lines(int fd, const std::string& text, const std::vector<std::size_t>& ends,
                          const std::string& path);
  void close_files();

  static constexpr std::size_t kWakeBatch = 4096;
  // The most one write(2) carries (more only for a single longer line).
  static constexpr std::size_t kMaxWriteBytes = 1 << 20;
  static constexpr std::chrono::milliseconds kFlushInterval{200};

  Options options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable flushed_;
  std::vector<Entry> queue_;          // guarded by mu_
  std::uint64_t appended_ = 0;        // guarded by mu_
  std::uint64_t processed_ = 0;       // guarded by mu_: lines written or failed
  std::uint64_t dropped_ = 0;         // guarded by mu_
  std::uint64_t failed_ = 0;          // guarded by mu_
  bool stopping_ = false;             // guarded by mu_
  bool flush_requested_ = false;      // guarded by mu_
  bool exited_ = false;               // guarded by mu_: run() has returned
  std::map<std::string, int> files_;  // writer thread only: path -> O_APPEND fd
  std::mutex stop_mu_;                // serialises stop(): one caller joins, others wait
  std::thread thread_;                // guarded by stop_mu_ after the constructor
};

}  // namespace cloudlet::logs
