// The contacts handlers against an in-memory repository: every status of
// ARCHITECTURE.md's tables, the seed's example bodies, input errors naming
// their field, and that no internal detail ever reaches a response.
#include "functions/contacts_handlers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <mutex>
#include <set>

namespace cloudlet::functions {
namespace {

namespace json = boost::json;
using std::chrono::microseconds;

Timestamp at(std::string_view text) { return parse_timestamp(text).value(); }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The seed's data and the SQL functions' semantics, in memory.
class FakeRepository final : public ContactsRepository {
 public:
  FakeRepository() {
    rows_ = {
        {1, 1, "Adele", "Thompson", "adele.thompson@anyemail.com", at("2022-09-21T10:00:00Z")},
        {2, 2, "Blair", "Rampsey", "blair.rampsey@anyemail.com", at("2022-09-25T12:00:00Z")},
        {3, 3, "Pearl", "Gales", "pearl.gales@anyemail.com", at("2022-09-27T09:30:00Z")},
    };
  }

  // Every later call fails with this error (a database that went away).
  void fail_with(Error e) { failure_ = std::move(e); }

  // `n` more contacts of `company_id`, created after every other row, with
  // names of `name_chars` characters (255 is the longest the API accepts) and
  // an email of `email_chars` (254 at most).
  void add_contacts(std::int32_t company_id, int n, std::size_t name_chars = 8,
                    std::size_t email_chars = 12) {
    std::lock_guard lock(mu_);
    const std::string name(name_chars, 'n');
    const std::string email = std::string(email_chars - 2, 'e') + "@x";
    for (int i = 0; i < n; ++i) {
      rows_.push_back({next_id_, company_id, name, name, email,
                       at("2030-01-01T00:00:00Z") + microseconds{next_id_}});
      ++next_id_;
    }
  }

  Result<Contact> insert(const ContactFields& f) override {
    std::lock_guard lock(mu_);
    if (failure_) return *failure_;
    if (!companies_.contains(f.company_id))
      return Error{ErrorCode::kFailedPrecondition, "fk", "23503"};
    Contact c{next_id_++,   f.company_id,
              f.first_name, f.last_name,
              f.email,      at("2026-11-28T05:17:19.123456Z") + microseconds{next_id_}};
    rows_.push_back(c);
    return c;
  }
  Result<Contact> get(std::int32_t id) override {
    std::lock_guard lock(mu_);
    if (failure_) return *failure_;
    for (const Contact& c : rows_) {
      if (c.id == id) return c;
    }
    return Error::not_found("no such contact");
  }
  Result<std::vector<Contact>> by_company(std::int32_t company_id, std::int32_t max_rows) override {
    std::lock_guard lock(mu_);
    if (failure_) return *failure_;
    last_max_rows_ = max_rows;
    std::vector<Contact> out;
    for (const Contact& c : rows_) {
      if (c.company_id == company_id) out.push_back(c);
    }
    if (out.size() > static_cast<std::size_t>(max_rows)) {
      out.resize(static_cast<std::size_t>(max_rows));
    }
    return out;
  }
  Result<Contact> update(std::int32_t id, const ContactFields& f) override {
    std::lock_guard lock(mu_);
    if (failure_) return *failure_;
    for (Contact& c : rows_) {
      if (c.id != id) continue;
      if (!companies_.contains(f.company_id))
        return Error{ErrorCode::kFailedPrecondition, "fk", "23503"};
      c.company_id = f.company_id;
      c.first_name = f.first_name;
      c.last_name = f.last_name;
      c.email = f.email;
      return c;
    }
    return Error::not_found("no such contact");
  }
  Result<Contact> remove(std::int32_t id) override {
    std::lock_guard lock(mu_);
    if (failure_) return *failure_;
    auto it =
        std::find_if(rows_.begin(), rows_.end(), [&](const Contact& c) { return c.id == id; });
    if (it == rows_.end()) return Error::not_found("no such contact");
    Contact was = *it;
    rows_.erase(it);
    return was;
  }
  Result<std::vector<Contact>> filter(const ContactFilter& f, std::int32_t max_rows) override {
    std::lock_guard lock(mu_);
    if (failure_) return *failure_;
    last_max_rows_ = max_rows;
    std::vector<Contact> out = matching(f, std::nullopt);
    if (out.size() > static_cast<std::size_t>(max_rows)) {
      out.resize(static_cast<std::size_t>(max_rows));
    }
    return out;
  }
  Result<std::vector<Contact>> page(const ContactFilter& f, std::int32_t number,
                                    std::int32_t size) override {
    std::lock_guard lock(mu_);
    if (failure_) return *failure_;
    if (number < 1) return Error::invalid_argument("page_number: must be 1 or more");
    std::vector<Contact> all = matching(f, std::nullopt);
    auto from =
        std::min(all.size(), static_cast<std::size_t>(number - 1) * static_cast<std::size_t>(size));
    auto to = std::min(all.size(), from + static_cast<std::size_t>(size));
    return std::vector<Contact>(all.begin() + static_cast<std::ptrdiff_t>(from),
                                all.begin() + static_cast<std::ptrdiff_t>(to));
  }
  Result<std::vector<Contact>> list(const ListQuery& q) override {
    std::lock_guard lock(mu_);
    if (failure_) return *failure_;
    last_list_ = q;
    if (q.company_id && !companies_.contains(*q.company_id)) return Error::not_found("company");
    ContactFilter f{0, q.search_text, q.created_after, q.created_before};
    std::vector<Contact> out;
    for (const Contact& c : matching(f, q.company_id)) {
      if (q.after && std::pair(c.created_at, c.id) <= std::pair(q.after->created_at, q.after->id)) {
        continue;
      }
      out.push_back(c);
    }
    auto skip = std::min(out.size(), static_cast<std::size_t>(q.offset));
    out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(skip));
    if (out.size() > static_cast<std::size_t>(q.limit))
      out.resize(static_cast<std::size_t>(q.limit));
    return out;
  }

  std::optional<ListQuery> last_list_;
  std::optional<std::int32_t> last_max_rows_;  // of by_company / filter

