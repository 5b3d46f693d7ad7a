// The RPC logic of UserManagement, free of gRPC: proto message in, Result
// out. The gRPC service in server.cpp is a thin adapter over it, and tests
// construct it directly over any Store.
//
// Errors: kInvalidArgument naming the field (name, age, id, page_size,
// page_token); kNotFound for an absent id; the store's kUnavailable /
// kResourceExhausted otherwise. Thread-safe if the store is (all are).
#pragma once

#include <string>

#include "core/result.hpp"
#include "usermgmt.pb.h"
#include "usermgmt/store.hpp"

namespace cloudlet::usermgmt {

// The largest page GetUsers returns when a page_size is given.
inline constexpr std::int32_t kMaxPageSize = 1000;

class Handler {
 public:
  explicit Handler(Store& store) : store_(store) {}

  Result<::usermgmt::User> create_new_user(const ::usermgmt::NewUser& request);
  Result<::usermgmt::UsersList> get_users(const ::usermgmt::GetUsersParams& request);
  Result<::usermgmt::User> get_user(const ::usermgmt::GetUserRequest& request);
  Result<::usermgmt::User> delete_user(const ::usermgmt::DeleteUserRequest& request);

 private:
  Store& store_;
};

// Page tokens are opaque to clients; today they carry the last id served.
std::string encode_page_token(std::int32_t after_id);
Result<std::int32_t> decode_page_token(const std::string& token);

}  // namespace cloudlet::usermgmt
