#include "db/cluster.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "core/log.hpp"
#include "core/pg_pool.hpp"

namespace cloudlet::db {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSuperuser = "cloudlet";
constexpr const char* kDatabase = "cloudlet";

std::optional<fs::path> find_bindir() {
  // Debian installs server binaries outside PATH, one folder per major version.
  std::vector<fs::path> candidates;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    candidates.push_back(entry.path() / "bin");
  }
  std::sort(candidates.begin(), candidates.end(), [](const fs::path& a, const fs::path& b) {
    return std::stoi(a.parent_path().filename().string()) >
           std::stoi(b.parent_path().filename().string());
  });
  if (auto on_path = find_on_path("pg_ctl")) {
    candidates.push_back(fs::canonical(*on_path, ec).parent_path());
  }
  for (const auto& dir : candidates) {
    if (::access((dir / "initdb").c_str(), X_OK) == 0 &&
        ::access((dir / "pg_ctl").c_str(), X_OK) == 0 &&
        ::access((dir / "postgres").c_str(), X_OK) == 0) {
      return dir;
    }
  }
  return std::nullopt;
}

std::string random_password() {
  unsigned char bytes[18];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return {};
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string out;
  for (unsigned char b : bytes) out.push_back(kAlphabet[b % 62]);
  return out;
}

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return Error::not_found("cannot read " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// Created 0600 from the first byte (never readable in between), without
// following a symlink planted at the path, and flushed to disk.
Status write_private_file(const fs::path& path, const std::string& content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return Error::unavailable("cannot write " + path.string() + ": " + std::strerror(errno));
  std::string line = content + "\n";
  bool ok = ::fchmod(fd, 0600) == 0 &&
            ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) return Error::unavailable("cannot write " + path.string() + ": " + std::strerror(err));
  return {};
}

Status chown_to(const fs::path& path, const std::optional<RunAs>& user) {
  if (!user) return {};
  if (::lchown(path.c_str(), user->uid, user->gid) != 0) {
    return Error::unavailable("cannot give " + path.string() +
                              " to the service user: " + std::strerror(errno));
  }
  return {};
}

// Only the last lines of the server log: enough to explain a failed start.
std::string log_tail(const fs::path& logfile) {
  auto text = read_file(logfile);
  if (!text.ok()) return {};
  std::vector<std::string> lines;
  std::stringstream ss(*text);
  for (std::string line; std::getline(ss, line);) lines.push_back(line);
  std::string out;
  for (std::size_t i = lines.size() > 8 ? lines.size() - 8 : 0; i < lines.size(); ++i) {
    out += "\n    " + lines[i];
  }
  return out;
}

Status check_port_free(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::internal(std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = errno;
  ::close(fd);
  if (rc != 0 && err == EADDRINUSE) {
    return Error{ErrorCode::kFailedPrecondition,
                 "port " + std::to_string(port) +
                     " on 127.0.0.1 is already in use by another program; choose another with "
                     "--pg-port (or CLOUDLET_PG_PORT)",
                 {}};
  }
  return {};
}

}  // namespace