 private:
  std::vector<Contact> matching(const ContactFilter& f, std::optional<std::int32_t> company) {
    std::vector<Contact> out;
    const std::string needle = lower(f.search_text);
    for (const Contact& c : rows_) {
      if (f.contact_id > 0 && c.id != f.contact_id) continue;
      if (company && c.company_id != *company) continue;
      if (f.created_after && c.created_at <= *f.created_after) continue;
      if (f.created_before && c.created_at >= *f.created_before) continue;
      if (!needle.empty()) {
        std::string hay = lower(c.first_name + "\n" + c.last_name + "\n" + c.email + "\n" +
                                companies_.at(c.company_id));
        if (hay.find(needle) == std::string::npos) continue;
      }
      out.push_back(c);
    }
    std::sort(out.begin(), out.end(), [](const Contact& a, const Contact& b) {
      return std::pair(a.created_at, a.id) < std::pair(b.created_at, b.id);
    });
    return out;
  }

  std::mutex mu_;
  std::vector<Contact> rows_;
  std::map<std::int32_t, std::string> companies_ = {{1, "amazon"}, {2, "google"}, {3, "microsoft"}};
  std::int32_t next_id_ = 4;
  std::optional<Error> failure_;
};

ProxyEvent seed_event(std::string_view function, std::string body) {
  ProxyEvent e;
  e.route_key = "ANY /" + std::string(function);
  e.raw_path = "/" + std::string(function);
  e.request_context.http_method = "POST";
  e.request_context.route_key = e.route_key;
  e.headers["content-type"] = "application/json";
  e.body = std::move(body);
  return e;
}

ProxyEvent api_event(std::string method, std::string path,
                     std::map<std::string, std::string> query = {}, std::string body = "") {
  ProxyEvent e;
  e.raw_path = std::move(path);
  e.request_context.http_method = std::move(method);
  e.query_string_parameters = std::move(query);
  e.body = std::move(body);
  return e;
}

json::object body_of(const ProxyResponse& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  EXPECT_FALSE(ec) << r.body;
  EXPECT_TRUE(v.is_object()) << r.body;
  return v.is_object() ? v.as_object() : json::object();
}

class SeedHandlers : public ::testing::Test {
 protected:
  std::shared_ptr<FakeRepository> repo_ = std::make_shared<FakeRepository>();
  std::map<std::string, Handler> fns_ = contacts_functions(repo_);

  // Calls a seed function and checks the envelope every response must have.
  json::object call(std::string_view function, std::string body, int status) {
    ProxyResponse r = fns_.at(std::string(function))(seed_event(function, std::move(body)));
    EXPECT_EQ(r.status_code, status) << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/json");
    json::object o = body_of(r);
    for (const char* key :
         {"status_code", "status_message", "status_error", "contact", "contacts_list"}) {
      EXPECT_TRUE(o.contains(key)) << key << " missing in " << r.body;
    }
    if (o.contains("status_code")) {
      EXPECT_EQ(o["status_code"].as_int64(), status);
    }
    if (o.contains("contacts_list")) {
      EXPECT_TRUE(o["contacts_list"].is_array());
    }
    return o;
  }
  // A 400 naming `field`.
  void expect_invalid(std::string_view function, std::string body, std::string_view field) {
    json::object o = call(function, body, 400);
    EXPECT_EQ(o["status_message"], "ERROR_INVALID_INPUT");
    std::string error(o["status_error"].as_string());
    EXPECT_TRUE(error.starts_with(std::string(field) + ": ")) << body << " -> " << error;
    EXPECT_TRUE(o["contact"].is_null());
    EXPECT_TRUE(o["contacts_list"].as_array().empty());
  }
  std::vector<std::int64_t> ids(json::object& o) {
    std::vector<std::int64_t> out;
    for (auto& c : o["contacts_list"].as_array()) out.push_back(c.as_object().at("id").as_int64());
    return out;
  }
};

using Ids = std::vector<std::int64_t>;
constexpr const char* kLeBron =
    R"({"company_id":1,"first_name":"LeBron","last_name":"James","email":"lebron@anyemail.com"})";

// Regression (security review, second pass): a 10 MB JSON array was parsed
// into a DOM of about 130 MB before any field was looked at.
TEST_F(SeedHandlers, BodiesAbove64KiBAreRefusedBeforeParsing) {
  std::string big = R"({"company_id":1,"first_name":"A","last_name":"B","email":"a@b.c","x":[)";
  while (big.size() < 65536) big += "0,";
  big += "0]}";
  expect_invalid("contacts_insert", big, "body");
  // The largest valid contact (names at their limit) is far below it.
  const std::string name(255, 'n');
  json::object o = call("contacts_insert",
                        R"({"company_id":1,"first_name":")" + name + R"(","last_name":")" + name +
                            R"(","email":")" + std::string(250, 'e') + R"(@b.c"})",
                        201);
  EXPECT_EQ(o["status_message"], "RECORD_OK");
}

TEST_F(SeedHandlers, InsertAnswers201WithTheCreatedRow) {
  json::object o = call("contacts_insert", kLeBron, 201);
  EXPECT_EQ(o["status_message"], "RECORD_OK");
  EXPECT_EQ(o["status_error"], "");
  json::object& c = o["contact"].as_object();
  EXPECT_EQ(c["id"].as_int64(), 4);
  EXPECT_EQ(c["company_id"].as_int64(), 1);
  EXPECT_EQ(c["first_name"], "LeBron");
  EXPECT_EQ(c["last_name"], "James");
  EXPECT_EQ(c["email"], "lebron@anyemail.com");
  EXPECT_EQ(c["created_at"], "2026-11-28T05:17:19.123461Z");
  // The contact object has exactly the six keys, in the documented order.
  std::vector<std::string> keys;
  for (auto& kv : c) keys.emplace_back(kv.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "company_id", "first_name", "last_name", "email",
                                            "created_at"}));
}

TEST_F(SeedHandlers, GetByContactIdSeedExample) {
  json::object o = call("contacts_get_by_contact_id", R"({"id":3})", 200);
  EXPECT_EQ(o["contact"].as_object()["first_name"], "Pearl");
  EXPECT_EQ(o["contact"].as_object()["created_at"], "2022-09-27T09:30:00.000000Z");
  EXPECT_TRUE(o["contacts_list"].as_array().empty());
}

TEST_F(SeedHandlers, MissingRowIs404RecordNotFound) {
  for (const char* fn : {"contacts_get_by_contact_id", "contacts_delete_by_contact_id"}) {
    json::object o = call(fn, R"({"id":99})", 404);
    EXPECT_EQ(o["status_message"], "RECORD_NOT_FOUND");
    EXPECT_TRUE(o["contact"].is_null());
  }
  json::object o =
      call("contacts_update_by_contact_id",
           R"({"id":99,"company_id":1,"first_name":"A","last_name":"B","email":"a@b"})", 404);
  EXPECT_EQ(o["status_message"], "RECORD_NOT_FOUND");
}

