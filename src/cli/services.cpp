#include "cli/services.hpp"

#include "cli/app.hpp"

namespace cloudlet::cli {

Result<std::vector<ServicePtr>> build_services(const UpContext& context) {
  std::vector<ServicePtr> services;
  // A bad routes or credentials file: refuse to start rather than run
  // without the API.
  auto gateway = make_gateway_service(context.settings, context.pool);
  if (!gateway.ok()) return gateway.error();
  services.push_back(std::move(*gateway));
  auto events = make_events_service(context.settings, context.pool);
  if (!events.ok()) return events.error();
  services.push_back(std::move(*events));
  for (auto& service : make_usermgmt_services(context.settings, context.pool)) {
    services.push_back(std::move(service));
  }
  return services;
}

}  // namespace cloudlet::cli
