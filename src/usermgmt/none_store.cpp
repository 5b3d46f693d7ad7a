// The "no persistence" store (the seed's op1 server): it answers like a
// store but keeps nothing.
#include <atomic>
#include <limits>

#include "usermgmt/store.hpp"

namespace cloudlet::usermgmt {

namespace {

class NoneStore final : public Store {
 public:
  Result<User> create(const ValidNewUser& user) override {
    // A counter rather than the seed's rand.Intn(100): ids never collide.
    std::int32_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
    if (id <= 0) return Error{ErrorCode::kResourceExhausted, "user ids are exhausted", {}};
    return User{id, user.name(), user.age()};
  }
  Result<User> get(std::int32_t id) override { return not_found(id); }
  Result<User> remove(std::int32_t id) override { return not_found(id); }
  Result<std::vector<User>> list(const UserQuery&) override { return std::vector<User>{}; }
  Status health() override { return {}; }

 private:
  static Error not_found(std::int32_t id) {
    return Error::not_found("no user with id " + std::to_string(id) +
                            " (this store keeps nothing)");
  }
  std::atomic<std::int32_t> next_id_{1};
};

}  // namespace

StorePtr make_none_store() { return std::make_unique<NoneStore>(); }

}  // namespace cloudlet::usermgmt
