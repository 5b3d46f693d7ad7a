// The gRPC server and client over loopback, with the memory store.
#include "usermgmt/server.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "usermgmt/client.hpp"
#include "usermgmt/grpc_status.hpp"

namespace cloudlet::usermgmt {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<UserManagementServer> start_memory_server() {
  auto server = std::make_unique<UserManagementServer>(
      ServerOptions{.name = "usermgmt-memory", .listen = "127.0.0.1:0"},
      [] { return Result<StorePtr>(make_memory_store()); });
  Status s = server->start();
  EXPECT_TRUE(s.ok()) << s.error().message;
  return server;
}

TEST(Server, ClientCreatesListsGetsAndDeletes) {
  auto server = start_memory_server();
  Client client("127.0.0.1:" + std::to_string(server->port()));
  auto seed = create_seed_users(client);
  ASSERT_TRUE(seed.ok()) << seed.error().message;
  ASSERT_EQ(seed->size(), 2u);
  EXPECT_EQ((*seed)[0].name(), "Alice");
  EXPECT_EQ((*seed)[1].age(), 30);
  auto list = client.get_users({});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->users_size(), 2);
  EXPECT_EQ(client.get_user((*seed)[1].id())->name(), "Bob");
  EXPECT_EQ(client.delete_user((*seed)[1].id())->name(), "Bob");
  auto gone = client.get_user((*seed)[1].id());
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(gone.error().message, ::testing::StartsWith("NOT_FOUND: "));
}

TEST(Server, InvalidArgumentReachesTheClientNamingTheField) {
  auto server = start_memory_server();
  Client client("127.0.0.1:" + std::to_string(server->port()));
  ::usermgmt::NewUser request;
  request.set_name("Alice");
  request.set_age(-1);
  auto r = client.create_new_user(request);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(r.error().message, HasSubstr("INVALID_ARGUMENT: age"));
}

TEST(Server, AnExpiredDeadlineIsDeadlineExceeded) {
  auto server = start_memory_server();
  Client client("127.0.0.1:" + std::to_string(server->port()), std::chrono::milliseconds(0));
  auto r = client.get_users({});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kDeadlineExceeded);
}

TEST(Server, OversizedRequestIsRefused) {
  auto server = start_memory_server();
  Client client("127.0.0.1:" + std::to_string(server->port()));
  ::usermgmt::NewUser request;
  request.set_name(std::string(2 << 20, 'x'));
  auto r = client.create_new_user(request);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
}

TEST(Server, APortInUseIsAnError) {
  auto first = start_memory_server();
  UserManagementServer second(
      {.name = "second", .listen = "127.0.0.1:" + std::to_string(first->port())},
      [] { return Result<StorePtr>(make_memory_store()); });
  Status s = second.start();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message, HasSubstr("cannot listen"));
}

TEST(Server, AStoreThatCannotOpenFailsStart) {
  UserManagementServer server({.name = "broken", .listen = "127.0.0.1:0"},
                              [] { return Result<StorePtr>(Error::unavailable("disk on fire")); });
  Status s = server.start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "disk on fire");
}

TEST(Server, StopIsIdempotentAndRefusesNewCalls) {
  auto server = start_memory_server();
  int port = server->port();
  server->stop();
  server->stop();
  Client client("127.0.0.1:" + std::to_string(port), std::chrono::milliseconds(500));
  auto r = client.get_users({});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().code,
              ::testing::AnyOf(ErrorCode::kUnavailable, ErrorCode::kDeadlineExceeded));
}

TEST(Client, AnUnreachableServerIsUnavailable) {
  Client client("127.0.0.1:1", std::chrono::milliseconds(2000));
  auto r = client.get_users({});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(r.error().message, ::testing::StartsWith("UNAVAILABLE: "));
}

// UNKNOWN means "may or may not have been applied" both ways: a client
// that mapped it to kInternal could not tell it from a bug.
TEST(GrpcStatus, UnknownOutcomeIsUnknownBothWays) {
  grpc::Status status = to_grpc_status(
      Error{ErrorCode::kUnknown, "lost the connection to the database after ...", "08006"});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_THAT(status.error_message(), ::testing::Not(HasSubstr("database")));
  Error back = from_grpc_status(status);
  EXPECT_EQ(back.code, ErrorCode::kUnknown);
  EXPECT_THAT(back.message, ::testing::StartsWith("UNKNOWN: "));
}

}  // namespace
}  // namespace cloudlet::usermgmt
