// A TCP proxy for tests that need the network between libpq and PostgreSQL
// to fail at a chosen moment: after a statement was sent, while a connection
// sits idle, or when a cancel request gets no answer.
//
// It listens on 127.0.0.1, port 0, and forwards every connection to the
// upstream PostgreSQL of a URL; `url()` is that URL pointed at the proxy.
// One thread polls every socket, so the proxy's view of each connection is
// never torn: a command (drop, hold) is carried out by that thread between
// two chunks, and the calls that change something return once it is done.
//
// Chunks are forwarded with blocking sends: fine for tests, whose messages
// are small; a peer that stops reading while the other floods it would stall
// the proxy.
//
// Header-only and test-only (sockets and a thread; no Asio, no gtest), so any
// *_pgtest binary can include it.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace cloudlet::testing {

class TcpProxy {
 public:
  enum class Accept {
    kForward,      // forward every new connection
    kRefuse,       // close new connections at once (the server is unreachable)
    kHoldCancels,  // read a CancelRequest and then neither answer nor close
                   // it, as a host that stopped answering would; forward the rest
  };

  // `url` is a postgresql://user:password@127.0.0.1:PORT/db URL (what the
  // harness hands out). Aborts on a URL of another shape: a test bug.
  explicit TcpProxy(const std::string& url) {
    std::size_t at = url.find("@127.0.0.1:");
    if (at == std::string::npos) std::abort();
    std::size_t port_at = at + std::strlen("@127.0.0.1:");
    std::size_t slash = url.find('/', port_at);
    if (slash == std::string::npos) std::abort();
    upstream_port_ = static_cast<std::uint16_t>(std::stoi(url.substr(port_at, slash - port_at)));
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = loopback(0);
    socklen_t len = sizeof addr;
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listen_fd_, 64) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        ::pipe2(wake_.data(), O_CLOEXEC | O_NONBLOCK) != 0) {
      std::abort();
    }
    url_ = url.substr(0, port_at) + std::to_string(ntohs(addr.sin_port)) + url.substr(slash);
    thread_ = std::thread([this] { loop(); });
  }

  ~TcpProxy() {
    run([this] { stopping_ = true; });
    thread_.join();
    for (Link& link : links_) close_link(link);
    for (int fd : held_cancels_) ::close(fd);
    ::close(listen_fd_);
    ::close(wake_[0]);
    ::close(wake_[1]);
  }

  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  // The URL given, pointed at the proxy.
  const std::string& url() const { return url_; }

  void set_accept(Accept mode) {
    run([this, mode] { accept_ = mode; });
  }

  // Once a client→server chunk containing `marker` (any chunk when empty)
  // has been forwarded, closes both sides of its connection, before the
  // server's answer can come back. One shot.
  void drop_after_client_sends(std::string marker = {}) {
    run([this, m = std::move(marker)] {
      armed_ = true;
      marker_ = m;
    });
  }

  // Closes both sides of every forwarded connection now.
  void drop_all() {
    run([this] {
      for (Link& link : links_) close_link(link);
    });
  }

  // Stops forwarding what the server sends on the connections open now (it
  // waits in the kernel's buffers), until release_replies().
  void hold_replies() {
    run([this] {
      for (Link& link : links_) link.held = true;
    });
  }
  void release_replies() {
    run([this] {
      for (Link& link : links_) link.held = false;
    });
  }

  // Closes the cancel requests held by kHoldCancels, which lets a blocked
  // PQcancel return.
  void release_held_cancels() {
    run([this] {
      for (int fd : held_cancels_) ::close(fd);
      held_cancels_.clear();
    });
  }

  // Connections closed by drop_after_client_sends().
  int drops() const { return locked(drops_); }
  // CancelRequests seen on new connections (forwarded or held).
  int cancel_requests() const { return locked(cancel_requests_); }
  // Forwarded CancelRequests whose server side closed (the server is done
  // with the request, and the client has been told).
  int cancels_answered() const { return locked(cancels_answered_); }
  // CancelRequests held open now.
  int held_cancels() const {
    std::lock_guard lock(mu_);
    return static_cast<int>(held_cancels_.size());
  }

 private:
  struct Link {
    int client = -1;
    int server = -1;         // -1 until the client's first chunk says what it is
    bool held = false;       // do not read from the server for now
    bool is_cancel = false;  // a forwarded CancelRequest
  };

  static sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    return addr;
  }

  // A CancelRequest: length 16, then the code 80877102 (PostgreSQL protocol).
  static bool is_cancel_request(std::string_view chunk) {
    static constexpr unsigned char kCancel[] = {0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e};
    return chunk.size() >= sizeof kCancel &&
           std::memcmp(chunk.data(), kCancel, sizeof kCancel) == 0;
  }

  static bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  static void close_fd(int& fd) {
    if (fd < 0) return;
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    fd = -1;
  }

  void close_link(Link& link) {
    if (link.is_cancel && link.server >= 0) ++cancels_answered_;
    close_fd(link.client);
    close_fd(link.server);
  }

  // Runs `command` on the proxy's thread and waits until it ran.
  void run(std::function<void()> command) {
    std::unique_lock lock(mu_);
    std::uint64_t ticket = ++queued_;
    commands_.push_back(std::move(command));
    char byte = 0;
    (void)!::write(wake_[1], &byte, 1);
    ran_cv_.wait(lock, [&] { return ran_ >= ticket; });
  }

  int locked(const int& counter) const {
    std::lock_guard lock(mu_);
    return counter;
  }

  void run_commands() {
    char buf[64];
    while (::read(wake_[0], buf, sizeof buf) > 0) {
    }
    std::lock_guard lock(mu_);
    while (!commands_.empty()) {
      commands_.front()();
      commands_.pop_front();
      ++ran_;
    }
    ran_cv_.notify_all();
  }

  void on_accept() {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    std::lock_guard lock(mu_);
    if (accept_ == Accept::kRefuse) {
      ::close(fd);
      return;
    }
    links_.push_back(Link{.client = fd});
  }

  // Forwards one chunk from `from` to its peer; false when the link is done.
  bool forward(Link& link, bool from_client) {
    std::array<char, 65536> buf;
    int from = from_client ? link.client : link.server;
    ssize_t n = ::recv(from, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) return true;
    if (n <= 0) return false;
    std::string_view chunk(buf.data(), static_cast<std::size_t>(n));
    std::lock_guard lock(mu_);
    if (from_client && link.server < 0) {
      // The client's first chunk: a CancelRequest, or the start of a session.
      link.is_cancel = is_cancel_request(chunk);
      if (link.is_cancel) ++cancel_requests_;
      if (link.is_cancel && accept_ == Accept::kHoldCancels) {
        held_cancels_.push_back(std::exchange(link.client, -1));
        return false;
      }
      link.server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr = loopback(upstream_port_);
      if (link.server < 0 ||
          ::connect(link.server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        return false;
      }
    }
    if (!send_all(from_client ? link.server : link.client, chunk)) return false;
    if (from_client && armed_ && chunk.find(marker_) != std::string_view::npos) {
      armed_ = false;
      ++drops_;
      return false;
    }
    return true;
  }

  void loop() {
    std::vector<pollfd> fds;
    while (true) {
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        fds.clear();
        fds.push_back({wake_[0], POLLIN, 0});
        fds.push_back({listen_fd_, POLLIN, 0});
        for (const Link& link : links_) {
          fds.push_back({link.client, POLLIN, 0});
          // A negative fd is ignored by poll(2).
          fds.push_back({link.held ? -1 : link.server, POLLIN, 0});
        }
      }
      if (::poll(fds.data(), fds.size(), -1) < 0) continue;
      if (fds[0].revents != 0) {
        run_commands();
        continue;  // links may have changed: poll again with a fresh set
      }
      if (fds[1].revents != 0) on_accept();
      std::size_t polled = (fds.size() - 2) / 2;
      for (std::size_t i = 0; i < polled; ++i) {
        Link& link = links_[i];
        bool open = true;
        if (fds[2 + 2 * i].revents != 0) open = forward(link, /*from_client=*/true);
        if (open && fds[3 + 2 * i].revents != 0) open = forward(link, /*from_client=*/false);
        if (!open) {
          std::lock_guard lock(mu_);
          close_link(link);
        }
      }
      std::lock_guard lock(mu_);
      std::erase_if(links_, [](const Link& link) { return link.client < 0; });
    }
  }

  std::uint16_t upstream_port_ = 0;
  std::string url_;
  int listen_fd_ = -1;
  std::array<int, 2> wake_{-1, -1};  // the self-pipe that wakes the loop for a command
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable ran_cv_;
  std::deque<std::function<void()>> commands_;  // guarded by mu_
  std::uint64_t queued_ = 0;                    // guarded by mu_
  std::uint64_t ran_ = 0;                       // guarded by mu_
  // The rest is guarded by mu_ too; the loop thread reads links_' fds
  // without it, which is safe because only the loop thread changes them.
  std::vector<Link> links_;
  std::vector<int> held_cancels_;
  Accept accept_ = Accept::kForward;
  bool armed_ = false;
  std::string marker_;
  bool stopping_ = false;
  int drops_ = 0;
  int cancel_requests_ = 0;
  int cancels_answered_ = 0;
};

}  // namespace cloudlet::testing
