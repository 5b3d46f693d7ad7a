// ContactsRepository on PostgreSQL, through the SQL functions of
// db/migrations/0003 (reads, filter, pagination) and 0005 (writes that return
// the whole row, keyset paging). Every call is one prepared statement on a
// pool connection, so each write is atomic and returns exactly the row it
// wrote; nothing is read back in a second query.
//
// Errors follow ContactsRepository's contract; SQLSTATEs are mapped here
// (23503 -> kFailedPrecondition, 23514 -> kInvalidArgument naming the field,
// 22V01/22V02 -> kInvalidArgument naming the page argument, P0002 ->
// kNotFound; connection classes -> kUnavailable, as the pool classifies them).
// The pool's kUnknown (a connection lost after the statement was sent) stays
// kUnknown for insert/update/remove and becomes kUnavailable for reads, which
// changed nothing. by_company and filter put max_rows in the SQL, so the
// server sends at most that many rows.
// Thread-safe (the pool is); calls block on the network.
#pragma once

#include "core/pg_pool.hpp"
#include "functions/contacts.hpp"

namespace cloudlet::functions {

class PgContactsRepository final : public ContactsRepository {
 public:
  // The pool must outlive the repository.
  explicit PgContactsRepository(pg::Pool& pool) : pool_(pool) {}

  Result<Contact> insert(const ContactFields& fields) override;
  Result<Contact> get(std::int32_t id) override;
  Result<std::vector<Contact>> by_company(std::int32_t company_id, std::int32_t max_rows) override;
  Result<Contact> update(std::int32_t id, const ContactFields& fields) override;
  Result<Contact> remove(std::int32_t id) override;
  Result<std::vector<Contact>> filter(const ContactFilter& filter, std::int32_t max_rows) override;
  Result<std::vector<Contact>> page(const ContactFilter& filter, std::int32_t page_number,
                                    std::int32_t page_size) override;
  Result<std::vector<Contact>> list(const ListQuery& query) override;

 private:
  pg::Pool& pool_;
};

}  // namespace cloudlet::functions
