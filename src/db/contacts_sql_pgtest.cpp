// The seven contacts SQL functions (db/migrations/0003), against a real
// PostgreSQL: the seed's own example calls, injection strings, literal '%'
// and '_', Unicode, empty results and page boundaries.
#include <gtest/gtest.h>

#include "core/pg_pool.hpp"
#include "db/seed.hpp"
#include "pg_harness.hpp"

namespace cloudlet::db {
namespace {

using pg::Param;
using pg::Params;

class ContactsSql : public ::testing::Test {
 protected:
  pg::Pool pool_{{.url = testing::fresh_database(), .size = 2}};

  pg::Rows must(std::string_view sql, const Params& params = {}) {
    auto r = pool_.query(sql, params);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message) << " in " << sql;
    return r.ok() ? std::move(*r) : pg::Rows();
  }
  Error must_fail(std::string_view sql, const Params& params = {}) {
    auto r = pool_.query(sql, params);
    EXPECT_FALSE(r.ok()) << sql;
    return r.ok() ? Error{} : r.error();
  }
  // The ids a row-returning function gave, in order.
  std::vector<long long> ids(std::string_view sql, const Params& params = {}) {
    pg::Rows rows = must(sql, params);
    std::vector<long long> out;
    for (int i = 0; i < rows.size(); ++i) out.push_back(rows.integer(i, 0).value());
    return out;
  }
  std::vector<long long> filter(const std::string& id, const std::optional<std::string>& search,
                                const std::optional<std::string>& start,
                                const std::optional<std::string>& finish) {
    return ids("SELECT * FROM contacts_get_by_dynamic_filter($1, $2, $3, $4)",
               {id, search, start, finish});
  }
  std::vector<long long> page(const std::string& search, int number, int size) {
    return ids(
        "SELECT * FROM contacts_get_by_pagination(0, $1, '0001.01.01', '0001.01.01', $2, $3)",
        {search, std::to_string(number), std::to_string(size)});
  }
  long long insert(const std::string& company, const std::string& first, const std::string& last,
                   const std::string& email) {
    pg::Rows rows =
        must("SELECT * FROM contacts_insert($1, $2, $3, $4)", {company, first, last, email});
    return rows.empty() ? -1 : rows.integer(0, 0).value();
  }
  long long count_contacts() { return must("SELECT count(*) FROM contacts").integer(0, 0).value(); }
  // EXPLAIN (ANALYZE) of `sql`, after `setting` (e.g. "SET enable_seqscan = off") on the
  // same connection.
  std::string plan_of(const std::string& sql, const std::string& setting = "RESET ALL") {
    auto lease = pool_.acquire();
    EXPECT_TRUE(lease.ok());
    if (!lease.ok()) return {};
    EXPECT_TRUE(lease->query(setting).ok());
    auto explained = lease->query("EXPLAIN (ANALYZE, COSTS OFF) " + sql);
    EXPECT_TRUE(lease->query("RESET ALL").ok());
    EXPECT_TRUE(explained.ok()) << (explained.ok() ? "" : explained.error().message);
    std::string text;
    if (!explained.ok()) return text;
    for (int i = 0; i < explained->size(); ++i) text += std::string(explained->text(i, 0)) + "\n";
    return text;
  }
};

using Ids = std::vector<long long>;

TEST_F(ContactsSql, SeedDataAsTheSeedInsertedIt) {
  pg::Rows rows = must(
      "SELECT c.id, c.first_name, c.last_name, co.id, co.name FROM contacts c "
      "JOIN companies co ON co.id = c.company_id ORDER BY c.id");
  ASSERT_EQ(rows.size(), 3);
  EXPECT_EQ(rows.text(0, 1), "Adele");
  EXPECT_EQ(rows.text(0, 4), "amazon");
  EXPECT_EQ(rows.text(1, 2), "Rampsey");
  EXPECT_EQ(rows.text(1, 4), "google");
  EXPECT_EQ(rows.text(2, 1), "Pearl");
  EXPECT_EQ(rows.text(2, 4), "microsoft");
}

TEST_F(ContactsSql, FirstNewContactGetsId4) {
  EXPECT_EQ(insert("1", "LeBron", "James", "lebron@anyemail.com"), 4);
}

TEST_F(ContactsSql, ColumnsInTheSeedsOrder) {
  pg::Rows rows = must("SELECT * FROM contacts_get_by_contact_id(1)");
  ASSERT_EQ(rows.columns(), 6);
  const char* names[] = {"id", "first_name", "last_name", "email", "created_at", "company_id"};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(rows.column(names[i]), i);
  EXPECT_EQ(rows.text(0, 5), "1");
}

TEST_F(ContactsSql, GetByContactIdAndMissingId) {
  EXPECT_EQ(ids("SELECT * FROM contacts_get_by_contact_id(2)"), Ids{2});
  EXPECT_EQ(ids("SELECT * FROM contacts_get_by_contact_id(999)"), Ids{});
}

TEST_F(ContactsSql, GetByCompanyIdOrderedById) {
  long long a = insert("3", "Zed", "Alpha", "zed@x.io");
  long long b = insert("3", "Amy", "Beta", "amy@x.io");
  EXPECT_EQ(ids("SELECT * FROM contacts_get_by_company_id(3)"), (Ids{3, a, b}));
  EXPECT_EQ(ids("SELECT * FROM contacts_get_by_company_id(42)"), Ids{});
}

TEST_F(ContactsSql, UpdateChangesRowAndMissingIdReturnsNoRow) {
  EXPECT_EQ(ids("SELECT * FROM contacts_update_by_contact_id(2, 3, 'Blair', 'Ramsey', 'br@x.io')"),
            Ids{2});
  pg::Rows row = must("SELECT last_name, company_id FROM contacts WHERE id = 2");
  EXPECT_EQ(row.text(0, 0), "Ramsey");
  EXPECT_EQ(row.text(0, 1), "3");
  EXPECT_EQ(ids("SELECT * FROM contacts_update_by_contact_id(999, 1, 'a', 'b', 'a@b')"), Ids{});
}

TEST_F(ContactsSql, DeleteRemovesRowAndMissingIdReturnsNoRow) {
  EXPECT_EQ(ids("SELECT * FROM contacts_delete_by_contact_id(1)"), Ids{1});
  EXPECT_EQ(ids("SELECT * FROM contacts_get_by_contact_id(1)"), Ids{});
  EXPECT_EQ(ids("SELECT * FROM contacts_delete_by_contact_id(1)"), Ids{});
}

TEST_F(ContactsSql, UnknownCompanyIsAForeignKeyError) {
  Error e = must_fail("SELECT * FROM contacts_insert(99, 'a', 'b', 'a@b.c')");
  EXPECT_EQ(e.sqlstate, "23503");
  e = must_fail("SELECT * FROM contacts_update_by_contact_id(1, 99, 'a', 'b', 'a@b.c')");
  EXPECT_EQ(e.sqlstate, "23503");
}

TEST_F(ContactsSql, ChecksRejectEmptyNamesAndBadEmails) {
  EXPECT_EQ(must_fail("SELECT * FROM contacts_insert(1, '', 'b', 'a@b.c')").sqlstate, "23514");
  EXPECT_EQ(must_fail("SELECT * FROM contacts_insert(1, '   ', 'b', 'a@b.c')").sqlstate, "23514");
  EXPECT_EQ(must_fail("SELECT * FROM contacts_insert(1, 'a', 'b', 'no-at-sign')").sqlstate,
            "23514");
  EXPECT_EQ(must_fail("SELECT * FROM contacts_insert(1, 'a', 'b', 'two@@x')").sqlstate, "23514");
  EXPECT_EQ(must_fail("SELECT * FROM contacts_insert(1, 'a', 'b', 'sp ace@x.io')").sqlstate,
            "23514");
  EXPECT_EQ(must_fail("SELECT * FROM contacts_insert(1, NULL, 'b', 'a@x.io')").sqlstate, "23502");
  EXPECT_EQ(must_fail("SELECT * FROM contacts_insert(1, repeat('x', 256), 'b', 'a@x.io')").sqlstate,
            "22001");
  // '%' and '_' are legal in an e-mail's local part.
  EXPECT_GT(insert("1", "Per", "Cent", "100%_off+tag@shop.example"), 0);
}

// The seed's own example calls (its migration's comments).
TEST_F(ContactsSql, SeedExampleDynamicFilters) {
  EXPECT_EQ(filter("3", "", "0001.01.01", "0001.01.01"), Ids{3});
  EXPECT_EQ(filter("0", "microsoft", "0001.01.01", "0001.01.01"), Ids{3});
  EXPECT_EQ(filter("0", "", "2022.09.20 00:00:00", "0001.01.01"), (Ids{1, 2, 3}));
  EXPECT_EQ(filter("0", "", "00001.01.01", "2022.09.30 23:59:59"), (Ids{1, 2, 3}));
  EXPECT_EQ(filter("0", "", "2022.09.25 00:00:00", "2022.09.26 23:59:59"), Ids{2});
}

TEST_F(ContactsSql, FilterBoundsAreExclusiveAndNullMeansOpen) {
  EXPECT_EQ(filter("0", std::nullopt, "2022-09-25 12:00:00+00", std::nullopt), Ids{3});
  EXPECT_EQ(filter("0", std::nullopt, std::nullopt, "2022-09-25 12:00:00+00"), Ids{1});
  EXPECT_EQ(filter("0", std::nullopt, std::nullopt, std::nullopt), (Ids{1, 2, 3}));
}

TEST_F(ContactsSql, SearchIsCaseInsensitiveOverNamesEmailAndCompany) {
  EXPECT_EQ(filter("0", "THOMPSON", std::nullopt, std::nullopt), Ids{1});
  EXPECT_EQ(filter("0", "pearl.gales@", std::nullopt, std::nullopt), Ids{3});
  EXPECT_EQ(filter("0", "GOOG", std::nullopt, std::nullopt), Ids{2});
  EXPECT_EQ(filter("0", "a", std::nullopt, std::nullopt), (Ids{1, 2, 3}));
  EXPECT_EQ(filter("2", "a", std::nullopt, std::nullopt), Ids{2});
  EXPECT_EQ(filter("0", "nobody-has-this", std::nullopt, std::nullopt), Ids{});
}

TEST_F(ContactsSql, SearchTextIsNeverSql) {
  long long before = count_contacts();
  for (std::string evil :
       {"' OR 1=1 --", "%'; DROP TABLE contacts; --", "'", "''", "\\",
        "\\'; SELECT pg_sleep(10); --", "amazon' OR 'x'='x", "$1", "); DELETE FROM contacts; --"}) {
    EXPECT_EQ(filter("0", evil, std::nullopt, std::nullopt), Ids{}) << evil;
    EXPECT_EQ(page(evil, 1, 5), Ids{}) << evil;
  }
  EXPECT_EQ(count_contacts(), before);
  EXPECT_EQ(must("SELECT to_regclass('contacts') IS NOT NULL").text(0, 0), "t");
}

TEST_F(ContactsSql, QuotesAndBackslashesAreSearchedLiterally) {
  long long o = insert("1", "Seán", "O'Brien", "sean@x.io");
  long long b = insert("1", "Back\\slash", "Person", "bs@x.io");
  EXPECT_EQ(filter("0", "o'brien", std::nullopt, std::nullopt), Ids{o});
  EXPECT_EQ(filter("0", "k\\s", std::nullopt, std::nullopt), Ids{b});
  EXPECT_EQ(filter("0", "\\", std::nullopt, std::nullopt), Ids{b});
}

TEST_F(ContactsSql, PercentAndUnderscoreMatchThemselves) {
  long long pct = insert("1", "100%", "Real", "pct@x.io");
  long long und = insert("1", "snake_case", "Name", "under@x.io");
  EXPECT_EQ(filter("0", "%", std::nullopt, std::nullopt), Ids{pct});
  EXPECT_EQ(filter("0", "_", std::nullopt, std::nullopt), Ids{und});
  EXPECT_EQ(filter("0", "0%", std::nullopt, std::nullopt), Ids{pct});
  EXPECT_EQ(filter("0", "e_c", std::nullopt, std::nullopt), Ids{und});
  EXPECT_EQ(filter("0", "Ade_e", std::nullopt, std::nullopt), Ids{}) << "'_' is not a wildcard";
  EXPECT_EQ(filter("0", "A%e", std::nullopt, std::nullopt), Ids{}) << "'%' is not a wildcard";
}

TEST_F(ContactsSql, UnicodeNamesRoundTripAndSearchCaseInsensitively) {
  long long z = insert("2", "Zoë", "Ørsted-Müller", "zoe@x.io");
  long long j = insert("2", "日本", "太郎", "taro@x.io");
  pg::Rows row =
      must("SELECT first_name, last_name FROM contacts_get_by_contact_id($1)", {std::to_string(z)});
  EXPECT_EQ(row.text(0, 0), "Zoë");
  EXPECT_EQ(row.text(0, 1), "Ørsted-Müller");
  EXPECT_EQ(filter("0", "ØRSTED", std::nullopt, std::nullopt), Ids{z});
  EXPECT_EQ(filter("0", "müller", std::nullopt, std::nullopt), Ids{z});
  EXPECT_EQ(filter("0", "太郎", std::nullopt, std::nullopt), Ids{j});
}

TEST_F(ContactsSql, SeedExamplePaginationPagesOneToThree) {
  // 1 seed contact at amazon + 11 more = 12: pages of 5 hold 5, 5, 2.
  std::vector<long long> amazon = {1};
  for (int i = 0; i < 11; ++i) {
    amazon.push_back(
        insert("1", "Person" + std::to_string(i), "Amazonian", "p" + std::to_string(i) + "@x.io"));
  }
  insert("2", "Not", "Amazon", "other@x.io");  // matches 'amazon' by last name too
  auto p1 = page("amazon", 1, 5);
  auto p2 = page("amazon", 2, 5);
  auto p3 = page("amazon", 3, 5);
  auto p4 = page("amazon", 4, 5);
  EXPECT_EQ(p1.size(), 5u);
  EXPECT_EQ(p2.size(), 5u);
  EXPECT_EQ(p3.size(), 3u);
  EXPECT_EQ(p4, Ids{});
  // Pages are consecutive slices of the dynamic filter's order.
  auto all = filter("0", "amazon", "0001.01.01", "0001.01.01");
  std::vector<long long> joined = p1;
  joined.insert(joined.end(), p2.begin(), p2.end());
  joined.insert(joined.end(), p3.begin(), p3.end());
  EXPECT_EQ(joined, all);
}

TEST_F(ContactsSql, PageBoundariesRaiseDistinctErrors) {
  EXPECT_EQ(must_fail("SELECT * FROM contacts_get_by_pagination(0, '', NULL, NULL, 0, 5)").sqlstate,
            "22V01");
  EXPECT_EQ(
      must_fail("SELECT * FROM contacts_get_by_pagination(0, '', NULL, NULL, -3, 5)").sqlstate,
      "22V01");
  EXPECT_EQ(
      must_fail("SELECT * FROM contacts_get_by_pagination(0, '', NULL, NULL, NULL, 5)").sqlstate,
      "22V01");
  EXPECT_EQ(must_fail("SELECT * FROM contacts_get_by_pagination(0, '', NULL, NULL, 1, 0)").sqlstate,
            "22V02");
  EXPECT_EQ(
      must_fail("SELECT * FROM contacts_get_by_pagination(0, '', NULL, NULL, 1, 1001)").sqlstate,
      "22V02");
  EXPECT_EQ(page("", 1, 1), Ids{1});
  EXPECT_EQ(page("", 1, 1000), (Ids{1, 2, 3}));
  EXPECT_EQ(page("", 3, 1), Ids{3});
  EXPECT_EQ(page("", 2000000, 1000), Ids{}) << "far past the end is empty, not an error";
}

TEST_F(ContactsSql, OrderIsCreatedAtThenId) {
  must(
      "INSERT INTO contacts (id, company_id, first_name, last_name, email, created_at) VALUES "
      "(100, 1, 'Same', 'Time', 's1@x.io', '2022-09-23 00:00:00+00'),"
      "(50, 1, 'Same', 'Time', 's2@x.io', '2022-09-23 00:00:00+00')");
  EXPECT_EQ(filter("0", "same", std::nullopt, std::nullopt), (Ids{50, 100}));
  EXPECT_EQ(filter("0", "", std::nullopt, std::nullopt), (Ids{1, 50, 100, 2, 3}));
}

TEST_F(ContactsSql, BulkSeedLoadsGeneratedContacts) {
  auto report = seed(pool_, {.contacts = 20000, .companies = 5}, nullptr);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->contacts_added, 20000);
  EXPECT_EQ(report->companies_added, 5);
  EXPECT_EQ(count_contacts(), 20003);
  // Generated data is searchable like any other.
  EXPECT_FALSE(filter("0", "thompson", std::nullopt, std::nullopt).empty());
  // The search uses the search document's trigram index.
  EXPECT_NE(plan_of("SELECT id FROM contacts WHERE search_document LIKE '%ompso%'",
                    "SET enable_seqscan = off")
                .find("contacts_search_document_trgm_idx"),
            std::string::npos);
  // The seed leaves the visibility map set, so a deep page's OFFSET runs
  // over the covering index alone.
  std::string deep = plan_of(
      "SELECT id FROM contacts ORDER BY created_at, id OFFSET 15000 ROWS FETCH NEXT 20 ROWS ONLY",
      "SET enable_seqscan = off");
  EXPECT_NE(deep.find("Index Only Scan"), std::string::npos) << deep;
  EXPECT_NE(deep.find("Heap Fetches: 0"), std::string::npos) << deep;
}

