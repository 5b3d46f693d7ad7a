#include "usermgmt/grpc_status.hpp"

#include <string>

namespace cloudlet::usermgmt {

grpc::Status to_grpc_status(const Error& error) {
  // An error that came from PostgreSQL carries the server's own text
  // (relation and constraint names): clients get a fixed one instead.
  if (!error.sqlstate.empty()) {
    switch (error.code) {
      case ErrorCode::kInvalidArgument:
        return {grpc::StatusCode::INVALID_ARGUMENT, "the store rejected the value"};
      case ErrorCode::kAlreadyExists:
        return {grpc::StatusCode::ALREADY_EXISTS, "already exists"};
      case ErrorCode::kNotFound:
        return {grpc::StatusCode::NOT_FOUND, "not found"};
      case ErrorCode::kFailedPrecondition:
        return {grpc::StatusCode::FAILED_PRECONDITION, "the store refused the change"};
      case ErrorCode::kResourceExhausted:
        return {grpc::StatusCode::UNAVAILABLE, "the user store is unavailable; retry later"};
      default:
        break;
    }
  }
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
      return {grpc::StatusCode::INVALID_ARGUMENT, error.message};
    case ErrorCode::kNotFound:
      return {grpc::StatusCode::NOT_FOUND, error.message};
    case ErrorCode::kAlreadyExists:
      return {grpc::StatusCode::ALREADY_EXISTS, error.message};
    case ErrorCode::kFailedPrecondition:
      return {grpc::StatusCode::FAILED_PRECONDITION, error.message};
    case ErrorCode::kResourceExhausted:
      return {grpc::StatusCode::RESOURCE_EXHAUSTED, error.message};
    case ErrorCode::kPermissionDenied:
      return {grpc::StatusCode::PERMISSION_DENIED, "permission denied"};
    case ErrorCode::kUnauthenticated:
      return {grpc::StatusCode::UNAUTHENTICATED, "unauthenticated"};
    case ErrorCode::kCancelled:
      return {grpc::StatusCode::CANCELLED, "cancelled"};
    case ErrorCode::kDeadlineExceeded:
      // Either the deadline passed before the store was called, or the store
      // could not confirm durability (json: the directory fsync failed after
      // the rename): in both cases the caller must not assume either outcome.
      return {grpc::StatusCode::DEADLINE_EXCEEDED,
              "the store did not confirm the call in time; read before retrying a change"};
    case ErrorCode::kUnknown:
      // The connection to the store was lost after the change was sent: it
      // may or may not have been applied. UNKNOWN is not retried by gRPC's
      // default policy, unlike UNAVAILABLE, which would duplicate the write.
      return {grpc::StatusCode::UNKNOWN,
              "the outcome is unknown: the store may or may not have applied the call; read "
              "before retrying a change"};
    case ErrorCode::kAborted:
      // A serialization conflict inside the store: the caller may simply retry.
      return {grpc::StatusCode::ABORTED, "concurrent update conflict; retry"};
    case ErrorCode::kUnavailable:
      return {grpc::StatusCode::UNAVAILABLE, "the user store is unavailable; retry later"};
    case ErrorCode::kInternal:
      break;
  }
  return {grpc::StatusCode::INTERNAL, "internal error"};
}

std::string_view grpc_code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

Error from_grpc_status(const grpc::Status& status) {
  ErrorCode code = ErrorCode::kInternal;
  switch (status.error_code()) {
    case grpc::StatusCode::CANCELLED:
      code = ErrorCode::kCancelled;
      break;
    case grpc::StatusCode::UNKNOWN:
      // What our server says when a change may or may not have been applied
      // (and what gRPC says when a call broke off with no status): the
      // caller must read before retrying, as for kUnknown.
      code = ErrorCode::kUnknown;
      break;
    case grpc::StatusCode::INVALID_ARGUMENT:
      code = ErrorCode::kInvalidArgument;
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      code = ErrorCode::kDeadlineExceeded;
      break;
    case grpc::StatusCode::NOT_FOUND:
      code = ErrorCode::kNotFound;
      break;
    case grpc::StatusCode::ALREADY_EXISTS:
      code = ErrorCode::kAlreadyExists;
      break;
    case grpc::StatusCode::PERMISSION_DENIED:
      code = ErrorCode::kPermissionDenied;
      break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      code = ErrorCode::kResourceExhausted;
      break;
    case grpc::StatusCode::FAILED_PRECONDITION:
      code = ErrorCode::kFailedPrecondition;
      break;
    case grpc::StatusCode::ABORTED:
      code = ErrorCode::kAborted;
      break;
    case grpc::StatusCode::UNAVAILABLE:
      code = ErrorCode::kUnavailable;
      break;
    case grpc::StatusCode::UNAUTHENTICATED:
      code = ErrorCode::kUnauthenticated;
      break;
    default:
      break;
  }
  return {
      code, std::string(grpc_code_name(status.error_code())) + ": " + status.error_message(), {}};
}

}  // namespace cloudlet::usermgmt