Result<EmbeddedCluster> EmbeddedCluster::locate(ClusterOptions options) {
  EmbeddedCluster c;
  c.options_ = std::move(options);
  auto bindir = find_bindir();
  if (!bindir) {
    return Error{
        ErrorCode::kFailedPrecondition,
        "PostgreSQL server programs (initdb, pg_ctl, postgres) were not found; install the "
        "Debian package postgresql-15 (scripts/install-deps.sh does), or pass "
        "--database-url to use an existing server",
        {}};
  }
  c.bindir_ = *bindir;

  std::error_code ec;
  fs::path data_dir = fs::absolute(c.options_.data_dir, ec);
  fs::create_directories(data_dir, ec);
  if (ec) {
    return Error{ErrorCode::kFailedPrecondition,
                 "cannot create the data directory " + data_dir.string() + ": " + ec.message(),
                 {}};
  }
  fs::path probe = data_dir / ".write-probe";
  {
    std::ofstream out(probe);
    if (!out) {
      return Error{ErrorCode::kFailedPrecondition,
                   "the data directory " + data_dir.string() + " is not writable",
                   {}};
    }
  }
  fs::remove(probe, ec);
  c.options_.data_dir = data_dir;

  if (::geteuid() == 0) {
    const passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr) pw = ::getpwnam("nobody");
    if (pw == nullptr) {
      return Error{
          ErrorCode::kFailedPrecondition,
          "running as root, but there is no unprivileged 'postgres' or 'nobody' account to "
          "run PostgreSQL as (PostgreSQL refuses to run as root)",
          {}};
    }
    c.service_user_ = RunAs{pw->pw_uid, pw->pw_gid};
    // Traverse-only for others, so the service user can reach pg/; the
    // secrets inside stay 0600.
    ::chmod(data_dir.c_str(), 0711);
  } else {
    ::chmod(data_dir.c_str(), 0700);
  }

  c.pgdata_ = data_dir / "pg";
  if (c.service_user_) {
    auto reachable = run_process({"/usr/bin/test", "-x", data_dir.string()}, c.service_user_);
    if (!reachable.ok() || reachable->exit_code != 0) {
      std::size_t h = std::hash<std::string>{}(data_dir.string());
      char hex[17];
      std::snprintf(hex, sizeof hex, "%016zx", h);
      fs::path outside = fs::path("/var/lib/cloudlet/clusters") / hex;
      fs::create_directories(outside, ec);
      ::chmod("/var/lib/cloudlet", 0755);
      ::chmod("/var/lib/cloudlet/clusters", 0755);
      ::chmod(outside.c_str(), 0755);
      if (!fs::is_symlink(c.pgdata_) && !fs::exists(c.pgdata_)) {
        fs::create_directory_symlink(outside / "pg", c.pgdata_, ec);
      }
      c.pgdata_ = outside / "pg";
    }
  }
  if (fs::is_symlink(c.pgdata_)) c.pgdata_ = fs::read_symlink(c.pgdata_);

  if (auto pw = read_file(data_dir / "pg.password"); pw.ok()) c.password_ = *pw;
  return c;
}

Result<ProcessOutput> EmbeddedCluster::run(const std::vector<std::string>& argv) const {
  return run_process(argv, service_user_);
}

Result<bool> EmbeddedCluster::ensure_initialized() {
  std::error_code ec;
  if (fs::exists(pgdata_ / "PG_VERSION")) {
    if (password_.empty()) {
      return Error{ErrorCode::kFailedPrecondition,
                   "the cluster in " + pgdata_.string() + " exists but " +
                       (options_.data_dir / "pg.password").string() +
                       " is missing; restore it or remove the data directory to start afresh",
                   {}};
    }
    return false;
  }
  if (fs::exists(pgdata_) && !fs::is_empty(pgdata_, ec)) {
    return Error{
        ErrorCode::kFailedPrecondition,
        pgdata_.string() + " is not empty and is not a PostgreSQL cluster; refusing to touch it",
        {}};
  }
  fs::create_directories(pgdata_, ec);
  ::chmod(pgdata_.c_str(), 0700);
  if (Status s = chown_to(pgdata_, service_user_); !s.ok()) return s.error();

  password_ = random_password();
  if (password_.empty()) return Error::internal("cannot generate a password");
  if (Status s = write_private_file(options_.data_dir / "pg.password", password_); !s.ok()) {
    return s.error();
  }
  fs::path pwfile = pgdata_.parent_path() / ".initdb-password";
  if (Status s = write_private_file(pwfile, password_); !s.ok()) return s.error();
  if (Status s = chown_to(pwfile, service_user_); !s.ok()) return s.error();

  std::vector<std::string> argv = {(bindir_ / "initdb").string(),
                                   "-D",
                                   pgdata_.string(),
                                   "-U",
                                   kSuperuser,
                                   "--pwfile=" + pwfile.string(),
                                   "--auth-host=scram-sha-256",
                                   "--auth-local=scram-sha-256",
                                   "--encoding=UTF8",
                                   "--locale=C.UTF-8"};
  if (!options_.durable) argv.push_back("--no-sync");
  auto out = run(argv);
  fs::remove(pwfile, ec);
  if (!out.ok()) return out.error();
  if (out->exit_code != 0) {
    return Error{ErrorCode::kFailedPrecondition, "initdb failed:\n" + log::redact(out->output), {}};
  }
  std::ofstream conf(pgdata_ / "postgresql.conf", std::ios::app);
  conf << "\n# cloudlet writes its settings here on every start\ninclude_if_exists = "
          "'cloudlet.conf'\n";
  return true;
}

