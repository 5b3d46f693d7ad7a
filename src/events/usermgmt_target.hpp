// The built-in gRPC target (ARN arn:cloudlet:usermgmt:…:server/<host>:<port>):
// the native form of the seed's "Run Command → gRPC client". When the input
// is a JSON object with a string `name` and an integer `age` it creates that
// one user; otherwise it does what the seed's client did: Alice (43) and Bob
// (30).
//
// Thread-safe: one channel per server address, kept for reuse; at most 64
// are kept (with events.usermgmt_targets "*", targets may name any number
// of servers), and one is dropped to make room, its calls in flight
// finishing on it.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "events/retry_policy.hpp"
#include "events/target_arn.hpp"

namespace cloudlet::usermgmt {
class Client;
}

namespace cloudlet::events {

// The one user an input asks for, or nullopt for the seed's pair. Pure.
struct RequestedUser {
  std::string name;
  int age = 0;
};
std::optional<RequestedUser> requested_user(std::string_view payload);

class UserManagementDelivery {
 public:
  explicit UserManagementDelivery(std::chrono::milliseconds timeout);
  ~UserManagementDelivery();

  // nullopt when delivered. gRPC UNAVAILABLE, DEADLINE_EXCEEDED,
  // RESOURCE_EXHAUSTED, ABORTED and INTERNAL are retryable; the others
  // (INVALID_ARGUMENT: the server refused the user) are not.
  std::optional<AttemptFailure> deliver(const events::UserManagementTarget& target,
                                        std::string_view payload);

 private:
  std::shared_ptr<usermgmt::Client> client(const std::string& address);

  std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<usermgmt::Client>> clients_;
};

}  // namespace cloudlet::events
