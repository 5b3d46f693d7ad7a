#include "db/migrations.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

namespace cloudlet::db {

namespace fs = std::filesystem;

namespace {

// Any fixed number works; it only has to be the same for every cloudlet.
constexpr const char* kLockKey = "7241930475";

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

Result<Migration> make_migration(std::string name, std::string sql) {
  auto underscore = name.find('_');
  int version = 0;
  if (underscore == std::string::npos || underscore == 0 || !name.ends_with(".sql")) {
    return Error::invalid_argument("migration file '" + name +
                                   "' must be named NNNN_description.sql");
  }
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + underscore, version);
  if (ec != std::errc() || ptr != name.data() + underscore || version <= 0) {
    return Error::invalid_argument("migration file '" + name +
                                   "' must start with a positive version number");
  }
  Migration m;
  m.version = version;
  m.checksum = sha256_hex(sql);
  m.name = std::move(name);
  m.sql = std::move(sql);
  return m;
}

Result<std::vector<Migration>> load_migrations(const fs::path& dir) {
  std::vector<Migration> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".sql") continue;
    std::ifstream in(entry.path());
    std::stringstream ss;
    ss << in.rdbuf();
    auto m = make_migration(entry.path().filename().string(), ss.str());
    if (!m.ok()) return m.error();
    out.push_back(std::move(*m));
  }
  if (ec) return Error::invalid_argument("cannot read " + dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.version < b.version; });
  return out;
}

Result<std::vector<const Migration*>> plan_migrations(
    const std::vector<Migration>& files, const std::vector<AppliedMigration>& applied) {
  std::map<int, const Migration*> by_version;
  for (const auto& m : files) {
    auto [it, inserted] = by_version.emplace(m.version, &m);
    if (!inserted) {
      return Error::invalid_argument("migrations " + it->second->name + " and " + m.name +
                                     " have the same version");
    }
  }
  std::map<int, const AppliedMigration*> done;
  for (const auto& a : applied) done.emplace(a.version, &a);
  std::vector<const Migration*> todo;
  for (const auto& [version, m] : by_version) {
    auto it = done.find(version);
    if (it == done.end()) {
      todo.push_back(m);
    } else if (it->second->checksum != m->checksum) {
      return Error{ErrorCode::kFailedPrecondition,
                   "migration " + m->name + " was edited after it was applied (recorded checksum " +
                       it->second->checksum.substr(0, 12) + "…, file now " +
                       m->checksum.substr(0, 12) +
                       "…); applied migrations must not change: add a new migration instead",
                   {}};
    }
  }
  return todo;
}

std::vector<MigrationStatus> describe_migrations(const std::vector<Migration>& files,
                                                 const std::vector<AppliedMigration>& applied) {
  std::map<int, MigrationStatus> rows;
  for (const auto& m : files) rows[m.version] = {m.version, m.name, "pending", ""};
  for (const auto& a : applied) {
    auto it = rows.find(a.version);
    if (it == rows.end()) {
      rows[a.version] = {a.version, a.name, "missing file", a.applied_at};
      continue;
    }
    const Migration* file = nullptr;
    for (const auto& m : files) {
      if (m.version == a.version) file = &m;
    }
    it->second.state = (file != nullptr && file->checksum == a.checksum) ? "applied" : "edited";
    it->second.applied_at = a.applied_at;
  }
  std::vector<MigrationStatus> out;
  for (auto& [v, row] : rows) out.push_back(std::move(row));
  return out;
}

Result<std::vector<AppliedMigration>> read_applied(pg::Pool& pool) {
  auto lease = pool.acquire();
  if (!lease.ok()) return lease.error();
  return read_applied(*lease);
}

Result<std::vector<AppliedMigration>> read_applied(pg::Lease& conn) {
  auto exists = conn.query("SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (!exists.ok()) return exists.error();
  std::vector<AppliedMigration> out;
  if (exists->text(0, 0) != "t") return out;
  auto rows = conn.query(
      "SELECT version, name, checksum, "
      "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
      "FROM schema_migrations ORDER BY version");
  if (!rows.ok()) return rows.error();
  for (int i = 0; i < rows->size(); ++i) {
    auto v = rows->integer(i, 0);
    if (!v.ok()) return v.error();
    out.push_back({static_cast<int>(*v), std::string(rows->text(i, 1)),
                   std::string(rows->text(i, 2)), std::string(rows->text(i, 3))});
  }
  return out;
}

Result<std::vector<std::string>> migrate(pg::Pool& service_pool,
                                         const std::vector<Migration>& files) {
  // A migration may rewrite a large table (0008 takes seconds per million
  // contacts), far past a service's query timeout: migrations get their own
  // connection, bounded only by kMigrationTimeout.
  pg::PoolSettings settings = service_pool.settings();
  settings.size = 1;
  settings.pipeline_lanes = 0;
  settings.query_timeout = kMigrationTimeout;
  pg::Pool pool(std::move(settings));
  auto lease = pool.acquire();
  if (!lease.ok()) return lease.error();
  auto locked = lease->query(std::string("SELECT pg_advisory_lock(") + kLockKey + ")");
  if (!locked.ok()) return locked.error();
  struct Unlock {
    pg::Lease& lease;
    ~Unlock() { (void)lease.query(std::string("SELECT pg_advisory_unlock(") + kLockKey + ")"); }
  } unlock{*lease};

  if (auto r = lease->query(kCreateTable); !r.ok()) return r.error();
  auto applied = read_applied(*lease);
  if (!applied.ok()) return applied.error();
  auto plan = plan_migrations(files, *applied);
  if (!plan.ok()) return plan.error();

  std::vector<std::string> done;
  for (const Migration* m : *plan) {
    if (auto r = lease->query("BEGIN"); !r.ok()) return r.error();
    Status applied_ok = lease->exec_script(m->sql);
    if (applied_ok.ok()) {
      auto rec = lease->query(
          "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
          {std::to_string(m->version), m->name, m->checksum});
      if (!rec.ok()) applied_ok = rec.error();
    }
    if (!applied_ok.ok()) {
      (void)lease->query("ROLLBACK");
      Error e = applied_ok.error();
      e.message = "migration " + m->name + " failed: " + e.message;
      return e;
    }
    if (auto r = lease->query("COMMIT"); !r.ok()) return r.error();
    done.push_back(m->name);
  }
  return done;
}

}  // namespace cloudlet::db
