// The event bus on the shared HTTP server: AWS JSON 1.1 (spec §3) in front
// of EventBusApi. One Handler on http::Server, like the gateway.
//
// Per request: `POST /` only (else 404) → `X-Amz-Target: AWSEvents.<Action>`
// naming a known action (else 400 UnknownOperationException), decided from
// the head → the SigV4 pre-check with service `events` (head only) → the
// body → SigV4 in full → the body parsed once as a JSON object (else
// SerializationException) → IAM `events:<Action>` on each resource the call
// acts on (the rule's or bus's ARN) → the action on the worker pool (it
// blocks on PostgreSQL) → `x-amzn-RequestId`, Content-Type
// application/x-amz-json-1.1, and for errors `{"__type","message"}` plus
// `X-Amzn-ErrorType`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "auth/principals.hpp"
#include "auth/sigv4.hpp"
#include "core/result.hpp"
#include "events/api.hpp"
#include "http/server.hpp"

namespace cloudlet::events {

struct HttpApiDependencies {
  const EventBusApi* api = nullptr;  // must outlive the server
  std::shared_ptr<const auth::Principals> principals;
  auth::Settings sigv4 = auth::Settings::event_bus();
  std::chrono::milliseconds action_timeout{10000};  // the worker's bound per call
  std::function<Status()> ready;                    // /readyz (the database)
  std::function<auth::Clock::time_point()> clock;   // unset: system clock
};

class HttpApi {
 public:
  HttpApi(http::ServerOptions options, HttpApiDependencies deps);
  ~HttpApi();
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  Status start();
  void stop();
  std::uint16_t port() const;
  void set_principals(std::shared_ptr<const auth::Principals> principals);

  class Handler;

 private:
  std::unique_ptr<Handler> handler_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace cloudlet::events