TEST_F(SeedHandlers, EmptyListsAre404) {
  call("contacts_get_by_company_id", R"({"company_id":42})", 404);
  call("contacts_get_by_dynamic_filter", R"({"id":0,"search_text":"nobody"})", 404);
  json::object o = call("contacts_get_by_pagination",
                        R"({"id":0,"search_text":"","page_number":9,"page_size":5})", 404);
  EXPECT_EQ(o["status_message"], "RECORD_NOT_FOUND");
}

TEST_F(SeedHandlers, GetByCompanyId) {
  call("contacts_insert", kLeBron, 201);
  json::object o = call("contacts_get_by_company_id", R"({"company_id":1})", 200);
  EXPECT_EQ(ids(o), (Ids{1, 4}));
  EXPECT_TRUE(o["contact"].is_null());
}

TEST_F(SeedHandlers, UpdateReturnsTheRowAsUpdated) {
  json::object o =
      call("contacts_update_by_contact_id",
           R"({"id":2,"company_id":3,"first_name":"Blair","last_name":"Ramsey","email":"b@x.org"})",
           200);
  json::object& c = o["contact"].as_object();
  EXPECT_EQ(c["id"].as_int64(), 2);
  EXPECT_EQ(c["company_id"].as_int64(), 3);
  EXPECT_EQ(c["last_name"], "Ramsey");
}

TEST_F(SeedHandlers, DeleteReturnsTheRowAsItWas) {
  json::object o = call("contacts_delete_by_contact_id", R"({"id":1})", 200);
  EXPECT_EQ(o["contact"].as_object()["first_name"], "Adele");
  call("contacts_get_by_contact_id", R"({"id":1})", 404);
}

TEST_F(SeedHandlers, DynamicFilterAndPaginationSeedExamples) {
  json::object f =
      call("contacts_get_by_dynamic_filter",
           R"({"id":0,"search_text":"amazon","created_at_start":"","created_at_finish":""})", 200);
  EXPECT_EQ(ids(f), (Ids{1}));
  json::object p = call(
      "contacts_get_by_pagination",
      R"({"id":0,"search_text":"amazon","created_at_start":"","created_at_finish":"","page_number":1,"page_size":5})",
      200);
  EXPECT_EQ(ids(p), (Ids{1}));
  json::object all = call("contacts_get_by_pagination",
                          R"({"id":0,"search_text":"","page_number":2,"page_size":2})", 200);
  EXPECT_EQ(ids(all), (Ids{3}));
}

TEST_F(SeedHandlers, DatesInTheSeedsFormAndRfc3339AreExclusiveBounds) {
  json::object seed_form = call(
      "contacts_get_by_dynamic_filter",
      R"({"created_at_start":"2022.09.21 10:00:00","created_at_finish":"2022.09.27 09:30:00"})",
      200);
  EXPECT_EQ(ids(seed_form), (Ids{2}));
  json::object rfc = call(
      "contacts_get_by_dynamic_filter",
      R"({"created_at_start":"2022-09-21T12:00:00+02:00","created_at_finish":"2022-09-27T09:30:00.000001Z"})",
      200);
  EXPECT_EQ(ids(rfc), (Ids{2, 3}));
}

TEST_F(SeedHandlers, BadJsonIs400NamingTheBody) {
  expect_invalid("contacts_insert", "{\"company_id\":1,", "body");
  expect_invalid("contacts_insert", "", "body");
  expect_invalid("contacts_insert", "[1,2]", "body");
  expect_invalid("contacts_get_by_contact_id", "\"id\"", "body");
  expect_invalid("contacts_get_by_contact_id", "{\"id\":1} trailing", "body");
  expect_invalid("contacts_insert", "{\"first_name\":\"\xff\"}", "body");  // not UTF-8
}

TEST_F(SeedHandlers, WrongTypesAre400NamingTheField) {
  expect_invalid("contacts_get_by_contact_id", R"({"id":"3"})", "id");
  expect_invalid("contacts_get_by_contact_id", R"({"id":3.0})", "id");
  expect_invalid("contacts_get_by_contact_id", R"({"id":true})", "id");
  expect_invalid("contacts_get_by_contact_id", R"({"id":4294967296})", "id");
  expect_invalid("contacts_get_by_contact_id", R"({"id":18446744073709551615})", "id");
  expect_invalid("contacts_get_by_company_id", R"({"company_id":[1]})", "company_id");
  expect_invalid("contacts_insert",
                 R"({"company_id":1,"first_name":5,"last_name":"J","email":"a@b"})", "first_name");
  expect_invalid("contacts_insert",
                 R"({"company_id":1,"first_name":"L","last_name":"J","email":{"a":1}})", "email");
  expect_invalid("contacts_get_by_dynamic_filter", R"({"search_text":7})", "search_text");
  expect_invalid("contacts_get_by_dynamic_filter", R"({"created_at_start":0})", "created_at_start");
  expect_invalid("contacts_get_by_pagination", R"({"page_number":"1","page_size":5})",
                 "page_number");
}

TEST_F(SeedHandlers, MissingFieldsAre400NamingTheField) {
  expect_invalid("contacts_insert", R"({"first_name":"L","last_name":"J","email":"a@b"})",
                 "company_id");
  expect_invalid("contacts_insert", R"({"company_id":1,"last_name":"J","email":"a@b"})",
                 "first_name");
  expect_invalid("contacts_insert", R"({"company_id":1,"first_name":"L","email":"a@b"})",
                 "last_name");
  expect_invalid("contacts_insert", R"({"company_id":1,"first_name":"L","last_name":"J"})",
                 "email");
  expect_invalid("contacts_insert",
                 R"({"company_id":null,"first_name":"L","last_name":"J","email":"a@b"})",
                 "company_id");
  expect_invalid("contacts_get_by_contact_id", "{}", "id");
  expect_invalid("contacts_delete_by_contact_id", R"({"ID":1})", "id");
  expect_invalid("contacts_get_by_company_id", "{}", "company_id");
  expect_invalid("contacts_update_by_contact_id",
                 R"({"company_id":1,"first_name":"L","last_name":"J","email":"a@b"})", "id");
  expect_invalid("contacts_get_by_pagination", R"({"page_size":5})", "page_number");
  expect_invalid("contacts_get_by_pagination", R"({"page_number":1})", "page_size");
}

