// The embedded PostgreSQL cluster that cloudlet creates and owns.
//
// Layout under the data directory:
//   pg/            the cluster (PGDATA), created by initdb on first use
//   pg.password    the superuser's generated password (mode 0600)
//   postgres.log   the server's own log
// The server listens on 127.0.0.1 only (no Unix socket) and requires a
// password (scram-sha-256). `start` recovers from a run that crashed and left
// the server running (it stops that server cleanly first) and from a stale
// postmaster.pid (PostgreSQL ignores it when the process is gone).
//
// As root: initdb, pg_ctl and postgres refuse to run as root, so they run as
// the unprivileged `postgres` account (created by Debian's postgresql
// package; `nobody` otherwise), which then owns pg/. When that account cannot
// reach the data directory (e.g. it is under /root, mode 0700), the cluster is
// placed in /var/lib/cloudlet/clusters/<hash> and pg/ becomes a symlink to it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/process.hpp"
#include "core/result.hpp"

namespace cloudlet::db {

struct ClusterOptions {
  std::filesystem::path data_dir;
  std::uint16_t port = 54329;
  // Tests trade durability for speed: no fsync anywhere.
  bool durable = true;
};

class EmbeddedCluster {
 public:
  // Finds the server binaries and checks that the data dir is usable;
  // creates nothing yet.
  static Result<EmbeddedCluster> locate(ClusterOptions options);

  // Creates the cluster if it does not exist (initdb); returns true if it did.
  Result<bool> ensure_initialized();
  // Starts the server and waits until it accepts connections, then makes
  // sure the `cloudlet` database exists.
  Status start();
  // Stops the server (fast shutdown: running transactions roll back,
  // committed data is safe). Safe to call when it is not running.
  Status stop();
  bool running() const;

  // postgresql://cloudlet:PASSWORD@127.0.0.1:PORT/cloudlet
  std::string url() const;
  std::string url_for(const std::string& database) const;
  const std::filesystem::path& pgdata() const { return pgdata_; }
  const ClusterOptions& options() const { return options_; }

  // Reads the URL of an existing cluster without starting anything.
  static Result<std::string> read_url(const std::filesystem::path& data_dir, std::uint16_t port);

 private:
  EmbeddedCluster() = default;
  Result<ProcessOutput> run(const std::vector<std::string>& argv) const;
  Status write_server_config() const;

  ClusterOptions options_;
  std::filesystem::path bindir_;
  std::filesystem::path pgdata_;  // the real path (never through a symlink)
  std::optional<RunAs> service_user_;
  std::string password_;
};

}  // namespace cloudlet::db
