// Versioned schema migrations.
//
// Files are named NNNN_description.sql and applied in version order, each in
// its own transaction, and recorded in `schema_migrations` with the SHA-256 of
// the file. A second run applies nothing. A file whose checksum differs from
// the one recorded when it was applied is an error: applied migrations are
// history and must not be edited (add a new one instead). Concurrent `migrate`
// runs are serialised by an advisory lock.
//
// The migrations in db/migrations/ are compiled into the binary, so a
// deployed `cloudlet` carries its schema with it.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/pg_pool.hpp"
#include "core/result.hpp"

namespace cloudlet::db {

struct Migration {
  int version = 0;
  std::string name;  // the file name
  std::string sql;
  std::string checksum;  // hex SHA-256 of sql
};

struct AppliedMigration {
  int version = 0;
  std::string name;
  std::string checksum;
  std::string applied_at;
};

// Builds a Migration from a file name and content; rejects bad names.
Result<Migration> make_migration(std::string name, std::string sql);
// The migrations compiled into this binary, ordered by version.
const std::vector<Migration>& embedded_migrations();
// Reads *.sql from a directory, ordered by version.
Result<std::vector<Migration>> load_migrations(const std::filesystem::path& dir);

// Pure planning: what to apply, given what is recorded. Errors on duplicate
// versions, and on applied files that were edited.
Result<std::vector<const Migration*>> plan_migrations(const std::vector<Migration>& files,
                                                      const std::vector<AppliedMigration>& applied);

struct MigrationStatus {
  int version = 0;
  std::string name;
  std::string state;  // "applied", "pending", "edited", "missing file"
  std::string applied_at;
};
std::vector<MigrationStatus> describe_migrations(const std::vector<Migration>& files,
                                                 const std::vector<AppliedMigration>& applied);

Result<std::vector<AppliedMigration>> read_applied(pg::Pool& pool);
Result<std::vector<AppliedMigration>> read_applied(pg::Lease& conn);
// A migration's statements may each run this long (a table rewrite).
inline constexpr std::chrono::hours kMigrationTimeout{1};

// Applies what plan_migrations says, on a connection of its own to the
// database `service_pool` reaches (with kMigrationTimeout in place of the
// pool's query timeout); returns the names applied.
Result<std::vector<std::string>> migrate(pg::Pool& service_pool,
                                         const std::vector<Migration>& files);

std::string sha256_hex(std::string_view data);

}  // namespace cloudlet::db
