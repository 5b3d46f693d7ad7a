#include "db/seed.hpp"

#include <array>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

#include "db/name_vocabulary.hpp"

namespace cloudlet::db {

namespace {

constexpr std::array<std::string_view, 6> kDomains = {"anyemail.com",     "example.com",
                                                      "mail.example.org", "corp.example.net",
                                                      "inbox.example",    "post.example"};

std::string ascii_lower(std::string_view s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x80) {
      out.push_back(static_cast<char>(std::tolower(u)));
    } else if (u >= 0xC0) {
      out.push_back('x');  // keep e-mail local parts ASCII
    }
  }
  return out;
}

// COPY text format escapes backslash, tab and newlines; generated names hold
// only "'" among specials, which COPY takes literally.
void append_copy_text(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '\\' || c == '\t' || c == '\n' || c == '\r') out.push_back('\\');
    out.push_back(c);
  }
}

}  // namespace

std::string generated_contact_row(std::uint64_t random_seed, long long n,
                                  const std::vector<int>& company_ids) {
  std::uint64_t r = splitmix64(random_seed ^ splitmix64(static_cast<std::uint64_t>(n)));
  // Names are drawn from their own streams: a skewed draw must not share
  // bits with the uniform ones below.
  std::string_view first = NameVocabulary::first_names().draw(splitmix64(r ^ 1));
  std::string_view last = NameVocabulary::last_names().draw(splitmix64(r ^ 2));
  std::string_view domain = kDomains[(r >> 16) % kDomains.size()];
  int company = company_ids.empty() ? 1 : company_ids[(r >> 24) % company_ids.size()];
  // Spread creation times over three years before 2026-01-01, to the second.
  constexpr long long kEnd = 1767225600;  // 2026-01-01T00:00:00Z
  long long created = kEnd - static_cast<long long>((r >> 32) % (3LL * 365 * 24 * 3600));

  std::string row;
  row.reserve(128);
  row += std::to_string(company);
  row += '\t';
  append_copy_text(row, first);
  row += '\t';
  append_copy_text(row, last);
  row += '\t';
  std::string local = ascii_lower(first) + "." + ascii_lower(last) + "." + std::to_string(n);
  std::erase(local, '\'');
  append_copy_text(row, local);
  row += '@';
  row += domain;
  row += '\t';
  std::time_t t = static_cast<std::time_t>(created);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[80];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02d %02d:%02d:%02d+00", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  row += stamp;
  row += '\n';
  return row;
}

Result<SeedReport> seed(pg::Pool& pool, const SeedOptions& options, const SeedProgress& progress) {
  SeedReport report;
  auto lease = pool.acquire();
  if (!lease.ok()) return lease.error();

  if (options.companies > 0) {
    auto added = lease->query(
        "INSERT INTO companies (name) "
        "SELECT 'company ' || g FROM generate_series(1, $1::bigint) g",
        {std::to_string(options.companies)});
    if (!added.ok()) return added.error();
    report.companies_added = added->affected();
  }
  auto ids = lease->query("SELECT id FROM companies ORDER BY id");
  if (!ids.ok()) return ids.error();
  std::vector<int> company_ids;
  for (int i = 0; i < ids->size(); ++i)
    company_ids.push_back(static_cast<int>(ids->integer(i, 0).value()));
  if (company_ids.empty())
    return Error::invalid_argument("there are no companies to add contacts to");

  if (auto r = lease->query("BEGIN"); !r.ok()) return r.error();
  if (auto r = lease->query("SET LOCAL maintenance_work_mem = '512MB'"); !r.ok()) return r.error();
  // The VACUUM after the load can only mark pages all-visible once the
  // commit is on disk (hint bits wait for it), and a cluster may run with
  // synchronous_commit off.
  if (auto r = lease->query("SET LOCAL synchronous_commit = on"); !r.ok()) return r.error();
  std::vector<std::string> rebuild;  // CREATE INDEX statements to run after the load
  if (options.contacts >= options.rebuild_indexes_from) {
    auto defs = lease->query(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        "AND tablename = 'contacts' "
        "AND (indexdef LIKE '%gin_trgm_ops%' OR indexdef LIKE '%INCLUDE%')");
    if (!defs.ok()) return defs.error();
    for (int i = 0; i < defs->size(); ++i) {
      auto dropped = lease->query("DROP INDEX " + std::string(defs->text(i, 0)));
      if (!dropped.ok()) {
        (void)lease->query("ROLLBACK");
        return dropped.error();
      }
      rebuild.emplace_back(defs->text(i, 1));
    }
  }
  // Every generated company_id exists and cannot vanish while we hold this
  // lock, so the per-row foreign-key trigger can be skipped where allowed
  // (a superuser, as on the embedded cluster); elsewhere it simply runs.
  if (auto r = lease->query("LOCK TABLE companies IN SHARE MODE"); !r.ok()) {
    (void)lease->query("ROLLBACK");
    return r.error();
  }
  (void)lease->query("SAVEPOINT replica_role");
  if (!lease->query("SET LOCAL session_replication_role = replica").ok()) {
    (void)lease->query("ROLLBACK TO SAVEPOINT replica_role");
  }
  long long n = 0;
  constexpr long long kBatch = 5000;
  auto copied = lease->copy_in(
      "COPY contacts (company_id, first_name, last_name, email, created_at) FROM STDIN",
      [&]() -> std::optional<std::string> {
        if (n >= options.contacts) return std::nullopt;
        std::string chunk;
        long long end = std::min(options.contacts, n + kBatch);
        for (; n < end; ++n) chunk += generated_contact_row(options.random_seed, n, company_ids);
        if (progress) progress(n, options.contacts);
        return chunk;
      });
  if (!copied.ok()) {
    (void)lease->query("ROLLBACK");
    return copied.error();
  }
  for (const auto& create : rebuild) {
    if (auto r = lease->query(create); !r.ok()) {
      (void)lease->query("ROLLBACK");
      return r.error();
    }
  }
  if (auto r = lease->query("COMMIT"); !r.ok()) return r.error();
  report.contacts_added = *copied;
  // VACUUM sets the visibility map, without which a page's OFFSET over
  // (created_at, id) or the covering index would visit every skipped row's
  // table page instead of running on the index alone.
  (void)lease->query("VACUUM (ANALYZE) contacts");
  return report;
}

}  // namespace cloudlet::db
