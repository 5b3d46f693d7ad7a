#include "core/config.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

namespace cloudlet {
namespace {

TEST(Config, DefaultsWhenNothingIsSet) {
  auto s = resolve_settings({});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->data_dir, ".cloudlet");
  EXPECT_EQ(s->pg_port, 54329);
  EXPECT_EQ(s->gateway_listen, "127.0.0.1:8080");
  EXPECT_EQ(s->region, "us-east-1");
}

TEST(Config, FlagsBeatEnvironmentBeatFileBeatDefaults) {
  ConfigLayers layers;
  layers.file = {
      {"pg_port", "1111"}, {"region", "eu-west-1"}, {"log_level", "warn"}, {"data_dir", "/f"}};
  layers.env = {{"pg_port", "2222"}, {"region", "eu-central-1"}, {"data_dir", "/e"}};
  layers.flags = {{"pg_port", "3333"}};
  auto s = resolve_settings(layers);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->pg_port, 3333);           // flag
  EXPECT_EQ(s->region, "eu-central-1");  // env over file
  EXPECT_EQ(s->data_dir, "/e");
  EXPECT_EQ(s->log_level, "warn");  // file over default
}

TEST(Config, BadValueNamesKeyAndSource) {
  ConfigLayers layers;
  layers.env = {{"pg_port", "70000"}};
  auto s = resolve_settings(layers);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("CLOUDLET_PG_PORT"), std::string::npos) << s.error().message;
  layers.env = {};
  layers.flags = {{"gateway.listen", "nonsense"}};
  s = resolve_settings(layers);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("--gateway-listen"), std::string::npos) << s.error().message;
}

TEST(Config, EnvNameFromDottedKey) {
  EXPECT_EQ(env_name("gateway.listen"), "CLOUDLET_GATEWAY_LISTEN");
  EXPECT_EQ(env_name("data_dir"), "CLOUDLET_DATA_DIR");
}

TEST(Config, ReadsEnvironment) {
  ::setenv("CLOUDLET_REGION", "ap-south-1", 1);
  auto env = read_environment();
  ::unsetenv("CLOUDLET_REGION");
  EXPECT_EQ(env["region"], "ap-south-1");
}

class ConfigFile : public ::testing::Test {
 protected:
  std::string path_ = ::testing::TempDir() + "/cloudlet-config-test.yaml";
  void write(const std::string& text) { std::ofstream(path_) << text; }
};

TEST_F(ConfigFile, NestedAndDottedKeysFlatten) {
  write("region: eu-west-2\ngateway:\n  listen: 127.0.0.1:9090\ndb.pool_size: 4\n");
  auto file = read_config_file(path_);
  ASSERT_TRUE(file.ok()) << file.error().message;
  auto s = resolve_settings({.flags = {}, .env = {}, .file = *file});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->gateway_listen, "127.0.0.1:9090");
  EXPECT_EQ(s->db_pool_size, 4u);
  EXPECT_EQ(s->region, "eu-west-2");
}

TEST_F(ConfigFile, UnknownKeyIsAnError) {
  write("gateway:\n  lisen: 127.0.0.1:9090\n");
  auto file = read_config_file(path_);
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.error().message.find("gateway.lisen"), std::string::npos);
}

TEST_F(ConfigFile, MalformedYamlIsAnError) {
  write("region: [unclosed\n");
  EXPECT_FALSE(read_config_file(path_).ok());
}

TEST(Config, GatewayKeysHaveDefaultsAndBounds) {
  auto d = resolve_settings({});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->gateway_routes_file, "");
  EXPECT_EQ(d->gateway_max_connections, 4096u);
  EXPECT_EQ(d->gateway_body_budget_mb, 256u);
  EXPECT_EQ(d->gateway_idle_timeout, std::chrono::seconds(60));
  EXPECT_EQ(d->logs_retention_days, 30);
  ConfigLayers layers;
  layers.file = {{"gateway.routes_file", "/etc/routes.json"},
                 {"gateway.io_threads", "2"},
                 {"gateway.workers", "32"},
                 {"logs.retention_days", "7"}};
  auto s = resolve_settings(layers);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->gateway_routes_file, "/etc/routes.json");
  EXPECT_EQ(s->gateway_io_threads, 2u);
  EXPECT_EQ(s->gateway_workers, 32u);
  EXPECT_EQ(s->logs_retention_days, 7);
  layers.flags = {{"gateway.max_connections", "0"}};
  auto bad = resolve_settings(layers);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("--gateway-max-connections"), std::string::npos);
}

}  // namespace
}  // namespace cloudlet
