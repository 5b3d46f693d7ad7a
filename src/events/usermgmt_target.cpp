#include "events/usermgmt_target.hpp"

#include <boost/json/parse.hpp>

#include "usermgmt/client.hpp"

namespace cloudlet::events {

namespace json = boost::json;

std::optional<RequestedUser> requested_user(std::string_view payload) {
  boost::system::error_code ec;
  json::value v = json::parse(payload, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.get_object();
  auto name = o.find("name");
  auto age = o.find("age");
  if (name == o.end() || !name->value().is_string() || age == o.end()) return std::nullopt;
  std::optional<std::int64_t> years;
  if (age->value().is_int64()) years = age->value().get_int64();
  if (age->value().is_uint64()) years = static_cast<std::int64_t>(age->value().get_uint64());
  if (!years || *years < INT32_MIN || *years > INT32_MAX) return std::nullopt;
  return RequestedUser{std::string(name->value().get_string()), static_cast<int>(*years)};
}

UserManagementDelivery::UserManagementDelivery(std::chrono::milliseconds timeout)
    : timeout_(timeout) {}
UserManagementDelivery::~UserManagementDelivery() = default;

std::shared_ptr<usermgmt::Client> UserManagementDelivery::client(const std::string& address) {
  constexpr std::size_t kMaxClients = 64;
  std::lock_guard lock(mutex_);
  if (auto it = clients_.find(address); it != clients_.end()) return it->second;
  if (clients_.size() >= kMaxClients) clients_.erase(clients_.begin());
  auto made = std::make_shared<usermgmt::Client>(address, timeout_);
  clients_.emplace(address, made);
  return made;
}

namespace {

// The client's errors start with the gRPC code's name.
AttemptFailure grpc_failure(const Error& error) {
  const std::string& m = error.message;
  AttemptFailure f;
  f.message = m;
  f.retryable = m.starts_with("UNAVAILABLE") || m.starts_with("DEADLINE_EXCEEDED") ||
                m.starts_with("RESOURCE_EXHAUSTED") || m.starts_with("ABORTED") ||
                m.starts_with("INTERNAL") || m.starts_with("UNKNOWN");
  if (m.starts_with("DEADLINE_EXCEEDED")) {
    f.error_code = "TIMEOUT";
  } else if (m.starts_with("RESOURCE_EXHAUSTED")) {
    f.error_code = "THROTTLING";
  } else if (m.starts_with("UNAVAILABLE")) {
    f.error_code = "UNAVAILABLE";
  } else if (m.starts_with("PERMISSION_DENIED") || m.starts_with("UNAUTHENTICATED")) {
    f.error_code = "NO_PERMISSIONS";
  } else {
    f.error_code = "SDK_CLIENT_ERROR";
  }
  return f;
}

}  // namespace

std::optional<AttemptFailure> UserManagementDelivery::deliver(const UserManagementTarget& target,
                                                              std::string_view payload) {
  const auto held = client(target.host + ":" + std::to_string(target.port));
  usermgmt::Client& c = *held;
  if (auto user = requested_user(payload)) {
    ::usermgmt::NewUser request;
    request.set_name(user->name);
    request.set_age(user->age);
    auto created = c.create_new_user(request);
    if (!created.ok()) return grpc_failure(created.error());
    return std::nullopt;
  }
  auto created = usermgmt::create_seed_users(c);
  if (!created.ok()) return grpc_failure(created.error());
  return std::nullopt;
}

}  // namespace cloudlet::events
