#include "cli/services.hpp"

namespace cloudlet::cli {

std::vector<ServicePtr> build_services(const UpContext& context) {
  std::vector<ServicePtr> services;
  (void)context;
  return services;
}

}  // namespace cloudlet::cli
