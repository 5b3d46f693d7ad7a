// The services `cloudlet up` runs, in start order. The one place that wires
// modules together (STYLE: no singletons; wiring in one place).
#pragma once

#include <memory>
#include <vector>

#include "core/config.hpp"
#include "core/pg_pool.hpp"
#include "core/service.hpp"

namespace cloudlet::cli {

struct UpContext {
  const Settings& settings;
  std::shared_ptr<pg::Pool> pool;
  std::string database_url;
};

// An error (a bad routes or credentials file) is the operator's to fix.
Result<std::vector<ServicePtr>> build_services(const UpContext& context);

}  // namespace cloudlet::cli
