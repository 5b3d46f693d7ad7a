#include "logs/log_groups.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

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

}  // namespace
}  // namespace cloudlet::logs