TEST_F(SeedHandlers, OversizeAndMalformedStringsAre400) {
  std::string n255(255, 'a'), n256(256, 'a');
  auto insert = [](const std::string& first, const std::string& email) {
    json::object o{{"company_id", 1}, {"first_name", first}, {"last_name", "J"}, {"email", email}};
    return json::serialize(o);
  };
  call("contacts_insert", insert(n255, "a@b"), 201);
  expect_invalid("contacts_insert", insert(n256, "a@b"), "first_name");
  // 255 characters of two bytes each are 255 characters, not 510.
  std::string accents;
  for (int i = 0; i < 255; ++i) accents += "\xc3\xa9";
  call("contacts_insert", insert(accents, "a@b"), 201);
  call("contacts_insert", insert("L", std::string(252, 'e') + "@b"), 201);  // 254
  expect_invalid("contacts_insert", insert("L", std::string(253, 'e') + "@b"), "email");
  expect_invalid("contacts_insert", insert("   ", "a@b"), "first_name");
  expect_invalid("contacts_insert", insert("L\tJ", "a@b"), "first_name");
  expect_invalid("contacts_insert", insert("L", "no-at-sign"), "email");
  expect_invalid("contacts_insert", insert("L", "a@b@c"), "email");
  expect_invalid("contacts_insert", insert("L", "a b@c"), "email");
  expect_invalid("contacts_get_by_dynamic_filter",
                 json::serialize(json::object{{"search_text", n256}}), "search_text");
}

TEST_F(SeedHandlers, BadDatesAre400NamingTheField) {
  for (const char* date :
       {"yesterday", "2022-13-01T00:00:00Z", "2022.02.30 00:00:00", "2022-09-20T24:00:00Z",
        "2022-09-20T00:00:00", "2022/09/20", "2022.09.20 00:00:00Z", "2022-09-20T00:00:00+2:00"}) {
    expect_invalid("contacts_get_by_dynamic_filter",
                   json::serialize(json::object{{"created_at_start", date}}), "created_at_start");
    expect_invalid("contacts_get_by_pagination",
                   json::serialize(json::object{
                       {"created_at_finish", date}, {"page_number", 1}, {"page_size", 1}}),
                   "created_at_finish");
  }
}

TEST_F(SeedHandlers, BadPagesAre400NamingTheField) {
  expect_invalid("contacts_get_by_pagination", R"({"page_number":0,"page_size":5})", "page_number");
  expect_invalid("contacts_get_by_pagination", R"({"page_number":-1,"page_size":5})",
                 "page_number");
  expect_invalid("contacts_get_by_pagination", R"({"page_number":1,"page_size":0})", "page_size");
  expect_invalid("contacts_get_by_pagination", R"({"page_number":1,"page_size":1001})",
                 "page_size");
  call("contacts_get_by_pagination", R"({"page_number":1,"page_size":1000})", 200);
}

TEST_F(SeedHandlers, UnknownCompanyIs409) {
  json::object o = call("contacts_insert",
                        R"({"company_id":42,"first_name":"L","last_name":"J","email":"a@b"})", 409);
  EXPECT_EQ(o["status_message"], "ERROR_UNKNOWN_COMPANY");
  EXPECT_TRUE(std::string(o["status_error"].as_string()).starts_with("company_id"));
  o = call("contacts_update_by_contact_id",
           R"({"id":1,"company_id":42,"first_name":"L","last_name":"J","email":"a@b"})", 409);
  EXPECT_EQ(o["status_message"], "ERROR_UNKNOWN_COMPANY");
}

TEST_F(SeedHandlers, Base64BodyIsDecoded) {
  ProxyEvent e = seed_event("contacts_get_by_contact_id", "eyJpZCI6M30=");  // {"id":3}
  e.is_base64_encoded = true;
  EXPECT_EQ(fns_.at("contacts_get_by_contact_id")(e).status_code, 200);
}

// What a lost database looks like from the pool, with details that must stay inside.
const Error kLost{ErrorCode::kUnavailable,
                  "could not connect: host=db password=hunter2 SELECT * FROM contacts", "08006"};

struct SeedCall {
  const char* function;
  const char* body;
};
const SeedCall kEveryFunction[] = {
    {"contacts_insert", kLeBron},
    {"contacts_get_by_contact_id", R"({"id":3})"},
    {"contacts_get_by_company_id", R"({"company_id":1})"},
    {"contacts_update_by_contact_id",
     R"({"id":1,"company_id":1,"first_name":"L","last_name":"J","email":"a@b"})"},
    {"contacts_delete_by_contact_id", R"({"id":3})"},
    {"contacts_get_by_dynamic_filter", R"({"id":0,"search_text":"amazon"})"},
    {"contacts_get_by_pagination", R"({"id":0,"search_text":"","page_number":1,"page_size":5})"},
};

void expect_no_internals(const ProxyResponse& r) {
  for (const char* secret : {"hunter2", "password", "SELECT", "host=", "08006", "23503", "42P01",
                             "relation", "syntax"}) {
    EXPECT_EQ(r.body.find(secret), std::string::npos) << secret << " leaked: " << r.body;
  }
}

TEST_F(SeedHandlers, DatabaseUnavailableIs503WithoutDetails) {
  repo_->fail_with(kLost);
  for (const SeedCall& c : kEveryFunction) {
    ProxyResponse r = fns_.at(c.function)(seed_event(c.function, c.body));
    EXPECT_EQ(r.status_code, 503) << c.function;
    EXPECT_EQ(body_of(r)["status_message"], "ERROR_DATABASE_UNAVAILABLE");
    expect_no_internals(r);
  }
  for (ErrorCode code : {ErrorCode::kResourceExhausted, ErrorCode::kDeadlineExceeded}) {
    repo_->fail_with(Error{code, "pool", {}});
    EXPECT_EQ(fns_.at("contacts_get_by_contact_id")(seed_event("x", R"({"id":1})")).status_code,
              503);
  }
}

TEST_F(SeedHandlers, UnexpectedErrorsAre500WithoutDetails) {
  repo_->fail_with(Error{ErrorCode::kInternal,
                         "syntax error at or near SELECT in relation contacts (42P01)", "42P01"});
  for (const SeedCall& c : kEveryFunction) {
    ProxyResponse r = fns_.at(c.function)(seed_event(c.function, c.body));
    EXPECT_EQ(r.status_code, 500) << c.function;
    EXPECT_EQ(body_of(r)["status_message"], "ERROR_INTERNAL");
    expect_no_internals(r);
  }
}

