// A throwaway PostgreSQL for tests that need one (*_pgtest binaries).
//
// The harness's main() starts one embedded cluster per test binary in a
// temporary directory, on a free loopback port, without fsync, and removes it
// at exit. Each test that wants isolation asks for a fresh database, created
// from a template that already has every migration applied (fast: a file copy).
#pragma once

#include <string>

#include "db/cluster.hpp"

namespace cloudlet::testing {

// The URL of a new, migrated, empty-of-test-rows database (the seed's three
// companies and contacts are there, as after `cloudlet db migrate`).
std::string fresh_database();
// The URL of a new database with nothing in it (no migrations).
std::string empty_database();
// The running cluster (to stop and start it in resilience tests).
db::EmbeddedCluster& cluster();

}  // namespace cloudlet::testing
