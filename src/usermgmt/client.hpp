// A UserManagement client: what `cloudlet usermgmt client` and the event
// bus's gRPC target use. Every call carries a deadline (`timeout`); errors
// come back as values whose message starts with the gRPC code's name
// ("UNAVAILABLE: failed to connect to all addresses").
//
// Thread-safe (one channel, shared by calls). The channel connects lazily,
// so constructing a Client never fails; the first call reports a bad address.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "usermgmt.pb.h"

namespace cloudlet::usermgmt {

class Client {
 public:
  explicit Client(const std::string& address,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  Result<::usermgmt::User> create_new_user(const ::usermgmt::NewUser& request);
  Result<::usermgmt::UsersList> get_users(const ::usermgmt::GetUsersParams& request);
  Result<::usermgmt::User> get_user(std::int32_t id);
  Result<::usermgmt::User> delete_user(std::int32_t id);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What the seed's client did, and what the event bus's target does by
// default: create Alice (43) and Bob (30). Returns the users as created.
Result<std::vector<::usermgmt::User>> create_seed_users(Client& client);

}  // namespace cloudlet::usermgmt