TEST_F(ContactsSql, LargeSeedRebuildsTheSearchIndexes) {
  auto indexes = [&]() -> std::string {
    return std::string(must("SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes "
                            "WHERE tablename = 'contacts' AND (indexdef LIKE '%gin_trgm_ops%' "
                            "OR indexdef LIKE '%INCLUDE%')")
                           .text(0, 0));
  };
  std::string before(indexes());
  auto report = seed(pool_, {.contacts = 3000, .rebuild_indexes_from = 1000}, nullptr);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(indexes(), before);
  EXPECT_EQ(before, "contacts_created_at_covering_idx,contacts_search_document_trgm_idx");
  EXPECT_EQ(count_contacts(), 3003);
}

// The seed's own SQL, written here as the seed wrote it (a join to companies,
// ILIKE on each field, OFFSET paging, no index of ours in sight), must give
// the very rows, in the very order, that the indexed functions give: on
// skewed generated data, for common, rare, mixed-case, company and empty
// searches, deep and last pages, and whichever plan the planner picks.
TEST_F(ContactsSql, ResultsAreTheSeedEquivalentsWhateverThePlan) {
  auto report = seed(pool_, {.contacts = 20000, .companies = 20}, nullptr);
  ASSERT_TRUE(report.ok()) << report.error().message;
  const std::string seed_sql =
      "SELECT c.id FROM contacts c JOIN companies co ON co.id = c.company_id "
      "WHERE ($1 = '' OR c.first_name ILIKE '%' || $1 || '%' OR c.last_name ILIKE '%' || $1 || '%' "
      "OR c.email ILIKE '%' || $1 || '%' OR co.name ILIKE '%' || $1 || '%') "
      "AND ($2::timestamptz IS NULL OR c.created_at > $2) "
      "AND ($3::timestamptz IS NULL OR c.created_at < $3) ORDER BY c.created_at, c.id";
  auto seed_page = [&](const std::string& search, const Param& after, const Param& before,
                       int number, int size) {
    return ids(seed_sql + " OFFSET " + std::to_string((number - 1) * size) + " LIMIT " +
                   std::to_string(size),
               {search, after, before});
  };
  // Noah is 2-3% of the rows, Smith about 3%, the tail names a few rows each.
  const std::string rare(
      must("SELECT last_name FROM contacts GROUP BY last_name HAVING count(*) = 2 LIMIT 1")
          .text(0, 0));
  ASSERT_FALSE(rare.empty());
  struct Case {
    std::string search;
    Param after, before;
  };
  const std::vector<Case> cases = {
      {"", std::nullopt, std::nullopt},
      {"noah", std::nullopt, std::nullopt},
      {"NoAh", "2024-01-01 00:00:00+00", std::nullopt},
      {"smith", std::nullopt, "2025-06-01 00:00:00+00"},
      {rare, std::nullopt, std::nullopt},
      {"company 1", std::nullopt, std::nullopt},  // company names: company 1, 10..19
      {"ü", std::nullopt, std::nullopt},          // Müller
      {"a\nn", std::nullopt, std::nullopt},       // would span first\nlast: matches nothing
  };
  for (const char* setting : {"RESET ALL", "SET enable_bitmapscan = off",
                              "SET enable_indexscan = off; SET enable_indexonlyscan = off"}) {
    auto lease = pool_.acquire();
    ASSERT_TRUE(lease.ok());
    ASSERT_TRUE(lease->exec_script(setting).ok());
    auto ours = [&](const Case& c, int number, int size) {
      auto rows =
          lease->query("SELECT id FROM contacts_get_by_pagination(0, $1, $2, $3, $4, $5)",
                       {c.search, c.after, c.before, std::to_string(number), std::to_string(size)});
      EXPECT_TRUE(rows.ok()) << (rows.ok() ? "" : rows.error().message);
      Ids out;
      for (int i = 0; rows.ok() && i < rows->size(); ++i)
        out.push_back(rows->integer(i, 0).value());
      return out;
    };
    auto all_of_ours = [&](const Case& c) {
      auto rows = lease->query("SELECT id FROM contacts_get_by_dynamic_filter(0, $1, $2, $3)",
                               {c.search, c.after, c.before});
      EXPECT_TRUE(rows.ok()) << (rows.ok() ? "" : rows.error().message);
      Ids out;
      for (int i = 0; rows.ok() && i < rows->size(); ++i)
        out.push_back(rows->integer(i, 0).value());
      return out;
    };
    for (const Case& c : cases) {
      SCOPED_TRACE(std::string(setting) + " search=" + c.search);
      Ids everything = ids(seed_sql, {c.search, c.after, c.before});
      EXPECT_EQ(all_of_ours(c), everything);
      const int size = 20;
      const int pages = static_cast<int>(everything.size() + size - 1) / size;
      for (int number : {1, 2, pages / 2, pages - 1, pages, pages + 1}) {
        if (number < 1) continue;
        EXPECT_EQ(ours(c, number, size), seed_page(c.search, c.after, c.before, number, size))
            << "page " << number;
      }
    }
    ASSERT_TRUE(lease->query("RESET ALL").ok());
  }
  // The common term is common and the rare one rare, as the benchmark needs.
  double noah = static_cast<double>(ids(seed_sql, {"noah", Param{}, Param{}}).size()) / 20003.0;
  EXPECT_GT(noah, 0.015);
  EXPECT_LT(noah, 0.04);
  EXPECT_LE(ids(seed_sql, {rare, Param{}, Param{}}).size(), 10u);
}

TEST(SeedRows, AreValidCopyText) {
  std::string row = generated_contact_row(42, 7, {1, 2, 3});
  EXPECT_EQ(std::count(row.begin(), row.end(), '\t'), 4);
  EXPECT_EQ(row.back(), '\n');
  EXPECT_NE(row.find('@'), std::string::npos);
  EXPECT_EQ(row, generated_contact_row(42, 7, {1, 2, 3})) << "deterministic";
  EXPECT_NE(row, generated_contact_row(42, 8, {1, 2, 3}));
}

}  // namespace
}  // namespace cloudlet::db