TEST_F(SeedHandlers, RepositoryInvalidArgumentReachesTheClientOnlyWhenItNamesAField) {
  repo_->fail_with(Error::invalid_argument("email: not accepted by the database"));
  json::object o = call("contacts_insert", kLeBron, 400);
  EXPECT_EQ(o["status_error"], "email: not accepted by the database");
  repo_->fail_with(
      Error{ErrorCode::kInvalidArgument, "syntax near SELECT password=hunter2", "22P02"});
  ProxyResponse r = fns_.at("contacts_insert")(seed_event("contacts_insert", kLeBron));
  EXPECT_EQ(r.status_code, 400);
  EXPECT_EQ(body_of(r)["status_error"], "invalid input");
  expect_no_internals(r);
}

// Lists of the seed's unpaged functions are bounded: a company with 300,000
// contacts must not make one request load them all.
constexpr std::size_t kRowLimit = 10000;             // kMaxSeedListRows
constexpr std::size_t kByteLimit = 6 * 1024 * 1024;  // Lambda's synchronous response limit
static_assert(kRowLimit == kMaxSeedListRows && kByteLimit == kMaxSeedResponseBytes);

constexpr std::string_view kByCompanyPaged = "GET /companies/{id}/contacts";
constexpr std::string_view kFilterPaged = "contacts_get_by_pagination, or GET /contacts?search=";

void expect_too_large(const json::object& o, std::string_view paged_alternative) {
  EXPECT_EQ(o.at("status_message"), "ERROR_RESULT_TOO_LARGE");
  std::string error(o.at("status_error").as_string());
  EXPECT_NE(error.find(paged_alternative), std::string::npos) << error;
  EXPECT_TRUE(o.at("contact").is_null());
  EXPECT_TRUE(o.at("contacts_list").as_array().empty());
}

TEST_F(SeedHandlers, ByCompanyAboveTheRowLimitIs400NamingThePagedAlternative) {
  repo_->add_contacts(2, static_cast<int>(kRowLimit));  // + the seed's contact 2
  json::object o = call("contacts_get_by_company_id", R"({"company_id":2})", 400);
  expect_too_large(o, kByCompanyPaged);
  EXPECT_NE(std::string(o["status_error"].as_string()).find("more than 10000 contacts"),
            std::string::npos);
  // The repository was asked for one row more than may be shown, never for all.
  EXPECT_EQ(repo_->last_max_rows_, static_cast<std::int32_t>(kRowLimit) + 1);
}

TEST_F(SeedHandlers, ByCompanyAtTheRowLimitIs200WithEveryRow) {
  repo_->add_contacts(2, static_cast<int>(kRowLimit) - 1);
  json::object o = call("contacts_get_by_company_id", R"({"company_id":2})", 200);
  EXPECT_EQ(o["contacts_list"].as_array().size(), kRowLimit);
  EXPECT_EQ(o["contacts_list"].as_array().front().as_object()["id"].as_int64(), 2);
}

TEST_F(SeedHandlers, DynamicFilterAboveTheRowLimitIs400NamingThePagedAlternative) {
  repo_->add_contacts(1, static_cast<int>(kRowLimit) - 2);  // + 3 seed rows = limit + 1
  json::object o = call("contacts_get_by_dynamic_filter", R"({"id":0,"search_text":""})", 400);
  expect_too_large(o, kFilterPaged);
  EXPECT_EQ(repo_->last_max_rows_, static_cast<std::int32_t>(kRowLimit) + 1);
}

TEST_F(SeedHandlers, DynamicFilterAtTheRowLimitIs200WithEveryRow) {
  repo_->add_contacts(1, static_cast<int>(kRowLimit) - 3);
  json::object o = call("contacts_get_by_dynamic_filter", R"({"id":0,"search_text":""})", 200);
  EXPECT_EQ(o["contacts_list"].as_array().size(), kRowLimit);
}

TEST_F(SeedHandlers, ListsAboveTheByteLimitAre400EvenUnderTheRowLimit) {
  // Names of 255 characters make a contact ~890 bytes of JSON: 8,000 of them
  // are under the row limit and over 6 MiB.
  repo_->add_contacts(2, 8000, 255, 254);
  json::object o = call("contacts_get_by_company_id", R"({"company_id":2})", 400);
  expect_too_large(o, kByCompanyPaged);
  EXPECT_NE(std::string(o["status_error"].as_string()).find("6291456 bytes"), std::string::npos);
  o = call("contacts_get_by_dynamic_filter", R"({"search_text":"google"})", 400);
  expect_too_large(o, kFilterPaged);
}

TEST_F(SeedHandlers, ListsUnderTheByteLimitAreAnsweredWhole) {
  repo_->add_contacts(2, 6000, 255, 254);
  ProxyResponse r = fns_.at("contacts_get_by_company_id")(
      seed_event("contacts_get_by_company_id", R"({"company_id":2})"));
  EXPECT_EQ(r.status_code, 200);
  EXPECT_GT(r.body.size(), 5'000'000u);
  EXPECT_LE(r.body.size(), kByteLimit);
  EXPECT_EQ(body_of(r)["contacts_list"].as_array().size(), 6001u);
}

// A change whose outcome is unknown (the connection was lost after the
// statement was sent) must not be answered "retry later": a retried insert
// could create the contact twice.
TEST_F(SeedHandlers, UnknownOutcomeOfAWriteIs500ReadBeforeRetrying) {
  repo_->fail_with(Error{ErrorCode::kUnknown,
                         "connection lost after send: host=db password=hunter2 SELECT", "08006"});
  for (const SeedCall& c : {kEveryFunction[0], kEveryFunction[3], kEveryFunction[4]}) {
    ProxyResponse r = fns_.at(c.function)(seed_event(c.function, c.body));
    EXPECT_EQ(r.status_code, 500) << c.function;
    json::object o = body_of(r);
    EXPECT_EQ(o["status_message"], "ERROR_OUTCOME_UNKNOWN") << c.function;
    std::string error(o["status_error"].as_string());
    EXPECT_NE(error.find("may or may not have been applied"), std::string::npos) << error;
    EXPECT_NE(error.find("before retrying"), std::string::npos) << error;
    expect_no_internals(r);
  }
}

