// A gRPC server for one store: UserManagement, grpc.health.v1.Health and
// server reflection on one listening address. `cloudlet up` runs four of
// them (none, memory, json, postgres); `cloudlet usermgmt serve` runs one.
//
// - start() opens the store (a corrupt users.json fails here, with the
//   store's message), binds (a taken port is an error, not a silent
//   SO_REUSEPORT share) and returns once the server accepts calls.
// - Health: the empty service name and "usermgmt.UserManagement" report
//   SERVING while Store::health() is OK and NOT_SERVING otherwise, checked
//   every `health_interval` on a thread of its own (a database ping may
//   block, so it never runs on gRPC's threads).
// - Deadlines: a call whose deadline has passed or that the client cancelled
//   is answered with DEADLINE_EXCEEDED / CANCELLED before the store is touched.
// - Requests above `max_receive_bytes` are refused by gRPC itself
//   (RESOURCE_EXHAUSTED).
// - stop() stops accepting, lets in-flight calls finish for up to
//   `shutdown_grace`, cancels the rest, and returns. Idempotent.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/service.hpp"
#include "usermgmt/store.hpp"

namespace grpc {
class Server;
}

namespace cloudlet::usermgmt {

struct ServerOptions {
  std::string name = "usermgmt";           // for logs and `cloudlet up`'s banner
  std::string listen = "127.0.0.1:50051";  // host:port; port 0 picks a free one
  int max_receive_bytes = 1 << 20;
  std::chrono::milliseconds health_interval{1000};
  std::chrono::milliseconds shutdown_grace{5000};
};

// Opens the store when the server starts (so that `up` reports its error).
using StoreOpener = std::function<Result<StorePtr>()>;

class GrpcService;

class UserManagementServer final : public Service {
 public:
  UserManagementServer(ServerOptions options, StoreOpener open_store);
  ~UserManagementServer() override;

  std::string name() const override { return options_.name; }
  Status start() override;
  void stop() override;
  std::string endpoint() const override;

  // The port actually bound (useful with port 0); 0 before start().
  int port() const { return port_; }

 private:
  void watch_health(bool serving);
  void set_serving(bool serving);

  ServerOptions options_;
  StoreOpener open_store_;
  StorePtr store_;
  std::unique_ptr<GrpcService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread health_thread_;
};

}  // namespace cloudlet::usermgmt
