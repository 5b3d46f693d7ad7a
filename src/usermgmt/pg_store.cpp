// The postgres store (the seed's op4 server): the `users` table of
// db/migrations/0004_users.sql through the shared pool. Ids come from the
// identity column, so they are unique across any number of servers. While
// the database is down the pool fails fast with kUnavailable and reconnects
// by itself once it is back; nothing here needs to retry.
//
// A connection lost after a statement was sent is kUnknown from the pool:
// a create or delete may or may not have been applied, and the client must
// read before retrying it (gRPC UNKNOWN, which gRPC does not retry by
// itself; UNAVAILABLE would be retried and could create a second user). A
// read has nothing to duplicate, so for reads it is kUnavailable: retry.
#include "core/pg_pool.hpp"
#include "usermgmt/store.hpp"

namespace cloudlet::usermgmt {

namespace {

const pg::Statement kInsert{"usermgmt_insert",
                            "INSERT INTO users (name, age) VALUES ($1, $2) RETURNING id"};
const pg::Statement kGet{"usermgmt_get", "SELECT id, name, age FROM users WHERE id = $1"};
const pg::Statement kDelete{"usermgmt_delete",
                            "DELETE FROM users WHERE id = $1 RETURNING id, name, age"};
// One statement for every filter combination: a NULL parameter switches its
// filter off, and LIMIT NULL means no limit.
const pg::Statement kList{"usermgmt_list",
                          "SELECT id, name, age FROM users"
                          " WHERE ($1::text IS NULL OR name = $1)"
                          "   AND ($2::text IS NULL OR name LIKE $2)"
                          "   AND ($3::int IS NULL OR age = $3)"
                          "   AND id > $4"
                          " ORDER BY id LIMIT $5::bigint"};

// LIKE treats %, _ and \ specially; a name prefix must match literally.
std::string like_prefix(std::string_view prefix) {
  std::string out;
  out.reserve(prefix.size() + 1);
  for (char c : prefix) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

// A read's error: an unknown outcome is only "unavailable" for a read.
Error read_error(Error e) {
  if (e.code == ErrorCode::kUnknown) e.code = ErrorCode::kUnavailable;
  return e;
}

Result<User> read_user(const pg::Rows& rows, int row) {
  auto id = rows.integer(row, 0);
  if (!id.ok()) return id.error();
  auto age = rows.integer(row, 2);
  if (!age.ok()) return age.error();
  return User{static_cast<std::int32_t>(*id), std::string(rows.text(row, 1)),
              static_cast<std::int32_t>(*age)};
}

class PgStore final : public Store {
 public:
  explicit PgStore(std::shared_ptr<pg::Pool> pool) : pool_(std::move(pool)) {}

  Result<User> create(const ValidNewUser& user) override {
    auto rows = pool_->execute(kInsert, {user.name(), std::to_string(user.age())});
    if (!rows.ok()) return rows.error();
    auto id = rows->integer(0, 0);
    if (!id.ok()) return id.error();
    return User{static_cast<std::int32_t>(*id), user.name(), user.age()};
  }

  Result<User> get(std::int32_t id) override {
    auto user = one(kGet, id);
    if (!user.ok()) return read_error(user.error());
    return user;
  }
  Result<User> remove(std::int32_t id) override { return one(kDelete, id); }

  Result<std::vector<User>> list(const UserQuery& query) override {
    pg::Params params(5);
    if (!query.name.empty()) {
      if (query.name_match == NameMatch::kExact) {
        params[0] = query.name;
      } else {
        params[1] = like_prefix(query.name);
      }
    }
    if (query.age) params[2] = std::to_string(*query.age);
    params[3] = std::to_string(query.after_id);
    if (query.limit != 0) params[4] = std::to_string(query.limit);
    auto rows = pool_->execute(kList, params);
    if (!rows.ok()) return read_error(rows.error());
    std::vector<User> out;
    out.reserve(static_cast<std::size_t>(rows->size()));
    for (int i = 0; i < rows->size(); ++i) {
      auto user = read_user(*rows, i);
      if (!user.ok()) return user.error();
      out.push_back(std::move(*user));
    }
    return out;
  }

  Status health() override { return pool_->ping(); }

 private:
  Result<User> one(const pg::Statement& statement, std::int32_t id) {
    auto rows = pool_->execute(statement, {std::to_string(id)});
    if (!rows.ok()) return rows.error();
    if (rows->empty()) return Error::not_found("no user with id " + std::to_string(id));
    return read_user(*rows, 0);
  }

  std::shared_ptr<pg::Pool> pool_;
};

}  // namespace

StorePtr make_pg_store(std::shared_ptr<pg::Pool> pool) {
  return std::make_unique<PgStore>(std::move(pool));
}

}  // namespace cloudlet::usermgmt