TEST_F(SeedHandlers, UnavailableReadsAndCancelledWritesAre503RetryLater) {
  // kUnavailable from a read: nothing was changed, so retrying is safe.
  repo_->fail_with(kLost);
  for (const SeedCall& c :
       {kEveryFunction[1], kEveryFunction[2], kEveryFunction[5], kEveryFunction[6]}) {
    ProxyResponse r = fns_.at(c.function)(seed_event(c.function, c.body));
    EXPECT_EQ(r.status_code, 503) << c.function;
    EXPECT_EQ(body_of(r)["status_message"], "ERROR_DATABASE_UNAVAILABLE");
  }
  // kDeadlineExceeded: the pool cancelled the statement and it rolled back.
  repo_->fail_with(Error{ErrorCode::kDeadlineExceeded, "canceling statement", "57014"});
  for (const SeedCall& c : {kEveryFunction[0], kEveryFunction[3], kEveryFunction[4]}) {
    ProxyResponse r = fns_.at(c.function)(seed_event(c.function, c.body));
    EXPECT_EQ(r.status_code, 503) << c.function;
    EXPECT_EQ(body_of(r)["status_message"], "ERROR_DATABASE_UNAVAILABLE");
  }
}

// ------------------------------------------------------------ resource API

class ResourceApi : public ::testing::Test {
 protected:
  std::shared_ptr<FakeRepository> repo_ = std::make_shared<FakeRepository>();
  Handler api_ = contacts_functions(repo_).at("contacts_api");

  json::object call(ProxyEvent e, int status) {
    ProxyResponse r = api_(e);
    EXPECT_EQ(r.status_code, status)
        << e.request_context.http_method << " " << e.raw_path << " " << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/json");
    return body_of(r);
  }
  std::vector<std::int64_t> item_ids(json::object& page) {
    std::vector<std::int64_t> out;
    for (auto& c : page["items"].as_array()) out.push_back(c.as_object().at("id").as_int64());
    return out;
  }
};

TEST_F(ResourceApi, CreateGetUpdateDelete) {
  ProxyResponse created = api_(api_event("POST", "/contacts", {}, kLeBron));
  EXPECT_EQ(created.status_code, 201);
  EXPECT_EQ(created.headers["location"], "/contacts/4");
  EXPECT_EQ(body_of(created)["first_name"], "LeBron");

  EXPECT_EQ(call(api_event("GET", "/contacts/4"), 200)["email"], "lebron@anyemail.com");
  json::object updated =
      call(api_event(
               "PUT", "/contacts/4", {},
               R"({"company_id":2,"first_name":"LeBron","last_name":"James","email":"lbj@x.org"})"),
           200);
  EXPECT_EQ(updated["company_id"].as_int64(), 2);
  EXPECT_EQ(call(api_event("DELETE", "/contacts/4"), 200)["email"], "lbj@x.org");
  EXPECT_EQ(call(api_event("GET", "/contacts/4"), 404)["message"], "Not Found");
  EXPECT_EQ(call(api_event("DELETE", "/contacts/4"), 404)["message"], "Not Found");
}

TEST_F(ResourceApi, PathParametersWinOverTheRawPath) {
  ProxyEvent e = api_event("GET", "/contacts/whatever");
  e.path_parameters["id"] = "2";
  EXPECT_EQ(call(e, 200)["first_name"], "Blair");
}

TEST_F(ResourceApi, MethodFromRouteKeyWhenTheContextHasNone) {
  ProxyEvent e = api_event("", "/contacts/3");
  e.route_key = "GET /contacts/{id}";
  EXPECT_EQ(call(e, 200)["first_name"], "Pearl");
}

TEST_F(ResourceApi, ErrorsAreMessages) {
  EXPECT_TRUE(std::string(call(api_event("POST", "/contacts", {}, "{"), 400)["message"].as_string())
                  .starts_with("body: "));
  EXPECT_TRUE(
      std::string(call(api_event("POST", "/contacts", {}, R"({"company_id":1})"), 400)["message"]
                      .as_string())
          .starts_with("first_name: "));
  EXPECT_EQ(call(api_event("POST", "/contacts", {},
                           R"({"company_id":9,"first_name":"L","last_name":"J","email":"a@b"})"),
                 409)["message"],
            "company_id: no such company");
  EXPECT_TRUE(std::string(call(api_event("GET", "/contacts/abc"), 400)["message"].as_string())
                  .starts_with("id: "));
  EXPECT_EQ(call(api_event("PUT", "/contacts/99", {}, kLeBron), 404)["message"], "Not Found");
  EXPECT_EQ(call(api_event("PATCH", "/contacts/1"), 404)["message"], "Not Found");
  EXPECT_EQ(call(api_event("GET", "/nowhere"), 404)["message"], "Not Found");
  repo_->fail_with(kLost);
  ProxyResponse r = api_(api_event("GET", "/contacts/1"));
  EXPECT_EQ(r.status_code, 503);
  EXPECT_EQ(body_of(r)["message"], "Service Unavailable");
  expect_no_internals(r);
  repo_->fail_with(Error::internal("SELECT password=hunter2"));
  r = api_(api_event("GET", "/contacts"));
  EXPECT_EQ(r.status_code, 500);
  expect_no_internals(r);
}

// The gateway authorises on the raw path (…/GET/contacts/1), so an id must
// have one spelling: otherwise a Deny on contacts/1 is bypassed by contacts/01.
TEST_F(ResourceApi, NonCanonicalIdsAre400AndReachNoRow) {
  for (const char* id : {"01", "001", "00", "-0", "+1", " 1", "1 ", "-1", "2147483648",
                         "4294967297", "99999999999", "0x1", "1e3", "", "١"}) {
    for (const char* method : {"GET", "PUT", "DELETE"}) {
      json::object o = call(api_event(method, "/contacts/" + std::string(id), {}, kLeBron), 400);
      EXPECT_TRUE(std::string(o["message"].as_string()).starts_with("id: "))
          << method << " '" << id << "' -> " << o["message"];
    }
    json::object o = call(api_event("GET", "/companies/" + std::string(id) + "/contacts"), 400);
    EXPECT_TRUE(std::string(o["message"].as_string()).starts_with("id: ")) << id;
    // The gateway's pathParameters are checked the same way.
    ProxyEvent e = api_event("GET", "/contacts/1");
    e.path_parameters["id"] = id;
    EXPECT_TRUE(std::string(call(e, 400)["message"].as_string()).starts_with("id: ")) << id;
  }
  // DELETE /contacts/01 deleted contact 1 once; it is still there.
  EXPECT_EQ(call(api_event("GET", "/contacts/1"), 200)["first_name"], "Adele");
  EXPECT_FALSE(repo_->last_list_.has_value());  // no list ran for /companies/01/contacts
}

