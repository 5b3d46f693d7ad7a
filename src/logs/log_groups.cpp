#include "logs/log_groups.hpp"

#include <cstdio>
#include <ctime>
#include <map>
#include <system_error>
#include <utility>

namespace cloudlet::logs {

namespace fs = std::filesystem;

Result<fs::path> stream_path(const fs::path& root, std::string_view group,
                             std::string_view stream) {
  if (group.size() < 2 || group.front() != '/') {
    return Error::invalid_argument("log group must start with '/'");
  }
  // Group names come from our own code, but a function name from a routes
  // file ends up here too: refuse anything that could leave `root`.
  fs::path rel;
  std::size_t start = 1;
  while (start <= group.size()) {
    std::size_t end = group.find('/', start);
    if (end == std::string_view::npos) end = group.size();
    std::string_view segment = group.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return Error::invalid_argument("log group has an empty or relative segment");
    }
    rel /= std::string(segment);
    start = end + 1;
  }
  if (stream.empty() || stream.find('/') != std::string_view::npos || stream == "." ||
      stream == "..") {
    return Error::invalid_argument("bad log stream name");
  }
  return root / rel / (std::string(stream) + ".jsonl");
}

std::string daily_stream(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

LogWriter::LogWriter(Options options) : options_(std::move(options)) {
  std::error_code ec;
  fs::create_directories(options_.root, ec);
  purge_expired(std::chrono::system_clock::now());
  thread_ = std::thread([this] { run(); });
}

LogWriter::~LogWriter() { stop(); }

void LogWriter::append(std::string_view group, std::string line) {
  std::string stream = daily_stream(std::chrono::system_clock::now());
  std::lock_guard lock(mu_);
  if (stopping_ || queue_.size() >= options_.max_queued_lines) {
    ++dropped_;
    return;
  }
  queue_.push_back({std::string(group), std::move(stream), std::move(line)});
  ++appended_;
  // No wake-up per line: at thousands of requests a second that costs a
  // futex call and a thread switch each. The writer wakes on its own every
  // kFlushInterval, or early when a batch is worth writing.
  if (queue_.size() == kWakeBatch) wake_.notify_one();
}

void LogWriter::flush() {
  std::unique_lock lock(mu_);
  std::uint64_t target = appended_;
  flush_requested_ = true;
  wake_.notify_one();
  flushed_.wait(lock, [&] { return written_ >= target || !thread_.joinable(); });
}

void LogWriter::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  flushed_.notify_all();
}

std::uint64_t LogWriter::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

void LogWriter::run() {
  auto next_purge = std::chrono::steady_clock::now() + std::chrono::hours(1);
  std::vector<Entry> batch;
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait_for(lock, kFlushInterval,
                   [&] { return stopping_ || flush_requested_ || queue_.size() >= kWakeBatch; });
    flush_requested_ = false;
    batch.swap(queue_);
    bool done = stopping_;
    lock.unlock();
    write_batch(batch);
    std::size_t n = batch.size();
    batch.clear();
    if (std::chrono::steady_clock::now() >= next_purge) {
      close_files();
      purge_expired(std::chrono::system_clock::now());
      next_purge = std::chrono::steady_clock::now() + std::chrono::hours(1);
    }
    lock.lock();
    written_ += n;
    flushed_.notify_all();
    if (done && queue_.empty()) {
      lock.unlock();
      close_files();
      return;
    }
  }
}

void LogWriter::close_files() {
  for (auto& [path, file] : files_) std::fclose(file);
  files_.clear();
}

void LogWriter::write_batch(std::vector<Entry>& batch) {
  if (batch.empty()) return;
  // Group the batch by file so each file is opened and written once.
  std::map<std::pair<std::string_view, std::string_view>, std::string> by_file;
  for (const Entry& e : batch) {
    std::string& text = by_file[{e.group, e.stream}];
    text += e.line;
    text += '\n';
  }
  for (const auto& [key, text] : by_file) {
    auto path = stream_path(options_.root, key.first, key.second);
    if (!path.ok()) continue;
    // Files stay open between batches (closed hourly and at stop), so a
    // batch costs one write per stream, not an open/stat/close.
    std::FILE*& f = files_[path->string()];
    if (f == nullptr) {
      std::error_code ec;
      fs::create_directories(path->parent_path(), ec);
      // O_APPEND writes of whole lines: concurrent writers (several cloudlet
      // processes on one data dir) never interleave inside a line.
      f = std::fopen(path->c_str(), "ae");
      if (f == nullptr) {
        files_.erase(path->string());
        continue;
      }
    }
    std::fwrite(text.data(), 1, text.size(), f);
    std::fflush(f);
  }
  // A new day opens new streams; yesterday's stay cached until the hourly close.
  if (files_.size() > 256) close_files();
}

void LogWriter::purge_expired(std::chrono::system_clock::time_point now) {
  if (options_.retention_days <= 0) return;
  std::string cutoff = daily_stream(now - std::chrono::hours(24) * options_.retention_days);
  std::error_code ec;
  if (!fs::exists(options_.root, ec)) return;
  for (auto it = fs::recursive_directory_iterator(options_.root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->path().extension() != ".jsonl") continue;
    std::string stem = it->path().stem().string();
    // Only daily streams ("YYYY-MM-DD") carry a date; leave other files alone.
    if (stem.size() == 10 && stem[4] == '-' && stem[7] == '-' && stem < cutoff) {
      std::error_code rm;
      fs::remove(it->path(), rm);
    }
  }
}

}  // namespace cloudlet::logs
