#include "logs/log_groups.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace cloudlet::logs {
namespace {

namespace fs = std::filesystem;

fs::path temp_root(const char* name) {
  fs::path p = fs::temp_directory_path() /
               (std::string("cloudlet-logs-") + name + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(StreamPath, MapsGroupToNestedDirectories) {
  auto p = stream_path("/r", "/aws/api_gw/cloudlet", "2026-11-28");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->string(), "/r/aws/api_gw/cloudlet/2026-11-28.jsonl");
}

TEST(StreamPath, RejectsEscapingNames) {
  EXPECT_FALSE(stream_path("/r", "/aws/lambda/../../etc", "x").ok());
  EXPECT_FALSE(stream_path("/r", "relative", "x").ok());
  EXPECT_FALSE(stream_path("/r", "/aws//x", "x").ok());
  EXPECT_FALSE(stream_path("/r", "/aws/x", "../y").ok());
}

TEST(LogWriter, WritesLinesPerGroupAfterFlush) {
  fs::path root = temp_root("write");
  LogWriter writer({.root = root});
  writer.append("/aws/api_gw/test", R"({"a":1})");
  writer.append("/aws/lambda/f", R"({"b":2})");
  writer.append("/aws/api_gw/test", R"({"a":3})");
  writer.flush();
  std::string stream = daily_stream(std::chrono::system_clock::now());
  EXPECT_EQ(slurp(root / "aws/api_gw/test" / (stream + ".jsonl")), "{\"a\":1}\n{\"a\":3}\n");
  EXPECT_EQ(slurp(root / "aws/lambda/f" / (stream + ".jsonl")), "{\"b\":2}\n");
  EXPECT_EQ(writer.dropped(), 0u);
  writer.stop();
  fs::remove_all(root);
}

TEST(LogWriter, DropsInsteadOfBlockingWhenQueueIsFull) {
  fs::path root = temp_root("drop");
  LogWriter writer({.root = root, .retention_days = 30, .max_queued_lines = 0});
  writer.append("/aws/api_gw/test", "{}");
  EXPECT_EQ(writer.dropped(), 1u);
  writer.stop();
  fs::remove_all(root);
}

TEST(LogWriter, PurgesStreamsOlderThanRetention) {
  fs::path root = temp_root("purge");
  fs::create_directories(root / "aws/lambda/f");
  std::ofstream(root / "aws/lambda/f/2000-01-01.jsonl") << "{}\n";
  std::ofstream(root / "aws/lambda/f/notes.jsonl") << "{}\n";
  LogWriter writer({.root = root, .retention_days = 30});
  EXPECT_FALSE(fs::exists(root / "aws/lambda/f/2000-01-01.jsonl"));
  EXPECT_TRUE(fs::exists(root / "aws/lambda/f/notes.jsonl"));
  writer.stop();
  fs::remove_all(root);
}

std::string today_file(const fs::path& root, const std::string& group_dir) {
  return (root / group_dir / (daily_stream(std::chrono::system_clock::now()) + ".jsonl")).string();
}

// Lines of `count` distinct JSON objects, each about `size` bytes.
std::vector<std::string> make_lines(int count, std::size_t size) {
  std::vector<std::string> lines;
  for (int i = 0; i < count; ++i) {
    std::string line = R"({"i":)" + std::to_string(i) + R"(,"pad":")";
    line.append(size, 'x');
    line += "\"}";
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

TEST(LogWriter, StopIsIdempotentAndSafeFromManyThreads) {
  fs::path root = temp_root("stop");
  LogWriter writer({.root = root});
  writer.append("/aws/lambda/f", R"({"a":1})");
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&] { writer.stop(); });
  for (int i = 0; i < 2; ++i) threads.emplace_back([&] { writer.flush(); });
  for (auto& t : threads) t.join();
  writer.stop();
  writer.flush();  // after stop: returns at once
  EXPECT_EQ(slurp(today_file(root, "aws/lambda/f")), "{\"a\":1}\n");
  fs::remove_all(root);
}

// Every write(2) starts at a line start and ends with a newline, even for a
// batch of several MiB (stdio's fwrite cut it at its buffer size).
TEST(LogWriter, EachWriteCarriesWholeLines) {
  fs::path root = temp_root("whole");
  std::vector<std::string> writes;
  LogWriter writer({.root = root, .write = [&](int fd, const void* data, std::size_t size) {
                      writes.emplace_back(static_cast<const char*>(data), size);
                      return ::write(fd, data, size);
                    }});
  auto lines = make_lines(6000, 1000);
  for (const auto& l : lines) writer.append("/aws/lambda/f", l);
  writer.flush();
  ASSERT_GE(writes.size(), 2u);
  std::string all;
  for (const auto& w : writes) {
    ASSERT_FALSE(w.empty());
    EXPECT_EQ(w.front(), '{');
    EXPECT_EQ(w.back(), '\n');
    all += w;
  }
  EXPECT_EQ(all, joined(lines));
  EXPECT_EQ(slurp(today_file(root, "aws/lambda/f")), joined(lines));
  EXPECT_EQ(writer.failed(), 0u);
  writer.stop();
  fs::remove_all(root);
}

// A failed write is counted and logged, its lines are not on disk, flush()
// still returns, and the writer recovers once the disk does.
TEST(LogWriter, AFailedWriteIsCountedNotWritten) {
  fs::path root = temp_root("fail");
  std::atomic<bool> disk_full{true};
  LogWriter writer({.root = root, .write = [&](int fd, const void* data, std::size_t size) {
                      if (disk_full) {
                        errno = ENOSPC;
                        return ssize_t{-1};
                      }
                      return ::write(fd, data, size);
                    }});
  writer.append("/aws/lambda/f", R"({"lost":1})");
  writer.append("/aws/lambda/f", R"({"lost":2})");
  writer.flush();
  EXPECT_EQ(writer.failed(), 2u);
  EXPECT_EQ(slurp(today_file(root, "aws/lambda/f")), "");
  disk_full = false;
  writer.append("/aws/lambda/f", R"({"kept":3})");
  writer.flush();
  EXPECT_EQ(writer.failed(), 2u);
  EXPECT_EQ(slurp(today_file(root, "aws/lambda/f")), "{\"kept\":3}\n");
  writer.stop();
  fs::remove_all(root);
}

// A short write (the disk filled mid-write) is finished to the end of the
// cut line; no line is lost or counted as failed once the disk takes it.
TEST(LogWriter, AShortWriteFinishesTheCutLine) {
  fs::path root = temp_root("short");
  int calls = 0;
  LogWriter writer({.root = root, .write = [&](int fd, const void* data, std::size_t size) {
                      ++calls;
                      return ::write(fd, data, calls == 1 ? size / 2 + 1 : size);
                    }});
  auto lines = make_lines(5, 100);
  for (const auto& l : lines) writer.append("/aws/lambda/f", l);
  writer.flush();
  EXPECT_EQ(slurp(today_file(root, "aws/lambda/f")), joined(lines));
  EXPECT_EQ(writer.failed(), 0u);
  EXPECT_GE(calls, 2);
  writer.stop();
  fs::remove_all(root);
}

}  // namespace
}  // namespace cloudlet::logs