Status EmbeddedCluster::write_server_config() const {
  fs::path path = pgdata_ / "cloudlet.conf";
  std::ofstream out(path, std::ios::trunc);
  if (!out) return Error::unavailable("cannot write " + path.string());
  out << "# Written by cloudlet on every start; edit the data dir's settings instead.\n"
      << "listen_addresses = '127.0.0.1'\n"
      << "port = " << options_.port << "\n"
      << "unix_socket_directories = ''\n"
      << "max_connections = 200\n"
      << "password_encryption = 'scram-sha-256'\n"
      << "log_line_prefix = '%m [%p] '\n";
  if (!options_.durable) {
    out << "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n";
  }
  out.close();
  return chown_to(path, service_user_);
}

bool EmbeddedCluster::running() const {
  auto out = run({(bindir_ / "pg_ctl").string(), "status", "-D", pgdata_.string()});
  return out.ok() && out->exit_code == 0;
}

Status EmbeddedCluster::start() {
  if (running()) {
    log::warn(
        "db.cluster.adopt_stale",
        {{"detail", "PostgreSQL was left running by an earlier run; stopping it cleanly first"},
         {"pgdata", pgdata_.string()}});
    if (Status s = stop(); !s.ok()) return s;
  }
  if (Status s = check_port_free(options_.port); !s.ok()) return s;
  if (Status s = write_server_config(); !s.ok()) return s;
  fs::path logfile = pgdata_.parent_path() / "postgres.log";
  if (service_user_) {
    std::ofstream touch(logfile, std::ios::app);
    touch.close();
    if (Status s = chown_to(logfile, service_user_); !s.ok()) return s;
  }
  auto out = run({(bindir_ / "pg_ctl").string(), "start", "-w", "-t", "120", "-s", "-D",
                  pgdata_.string(), "-l", logfile.string()});
  if (!out.ok()) return out.error();
  if (out->exit_code != 0) {
    return Error{
        ErrorCode::kUnavailable,
        "PostgreSQL did not start (" + logfile.string() + " says:" + log_tail(logfile) + ")",
        {}};
  }
  pg::Pool admin({.url = url_for("postgres"), .size = 1});
  auto exists = admin.query("SELECT 1 FROM pg_database WHERE datname = $1", {kDatabase});
  if (!exists.ok()) return exists.error();
  if (exists->empty()) {
    auto created = admin.query(std::string("CREATE DATABASE ") + kDatabase);
    if (!created.ok()) return created.error();
  }
  return {};
}

Status EmbeddedCluster::stop() {
  if (!running()) return {};
  auto out = run({(bindir_ / "pg_ctl").string(), "stop", "-w", "-t", "120", "-s", "-m", "fast",
                  "-D", pgdata_.string()});
  if (!out.ok()) return out.error();
  if (out->exit_code != 0) {
    return Error::unavailable("pg_ctl stop failed: " + out->output);
  }
  return {};
}

std::string EmbeddedCluster::url_for(const std::string& database) const {
  return "postgresql://" + std::string(kSuperuser) + ":" + password_ +
         "@127.0.0.1:" + std::to_string(options_.port) + "/" + database;
}

std::string EmbeddedCluster::url() const { return url_for(kDatabase); }

Result<std::string> EmbeddedCluster::read_url(const fs::path& data_dir, std::uint16_t port) {
  auto pw = read_file(data_dir / "pg.password");
  if (!pw.ok()) {
    return Error::not_found("no embedded cluster in " + data_dir.string() +
                            " yet: run `cloudlet up` (or `cloudlet db start`) first");
  }
  return "postgresql://" + std::string(kSuperuser) + ":" + *pw +
         "@127.0.0.1:" + std::to_string(port) + "/" + kDatabase;
}

}  // namespace cloudlet::db
