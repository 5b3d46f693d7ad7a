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
// - flush() waits until every line appended before it is written; stop()
//   flushes and joins the writer. The destructor calls stop().
// - Lines are written as given: callers build JSON and must not put secrets in
//   it (cloudlet never logs secret keys, signatures or passwords).
// - Retention: files whose stream date is older than `retention_days` are
//   deleted at start and then once an hour.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
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
  void write_batch(std::vector<Entry>& batch);
  void close_files();

  static constexpr std::size_t kWakeBatch = 4096;
  static constexpr std::chrono::milliseconds kFlushInterval{200};

  Options options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable flushed_;
  std::vector<Entry> queue_;                 // guarded by mu_
  std::uint64_t appended_ = 0;               // guarded by mu_
  std::uint64_t written_ = 0;                // guarded by mu_
  std::uint64_t dropped_ = 0;                // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  bool flush_requested_ = false;             // guarded by mu_
  std::map<std::string, std::FILE*> files_;  // writer thread only
  std::thread thread_;
};

}  // namespace cloudlet::logs
