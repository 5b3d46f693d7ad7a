// The storage behind UserManagement: one interface, four implementations.
//
// Contract shared by every store (store_suite.hpp pins it; all four pass it):
// - `create` takes a `ValidNewUser` (only `validate` makes one, so a store
//   never sees an empty or oversized name or an age outside 0..200) and
//   returns the user with an id that is unique in the store and greater than
//   every id it handed out before.
// - `list` returns users in id order, filtered, starting after
//   `query.after_id`, at most `query.limit` of them (0 = no limit).
// - `get`/`remove` return kNotFound for an id the store does not hold.
// - kUnavailable when the backing storage is down or full (database lost,
//   disk full); the write was then not acknowledged and is not applied.
//   Nothing acknowledged is ever lost.
// - kUnknown (postgres) when a create or remove may or may not have been
//   applied: the connection was lost after it was sent. Read before
//   retrying. Reads never return it (they return kUnavailable instead).
// - Thread-safe; calls may block (fsync, libpq), so call them from gRPC's
//   sync handler threads or another worker pool, never from an event loop.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace cloudlet::pg {
class Pool;
}

namespace cloudlet::usermgmt {

inline constexpr std::size_t kMaxNameBytes = 256;
inline constexpr std::int32_t kMaxAge = 200;

struct User {
  std::int32_t id = 0;
  std::string name;
  std::int32_t age = 0;
  friend bool operator==(const User&, const User&) = default;
};

// A user that passed validation; the only way to make one is `validate`.
class ValidNewUser {
 public:
  const std::string& name() const { return name_; }
  std::int32_t age() const { return age_; }

 private:
  friend Result<ValidNewUser> validate(std::string name, std::int32_t age);
  ValidNewUser(std::string name, std::int32_t age) : name_(std::move(name)), age_(age) {}
  std::string name_;
  std::int32_t age_;
};

// kInvalidArgument naming the field ("name ..." / "age ...") unless the name
// is 1..256 bytes of valid UTF-8 and the age is 0..200.
Result<ValidNewUser> validate(std::string name, std::int32_t age);

enum class NameMatch { kExact, kPrefix };

struct UserQuery {
  std::string name{};  // empty: any name
  NameMatch name_match = NameMatch::kExact;
  std::optional<std::int32_t> age{};  // nullopt: any age
  std::int32_t after_id = 0;          // only ids greater than this
  std::size_t limit = 0;              // 0: no limit
};

// True if `user` passes the query's filters (not its paging).
bool matches(const UserQuery& query, const User& user);

class Store {
 public:
  virtual ~Store() = default;
  virtual Result<User> create(const ValidNewUser& user) = 0;
  virtual Result<User> get(std::int32_t id) = 0;
  // Removes and returns the user as it was.
  virtual Result<User> remove(std::int32_t id) = 0;
  virtual Result<std::vector<User>> list(const UserQuery& query) = 0;
  // OK while the store can serve; the health service reports NOT_SERVING
  // otherwise. May block briefly (a database ping).
  virtual Status health() = 0;
};

using StorePtr = std::unique_ptr<Store>;

// Keeps nothing: create returns the user with a fresh id; list is empty;
// get/remove are kNotFound.
StorePtr make_none_store();

// In memory, lost on restart.
StorePtr make_memory_store();

// The seed's users.json format; see json_store.cpp for the durability design.
// kFailedPrecondition (with the path and the reason) if the file exists but
// cannot be read or parsed, or another process holds it; the file is then
// left untouched. kUnavailable if the directory is not writable.
Result<StorePtr> open_json_store(const std::filesystem::path& path);

// The `users` table (db/migrations/0004_users.sql) through the pool.
StorePtr make_pg_store(std::shared_ptr<pg::Pool> pool);

}  // namespace cloudlet::usermgmt
