#include "db/migrations.hpp"

#include <gtest/gtest.h>

namespace cloudlet::db {
namespace {

Migration m(const std::string& name, const std::string& sql) {
  return make_migration(name, sql).value();
}

TEST(Migrations, NamesMustCarryAVersion) {
  EXPECT_FALSE(make_migration("schema.sql", "").ok());
  EXPECT_FALSE(make_migration("0001_schema.txt", "").ok());
  EXPECT_FALSE(make_migration("abcd_schema.sql", "").ok());
  EXPECT_FALSE(make_migration("0000_zero.sql", "").ok());
  auto ok = make_migration("0012_add_index.sql", "SELECT 1");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->version, 12);
  EXPECT_EQ(ok->checksum, sha256_hex("SELECT 1"));
}

TEST(Migrations, PlansPendingInVersionOrder) {
  std::vector<Migration> files = {m("0003_c.sql", "c"), m("0001_a.sql", "a"), m("0002_b.sql", "b")};
  std::vector<AppliedMigration> applied = {{1, "0001_a.sql", sha256_hex("a"), ""}};
  auto plan = plan_migrations(files, applied);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->size(), 2u);
  EXPECT_EQ((*plan)[0]->name, "0002_b.sql");
  EXPECT_EQ((*plan)[1]->name, "0003_c.sql");
}

TEST(Migrations, NothingToDoWhenAllApplied) {
  std::vector<Migration> files = {m("0001_a.sql", "a")};
  auto plan = plan_migrations(files, {{1, "0001_a.sql", sha256_hex("a"), ""}});
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->empty());
}

TEST(Migrations, EditedAppliedFileIsAnError) {
  std::vector<Migration> files = {m("0001_a.sql", "a -- edited")};
  auto plan = plan_migrations(files, {{1, "0001_a.sql", sha256_hex("a"), ""}});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(plan.error().message.find("0001_a.sql was edited"), std::string::npos);
}

TEST(Migrations, DuplicateVersionsAreAnError) {
  std::vector<Migration> files = {m("0001_a.sql", "a"), m("0001_b.sql", "b")};
  EXPECT_FALSE(plan_migrations(files, {}).ok());
}

TEST(Migrations, StatusShowsEveryState) {
  std::vector<Migration> files = {m("0001_a.sql", "a"), m("0002_b.sql", "b2"),
                                  m("0003_c.sql", "c")};
  std::vector<AppliedMigration> applied = {{1, "0001_a.sql", sha256_hex("a"), "t1"},
                                           {2, "0002_b.sql", sha256_hex("b"), "t2"},
                                           {9, "0009_gone.sql", "x", "t9"}};
  auto rows = describe_migrations(files, applied);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].state, "applied");
  EXPECT_EQ(rows[1].state, "edited");
  EXPECT_EQ(rows[2].state, "pending");
  EXPECT_EQ(rows[3].state, "missing file");
}

TEST(Migrations, EmbeddedMatchesTheSourceFolder) {
  auto on_disk = load_migrations(CLOUDLET_MIGRATIONS_DIR);
  ASSERT_TRUE(on_disk.ok());
  const auto& embedded = embedded_migrations();
  ASSERT_EQ(on_disk->size(), embedded.size());
  ASSERT_FALSE(embedded.empty());
  for (std::size_t i = 0; i < embedded.size(); ++i) {
    EXPECT_EQ(embedded[i].name, (*on_disk)[i].name);
    EXPECT_EQ(embedded[i].checksum, (*on_disk)[i].checksum);
  }
}

}  // namespace
}  // namespace cloudlet::db
