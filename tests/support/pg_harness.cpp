#include "pg_harness.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "core/pg_pool.hpp"
#include "db/migrations.hpp"

namespace cloudlet::testing {

namespace {

namespace fs = std::filesystem;

std::optional<db::EmbeddedCluster> g_cluster;
fs::path g_dir;
std::atomic<int> g_counter{0};

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "pg_harness: " << what << "\n";
  std::exit(1);
}

class ClusterEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    char tmpl[] = "/tmp/cloudlet-pgtest-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) fail("cannot create a temporary directory");
    g_dir = tmpl;
    auto located =
        db::EmbeddedCluster::locate({.data_dir = g_dir, .port = free_port(), .durable = false});
    if (!located.ok()) fail(located.error().message);
    g_cluster.emplace(std::move(*located));
    if (auto r = g_cluster->ensure_initialized(); !r.ok()) fail(r.error().message);
    if (auto s = g_cluster->start(); !s.ok()) fail(s.error().message);
    pg::Pool admin({.url = g_cluster->url_for("postgres"), .size = 1});
    if (auto r = admin.query("CREATE DATABASE migrated_template"); !r.ok()) fail(r.error().message);
    pg::Pool tmpl_pool({.url = g_cluster->url_for("migrated_template"), .size = 1});
    if (auto r = db::migrate(tmpl_pool, db::embedded_migrations()); !r.ok())
      fail(r.error().message);
  }
  void TearDown() override {
    if (g_cluster) (void)g_cluster->stop();
    std::error_code ec;
    if (std::getenv("CLOUDLET_KEEP_PGTEST") == nullptr) fs::remove_all(g_dir, ec);
  }
};

std::string create_database(const char* template_name) {
  std::string name = "t" + std::to_string(::getpid()) + "_" + std::to_string(g_counter++);
  pg::Pool admin({.url = g_cluster->url_for("postgres"), .size = 1});
  auto r = admin.query("CREATE DATABASE " + name + " TEMPLATE " + template_name);
  if (!r.ok()) fail("cannot create a test database: " + r.error().message);
  return g_cluster->url_for(name);
}

}  // namespace

std::string fresh_database() { return create_database("migrated_template"); }
std::string empty_database() { return create_database("template0"); }
db::EmbeddedCluster& cluster() { return *g_cluster; }

}  // namespace cloudlet::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new cloudlet::testing::ClusterEnvironment);
  return RUN_ALL_TESTS();
}
