// The in-memory store (the seed's op2 server): a map under a mutex, lost on
// restart. Reads take the lock shared, so concurrent GetUsers do not queue.
#include <limits>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "usermgmt/store.hpp"

namespace cloudlet::usermgmt {

namespace {

class MemoryStore final : public Store {
 public:
  Result<User> create(const ValidNewUser& user) override {
    std::unique_lock lock(mu_);
    if (next_id_ == std::numeric_limits<std::int32_t>::max()) {
      return Error{ErrorCode::kResourceExhausted, "user ids are exhausted", {}};
    }
    User created{next_id_++, user.name(), user.age()};
    users_.emplace(created.id, created);
    return created;
  }

  Result<User> get(std::int32_t id) override {
    std::shared_lock lock(mu_);
    auto it = users_.find(id);
    if (it == users_.end()) return Error::not_found("no user with id " + std::to_string(id));
    return it->second;
  }

  Result<User> remove(std::int32_t id) override {
    std::unique_lock lock(mu_);
    auto it = users_.find(id);
    if (it == users_.end()) return Error::not_found("no user with id " + std::to_string(id));
    User removed = std::move(it->second);
    users_.erase(it);
    return removed;
  }

  Result<std::vector<User>> list(const UserQuery& query) override {
    std::shared_lock lock(mu_);
    std::vector<User> out;
    for (auto it = users_.upper_bound(query.after_id); it != users_.end(); ++it) {
      if (!matches(query, it->second)) continue;
      out.push_back(it->second);
      if (query.limit != 0 && out.size() == query.limit) break;
    }
    return out;
  }

  Status health() override { return {}; }

 private:
  std::shared_mutex mu_;
  std::map<std::int32_t, User> users_;  // guarded by mu_; ordered by id
  std::int32_t next_id_ = 1;            // guarded by mu_
};

}  // namespace

StorePtr make_memory_store() { return std::make_unique<MemoryStore>(); }

}  // namespace cloudlet::usermgmt
