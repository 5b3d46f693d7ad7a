// Bulk test data for benchmarks: realistic generated contacts loaded with COPY.
#pragma once

#include <cstdint>
#include <functional>

#include "core/pg_pool.hpp"
#include "core/result.hpp"

namespace cloudlet::db {

// Loads of at least this many rows drop the contacts' search indexes (the
// trigram and the covering one) and build them again afterwards: one bulk
// build is several times cheaper than a million GIN insertions. The
// indexes are rebuilt from their own definitions (pg_indexes), inside the
// same transaction, so a failed load leaves them as they were. Readers wait
// on the table lock meanwhile.
inline constexpr long long kRebuildIndexesFrom = 100000;

struct SeedOptions {
  long long contacts = 0;
  long long companies = 0;  // new companies to add first; contacts spread over all companies
  std::uint64_t random_seed = 42;
  long long rebuild_indexes_from = kRebuildIndexesFrom;
};

struct SeedReport {
  long long companies_added = 0;
  long long contacts_added = 0;
};

// Called with (rows done, rows total) as the load progresses.
using SeedProgress = std::function<void(long long, long long)>;

// One line of COPY text for contact number `n` of the generator (pure, so a
// test can check escaping and shape): company_id, first, last, email, created_at.
std::string generated_contact_row(std::uint64_t random_seed, long long n,
                                  const std::vector<int>& company_ids);

Result<SeedReport> seed(pg::Pool& pool, const SeedOptions& options, const SeedProgress& progress);

}  // namespace cloudlet::db
