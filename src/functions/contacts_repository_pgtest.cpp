// PgContactsRepository and the handlers on it, against a real PostgreSQL
// migrated with every file of db/migrations: the SQLSTATE mapping, writes
// returning whole rows, keyset paging across pages (and that a deep page
// costs what the first one does), and the seed's example calls end to end.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>

#include "core/pg_pool.hpp"
#include "core/tcp_proxy_testing.hpp"
#include "functions/contacts_handlers.hpp"
#include "functions/pg_contacts_repository.hpp"
#include "pg_harness.hpp"

namespace cloudlet::functions {
namespace {

namespace json = boost::json;

Timestamp at(std::string_view text) { return parse_timestamp(text).value(); }

class PgContacts : public ::testing::Test {
 protected:
  pg::Pool pool_{{.url = testing::fresh_database(), .size = 2}};
  std::shared_ptr<PgContactsRepository> repo_ = std::make_shared<PgContactsRepository>(pool_);
  std::map<std::string, Handler> fns_ = contacts_functions(repo_);

  void sql(std::string_view text, const pg::Params& params = {}) {
    auto r = pool_.query(text, params);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  ProxyResponse seed(const std::string& function, std::string body) {
    ProxyEvent e;
    e.route_key = "ANY /" + function;
    e.raw_path = "/" + function;
    e.request_context.http_method = "POST";
    e.body = std::move(body);
    return fns_.at(function)(e);
  }
  ProxyResponse api(std::string method, std::string path,
                    std::map<std::string, std::string> query = {}) {
    ProxyEvent e;
    e.raw_path = std::move(path);
    e.request_context.http_method = std::move(method);
    e.query_string_parameters = std::move(query);
    return fns_.at("contacts_api")(e);
  }
  static json::object body(const ProxyResponse& r) { return json::parse(r.body).as_object(); }
  static std::vector<std::int32_t> ids(const std::vector<Contact>& rows) {
    std::vector<std::int32_t> out;
    for (const Contact& c : rows) out.push_back(c.id);
    return out;
  }
};

using Ids = std::vector<std::int32_t>;
const ContactFields kLeBron{1, "LeBron", "James", "lebron@anyemail.com"};

TEST_F(PgContacts, InsertReturnsTheWholeCreatedRow) {
  auto before = std::chrono::system_clock::now() - std::chrono::minutes{1};
  auto c = repo_->insert(kLeBron);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->id, 4);
  EXPECT_EQ(c->company_id, 1);
  EXPECT_EQ(c->first_name, "LeBron");
  EXPECT_EQ(c->email, "lebron@anyemail.com");
  EXPECT_GT(c->created_at, before);
  EXPECT_EQ(repo_->get(4).value(), *c);
}

TEST_F(PgContacts, ReadsSeedRowsWithExactTimestamps) {
  auto c = repo_->get(1);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->first_name, "Adele");
  EXPECT_EQ(c->created_at, at("2022-09-21T10:00:00Z"));
  sql("UPDATE contacts SET created_at = '2022-09-21 10:00:00.123456+00' WHERE id = 1");
  // Microseconds survive the round trip.
  EXPECT_EQ(format_timestamp(repo_->get(1)->created_at), "2022-09-21T10:00:00.123456Z");
}

TEST_F(PgContacts, MissingRowsAreNotFound) {
  EXPECT_EQ(repo_->get(99).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(repo_->update(99, kLeBron).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(repo_->remove(99).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(repo_->by_company(42, 10)->empty());
}

TEST_F(PgContacts, UnknownCompanyIsFailedPrecondition) {
  EXPECT_EQ(repo_->insert({42, "A", "B", "a@b"}).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(repo_->update(1, {42, "A", "B", "a@b"}).error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(PgContacts, CheckViolationsNameTheField) {
  // The handlers refuse these first; the repository must still map them.
  auto e = repo_->insert({1, "   ", "B", "a@b"});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(e.error().message.starts_with("first_name: ")) << e.error().message;
  e = repo_->insert({1, "A", "B", "not-an-email"});
  EXPECT_TRUE(e.error().message.starts_with("email: ")) << e.error().message;
  auto p = repo_->page({}, 0, 5);
  EXPECT_TRUE(p.error().message.starts_with("page_number: ")) << p.error().message;
  p = repo_->page({}, 1, 1001);
  EXPECT_TRUE(p.error().message.starts_with("page_size: ")) << p.error().message;
}

TEST_F(PgContacts, UpdateAndDeleteReturnTheRowAsUpdatedAndAsItWas) {
  auto updated = repo_->update(2, {3, "Blair", "Ramsey", "b@x.org"});
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->company_id, 3);
  EXPECT_EQ(updated->last_name, "Ramsey");
  EXPECT_EQ(updated->created_at, at("2022-09-25T12:00:00Z"));
  auto removed = repo_->remove(2);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, *updated);
  EXPECT_EQ(repo_->get(2).error().code, ErrorCode::kNotFound);
}

TEST_F(PgContacts, FilterPageAndByCompany) {
  ASSERT_TRUE(repo_->insert(kLeBron).ok());
  EXPECT_EQ(ids(repo_->by_company(1, 10).value()), (Ids{1, 4}));
  EXPECT_EQ(ids(repo_->filter({0, "amazon", {}, {}}, 10).value()), (Ids{1, 4}));
  EXPECT_EQ(ids(repo_->filter({0, "", at("2022-09-21T10:00:00Z"), at("2022-09-27T09:30:00Z")}, 10)
                    .value()),
            (Ids{2}));
  EXPECT_EQ(ids(repo_->page({0, "", {}, {}}, 2, 2).value()), (Ids{3, 4}));
  EXPECT_TRUE(repo_->filter({0, "%", {}, {}}, 10)->empty());  // literal, not a wildcard
}

// The row limit is in the SQL: from a company (or a filter) with more rows
// the repository gets the first max_rows of the seed's order, not all of them.
TEST_F(PgContacts, ByCompanyAndFilterReturnAtMostMaxRowsInOrder) {
  // 50 contacts of company 2 whose created_at runs against their ids (the
  // last inserted is the oldest), in pairs sharing a created_at.
  sql("INSERT INTO contacts (company_id, first_name, last_name, email, created_at) "
      "SELECT 2, 'F' || g, 'L' || g, 'e' || g || '@x.org', "
      "timestamptz '2024-01-01 00:00:00+00' - (g / 2) * interval '1 second' "
      "FROM generate_series(1, 50) g");
  auto all = repo_->by_company(2, 1000);
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 51u);  // + the seed's contact 2
  auto first = repo_->by_company(2, 10);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(ids(*first), ids({all->begin(), all->begin() + 10}));
  EXPECT_TRUE(std::is_sorted(first->begin(), first->end(),
                             [](const Contact& a, const Contact& b) { return a.id < b.id; }));
  EXPECT_EQ(first->front().id, 2);

  const ContactFilter google{0, "google", {}, {}};  // company 2's name
  auto matches = repo_->filter(google, 1000);
  ASSERT_TRUE(matches.ok()) << matches.error().message;
  ASSERT_EQ(matches->size(), 51u);
  auto head = repo_->filter(google, 10);
  ASSERT_TRUE(head.ok()) << head.error().message;
  ASSERT_EQ(head->size(), 10u);
  EXPECT_EQ(ids(*head), ids({matches->begin(), matches->begin() + 10}));
  // (created_at, id) order: the seed's contact 2 (2022), then the new rows
  // newest-inserted first, ties by id.
  for (std::size_t i = 1; i < head->size(); ++i) {
    EXPECT_LT(std::pair((*head)[i - 1].created_at, (*head)[i - 1].id),
              std::pair((*head)[i].created_at, (*head)[i].id));
  }
  EXPECT_EQ(head->at(0).id, 2);
  EXPECT_EQ(head->at(1).first_name, "F50");
  EXPECT_EQ(head->at(2).first_name, "F48");
  EXPECT_EQ(head->at(3).first_name, "F49");
  EXPECT_EQ(repo_->filter({}, 1)->size(), 1u);
  EXPECT_EQ(repo_->by_company(2, 1)->size(), 1u);
}

TEST_F(PgContacts, SeedListsAboveTheRowLimitAre400ThroughTheHandlers) {
  sql("INSERT INTO contacts (company_id, first_name, last_name, email) "
      "SELECT 3, 'F' || g, 'L' || g, 'e' || g || '@x.org' "
      "FROM generate_series(1, $1::int) g",
      {std::to_string(kMaxSeedListRows)});  // + the seed's contact 3
  ProxyResponse r = seed("contacts_get_by_company_id", R"({"company_id":3})");
  EXPECT_EQ(r.status_code, 400);
  EXPECT_EQ(body(r)["status_message"], "ERROR_RESULT_TOO_LARGE");
  r = seed("contacts_get_by_dynamic_filter", R"({"search_text":"microsoft"})");
  EXPECT_EQ(r.status_code, 400);
  EXPECT_EQ(body(r)["status_message"], "ERROR_RESULT_TOO_LARGE");
  // One fewer is answered whole.
  sql("DELETE FROM contacts WHERE id = 3");
  r = seed("contacts_get_by_company_id", R"({"company_id":3})");
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(body(r)["contacts_list"].as_array().size(), static_cast<std::size_t>(kMaxSeedListRows));
}

TEST_F(PgContacts, SeedExampleCallsThroughTheHandlers) {
  ProxyResponse r = seed(
      "contacts_insert",
      R"({"company_id":1,"first_name":"LeBron","last_name":"James","email":"lebron@anyemail.com"})");
  EXPECT_EQ(r.status_code, 201) << r.body;
  EXPECT_EQ(body(r)["contact"].as_object()["id"].as_int64(), 4);

  r = seed("contacts_get_by_contact_id", R"({"id":3})");
  EXPECT_EQ(r.status_code, 200) << r.body;
  json::object o = body(r);
  EXPECT_EQ(o["status_message"], "RECORD_OK");
  EXPECT_EQ(o["contact"].as_object()["first_name"], "Pearl");
  EXPECT_EQ(o["contact"].as_object()["created_at"], "2022-09-27T09:30:00.000000Z");

  r = seed(
      "contacts_get_by_pagination",
      R"({"id":0,"search_text":"amazon","created_at_start":"","created_at_finish":"","page_number":1,"page_size":5})");
  EXPECT_EQ(r.status_code, 200) << r.body;
  EXPECT_EQ(body(r)["contacts_list"].as_array().size(), 2u);

  r = seed(
      "contacts_get_by_dynamic_filter",
      R"({"id":0,"search_text":"","created_at_start":"2022.09.20 00:00:00","created_at_finish":"2022.09.26 00:00:00"})");
  EXPECT_EQ(r.status_code, 200) << r.body;
  EXPECT_EQ(body(r)["contacts_list"].as_array().size(), 2u);

  r = seed("contacts_update_by_contact_id",
           R"({"id":4,"company_id":7,"first_name":"LeBron","last_name":"James","email":"l@x"})");
  EXPECT_EQ(r.status_code, 409) << r.body;
  r = seed("contacts_delete_by_contact_id", R"({"id":4})");
  EXPECT_EQ(r.status_code, 200) << r.body;
  EXPECT_EQ(seed("contacts_delete_by_contact_id", R"({"id":4})").status_code, 404);
  r = seed("contacts_get_by_dynamic_filter", R"({"search_text":"'; DROP TABLE contacts; --"})");
  EXPECT_EQ(r.status_code, 404) << r.body;
  EXPECT_EQ(seed("contacts_get_by_company_id", R"({"company_id":2})").status_code, 200);
}

TEST_F(PgContacts, KeysetPagingWalksEveryRowOnceInOrder) {
  // 25 contacts in pairs that share a created_at, so the id must break ties.
  sql("INSERT INTO contacts (company_id, first_name, last_name, email, created_at) "
      "SELECT 1 + g % 2, 'F' || g, 'L' || g, 'e' || g || '@x.org', "
      "timestamptz '2023-01-01 00:00:00+00' + (g / 2) * interval '1.5 second' "
      "FROM generate_series(1, 25) g");
  std::vector<std::int32_t> expected = ids(repo_->filter({}, 100).value());
  ASSERT_EQ(expected.size(), 28u);

  std::vector<std::int32_t> seen;
  std::string cursor;
  for (int page = 1; page < 10; ++page) {
    std::map<std::string, std::string> q{{"page_size", "10"}};
    if (!cursor.empty()) q["cursor"] = cursor;
    ProxyResponse r = api("GET", "/contacts", q);
    ASSERT_EQ(r.status_code, 200) << r.body;
    json::object o = body(r);
    EXPECT_EQ(o["page"].as_int64(), page);
    for (auto& item : o["items"].as_array()) {
      seen.push_back(static_cast<std::int32_t>(item.as_object()["id"].as_int64()));
    }
    if (o["next_cursor"].is_null()) break;
    cursor = std::string(o["next_cursor"].as_string());
  }
  EXPECT_EQ(seen, expected);

  // Page numbers give the same pages.
  json::object p3 = body(api("GET", "/contacts", {{"page_size", "10"}, {"page", "3"}}));
  EXPECT_EQ(p3["items"].as_array().size(), 8u);
  EXPECT_TRUE(p3["next_cursor"].is_null());

  // One company, by cursor, in (created_at, id) order.
  std::vector<std::int32_t> company;
  for (std::int32_t id : expected) {
    if (repo_->get(id)->company_id == 2) company.push_back(id);
  }
  std::vector<std::int32_t> walked;
  cursor.clear();
  for (int guard = 0; guard < 20; ++guard) {
    std::map<std::string, std::string> q{{"page_size", "4"}};
    if (!cursor.empty()) q["cursor"] = cursor;
    json::object o = body(api("GET", "/companies/2/contacts", q));
    for (auto& item : o["items"].as_array()) {
      walked.push_back(static_cast<std::int32_t>(item.as_object()["id"].as_int64()));
    }
    if (o["next_cursor"].is_null()) break;
    cursor = std::string(o["next_cursor"].as_string());
  }
  EXPECT_EQ(walked, company);
  EXPECT_EQ(api("GET", "/companies/42/contacts").status_code, 404);
  EXPECT_EQ(body(api("GET", "/contacts", {{"search", "nobody"}}))["items"].as_array().size(), 0u);
}

// Shared buffers a call touched, from EXPLAIN (ANALYZE, BUFFERS): the
// function's own queries count toward its Function Scan node.
long long buffers(pg::Pool& pool, const std::string& call) {
  auto r = pool.query("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + call);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (!r.ok()) return -1;
  json::object plan = json::parse(r->text(0, 0)).as_array()[0].as_object()["Plan"].as_object();
  return plan["Shared Hit Blocks"].as_int64() + plan["Shared Read Blocks"].as_int64();
}

TEST_F(PgContacts, DeepKeysetPageCostsWhatTheFirstDoes) {
  sql("INSERT INTO contacts (company_id, first_name, last_name, email, created_at) "
      "SELECT 1 + g % 3, 'F' || g, 'L' || g, 'e' || g || '@x.org', "
      "timestamptz '2023-01-01 00:00:00+00' + g * interval '1 second' "
      "FROM generate_series(1, 60000) g");
  sql("ANALYZE contacts");
  const std::string first =
      "SELECT * FROM contacts_list_keyset(NULL, '', NULL, NULL, NULL, NULL, 0, 21)";
  // Near the end: after the 59,980th generated row (page 2,857 of 21).
  const std::string deep =
      "SELECT * FROM contacts_list_keyset(NULL, '', NULL, NULL, "
      "timestamptz '2023-01-01 00:00:00+00' + 59980 * interval '1 second', 59983, 0, 21)";
  const std::string company_deep =
      "SELECT * FROM contacts_list_keyset(2, '', NULL, NULL, "
      "timestamptz '2023-01-01 00:00:00+00' + 59980 * interval '1 second', 59983, 0, 21)";
  const std::string offset =
      "SELECT * FROM contacts_list_keyset(NULL, '', NULL, NULL, NULL, NULL, 59960, 21)";
  // Warm each once: the first run of a statement also sets hint bits and
  // fills caches; what is compared is the steady cost.
  for (const std::string* call : {&first, &deep, &company_deep, &offset}) buffers(pool_, *call);
  long long b_first = buffers(pool_, first), b_deep = buffers(pool_, deep);
  long long b_company = buffers(pool_, company_deep), b_offset = buffers(pool_, offset);
  std::printf("buffers: first %lld, deep %lld, company deep %lld, offset %lld\n", b_first, b_deep,
              b_company, b_offset);
  EXPECT_LE(b_deep, b_first + 10) << "first " << b_first << ", deep " << b_deep;
  EXPECT_LE(b_company, b_first + 10) << "first " << b_first << ", company " << b_company;
  // The contrast that justifies the cursor: OFFSET reads everything before the page.
  EXPECT_GT(b_offset, 10 * b_deep) << "offset " << b_offset << ", deep " << b_deep;
}

// A connection lost after a statement was sent (the proxy drops it right
// after forwarding the message that carries the marker): a write may or may
// not have been applied, so it is kUnknown and the client is told to read
// first; a read changed nothing, so it is kUnavailable and may be retried.
TEST(PgContactsLost, AWriteLostAfterItWasSentIsOutcomeUnknownAndAReadUnavailable) {
  cloudlet::testing::TcpProxy proxy(testing::fresh_database());
  pg::Pool pool({.url = proxy.url(), .size = 1});
  auto repo = std::make_shared<PgContactsRepository>(pool);
  auto fns = contacts_functions(repo);
  // A row whose id no other message on the wire contains.
  ASSERT_TRUE(pool.query("INSERT INTO contacts (id, company_id, first_name, last_name, email) "
                         "VALUES (424242, 1, 'Marked', 'Row', 'marked@x.org')")
                  .ok());
  auto lost = [&proxy](std::string_view marker) {
    proxy.drop_after_client_sends(std::string(marker));
    return proxy.drops() + 1;
  };

  // Writes.
  int drops = lost("LostInsert");
  auto inserted = repo->insert({1, "LostInsert", "L", "l@x.org"});
  ASSERT_EQ(proxy.drops(), drops);
  ASSERT_FALSE(inserted.ok());
  EXPECT_EQ(inserted.error().code, ErrorCode::kUnknown) << inserted.error().message;
  drops = lost("LostUpdate");
  auto updated = repo->update(424242, {1, "LostUpdate", "L", "l@x.org"});
  ASSERT_EQ(proxy.drops(), drops);
  ASSERT_FALSE(updated.ok());
  EXPECT_EQ(updated.error().code, ErrorCode::kUnknown) << updated.error().message;
  drops = lost("424242");
  auto removed = repo->remove(424242);
  ASSERT_EQ(proxy.drops(), drops);
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.error().code, ErrorCode::kUnknown) << removed.error().message;

  // ...and what the client sees.
  drops = lost("LostSeedInsert");
  ProxyEvent e;
  e.body = R"({"company_id":1,"first_name":"LostSeedInsert","last_name":"L","email":"l@x.org"})";
  ProxyResponse r = fns.at("contacts_insert")(e);
  ASSERT_EQ(proxy.drops(), drops);
  EXPECT_EQ(r.status_code, 500) << r.body;
  EXPECT_NE(r.body.find("ERROR_OUTCOME_UNKNOWN"), std::string::npos) << r.body;
  drops = lost("LostApiInsert");
  e.body = R"({"company_id":1,"first_name":"LostApiInsert","last_name":"L","email":"l@x.org"})";
  e.raw_path = "/contacts";
  e.request_context.http_method = "POST";
  r = fns.at("contacts_api")(e);
  ASSERT_EQ(proxy.drops(), drops);
  EXPECT_EQ(r.status_code, 500) << r.body;
  EXPECT_NE(r.body.find("The outcome is unknown: "), std::string::npos) << r.body;

  // Reads, each on every path it can take.
  drops = lost("424242");
  auto got = repo->get(424242);
  ASSERT_EQ(proxy.drops(), drops);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kUnavailable) << got.error().message;
  drops = lost("987654");
  auto by_company = repo->by_company(1, 987654);
  ASSERT_EQ(proxy.drops(), drops);
  ASSERT_FALSE(by_company.ok());
  EXPECT_EQ(by_company.error().code, ErrorCode::kUnavailable) << by_company.error().message;
  drops = lost("LostFilter");
  auto filtered = repo->filter({0, "LostFilter", {}, {}}, 10);
  ASSERT_EQ(proxy.drops(), drops);
  ASSERT_FALSE(filtered.ok());
  EXPECT_EQ(filtered.error().code, ErrorCode::kUnavailable) << filtered.error().message;
  drops = lost("LostPage");
  auto paged = repo->page({0, "LostPage", {}, {}}, 1, 5);
  ASSERT_EQ(proxy.drops(), drops);
  ASSERT_FALSE(paged.ok());
  EXPECT_EQ(paged.error().code, ErrorCode::kUnavailable) << paged.error().message;
  drops = lost("LostList");
  ProxyEvent list;
  list.raw_path = "/contacts";
  list.request_context.http_method = "GET";
  list.query_string_parameters["search"] = "LostList";
  r = fns.at("contacts_api")(list);
  ASSERT_EQ(proxy.drops(), drops);
  EXPECT_EQ(r.status_code, 503) << r.body;
  EXPECT_EQ(r.body, R"({"message":"Service Unavailable"})");

  // The pool reconnects. (Whether the lost delete ran is not asserted: it
  // depends on whether the server committed before it saw the socket close,
  // which is exactly why the client is told to read first.)
  auto after = repo->get(1);
  ASSERT_TRUE(after.ok()) << after.error().message;
}

TEST(PgContactsDown, UnreachableDatabaseIs503WithoutDetails) {
  pg::Pool pool({.url = "postgresql://cloudlet:hunter2@127.0.0.1:1/nowhere",
                 .size = 1,
                 .connect_timeout = std::chrono::milliseconds{1000}});
  auto fns = contacts_functions(std::make_shared<PgContactsRepository>(pool));
  ProxyEvent e;
  e.body = R"({"id":3})";
  ProxyResponse r = fns.at("contacts_get_by_contact_id")(e);
  EXPECT_EQ(r.status_code, 503);
  EXPECT_NE(r.body.find("ERROR_DATABASE_UNAVAILABLE"), std::string::npos);
  for (const char* secret : {"hunter2", "127.0.0.1", "nowhere", "cloudlet:"}) {
    EXPECT_EQ(r.body.find(secret), std::string::npos) << r.body;
  }
  e.raw_path = "/contacts/3";
  e.request_context.http_method = "GET";
  r = fns.at("contacts_api")(e);
  EXPECT_EQ(r.status_code, 503);
  EXPECT_EQ(r.body, R"({"message":"Service Unavailable"})");
}

}  // namespace
}  // namespace cloudlet::functions
