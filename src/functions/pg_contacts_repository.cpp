#include "functions/pg_contacts_repository.hpp"

#include <string_view>

namespace cloudlet::functions {

namespace {

using pg::Param;
using pg::Params;
using pg::Statement;

// Every statement selects the seed's columns, but created_at as microseconds
// since 1970 (exact: extract() returns numeric), so no time-zone setting of
// the session can change what we read.
constexpr std::string_view kColumns =
    "SELECT id, company_id, first_name, last_name, email, "
    "(extract(epoch FROM created_at) * 1000000)::bigint FROM ";

// Statement names share the connection with other modules: keep a prefix.
Statement statement(const char* name, std::string_view call) {
  return Statement{std::string("cloudlet_fn_") + name, std::string(kColumns) + std::string(call)};
}

const Statement& insert_stmt() {
  static const Statement s =
      statement("contacts_insert", "contacts_insert_returning($1, $2, $3, $4)");
  return s;
}
const Statement& get_stmt() {
  static const Statement s = statement("contacts_get", "contacts_get_by_contact_id($1)");
  return s;
}
// The seed's function, inlined by the planner (it is LANGUAGE sql STABLE), so
// the LIMIT reaches the index scan: the server stops after max_rows rows and
// the client never receives more.
const Statement& by_company_stmt() {
  static const Statement s =
      statement("contacts_by_company_limit", "contacts_get_by_company_id($1) LIMIT $2");
  return s;
}
const Statement& update_stmt() {
  static const Statement s =
      statement("contacts_update", "contacts_update_returning($1, $2, $3, $4, $5)");
  return s;
}
const Statement& delete_stmt() {
  static const Statement s = statement("contacts_delete", "contacts_delete_returning($1)");
  return s;
}
// contacts_get_by_dynamic_filter is exactly cloudlet_contacts_filter with no
// row limit (0003). Calling the latter with the limit puts it inside the
// dynamic query (ORDER BY created_at, id ... FETCH NEXT $5 ROWS ONLY), so the
// server stops after max_rows rows too; a LIMIT around the seed's function
// would bound what we receive but let the plpgsql function materialise every
// match first.
const Statement& filter_stmt() {
  static const Statement s =
      statement("contacts_filter_limit", "cloudlet_contacts_filter($1, $2, $3, $4, $5, 0)");
  return s;
}
const Statement& page_stmt() {
  static const Statement s =
      statement("contacts_page", "contacts_get_by_pagination($1, $2, $3, $4, $5, $6)");
  return s;
}
const Statement& list_stmt() {
  static const Statement s =
      statement("contacts_list", "contacts_list_keyset($1, $2, $3, $4, $5, $6, $7, $8)");
  return s;
}

Param timestamp_param(const std::optional<Timestamp>& t) {
  if (!t) return std::nullopt;
  return format_timestamp(*t);
}

// The field a check violation is about, from the constraint's name (the
// server's message names it, e.g. contacts_email_check). Only our own fixed
// strings leave this function.
Error check_violation(const Error& e) {
  for (const char* field : {"first_name", "last_name", "email", "company_id"}) {
    if (e.message.find(field) != std::string::npos) {
      return Error::invalid_argument(std::string(field) + ": not accepted by the database");
    }
  }
  return Error::invalid_argument("contact: not accepted by the database");
}

Error translate(Error e) {
  const std::string& s = e.sqlstate;
  if (s == "23514" || s == "23502") return check_violation(e);
  if (s == "22V01") return Error::invalid_argument("page_number: must be 1 or more");
  if (s == "22V02") return Error::invalid_argument("page_size: must be from 1 to 1000");
  if (s == "22001") return Error::invalid_argument("contact: a value is too long");
  if (s == "P0002") return Error::not_found("no such company");
  if (e.code == ErrorCode::kInvalidArgument) {
    // Other class-22 errors: values our parsing should have refused. Keep
    // the server's text out of what a client may see.
    return Error{ErrorCode::kInternal, "unexpected data exception", s};
  }
  return e;
}

// A statement that changes nothing, whose connection was lost after it was
// sent, has a known outcome: nothing happened. kUnknown is for writes only
// (contacts.hpp); for a read it is kUnavailable, which clients may retry.
Result<pg::Rows> as_read(Result<pg::Rows> result) {
  if (result.ok() || result.error().code != ErrorCode::kUnknown) return result;
  Error e = result.error();
  e.code = ErrorCode::kUnavailable;
  return e;
}

Result<std::vector<Contact>> read_rows(Result<pg::Rows> result) {
  if (!result.ok()) return translate(result.error());
  const pg::Rows& rows = *result;
  if (rows.columns() != 6) return Error::internal("contacts query returned unexpected columns");
  std::vector<Contact> out;
  out.reserve(static_cast<std::size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) {
    auto id = rows.integer(i, 0), company = rows.integer(i, 1), created = rows.integer(i, 5);
    if (!id.ok() || !company.ok() || !created.ok()) {
      return Error::internal("contacts query returned a non-integer");
    }
    Contact c;
    c.id = static_cast<std::int32_t>(*id);
    c.company_id = static_cast<std::int32_t>(*company);
    c.first_name = std::string(rows.text(i, 2));
    c.last_name = std::string(rows.text(i, 3));
    c.email = std::string(rows.text(i, 4));
    c.created_at = Timestamp{std::chrono::microseconds{*created}};
    out.push_back(std::move(c));
  }
  return out;
}

Result<Contact> read_one(Result<pg::Rows> result, const char* missing) {
  auto rows = read_rows(std::move(result));
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return Error::not_found(missing);
  return std::move(rows->front());
}

Params fields_params(const ContactFields& f) {
  return {std::to_string(f.company_id), f.first_name, f.last_name, f.email};
}

Params filter_params(const ContactFilter& f) {
  return {std::to_string(f.contact_id), f.search_text, timestamp_param(f.created_after),
          timestamp_param(f.created_before)};
}

}  // namespace

// Reads (get, by_company, filter, page, list) pass through as_read(); writes
// (insert, update, remove) keep kUnknown, which the handlers answer "read
// before retrying", and use execute(), never the pipelined lanes, whose
// failures after a send would be kUnavailable although the write may have run.
// (The pool's header says that kDeadlineExceeded from execute() is a
// cancelled, rolled-back statement.)
//
// get shares the pool's pipeline lanes: it is short, so nobody waits long
// behind it, and PostgreSQL serves several per wake-up. Lists and filters,
// whose cost grows with the data, take a connection of their own.
Result<Contact> PgContactsRepository::insert(const ContactFields& fields) {
  return read_one(pool_.execute(insert_stmt(), fields_params(fields)), "insert returned no row");
}

Result<Contact> PgContactsRepository::get(std::int32_t id) {
  return read_one(as_read(pool_.execute_pipelined(get_stmt(), {std::to_string(id)})),
                  "no such contact");
}

Result<std::vector<Contact>> PgContactsRepository::by_company(std::int32_t company_id,
                                                              std::int32_t max_rows) {
  return read_rows(as_read(
      pool_.execute(by_company_stmt(), {std::to_string(company_id), std::to_string(max_rows)})));
}

Result<Contact> PgContactsRepository::update(std::int32_t id, const ContactFields& fields) {
  Params params = fields_params(fields);
  params.insert(params.begin(), std::to_string(id));
  return read_one(pool_.execute(update_stmt(), params), "no such contact");
}

Result<Contact> PgContactsRepository::remove(std::int32_t id) {
  return read_one(pool_.execute(delete_stmt(), {std::to_string(id)}), "no such contact");
}

Result<std::vector<Contact>> PgContactsRepository::filter(const ContactFilter& filter,
                                                          std::int32_t max_rows) {
  Params params = filter_params(filter);
  params.emplace_back(std::to_string(max_rows));
  return read_rows(as_read(pool_.execute(filter_stmt(), params)));
}

Result<std::vector<Contact>> PgContactsRepository::page(const ContactFilter& filter,
                                                        std::int32_t page_number,
                                                        std::int32_t page_size) {
  Params params = filter_params(filter);
  params.emplace_back(std::to_string(page_number));
  params.emplace_back(std::to_string(page_size));
  return read_rows(as_read(pool_.execute(page_stmt(), params)));
}

Result<std::vector<Contact>> PgContactsRepository::list(const ListQuery& q) {
  Params params;
  params.reserve(8);
  params.push_back(q.company_id ? Param(std::to_string(*q.company_id)) : std::nullopt);
  params.emplace_back(q.search_text);
  params.push_back(timestamp_param(q.created_after));
  params.push_back(timestamp_param(q.created_before));
  params.push_back(q.after ? timestamp_param(q.after->created_at) : std::nullopt);
  params.push_back(q.after ? Param(std::to_string(q.after->id)) : std::nullopt);
  params.emplace_back(std::to_string(q.offset));
  params.emplace_back(std::to_string(q.limit));
  return read_rows(as_read(pool_.execute(list_stmt(), params)));
}

}  // namespace cloudlet::functions
