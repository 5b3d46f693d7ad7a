#include "functions/contacts_handlers.hpp"

#include <array>
#include <boost/json.hpp>
#include <exception>
#include <limits>
#include <string_view>

namespace cloudlet::functions {

namespace json = boost::json;

namespace {

// ------------------------------------------------------------ parsing input
//
// A parse error is an Error::invalid_argument whose message is
// "<field>: <reason>", built only from our own strings: it goes to the
// client as status_error / message.

Error bad(std::string_view field, std::string_view reason) {
  return Error::invalid_argument(std::string(field) + ": " + std::string(reason));
}

constexpr std::size_t kMaxNameChars = 255;   // varchar(255) in 0001
constexpr std::size_t kMaxEmailChars = 254;  // RFC 5321, varchar(254) in 0001

// Characters, not bytes, as PostgreSQL's char_length counts them. Boost.JSON
// has already refused invalid UTF-8, so counting non-continuation bytes is exact.
std::size_t utf8_chars(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// C0 controls, DEL, and the C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F),
// which the table's [[:cntrl:]] checks refuse.
bool has_control(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < s.size()) {
      auto next = static_cast<unsigned char>(s[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return true;
    }
  }
  return false;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

Result<std::string> parse_name(std::string_view field, std::string value) {
  std::string_view v = value;
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return bad(field, "must not be empty");
  if (utf8_chars(value) > kMaxNameChars) return bad(field, "must be at most 255 characters");
  if (has_control(value)) return bad(field, "must not contain control characters");
  return value;
}

Result<std::string> parse_email(std::string value) {
  constexpr std::string_view field = "email";
  if (value.empty()) return bad(field, "must not be empty");
  if (utf8_chars(value) > kMaxEmailChars) return bad(field, "must be at most 254 characters");
  auto at = value.find('@');
  bool one_at = at != std::string::npos && value.find('@', at + 1) == std::string::npos;
  if (!one_at || at == 0 || at + 1 == value.size()) {
    return bad(field, "must be an address of the form local@domain");
  }
  if (has_control(value)) return bad(field, "must not contain control characters");
  for (char c : value) {
    if (is_space(c)) return bad(field, "must not contain spaces");
  }
  return value;
}

// Decodes standard base64 (with or without padding), for bodies the gateway
// sent with isBase64Encoded.
std::optional<std::string> base64_decode(std::string_view in) {
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : in) {
    unsigned v = 0;
    if (c >= 'A' && c <= 'Z')
      v = static_cast<unsigned>(c - 'A');
    else if (c >= 'a' && c <= 'z')
      v = static_cast<unsigned>(c - 'a' + 26);
    else if (c >= '0' && c <= '9')
      v = static_cast<unsigned>(c - '0' + 52);
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else if (c == '=' || c == '\n' || c == '\r')
      continue;
    else
      return std::nullopt;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

// The largest valid contact is under 2 KiB (three 255-character names, a
// 254-character e-mail, each at most 6 bytes a character once JSON-escaped).
// A parsed JSON document costs about 13 times its text, so bodies are refused
// above this before parsing: a 10 MB array must not cost 130 MB.
constexpr std::size_t kMaxBodyBytes = 64 * 1024;

Result<json::object> parse_body(const ProxyEvent& event) {
  const std::string too_large = "must be at most " + std::to_string(kMaxBodyBytes) + " bytes";
  std::string decoded;
  std::string_view text = event.body;
  if (event.is_base64_encoded) {
    if (event.body.size() / 4 * 3 > kMaxBodyBytes + 3) return bad("body", too_large);
    auto d = base64_decode(event.body);
    if (!d) return bad("body", "is not valid base64");
    decoded = std::move(*d);
    text = decoded;
  }
  if (text.size() > kMaxBodyBytes) return bad("body", too_large);
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return bad("body", "a JSON object is required");
  }
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return bad("body", "is not valid JSON");
  if (!v.is_object()) return bad("body", "must be a JSON object");
  return std::move(v.as_object());
}

// A field that is absent or null is "missing": Go's encoding/json, which the
// seed used, treats both alike.
const json::value* field_of(const json::object& obj, std::string_view name) {
  const json::value* v = obj.if_contains(name);
  return (v == nullptr || v->is_null()) ? nullptr : v;
}

// Only JSON integers: 1.0 and "1" are refused, as the seed's Go structs did.
Result<std::int32_t> int_value(std::string_view name, const json::value& v) {
  constexpr auto lo = std::numeric_limits<std::int32_t>::min();
  constexpr auto hi = std::numeric_limits<std::int32_t>::max();
  if (v.is_int64()) {
    std::int64_t i = v.get_int64();
    if (i < lo || i > hi) return bad(name, "is out of range");
    return static_cast<std::int32_t>(i);
  }
  if (v.is_uint64()) return bad(name, "is out of range");
  return bad(name, "must be an integer");
}

Result<std::int32_t> required_int(const json::object& obj, std::string_view name) {
  const json::value* v = field_of(obj, name);
  if (v == nullptr) return bad(name, "is required");
  return int_value(name, *v);
}

Result<std::int32_t> optional_int(const json::object& obj, std::string_view name,
                                  std::int32_t fallback) {
  const json::value* v = field_of(obj, name);
  if (v == nullptr) return fallback;
  return int_value(name, *v);
}

Result<std::string> string_value(std::string_view name, const json::value* v, bool required) {
  if (v == nullptr) {
    if (required) return bad(name, "is required");
    return std::string();
  }
  if (!v->is_string()) return bad(name, "must be a string");
  return std::string(v->get_string());
}

Result<std::optional<Timestamp>> date_value(std::string_view name, const std::string& text) {
  if (text.empty()) return std::optional<Timestamp>();  // "" = no bound, as in the seed
  auto t = parse_timestamp(text);
  if (!t) return bad(name, "must be a date like 2022.09.20 00:00:00 or 2022-09-20T00:00:00Z");
  return std::optional<Timestamp>(*t);
}

Result<std::string> search_value(std::string_view name, std::string text) {
  if (utf8_chars(text) > kMaxNameChars) return bad(name, "must be at most 255 characters");
  return text;
}

#define CLOUDLET_TRY(var, expr)                        \
  auto var##_result = (expr);                          \
  if (!var##_result.ok()) return var##_result.error(); \
  auto var = std::move(*var##_result)

Result<ContactFields> parse_fields(const json::object& obj) {
  CLOUDLET_TRY(company_id, required_int(obj, "company_id"));
  CLOUDLET_TRY(first_raw, string_value("first_name", field_of(obj, "first_name"), true));
  CLOUDLET_TRY(first_name, parse_name("first_name", std::move(first_raw)));
  CLOUDLET_TRY(last_raw, string_value("last_name", field_of(obj, "last_name"), true));
  CLOUDLET_TRY(last_name, parse_name("last_name", std::move(last_raw)));
  CLOUDLET_TRY(email_raw, string_value("email", field_of(obj, "email"), true));
  CLOUDLET_TRY(email, parse_email(std::move(email_raw)));
  return ContactFields{company_id, std::move(first_name), std::move(last_name), std::move(email)};
}

// The seed's filter. Every field is optional: its zero value ("" / 0) means
// "any", which is also what the seed's Go structs made of a missing field.
Result<ContactFilter> parse_filter(const json::object& obj) {
  CLOUDLET_TRY(id, optional_int(obj, "id", 0));
  CLOUDLET_TRY(search_raw, string_value("search_text", field_of(obj, "search_text"), false));
  CLOUDLET_TRY(search, search_value("search_text", std::move(search_raw)));
  CLOUDLET_TRY(start_raw,
               string_value("created_at_start", field_of(obj, "created_at_start"), false));
  CLOUDLET_TRY(start, date_value("created_at_start", start_raw));
  CLOUDLET_TRY(finish_raw,
               string_value("created_at_finish", field_of(obj, "created_at_finish"), false));
  CLOUDLET_TRY(finish, date_value("created_at_finish", finish_raw));
  return ContactFilter{id, std::move(search), start, finish};
}

struct PageRequest {
  ContactFilter filter;
  std::int32_t number = 1;
  std::int32_t size = 1;
};

Result<PageRequest> parse_page(const json::object& obj) {
  CLOUDLET_TRY(filter, parse_filter(obj));
  CLOUDLET_TRY(number, required_int(obj, "page_number"));
  if (number < 1) return bad("page_number", "must be 1 or more");
  CLOUDLET_TRY(size, required_int(obj, "page_size"));
  if (size < 1 || size > kMaxPageSize) return bad("page_size", "must be from 1 to 1000");
  return PageRequest{std::move(filter), number, size};
}

// ------------------------------------------------------------ responses

json::object contact_json(const Contact& c) {
  json::object o;
  o["id"] = c.id;
  o["company_id"] = c.company_id;
  o["first_name"] = c.first_name;
  o["last_name"] = c.last_name;
  o["email"] = c.email;
  o["created_at"] = format_timestamp(c.created_at);
  return o;
}

json::array contacts_json(const std::vector<Contact>& list) {
  json::array a;
  a.reserve(list.size());
  for (const Contact& c : list) a.push_back(contact_json(c));
  return a;
}

ProxyResponse json_response(int status, const json::value& body) {
  ProxyResponse r;
  r.status_code = status;
  r.headers["content-type"] = "application/json";
  r.body = json::serialize(body);
  return r;
}

ProxyResponse seed_response(int status, std::string_view message, std::string_view error,
                            const Contact* contact, const std::vector<Contact>* list) {
  json::object o;
  o["status_code"] = status;
  o["status_message"] = message;
  o["status_error"] = error;
  o["contact"] = contact != nullptr ? json::value(contact_json(*contact)) : json::value(nullptr);
  o["contacts_list"] = list != nullptr ? contacts_json(*list) : json::array();
  return json_response(status, o);
}

// Only a message of the form "<known field>: ..." reaches a client; anything
// else a repository put in an invalid-argument error is replaced.
std::string client_safe_invalid(const Error& e) {
  static constexpr std::array<std::string_view, 17> kFields = {"body",
                                                               "id",
                                                               "company_id",
                                                               "first_name",
                                                               "last_name",
                                                               "email",
                                                               "search_text",
                                                               "created_at_start",
                                                               "created_at_finish",
                                                               "page_number",
                                                               "page_size",
                                                               "contact",
                                                               "cursor",
                                                               "page",
                                                               "search",
                                                               "created_after",
                                                               "created_before"};
  auto colon = e.message.find(": ");
  if (colon != std::string::npos) {
    std::string_view field(e.message.data(), colon);
    for (std::string_view known : kFields) {
      if (field == known && e.message.size() < 200 && !has_control(e.message)) return e.message;
    }
  }
  return "invalid input";
}

enum class Outcome {
  kNotFound,
  kInvalid,
  kUnknownCompany,
  kUnavailable,
  kOutcomeUnknown,
  kInternal
};

// What the client should do next decides the status (contacts.hpp lists the
// codes). 503 says "retry later", so it is only for failures that changed
// nothing.
Outcome classify(const Error& e) {
  switch (e.code) {
    case ErrorCode::kNotFound:
      return Outcome::kNotFound;
    case ErrorCode::kInvalidArgument:
      return Outcome::kInvalid;
    case ErrorCode::kFailedPrecondition:
      return Outcome::kUnknownCompany;
    case ErrorCode::kUnavailable:
    case ErrorCode::kResourceExhausted:
      return Outcome::kUnavailable;
    case ErrorCode::kDeadlineExceeded:
      // Safe to retry for writes too: writes run through pg::Pool::execute(),
      // whose kDeadlineExceeded means the server cancelled the statement
      // (57014) and so rolled it back. A timeout whose outcome the pool cannot
      // know (the connection went quiet after the statement was sent) is
      // kUnknown, below.
      return Outcome::kUnavailable;
    case ErrorCode::kUnknown:
      // A write that may or may not have been applied: "retry later" could
      // insert a contact twice, so the client is told to read first.
      return Outcome::kOutcomeUnknown;
    default:
      return Outcome::kInternal;
  }
}

constexpr std::string_view kOutcomeUnknownText =
    "the change may or may not have been applied (the database did not confirm it); "
    "read the contact before retrying";

ProxyResponse seed_error(const Error& e) {
  switch (classify(e)) {
    case Outcome::kNotFound:
      return seed_response(404, "RECORD_NOT_FOUND", "", nullptr, nullptr);
    case Outcome::kInvalid:
      return seed_response(400, "ERROR_INVALID_INPUT", client_safe_invalid(e), nullptr, nullptr);
    case Outcome::kUnknownCompany:
      return seed_response(409, "ERROR_UNKNOWN_COMPANY", "company_id: no such company", nullptr,
                           nullptr);
    case Outcome::kUnavailable:
      return seed_response(503, "ERROR_DATABASE_UNAVAILABLE",
                           "the database is unavailable; retry later", nullptr, nullptr);
    case Outcome::kOutcomeUnknown:
      return seed_response(500, "ERROR_OUTCOME_UNKNOWN", kOutcomeUnknownText, nullptr, nullptr);
    case Outcome::kInternal:
      break;
  }
  return seed_response(500, "ERROR_INTERNAL", "internal error", nullptr, nullptr);
}

ProxyResponse seed_one(Result<Contact> r, int status = 200) {
  if (!r.ok()) return seed_error(r.error());
  return seed_response(status, "RECORD_OK", "", &*r, nullptr);
}

// ------------------------------------------------------------ bounded lists
//
// The seed's unpaged lists (by company, dynamic filter) ask the repository
// for kMaxSeedListRows + 1 rows, so that memory per request is bounded however
// many rows match, and refuse when that extra row comes back. The body is
// built row by row against kMaxSeedResponseBytes and refused as soon as it
// would not fit, without first building the whole JSON tree.

// Bytes `s` takes inside a JSON string: the body of a Lambda proxy response
// travels as one ("body":"{\"status_code\":...}"), and the 6 MB limit
// counts the whole proxy response.
std::size_t json_string_bytes(std::string_view s) {
  std::size_t n = s.size();
  for (char c : s) {
    if (c == '"' || c == '\\') {
      n += 1;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      n += 5;  // \u00XX at most
    }
  }
  return n;
}

// The rest of a proxy response around the body: statusCode, headers.
constexpr std::size_t kProxyEnvelopeAllowance = 1024;

// The 200 seed envelope of `rows` when it fits in kMaxSeedResponseBytes (as
// a Lambda proxy response), else nullopt.
std::optional<std::string> bounded_seed_list_body(const std::vector<Contact>& rows) {
  json::object head;
  head["status_code"] = 200;
  head["status_message"] = "RECORD_OK";
  head["status_error"] = "";
  head["contact"] = nullptr;
  std::string body = json::serialize(head);
  body.pop_back();  // the closing '}': contacts_list follows, as in seed_response
  body += ",\"contacts_list\":[";
  std::size_t bytes = kProxyEnvelopeAllowance + json_string_bytes(body) + 2;  // + "]}"
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::string one = json::serialize(contact_json(rows[i]));
    bytes += json_string_bytes(one) + (i > 0 ? 1 : 0);
    if (bytes > kMaxSeedResponseBytes) return std::nullopt;
    if (i > 0) body += ',';
    body += one;
  }
  body += "]}";
  return body;
}

// `paged` names where to page instead, for status_error.
ProxyResponse seed_bounded_list(Result<std::vector<Contact>> r, std::string_view paged) {
  if (!r.ok()) return seed_error(r.error());
  // The seed answers an empty list as "not found".
  if (r->empty()) return seed_response(404, "RECORD_NOT_FOUND", "", nullptr, nullptr);
  // 400, not 413 (which is about request bodies) or 5xx (nothing failed, and
  // a retry would fail the same way): the request must change.
  if (r->size() > static_cast<std::size_t>(kMaxSeedListRows)) {
    return seed_response(400, "ERROR_RESULT_TOO_LARGE",
                         "more than " + std::to_string(kMaxSeedListRows) + " contacts match; use " +
                             std::string(paged),
                         nullptr, nullptr);
  }
  auto body = bounded_seed_list_body(*r);
  if (!body) {
    return seed_response(400, "ERROR_RESULT_TOO_LARGE",
                         "the matching contacts exceed the response limit of " +
                             std::to_string(kMaxSeedResponseBytes) + " bytes; use " +
                             std::string(paged),
                         nullptr, nullptr);
  }
  ProxyResponse out;
  out.status_code = 200;
  out.headers["content-type"] = "application/json";
  out.body = std::move(*body);
  return out;
}

ProxyResponse seed_list(Result<std::vector<Contact>> r) {
  if (!r.ok()) return seed_error(r.error());
  // The seed answers an empty list as "not found".
  if (r->empty()) return seed_response(404, "RECORD_NOT_FOUND", "", nullptr, nullptr);
  return seed_response(200, "RECORD_OK", "", nullptr, &*r);
}

// One more than a list may show, to learn that there were more.
constexpr std::int32_t kSeedListFetch = kMaxSeedListRows + 1;
constexpr std::string_view kPagedByCompany = "GET /companies/{id}/contacts (cursor paging)";
constexpr std::string_view kPagedFilter =
    "contacts_get_by_pagination, or GET /contacts?search=...&cursor= (cursor paging)";

// A handler must not throw (bad_alloc, a library bug): the transport would
// have nothing to send. Whatever escapes becomes a bare 500.
template <class F>
ProxyResponse guarded(F&& body, ProxyResponse (*on_exception)()) noexcept {
  try {
    return body();
  } catch (...) {
    try {
      return on_exception();
    } catch (...) {
      ProxyResponse r;
      r.status_code = 500;
      return r;
    }
  }
}

ProxyResponse seed_internal() { return seed_error(Error::internal("exception")); }

// Runs a seed handler: parse the body into T, or answer 400.
template <class Parse, class Run>
ProxyResponse seed_handler(const ProxyEvent& event, Parse parse, Run run) noexcept {
  return guarded(
      [&]() -> ProxyResponse {
        auto body = parse_body(event);
        if (!body.ok()) return seed_error(body.error());
        auto request = parse(*body);
        if (!request.ok()) return seed_error(request.error());
        return run(*request);
      },
      &seed_internal);
}

Result<std::int32_t> parse_id(const json::object& obj) { return required_int(obj, "id"); }
Result<std::int32_t> parse_company_id(const json::object& obj) {
  return required_int(obj, "company_id");
}

struct UpdateRequest {
  std::int32_t id = 0;
  ContactFields fields;
};
Result<UpdateRequest> parse_update(const json::object& obj) {
  CLOUDLET_TRY(id, required_int(obj, "id"));
  CLOUDLET_TRY(fields, parse_fields(obj));
  return UpdateRequest{id, std::move(fields)};
}

}  // namespace

// ------------------------------------------------------------ seed handlers

ProxyResponse contacts_insert(const ProxyEvent& event, ContactsRepository& repo) {
  return seed_handler(event, parse_fields,
                      [&](const ContactFields& f) { return seed_one(repo.insert(f), 201); });
}

ProxyResponse contacts_get_by_contact_id(const ProxyEvent& event, ContactsRepository& repo) {
  return seed_handler(event, parse_id, [&](std::int32_t id) { return seed_one(repo.get(id)); });
}

ProxyResponse contacts_get_by_company_id(const ProxyEvent& event, ContactsRepository& repo) {
  return seed_handler(event, parse_company_id, [&](std::int32_t id) {
    return seed_bounded_list(repo.by_company(id, kSeedListFetch), kPagedByCompany);
  });
}

ProxyResponse contacts_update_by_contact_id(const ProxyEvent& event, ContactsRepository& repo) {
  return seed_handler(event, parse_update, [&](const UpdateRequest& r) {
    return seed_one(repo.update(r.id, r.fields));
  });
}

ProxyResponse contacts_delete_by_contact_id(const ProxyEvent& event, ContactsRepository& repo) {
  return seed_handler(event, parse_id, [&](std::int32_t id) { return seed_one(repo.remove(id)); });
}

ProxyResponse contacts_get_by_dynamic_filter(const ProxyEvent& event, ContactsRepository& repo) {
  return seed_handler(event, parse_filter, [&](const ContactFilter& f) {
    return seed_bounded_list(repo.filter(f, kSeedListFetch), kPagedFilter);
  });
}

ProxyResponse contacts_get_by_pagination(const ProxyEvent& event, ContactsRepository& repo) {
  return seed_handler(event, parse_page, [&](const PageRequest& p) {
    return seed_list(repo.page(p.filter, p.number, p.size));
  });
}

// ------------------------------------------------------------ resource API

namespace {

ProxyResponse message(int status, std::string_view text) {
  json::object o;
  o["message"] = text;
  return json_response(status, o);
}

ProxyResponse not_found() { return message(404, "Not Found"); }
ProxyResponse api_internal() { return message(500, "Internal Server Error"); }

ProxyResponse api_error(const Error& e) {
  switch (classify(e)) {
    case Outcome::kNotFound:
      return not_found();
    case Outcome::kInvalid:
      return message(400, client_safe_invalid(e));
    case Outcome::kUnknownCompany:
      return message(409, "company_id: no such company");
    case Outcome::kUnavailable:
      return message(503, "Service Unavailable");
    case Outcome::kOutcomeUnknown:
      return message(500, "The outcome is unknown: " + std::string(kOutcomeUnknownText));
    case Outcome::kInternal:
      break;
  }
  return api_internal();
}

// Integers in paths and query strings must be written the one canonical way:
// decimal digits, no sign, no leading zeros ("0" itself is fine), at most
// 2147483647. The gateway authorises on the raw path
// (arn:...:$default/GET/contacts/1), so if "01" also meant 1, a Deny on
// .../contacts/1 would not stop GET or DELETE /contacts/01. Query integers
// (page, page_size) are not part of that resource; they follow the same rule
// so that every integer the API reads has exactly one spelling.
constexpr std::string_view kCanonicalInt =
    "must be a non-negative integer without sign or leading zeros, at most 2147483647";

std::optional<std::int32_t> canonical_int(std::string_view s) {
  if (s.empty() || s.size() > 10 || (s.size() > 1 && s.front() == '0')) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > std::numeric_limits<std::int32_t>::max()) return std::nullopt;
  return static_cast<std::int32_t>(v);
}

Result<std::int32_t> query_int(const ProxyEvent& event, std::string_view name,
                               std::int32_t fallback, std::int32_t lo, std::int32_t hi,
                               std::string_view range) {
  auto it = event.query_string_parameters.find(std::string(name));
  if (it == event.query_string_parameters.end() || it->second.empty()) return fallback;
  auto v = canonical_int(it->second);
  if (!v) return bad(name, kCanonicalInt);
  if (*v < lo || *v > hi) return bad(name, range);
  return *v;
}

std::string query_text(const ProxyEvent& event, std::string_view name) {
  auto it = event.query_string_parameters.find(std::string(name));
  return it == event.query_string_parameters.end() ? std::string() : it->second;
}

struct ListRequest {
  ListQuery query;
  std::int32_t page = 1;
  std::int32_t page_size = 20;
};

constexpr std::int32_t kDefaultPageSize = 20;

Result<ListRequest> parse_list(const ProxyEvent& event, std::optional<std::int32_t> company) {
  ListRequest r;
  CLOUDLET_TRY(size, query_int(event, "page_size", kDefaultPageSize, 1, kMaxPageSize,
                               "must be from 1 to 1000"));
  CLOUDLET_TRY(page, query_int(event, "page", 1, 1, std::numeric_limits<std::int32_t>::max(),
                               "must be 1 or more"));
  CLOUDLET_TRY(search, search_value("search", query_text(event, "search")));
  CLOUDLET_TRY(after, date_value("created_after", query_text(event, "created_after")));
  CLOUDLET_TRY(before, date_value("created_before", query_text(event, "created_before")));
  r.page_size = size;
  r.page = page;
  r.query.company_id = company;
  r.query.search_text = std::move(search);
  r.query.created_after = after;
  r.query.created_before = before;
  // One row more than the page tells whether another page follows.
  r.query.limit = size + 1;
  if (std::string cursor = query_text(event, "cursor"); !cursor.empty()) {
    // The cursor carries the position; a page number next to it is ignored.
    auto c = decode_cursor(cursor);
    if (!c) return bad("cursor", "is not a next_cursor of this API");
    r.query.after = c->after;
    r.page = c->page;
  } else {
    r.query.offset = (static_cast<std::int64_t>(page) - 1) * size;
  }
  return r;
}

ProxyResponse list_page(const ProxyEvent& event, ContactsRepository& repo,
                        std::optional<std::int32_t> company) {
  auto request = parse_list(event, company);
  if (!request.ok()) return api_error(request.error());
  auto rows = repo.list(request->query);
  if (!rows.ok()) return api_error(rows.error());
  std::vector<Contact>& items = *rows;
  json::value next = nullptr;
  auto size = static_cast<std::size_t>(request->page_size);
  if (items.size() > size) {
    items.resize(size);
    if (request->page < std::numeric_limits<std::int32_t>::max()) {
      const Contact& last = items.back();
      next = encode_cursor(Cursor{{last.created_at, last.id}, request->page + 1});
    }
  }
  json::object o;
  o["items"] = contacts_json(items);
  o["page"] = request->page;
  o["page_size"] = request->page_size;
  o["next_cursor"] = std::move(next);
  return json_response(200, o);
}

ProxyResponse write_contact(const ProxyEvent& event, ContactsRepository& repo,
                            std::optional<std::int32_t> id) {
  auto body = parse_body(event);
  if (!body.ok()) return api_error(body.error());
  auto fields = parse_fields(*body);
  if (!fields.ok()) return api_error(fields.error());
  auto written = id ? repo.update(*id, *fields) : repo.insert(*fields);
  if (!written.ok()) return api_error(written.error());
  ProxyResponse r = json_response(id ? 200 : 201, contact_json(*written));
  if (!id) r.headers["location"] = "/contacts/" + std::to_string(written->id);
  return r;
}

ProxyResponse one_contact(Result<Contact> r) {
  if (!r.ok()) return api_error(r.error());
  return json_response(200, contact_json(*r));
}

std::string_view method_of(const ProxyEvent& event) {
  if (!event.request_context.http_method.empty()) return event.request_context.http_method;
  std::string_view key = event.route_key;
  return key.substr(0, key.find(' '));
}

ProxyResponse dispatch(const ProxyEvent& event, ContactsRepository& repo) {
  std::string_view method = method_of(event);
  std::string_view path = event.raw_path.empty() ? std::string_view(event.request_context.http_path)
                                                 : std::string_view(event.raw_path);
  // Split "/a/b/c" into its segments.
  std::vector<std::string_view> seg;
  if (path.empty() || path.front() != '/') return not_found();
  for (std::size_t pos = 1; pos <= path.size();) {
    std::size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    seg.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  auto id_from = [&](std::string_view segment) -> std::optional<std::int32_t> {
    auto it = event.path_parameters.find("id");
    return canonical_int(it != event.path_parameters.end() ? std::string_view(it->second)
                                                           : segment);
  };
  auto bad_id = [] { return message(400, "id: " + std::string(kCanonicalInt)); };

  if (seg.size() == 1 && seg[0] == "openapi.json" && method == "GET") {
    return contacts_openapi(event);
  }
  if (seg.size() == 1 && seg[0] == "contacts") {
    if (method == "POST") return write_contact(event, repo, std::nullopt);
    if (method == "GET") return list_page(event, repo, std::nullopt);
    return not_found();
  }
  if (seg.size() == 2 && seg[0] == "contacts") {
    if (method != "GET" && method != "PUT" && method != "DELETE") return not_found();
    auto id = id_from(seg[1]);
    if (!id) return bad_id();
    if (method == "GET") return one_contact(repo.get(*id));
    if (method == "PUT") return write_contact(event, repo, *id);
    return one_contact(repo.remove(*id));
  }
  if (seg.size() == 3 && seg[0] == "companies" && seg[2] == "contacts" && method == "GET") {
    auto id = id_from(seg[1]);
    if (!id) return bad_id();
    return list_page(event, repo, *id);
  }
  return not_found();
}

}  // namespace

ProxyResponse contacts_api(const ProxyEvent& event, ContactsRepository& repo) {
  return guarded([&] { return dispatch(event, repo); }, &api_internal);
}

ProxyResponse contacts_openapi(const ProxyEvent& /*event*/) {
  return guarded(
      [] {
        ProxyResponse r;
        r.status_code = 200;
        r.headers["content-type"] = "application/json";
        r.body = openapi_document();
        return r;
      },
      &api_internal);
}

std::map<std::string, Handler> contacts_functions(std::shared_ptr<ContactsRepository> repo) {
  using Fn = ProxyResponse (*)(const ProxyEvent&, ContactsRepository&);
  const std::pair<const char*, Fn> seed[] = {
      {"contacts_insert", &contacts_insert},
      {"contacts_get_by_contact_id", &contacts_get_by_contact_id},
      {"contacts_get_by_company_id", &contacts_get_by_company_id},
      {"contacts_update_by_contact_id", &contacts_update_by_contact_id},
      {"contacts_delete_by_contact_id", &contacts_delete_by_contact_id},
      {"contacts_get_by_dynamic_filter", &contacts_get_by_dynamic_filter},
      {"contacts_get_by_pagination", &contacts_get_by_pagination},
      {"contacts_api", &contacts_api},
  };
  std::map<std::string, Handler> out;
  for (const auto& [name, fn] : seed) {
    // Each handler holds the repository, so it lives as long as any route does.
    // `fn = fn`: clang before 16 cannot capture a structured binding.
    out.emplace(name, [repo, fn = fn](const ProxyEvent& e) { return fn(e, *repo); });
  }
  out.emplace("contacts_openapi", [](const ProxyEvent& e) { return contacts_openapi(e); });
  return out;
}

}  // namespace cloudlet::functions
