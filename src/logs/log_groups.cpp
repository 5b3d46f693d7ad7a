#include "logs/log_groups.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <system_error>
#include <utility>

#include "core/log.hpp"

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
  if (!options_.write) {
    options_.write = [](int fd, const void* data, std::size_t size) {
      return ::write(fd, data, size);
    };
  }
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
  // exited_, not thread_: thread_ belongs to stop(), which joins it without mu_.
  flushed_.wait(lock, [&] { return processed_ >= target || exited_; });
}

void LogWriter::stop() {
  // The first caller joins; a concurrent caller waits here until it has, then
  // finds nothing to join. Holding stop_mu_ (never mu_) across the join lets
  // the writer thread take mu_ to finish.
  std::lock_guard stop_lock(stop_mu_);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t LogWriter::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

std::uint64_t LogWriter::failed() const {
  std::lock_guard lock(mu_);
  return failed_;
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
    std::uint64_t failed = write_batch(batch);
    std::size_t n = batch.size();
    batch.clear();
    if (std::chrono::steady_clock::now() >= next_purge) {
      close_files();
      purge_expired(std::chrono::system_clock::now());
      next_purge = std::chrono::steady_clock::now() + std::chrono::hours(1);
    }
    lock.lock();
    processed_ += n;
    failed_ += failed;
    if (done && queue_.empty()) {
      lock.unlock();
      close_files();
      lock.lock();
      exited_ = true;
      flushed_.notify_all();
      return;
    }
    flushed_.notify_all();
  }
}

void LogWriter::close_files() {
  for (auto& [path, fd] : files_) ::close(fd);
  files_.clear();
}

std::uint64_t LogWriter::write_batch(std::vector<Entry>& batch) {
  if (batch.empty()) return 0;
  // Group the batch by file so each file is opened and written once; ends[i]
  // is where line i of the file's text ends (after its newline).
  struct FileText {
    std::string text;
    std::vector<std::size_t> ends;
  };
  std::map<std::pair<std::string_view, std::string_view>, FileText> by_file;
  for (const Entry& e : batch) {
    FileText& f = by_file[{e.group, e.stream}];
    f.text += e.line;
    f.text += '\n';
    f.ends.push_back(f.text.size());
  }
  std::uint64_t failed = 0;
  for (const auto& [key, file] : by_file) {
    auto path = stream_path(options_.root, key.first, key.second);
    if (!path.ok()) {
      failed += file.ends.size();
      log::error(
          "logs.write_failed",
          {{"group", key.first}, {"error", path.error().message}, {"lines", file.ends.size()}});
      continue;
    }
    // Files stay open between batches (closed hourly and at stop), so a
    // batch costs one write per stream, not an open/stat/close.
    auto it = files_.find(path->string());
    if (it == files_.end()) {
      std::error_code ec;
      fs::create_directories(path->parent_path(), ec);
      int fd = ::open(path->c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) {
        failed += file.ends.size();
        log::error("logs.write_failed",
                   {{"path", path->string()},
                    {"error", std::string("cannot open: ") + std::strerror(errno)},
                    {"lines", file.ends.size()}});
        continue;
      }
      it = files_.emplace(path->string(), fd).first;
    }
    std::size_t written = write_lines(it->second, file.text, file.ends, it->first);
    if (written < file.ends.size()) {
      failed += file.ends.size() - written;
      // Reopen next time: the file may have been removed or replaced.
      ::close(it->second);
      files_.erase(it);
    }
  }
  // A new day opens new streams; yesterday's stay cached until the hourly close.
  if (files_.size() > 256) close_files();
  return failed;
}

// Each write(2) carries whole lines, up to kMaxWriteBytes. On a regular file
// opened with O_APPEND, Linux appends one write(2) as a unit (under the inode
// lock), so another process's line never lands inside one of ours; stdio
// gave no such promise (fwrite splits at its buffer size). A short write,
// which happens only when the disk fills or a file size limit is hit, is
// continued to the end of the cut line before the next chunk.
std::size_t LogWriter::write_lines(int fd, const std::string& text,
                                   const std::vector<std::size_t>& ends, const std::string& path) {
  std::size_t done = 0;   // bytes on disk
  std::size_t lines = 0;  // lines fully on disk: ends[lines - 1] <= done
  while (lines < ends.size()) {
    std::size_t end = ends[lines];
    bool at_line_start = done == (lines == 0 ? 0 : ends[lines - 1]);
    if (at_line_start) {
      for (std::size_t k = lines + 1; k < ends.size() && ends[k] - done <= kMaxWriteBytes; ++k) {
        end = ends[k];
      }
    }
    ssize_t n = options_.write(fd, text.data() + done, end - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      log::error("logs.write_failed",
                 {{"path", path},
                  {"error", n == 0 ? std::string("write returned 0") : std::strerror(errno)},
                  {"lines", ends.size() - lines}});
      break;
    }
    done += static_cast<std::size_t>(n);
    while (lines < ends.size() && ends[lines] <= done) ++lines;
  }
  return lines;
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