TEST_F(ResourceApi, CanonicalIdsAreAccepted) {
  EXPECT_EQ(call(api_event("GET", "/contacts/1"), 200)["first_name"], "Adele");
  EXPECT_EQ(call(api_event("GET", "/contacts/0"), 404)["message"], "Not Found");
  EXPECT_EQ(call(api_event("GET", "/contacts/2147483647"), 404)["message"], "Not Found");
  EXPECT_EQ(call(api_event("DELETE", "/contacts/2147483647"), 404)["message"], "Not Found");
  EXPECT_EQ(call(api_event("PUT", "/contacts/0", {}, kLeBron), 404)["message"], "Not Found");
  json::object page = call(api_event("GET", "/companies/1/contacts"), 200);
  EXPECT_EQ(item_ids(page), (Ids{1}));
  EXPECT_EQ(call(api_event("GET", "/companies/0/contacts"), 404)["message"], "Not Found");
  EXPECT_EQ(repo_->last_list_->company_id, 0);
  EXPECT_EQ(call(api_event("GET", "/companies/2147483647/contacts"), 404)["message"], "Not Found");
  EXPECT_EQ(repo_->last_list_->company_id, 2147483647);
}

// Query integers follow the same rule as path ids (one spelling per value).
TEST_F(ResourceApi, NonCanonicalPageNumbersAre400) {
  for (const char* name : {"page", "page_size"}) {
    for (const char* value : {"01", "+1", " 1", "1 ", "-0", "0x1", "2147483648"}) {
      json::object o = call(api_event("GET", "/contacts", {{name, value}}), 400);
      EXPECT_TRUE(std::string(o["message"].as_string()).starts_with(std::string(name) + ": "))
          << name << "=" << value << " -> " << o["message"];
    }
  }
  EXPECT_EQ(call(api_event("GET", "/contacts", {{"page", "1"}, {"page_size", "10"}}), 200)["items"]
                .as_array()
                .size(),
            3u);
}

TEST_F(ResourceApi, UnknownOutcomeOfAWriteIs500ReadBeforeRetrying) {
  repo_->fail_with(Error{ErrorCode::kUnknown, "connection lost: password=hunter2", "08006"});
  for (ProxyEvent e :
       {api_event("POST", "/contacts", {}, kLeBron), api_event("PUT", "/contacts/1", {}, kLeBron),
        api_event("DELETE", "/contacts/1")}) {
    ProxyResponse r = api_(e);
    EXPECT_EQ(r.status_code, 500) << e.request_context.http_method;
    std::string text(body_of(r)["message"].as_string());
    EXPECT_TRUE(text.starts_with("The outcome is unknown: ")) << text;
    EXPECT_NE(text.find("before retrying"), std::string::npos) << text;
    expect_no_internals(r);
  }
}

TEST_F(ResourceApi, ListPagesByNumberAndByCursor) {
  for (int i = 0; i < 4; ++i) call(api_event("POST", "/contacts", {}, kLeBron), 201);  // ids 4..7
  json::object p1 = call(api_event("GET", "/contacts", {{"page_size", "3"}}), 200);
  EXPECT_EQ(item_ids(p1), (Ids{1, 2, 3}));
  EXPECT_EQ(p1["page"].as_int64(), 1);
  EXPECT_EQ(p1["page_size"].as_int64(), 3);
  ASSERT_TRUE(p1["next_cursor"].is_string());
  // The page after asks for one row more than it shows, to know whether a next page exists.
  EXPECT_EQ(repo_->last_list_->limit, 4);

  json::object p2 =
      call(api_event("GET", "/contacts",
                     {{"page_size", "3"}, {"cursor", std::string(p1["next_cursor"].as_string())}}),
           200);
  EXPECT_EQ(item_ids(p2), (Ids{4, 5, 6}));
  EXPECT_EQ(p2["page"].as_int64(), 2);
  EXPECT_EQ(repo_->last_list_->offset, 0);  // keyset: no OFFSET
  json::object p3 =
      call(api_event("GET", "/contacts",
                     {{"page_size", "3"}, {"cursor", std::string(p2["next_cursor"].as_string())}}),
           200);
  EXPECT_EQ(item_ids(p3), (Ids{7}));
  EXPECT_EQ(p3["page"].as_int64(), 3);
  EXPECT_TRUE(p3["next_cursor"].is_null());

  json::object by_number =
      call(api_event("GET", "/contacts", {{"page_size", "3"}, {"page", "2"}}), 200);
  EXPECT_EQ(item_ids(by_number), (Ids{4, 5, 6}));
  EXPECT_EQ(by_number["page"].as_int64(), 2);
}

TEST_F(ResourceApi, ListFiltersAndEmptyResult) {
  json::object amazon = call(api_event("GET", "/contacts", {{"search", "AMAZON"}}), 200);
  EXPECT_EQ(item_ids(amazon), (Ids{1}));
  EXPECT_EQ(amazon["page_size"].as_int64(), 20);
  json::object window = call(api_event("GET", "/contacts",
                                       {{"created_after", "2022.09.21 10:00:00"},
                                        {"created_before", "2022-09-30T00:00:00Z"}}),
                             200);
  EXPECT_EQ(item_ids(window), (Ids{2, 3}));
  json::object none = call(api_event("GET", "/contacts", {{"search", "nobody"}}), 200);
  EXPECT_TRUE(none["items"].as_array().empty());
  EXPECT_TRUE(none["next_cursor"].is_null());
}

TEST_F(ResourceApi, CompanyContacts) {
  call(api_event("POST", "/contacts", {}, kLeBron), 201);
  json::object page = call(api_event("GET", "/companies/1/contacts"), 200);
  EXPECT_EQ(item_ids(page), (Ids{1, 4}));
  EXPECT_EQ(repo_->last_list_->company_id, 1);
  EXPECT_EQ(call(api_event("GET", "/companies/42/contacts"), 404)["message"], "Not Found");
}

TEST_F(ResourceApi, BadListParametersAre400) {
  for (auto [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"page_size", "0"},
                                                        {"page_size", "1001"},
                                                        {"page_size", "x"},
                                                        {"page", "0"},
                                                        {"page", "-1"},
                                                        {"cursor", "not-a-cursor!"},
                                                        {"cursor", "MTIz"},
                                                        {"created_after", "tomorrow"},
                                                        {"search", std::string(256, 's')}}) {
    json::object o = call(api_event("GET", "/contacts", {{name, value}}), 400);
    std::string field = name == "search" ? "search" : name;
    EXPECT_TRUE(std::string(o["message"].as_string()).starts_with(field + ": "))
        << name << "=" << value << " -> " << o["message"];
  }
}

