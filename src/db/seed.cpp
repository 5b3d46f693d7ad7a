#include "db/seed.hpp"

#include <array>
#include <string>
#include <string_view>

namespace cloudlet::db {

namespace {

constexpr std::array<std::string_view, 40> kFirstNames = {
    "Adele", "Blair", "Pearl", "Liam", "Olivia", "Noah", "Emma", "Oliver", "Ava", "Elijah",
    "Sophia", "Mateo", "Isabella", "Lucas", "Mia", "Amelia", "Hiroshi", "Yuki", "Chloé", "Zoë",
    "José", "Ana", "Søren", "Ingrid", "Priya", "Arjun", "Fatima", "Omar", "Wei", "Mei",
    "Kwame", "Ama", "Dmitri", "Olga", "Giulia", "Marco", "Aoife", "Seán", "Lena", "Jonas"};
constexpr std::array<std::string_view, 40> kLastNames = {
    "Thompson", "Rampsey", "Gales", "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia",
    "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson",
    "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Pérez", "Tanaka",
    "Nakamura", "Müller", "Schmidt", "Kowalski", "Nowak", "Rossi", "Bianchi", "O'Brien",
    "Murphy", "Andersen", "Nielsen", "Singh", "Kumar", "Okafor"};
constexpr std::array<std::string_view, 6> kDomains = {
    "anyemail.com", "example.com", "mail.example.org", "corp.example.net", "inbox.example", "post.example"};

// splitmix64: tiny, fast and good enough to spread test data.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

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
  std::uint64_t r = mix(random_seed ^ mix(static_cast<std::uint64_t>(n)));
  std::string_view first = kFirstNames[r % kFirstNames.size()];
  std::string_view last = kLastNames[(r >> 8) % kLastNames.size()];
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
  row += std::to_string(created);
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
  for (int i = 0; i < ids->size(); ++i) company_ids.push_back(static_cast<int>(ids->integer(i, 0).value()));
  if (company_ids.empty()) return Error::invalid_argument("there are no companies to add contacts to");

  // created_at arrives as epoch seconds in a staging column and is converted
  // in one INSERT ... SELECT, which is cheaper than text timestamps per row.
  if (auto r = lease->query("BEGIN"); !r.ok()) return r.error();
  if (auto r = lease->query(
          "CREATE TEMP TABLE contacts_seed (company_id int, first_name varchar, last_name varchar,"
          " email varchar, created_epoch bigint) ON COMMIT DROP");
      !r.ok()) {
    return r.error();
  }
  long long n = 0;
  constexpr long long kBatch = 5000;
  auto copied = lease->copy_in(
      "COPY contacts_seed FROM STDIN", [&]() -> std::optional<std::string> {
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
  auto inserted = lease->query(
      "INSERT INTO contacts (company_id, first_name, last_name, email, created_at) "
      "SELECT company_id, first_name, last_name, email, to_timestamp(created_epoch) FROM contacts_seed");
  if (!inserted.ok()) {
    (void)lease->query("ROLLBACK");
    return inserted.error();
  }
  if (auto r = lease->query("COMMIT"); !r.ok()) return r.error();
  report.contacts_added = inserted->affected();
  (void)lease->query("ANALYZE contacts");
  return report;
}

}  // namespace cloudlet::db
