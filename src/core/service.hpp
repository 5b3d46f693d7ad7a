// A long-running part of cloudlet that `cloudlet up` supervises (a gRPC
// server, the gateway, the event bus). Wiring happens in src/cli only.
#pragma once

#include <memory>
#include <string>

#include "core/result.hpp"

namespace cloudlet {

class Service {
 public:
  virtual ~Service() = default;
  // Short, stable name used in logs ("gateway", "usermgmt-json").
  virtual std::string name() const = 0;
  // Binds and starts serving; returns once it accepts requests.
  virtual Status start() = 0;
  // Stops accepting, finishes in-flight work, then returns. Idempotent.
  virtual void stop() = 0;
  // One line for the operator: where to reach it ("grpc 127.0.0.1:50051").
  virtual std::string endpoint() const = 0;
};

using ServicePtr = std::unique_ptr<Service>;

}  // namespace cloudlet
