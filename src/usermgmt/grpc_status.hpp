// The one place where cloudlet's error codes meet gRPC's status codes.
#pragma once

#include <grpcpp/support/status.h>

#include <string_view>

#include "core/result.hpp"

namespace cloudlet::usermgmt {

// The status a client sees. Messages the caller can act on (bad input, not
// found, limits) pass through; for storage failures the client gets a fixed
// text and the detail (paths, database errors) stays in our log.
grpc::Status to_grpc_status(const Error& error);

// The error a client reports: the code mapped back, the message prefixed
// with the gRPC code's name ("UNAVAILABLE: ...").
Error from_grpc_status(const grpc::Status& status);

std::string_view grpc_code_name(grpc::StatusCode code);

}  // namespace cloudlet::usermgmt
