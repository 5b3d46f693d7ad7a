#include "usermgmt/server.hpp"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "core/log.hpp"
#include "usermgmt.grpc.pb.h"
#include "usermgmt/grpc_status.hpp"
#include "usermgmt/handler.hpp"

namespace cloudlet::usermgmt {

namespace {

// Both are process-wide switches of gRPC C++; they must be set before the
// first ServerBuilder is created.
void enable_grpc_plugins() {
  static std::once_flag once;
  std::call_once(once, [] {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  });
}

// Host part of "host:port" (IPv6 in brackets stays as it is).
std::string host_of(const std::string& listen) {
  auto colon = listen.rfind(':');
  return colon == std::string::npos ? listen : listen.substr(0, colon);
}

}  // namespace

// The thin adapter: checks the call is still wanted, runs the handler, maps
// the Result to a gRPC status once.
class GrpcService final : public ::usermgmt::UserManagement::Service {
 public:
  GrpcService(std::string store_name, Store& store)
      : store_name_(std::move(store_name)), handler_(store) {}

  grpc::Status CreateNewUser(grpc::ServerContext* context, const ::usermgmt::NewUser* request,
                             ::usermgmt::User* reply) override {
    return run(
        context, "CreateNewUser", [&] { return handler_.create_new_user(*request); }, reply);
  }
  grpc::Status GetUsers(grpc::ServerContext* context, const ::usermgmt::GetUsersParams* request,
                        ::usermgmt::UsersList* reply) override {
    return run(
        context, "GetUsers", [&] { return handler_.get_users(*request); }, reply);
  }
  grpc::Status GetUser(grpc::ServerContext* context, const ::usermgmt::GetUserRequest* request,
                       ::usermgmt::User* reply) override {
    return run(
        context, "GetUser", [&] { return handler_.get_user(*request); }, reply);
  }
  grpc::Status DeleteUser(grpc::ServerContext* context,
                          const ::usermgmt::DeleteUserRequest* request,
                          ::usermgmt::User* reply) override {
    return run(
        context, "DeleteUser", [&] { return handler_.delete_user(*request); }, reply);
  }

 private:
  template <class Fn, class Reply>
  grpc::Status run(grpc::ServerContext* context, const char* method, Fn&& fn, Reply* reply) {
    if (context->deadline() <= std::chrono::system_clock::now()) {
      return {grpc::StatusCode::DEADLINE_EXCEEDED, "deadline exceeded before the call started"};
    }
    if (context->IsCancelled()) return {grpc::StatusCode::CANCELLED, "cancelled by the client"};
    auto result = fn();
    if (!result.ok()) {
      const Error& e = result.error();
      if (e.code != ErrorCode::kInvalidArgument && e.code != ErrorCode::kNotFound) {
        log::warn("usermgmt.call.failed", {{"store", store_name_},
                                           {"method", method},
                                           {"code", to_string(e.code)},
                                           {"error", e.message}});
      }
      return to_grpc_status(e);
    }
    *reply = std::move(*result);
    return grpc::Status::OK;
  }

  std::string store_name_;
  Handler handler_;
};

UserManagementServer::UserManagementServer(ServerOptions options, StoreOpener open_store)
    : options_(std::move(options)), open_store_(std::move(open_store)) {}

UserManagementServer::~UserManagementServer() { stop(); }

Status UserManagementServer::start() {
  if (server_) return {};
  auto store = open_store_();
  if (!store.ok()) return store.error();
  store_ = std::move(*store);
  service_ = std::make_unique<GrpcService>(options_.name, *store_);

  enable_grpc_plugins();
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default, which would let a second server share
  // a port silently; a taken port must be an error.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(options_.max_receive_bytes);
  builder.AddListeningPort(options_.listen, grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    server_.reset();
    return Error::unavailable("cannot listen on " + options_.listen +
                              " (port in use or address not local)");
  }
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  bool serving = store_->health().ok();
  set_serving(serving);
  health_thread_ = std::thread([this, serving] { watch_health(serving); });
  log::info("usermgmt.started", {{"store", options_.name}, {"listen", endpoint()}});
  return {};
}

void UserManagementServer::set_serving(bool serving) {
  auto* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus("", serving);
  health->SetServingStatus(std::string(::usermgmt::UserManagement::service_full_name()), serving);
}

void UserManagementServer::watch_health(bool serving) {
  bool last = serving;
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, options_.health_interval, [this] { return stopping_; })) {
    lock.unlock();
    Status s = store_->health();
    lock.lock();
    if (stopping_) break;
    if (s.ok() != last) {
      last = s.ok();
      set_serving(last);
      if (last) {
        log::info("usermgmt.health.serving", {{"store", options_.name}});
      } else {
        log::warn("usermgmt.health.not_serving",
                  {{"store", options_.name}, {"error", s.error().message}});
      }
    }
  }
}

void UserManagementServer::stop() {
  if (!server_) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (health_thread_.joinable()) health_thread_.join();
  // Health first, so load balancers stop sending before the port closes.
  set_serving(false);
  server_->Shutdown(std::chrono::system_clock::now() + options_.shutdown_grace);
  server_->Wait();
  server_.reset();
  log::info("usermgmt.stopped", {{"store", options_.name}});
}

std::string UserManagementServer::endpoint() const {
  return "grpc " + host_of(options_.listen) + ":" + std::to_string(port_);
}

}  // namespace cloudlet::usermgmt
