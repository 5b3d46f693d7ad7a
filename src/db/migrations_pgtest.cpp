#include <gtest/gtest.h>

#include "db/migrations.hpp"
#include "pg_harness.hpp"

namespace cloudlet::db {
namespace {

TEST(MigrationsPg, AppliesAllThenIsANoOp) {
  pg::Pool pool({.url = testing::empty_database(), .size = 2});
  auto first = migrate(pool, embedded_migrations());
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->size(), embedded_migrations().size());
  auto second = migrate(pool, embedded_migrations());
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->empty());
  auto applied = read_applied(pool);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(applied->size(), embedded_migrations().size());
}

TEST(MigrationsPg, EditedFileIsRefusedAndNothingChanges) {
  pg::Pool pool({.url = testing::empty_database(), .size = 1});
  std::vector<Migration> files = {make_migration("0001_t.sql", "CREATE TABLE t (x int)").value()};
  ASSERT_TRUE(migrate(pool, files).ok());
  files = {make_migration("0001_t.sql", "CREATE TABLE t (x bigint)").value(),
           make_migration("0002_u.sql", "CREATE TABLE u (x int)").value()};
  auto r = migrate(pool, files);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("edited"), std::string::npos);
  auto u = pool.query("SELECT to_regclass('u') IS NULL");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->text(0, 0), "t");
}

TEST(MigrationsPg, FailingMigrationRollsBackWhole) {
  pg::Pool pool({.url = testing::empty_database(), .size = 1});
  std::vector<Migration> files = {
      make_migration("0001_ok.sql", "CREATE TABLE a (x int)").value(),
      make_migration("0002_bad.sql", "CREATE TABLE b (x int); SELECT nonsense_column FROM a")
          .value()};
  auto r = migrate(pool, files);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("0002_bad.sql"), std::string::npos);
  auto b = pool.query("SELECT to_regclass('b') IS NULL, to_regclass('a') IS NOT NULL");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->text(0, 0), "t") << "table b was rolled back";
  EXPECT_EQ(b->text(0, 1), "t") << "migration 0001 stayed applied";
  auto applied = read_applied(pool);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(applied->size(), 1u);
}

}  // namespace
}  // namespace cloudlet::db
