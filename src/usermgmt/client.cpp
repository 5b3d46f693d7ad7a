#include "usermgmt/client.hpp"

#include <grpcpp/grpcpp.h>

#include "usermgmt.grpc.pb.h"
#include "usermgmt/grpc_status.hpp"

namespace cloudlet::usermgmt {

struct Client::Impl {
  std::unique_ptr<::usermgmt::UserManagement::Stub> stub;
  std::chrono::milliseconds timeout;

  template <class Request, class Reply, class Method>
  Result<Reply> call(Method method, const Request& request) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + timeout);
    Reply reply;
    grpc::Status status = (stub.get()->*method)(&context, request, &reply);
    if (!status.ok()) return from_grpc_status(status);
    return reply;
  }
};

Client::Client(const std::string& address, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->stub = ::usermgmt::UserManagement::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  impl_->timeout = timeout;
}

Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

Result<::usermgmt::User> Client::create_new_user(const ::usermgmt::NewUser& request) {
  return impl_->call<::usermgmt::NewUser, ::usermgmt::User>(
      &::usermgmt::UserManagement::Stub::CreateNewUser, request);
}

Result<::usermgmt::UsersList> Client::get_users(const ::usermgmt::GetUsersParams& request) {
  return impl_->call<::usermgmt::GetUsersParams, ::usermgmt::UsersList>(
      &::usermgmt::UserManagement::Stub::GetUsers, request);
}

Result<::usermgmt::User> Client::get_user(std::int32_t id) {
  ::usermgmt::GetUserRequest request;
  request.set_id(id);
  return impl_->call<::usermgmt::GetUserRequest, ::usermgmt::User>(
      &::usermgmt::UserManagement::Stub::GetUser, request);
}

Result<::usermgmt::User> Client::delete_user(std::int32_t id) {
  ::usermgmt::DeleteUserRequest request;
  request.set_id(id);
  return impl_->call<::usermgmt::DeleteUserRequest, ::usermgmt::User>(
      &::usermgmt::UserManagement::Stub::DeleteUser, request);
}

Result<std::vector<::usermgmt::User>> create_seed_users(Client& client) {
  std::vector<::usermgmt::User> created;
  for (const auto& [name, age] : {std::pair{"Alice", 43}, std::pair{"Bob", 30}}) {
    ::usermgmt::NewUser request;
    request.set_name(name);
    request.set_age(age);
    auto user = client.create_new_user(request);
    if (!user.ok()) return user.error();
    created.push_back(std::move(*user));
  }
  return created;
}

}  // namespace cloudlet::usermgmt
