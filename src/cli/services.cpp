#include "cli/services.hpp"

#include "cli/app.hpp"
#include "core/log.hpp"

namespace cloudlet::cli {

std::vector<ServicePtr> build_services(const UpContext& context) {
  std::vector<ServicePtr> services;
  (void)context;
  if (auto gateway = make_gateway_service(context.settings, context.pool); gateway.ok()) {
    services.push_back(std::move(*gateway));
  } else {
    // A bad routes or credentials file is the operator's to fix: refuse to
    // start rather than run without the API.
    die(log::redact(gateway.error().message));
  }
  for (auto& service : make_usermgmt_services(context.settings, context.pool)) {
    services.push_back(std::move(service));
  }
  return services;
}

}  // namespace cloudlet::cli
