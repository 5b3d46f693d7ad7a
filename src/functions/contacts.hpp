// The contacts domain: the row type, the typed inputs the handlers parse
// requests into, and the repository interface they call.
//
// Handlers see only `ContactsRepository`; `PgContactsRepository`
// (pg_contacts_repository.hpp) implements it on the SQL functions of
// db/migrations/0003 and 0005, and the handler tests use an in-memory fake.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace cloudlet::functions {

// PostgreSQL keeps timestamptz to the microsecond; so do we, so that a
// keyset cursor names exactly the row it came from.
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

struct Contact {
  std::int32_t id = 0;
  std::int32_t company_id = 0;
  std::string first_name;
  std::string last_name;
  std::string email;
  Timestamp created_at{};

  friend bool operator==(const Contact&, const Contact&) = default;
};

// The writable fields of a contact (insert, and update of an existing id).
struct ContactFields {
  std::int32_t company_id = 0;
  std::string first_name;
  std::string last_name;
  std::string email;
};

// The seed's dynamic filter. Bounds are exclusive; nullopt = open.
struct ContactFilter {
  std::int32_t contact_id = 0;  // 0 = any
  std::string search_text;      // "" = any; literal, case-insensitive substring
  std::optional<Timestamp> created_after;
  std::optional<Timestamp> created_before;
};

// A position in (created_at, id) order: the last row already returned.
struct Keyset {
  Timestamp created_at{};
  std::int32_t id = 0;

  friend bool operator==(const Keyset&, const Keyset&) = default;
};

// One page of the resource API's lists, in (created_at, id) order.
struct ListQuery {
  std::optional<std::int32_t> company_id;  // nullopt = every company
  std::string search_text;                 // as ContactFilter::search_text
  std::optional<Timestamp> created_after;
  std::optional<Timestamp> created_before;
  std::optional<Keyset> after;  // start strictly after this row; nullopt = from the start
  std::int64_t offset = 0;      // rows to skip (page-number paging), >= 0
  std::int32_t limit = 1;       // 1..1001
};

inline constexpr std::int32_t kMaxPageSize = 1000;

// The seed's two unpaged lists (contacts_get_by_company_id,
// contacts_get_by_dynamic_filter) answer at most this many contacts; when
// more match, the handlers refuse with 400 ERROR_RESULT_TOO_LARGE and name the
// paged alternatives. A company can have hundreds of thousands of contacts,
// and loading them all made each such request cost gigabytes.
inline constexpr std::int32_t kMaxSeedListRows = 10'000;
// ...and at most this many bytes of response body: AWS Lambda's limit for a
// synchronous response (6 MB = 6,291,456 bytes), so that what works here also
// works on Lambda. 10,000 contacts with 255-character names would be ~9 MB.
inline constexpr std::size_t kMaxSeedResponseBytes = 6 * 1024 * 1024;

// Where the handlers' data lives.
//
// Errors (cloudlet::Error codes), which every implementation must keep to,
// because the handlers map them to HTTP statuses:
//   kNotFound            no such contact (get/update/delete), or no such company (list)
//   kInvalidArgument     the store refused a value; `message` is client-safe and
//                        starts with the field's name ("email: ...")
//   kFailedPrecondition  the company_id does not exist (insert/update)
//   kUnavailable, kResourceExhausted
//                        the store cannot be reached or is overloaded now, and
//                        the call changed nothing: retrying later is safe
//   kDeadlineExceeded    the call took too long and was cancelled; a write was
//                        rolled back, so retrying later is safe
//   kUnknown             (insert/update/remove only) the write may or may not
//                        have been applied, e.g. the connection was lost after
//                        it was sent: the caller must read before retrying. A
//                        read never returns it (a lost read changed nothing:
//                        that is kUnavailable)
//   anything else        a bug or an unexpected failure
// Implementations are thread-safe: the gateway calls handlers concurrently.
// Calls may block (network I/O): run them off the I/O threads.
class ContactsRepository {
 public:
  virtual ~ContactsRepository() = default;

  // The created row, with its id and created_at.
  virtual Result<Contact> insert(const ContactFields& fields) = 0;
  virtual Result<Contact> get(std::int32_t id) = 0;
  // The first `max_rows` (>= 1) contacts of the company ordered by id (the
  // seed's order); empty when the company has none. Never holds more than
  // max_rows rows, however many match: ask for one more than you will show to
  // learn whether there were more.
  virtual Result<std::vector<Contact>> by_company(std::int32_t company_id,
                                                  std::int32_t max_rows) = 0;
  // The row as updated.
  virtual Result<Contact> update(std::int32_t id, const ContactFields& fields) = 0;
  // The row as it was.
  virtual Result<Contact> remove(std::int32_t id) = 0;
  // The first `max_rows` (>= 1) matches ordered by (created_at, id); as
  // by_company, never more than max_rows rows.
  virtual Result<std::vector<Contact>> filter(const ContactFilter& filter,
                                              std::int32_t max_rows) = 0;
  // One OFFSET page of filter(); page_number >= 1, page_size 1..kMaxPageSize.
  virtual Result<std::vector<Contact>> page(const ContactFilter& filter, std::int32_t page_number,
                                            std::int32_t page_size) = 0;
  // At most query.limit rows in (created_at, id) order. The cost does not
  // depend on the depth of `after`.
  virtual Result<std::vector<Contact>> list(const ListQuery& query) = 0;
};

// RFC 3339 in UTC with microseconds: 2026-11-28T05:17:19.123456Z.
std::string format_timestamp(Timestamp t);

// A date in a request: the seed's "2022.09.20 00:00:00" (UTC; the time part
// may be left out) or RFC 3339 ("2022-09-20T00:00:00Z", "...T02:00:00.5+02:00",
// or a bare "2022-09-20"). Fractions beyond microseconds are truncated.
// nullopt when the text is not such a date or names an impossible one.
std::optional<Timestamp> parse_timestamp(std::string_view text);

// The opaque `next_cursor` of the resource API: base64url (no padding) of
// "<created_at in microseconds since 1970>.<id>.<page number it starts>".
// The page number only labels the page in the response.
struct Cursor {
  Keyset after;
  std::int32_t page = 1;

  friend bool operator==(const Cursor&, const Cursor&) = default;
};
std::string encode_cursor(const Cursor& cursor);
std::optional<Cursor> decode_cursor(std::string_view text);

}  // namespace cloudlet::functions
