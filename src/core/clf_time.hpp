// Times as the Common Log Format writes them, "28/Nov/2026:05:25:33 +0000"
// (UTC): API Gateway's `requestContext.time` and `$context.requestTime`, so
// both the gateway and the event bus's function targets send it.
#pragma once

#include <chrono>
#include <string>

namespace cloudlet {

std::string clf_time(std::chrono::system_clock::time_point t);

}  // namespace cloudlet
