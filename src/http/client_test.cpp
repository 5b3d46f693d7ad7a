#include "http/client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <thread>

namespace cloudlet::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// A one-connection HTTP server on a loopback port: reads a request, hands it
// to `answer`, writes what it returns (or nothing, when `answer` is unset).
class OneShotServer {
 public:
  using Answer =
      std::function<bhttp::response<bhttp::string_body>(const bhttp::request<bhttp::string_body>&)>;

  explicit OneShotServer(Answer answer)
      : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this, answer = std::move(answer)] {
      beast::error_code ec;
      tcp::socket socket(ioc_);
      acceptor_.accept(socket, ec);
      if (ec) return;
      beast::flat_buffer buffer;
      bhttp::read(socket, buffer, received, ec);
      if (ec) return;
      if (!answer) {  // hold the connection open without answering
        char byte;
        socket.read_some(asio::buffer(&byte, 1), ec);
        return;
      }
      auto res = answer(received);
      res.prepare_payload();
      bhttp::write(socket, res, ec);
    });
  }
  ~OneShotServer() { thread_.join(); }

  std::string url(std::string_view rest = "") const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) +
           std::string(rest);
  }

  bhttp::request<bhttp::string_body> received;

 private:
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

bhttp::response<bhttp::string_body> ok_with(std::string body) {
  bhttp::response<bhttp::string_body> res{bhttp::status::accepted, 11};
  res.set("x-answer", "yes");
  res.body() = std::move(body);
  return res;
}

TEST(HttpClient, SendsTheRequestAndReturnsTheAnswer) {
  OneShotServer server([](const auto&) { return ok_with("done"); });
  ClientRequest request;
  request.method = "PUT";
  request.url = server.url("/a/b?x=1");
  request.headers = {{"content-type", "application/json"}};
  request.body = R"({"k":1})";
  auto answer = send(request, {});
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->status, 202);
  EXPECT_EQ(answer->body, "done");
  bool saw = false;
  for (const auto& [name, value] : answer->headers)
    saw = saw || (name == "x-answer" && value == "yes");
  EXPECT_TRUE(saw);
  EXPECT_EQ(server.received.method(), bhttp::verb::put);
  EXPECT_EQ(server.received.target(), "/a/b?x=1");
  EXPECT_EQ(server.received.body(), R"({"k":1})");
  EXPECT_EQ(server.received["content-type"], "application/json");
}

TEST(HttpClient, AnEmptyPathIsSlash) {
  OneShotServer server([](const auto&) { return ok_with(""); });
  ClientRequest request;
  request.url = server.url();
  ASSERT_TRUE(send(request, {}).ok());
  EXPECT_EQ(server.received.target(), "/");
}

TEST(HttpClient, AHeaderValueCannotStartAHeaderAndFramingIsTheClients) {
  OneShotServer server([](const auto&) { return ok_with(""); });
  ClientRequest request;
  request.url = server.url("/");
  request.headers = {{"x-note", "a\r\nx-injected: 1"},
                     {"Content-Length", "999"},
                     {"Host", "elsewhere.example"},
                     {"Transfer-Encoding", "chunked"}};
  request.body = "abc";
  ASSERT_TRUE(send(request, {}).ok());
  EXPECT_EQ(server.received["x-note"], "a  x-injected: 1");
  EXPECT_EQ(server.received.count("x-injected"), 0u);
  EXPECT_EQ(server.received["content-length"], "3");
  EXPECT_EQ(server.received.count("transfer-encoding"), 0u);
  EXPECT_NE(server.received["host"], "elsewhere.example");
  EXPECT_EQ(server.received.body(), "abc");
}

TEST(HttpClient, AnUpstreamThatNeverAnswersTimesOut) {
  OneShotServer server(nullptr);
  ClientRequest request;
  request.url = server.url("/");
  auto answer = send(request, {.timeout = 200ms});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, ErrorCode::kDeadlineExceeded);
}

TEST(HttpClient, ABodyOverTheLimitIsRefused) {
  OneShotServer server([](const auto&) { return ok_with(std::string(5000, 'x')); });
  ClientRequest request;
  request.url = server.url("/");
  auto answer = send(request, {.max_body_bytes = 1000});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, ErrorCode::kUnavailable);
}

TEST(HttpClient, AClosedPortIsUnavailable) {
  std::string url;
  {
    asio::io_context ioc;
    tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    url = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/";
  }
  ClientRequest request;
  request.url = url;
  auto answer = send(request, {.timeout = 2s});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, ErrorCode::kUnavailable);
}

TEST(HttpClient, OnlyHttpUrlsAndKnownMethods) {
  ClientRequest request;
  request.url = "https://127.0.0.1/";
  EXPECT_EQ(send(request, {}).error().code, ErrorCode::kInvalidArgument);
  request.url = "http:///path";
  EXPECT_EQ(send(request, {}).error().code, ErrorCode::kInvalidArgument);
  request.url = "http://127.0.0.1:1/";
  request.method = "BREW";
  EXPECT_EQ(send(request, {}).error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace cloudlet::http