// ------------------------------------------------------------ OpenAPI

TEST(OpenApi, IsAnOpenApi31DocumentDescribingEveryRoute) {
  ProxyResponse r = contacts_openapi(ProxyEvent{});
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  boost::system::error_code ec;
  json::value doc = json::parse(r.body, ec);
  ASSERT_FALSE(ec);
  ASSERT_TRUE(doc.is_object());
  json::object& o = doc.as_object();
  EXPECT_EQ(o["openapi"], "3.1.0");
  ASSERT_TRUE(o["info"].is_object());
  EXPECT_TRUE(o["info"].as_object()["title"].is_string());
  EXPECT_TRUE(o["info"].as_object()["version"].is_string());
  ASSERT_TRUE(o["paths"].is_object());
  json::object& paths = o["paths"].as_object();
  const std::pair<const char*, const char*> routes[] = {
      {"/contacts", "post"},
      {"/contacts", "get"},
      {"/contacts/{id}", "get"},
      {"/contacts/{id}", "put"},
      {"/contacts/{id}", "delete"},
      {"/companies/{id}/contacts", "get"},
      {"/openapi.json", "get"},
      {"/contacts_insert", "post"},
      {"/contacts_get_by_contact_id", "post"},
      {"/contacts_get_by_company_id", "post"},
      {"/contacts_update_by_contact_id", "post"},
      {"/contacts_delete_by_contact_id", "post"},
      {"/contacts_get_by_dynamic_filter", "post"},
      {"/contacts_get_by_pagination", "post"},
  };
  for (auto [path, method] : routes) {
    ASSERT_TRUE(paths.contains(path)) << path;
    ASSERT_TRUE(paths[path].as_object().contains(method)) << method << " " << path;
    EXPECT_TRUE(paths[path].as_object()[method].as_object().contains("responses")) << path;
  }
  // Every local $ref resolves.
  std::vector<const json::value*> stack{&doc};
  int refs = 0;
  while (!stack.empty()) {
    const json::value* v = stack.back();
    stack.pop_back();
    if (v->is_array()) {
      for (const auto& x : v->as_array()) stack.push_back(&x);
    } else if (v->is_object()) {
      for (const auto& kv : v->as_object()) {
        if (kv.key() == "$ref") {
          ++refs;
          std::string ref(kv.value().as_string());
          ASSERT_TRUE(ref.starts_with("#/")) << ref;
          const json::value* target = &doc;
          std::size_t pos = 2;
          while (pos <= ref.size()) {
            std::size_t end = std::min(ref.find('/', pos), ref.size());
            std::string key = ref.substr(pos, end - pos);
            ASSERT_TRUE(target->is_object() && target->as_object().contains(key)) << ref;
            target = &target->as_object().at(key);
            pos = end + 1;
          }
        } else {
          stack.push_back(&kv.value());
        }
      }
    }
  }
  EXPECT_GT(refs, 20);
}

// ------------------------------------------------------------ registry, times, cursors

TEST(Registry, NamesEveryFunction) {
  auto fns = contacts_functions(std::make_shared<FakeRepository>());
  std::set<std::string> names;
  for (const auto& [name, fn] : fns) names.insert(name);
  EXPECT_EQ(names, (std::set<std::string>{
                       "contacts_insert", "contacts_get_by_contact_id",
                       "contacts_get_by_company_id", "contacts_update_by_contact_id",
                       "contacts_delete_by_contact_id", "contacts_get_by_dynamic_filter",
                       "contacts_get_by_pagination", "contacts_api", "contacts_openapi"}));
}

TEST(Timestamps, FormatIsRfc3339UtcWithMicroseconds) {
  EXPECT_EQ(format_timestamp(at("2026-11-28T05:17:19.123456Z")), "2026-11-28T05:17:19.123456Z");
  EXPECT_EQ(format_timestamp(Timestamp{}), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_timestamp(at("1969-12-31T23:59:59.5Z")), "1969-12-31T23:59:59.500000Z");
  EXPECT_EQ(format_timestamp(at("0001.01.01 00:00:00")), "0001-01-01T00:00:00.000000Z");
}

TEST(Timestamps, ParsesTheSeedsFormAndRfc3339) {
  EXPECT_EQ(at("2022.09.20 00:00:00"), at("2022-09-20T00:00:00Z"));
  EXPECT_EQ(at("2022.09.20"), at("2022-09-20T00:00:00Z"));
  EXPECT_EQ(at("2022-09-20"), at("2022-09-20T00:00:00Z"));
  EXPECT_EQ(at("2022-09-20T02:30:00+02:30"), at("2022-09-20T00:00:00Z"));
  EXPECT_EQ(at("2022-09-19T21:00:00-03:00"), at("2022-09-20T00:00:00z"));
  EXPECT_EQ(at("2022-09-20 00:00:00.1234567Z"), at("2022-09-20T00:00:00.123456Z"));
  EXPECT_EQ(at("2024-02-29T00:00:00Z") - at("2024-02-28T00:00:00Z"), std::chrono::hours{24});
  for (const char* bad : {"", "2022", "2023-02-29T00:00:00Z", "2022-09-20T00:00:60Z",
                          "2022-09-20T00:00:00.Z", "2022-09-20T00:00:00+24:00", "2022.09-20",
                          "2022-09-20X00:00:00Z", "2022-09-20T00:00:00Zjunk"}) {
    EXPECT_FALSE(parse_timestamp(bad).has_value()) << bad;
  }
}

TEST(Cursors, RoundTripAndRejectGarbage) {
  Cursor c{{at("2022-09-21T10:00:00.000001Z"), 42}, 50000};
  std::string text = encode_cursor(c);
  EXPECT_EQ(
      text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  EXPECT_EQ(decode_cursor(text), c);
  Cursor early{{at("0001-01-01T00:00:00Z"), 1}, 1};
  EXPECT_EQ(decode_cursor(encode_cursor(early)), early);
  for (const std::string& bad :
       std::vector<std::string>{"", "!!!!", "MTIz", "MS4yLjA", "YS5iLmM", std::string(200, 'A')}) {
    EXPECT_FALSE(decode_cursor(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace cloudlet::functions
