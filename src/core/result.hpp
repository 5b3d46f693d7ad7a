// Errors as values at module boundaries.
//
// A `Result<T>` holds either a value or an `Error`. Error codes follow gRPC's
// canonical codes and are chosen by what the caller should do next: retry the
// call (kUnavailable), fix the input (kInvalidArgument), or report a bug
// (kInternal). Each edge of the system (HTTP, gRPC, AWS JSON) maps codes to its
// own wire errors exactly once.
//
// Reading the value of an error (or the error of a value) is a programming
// bug and aborts: untrusted input must never be able to reach that path.
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace cloudlet {

enum class ErrorCode {
  kCancelled,
  kInvalidArgument,     // the caller sent something wrong; do not retry unchanged
  kNotFound,            // the thing named does not exist
  kAlreadyExists,       // a unique key is taken
  kFailedPrecondition,  // the system is not in a state to do this (e.g. unknown foreign key)
  kPermissionDenied,    // authenticated, but not allowed
  kUnauthenticated,     // no or bad credentials
  kResourceExhausted,   // a limit was hit (pool, size, disk)
  kDeadlineExceeded,    // it took too long; the outcome may be unknown
  kUnknown,             // the request may or may not have been applied (a connection was
                        // lost after it was sent): read before retrying a change
  kAborted,             // a concurrency conflict; retry the whole transaction
  kUnavailable,         // a dependency is down; retry later
  kInternal,            // a bug or an unexpected failure
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;   // safe for logs; never contains secrets. Not for clients as-is.
  std::string sqlstate;  // set for errors that came from PostgreSQL

  static Error invalid_argument(std::string msg) {
    return {ErrorCode::kInvalidArgument, std::move(msg), {}};
  }
  static Error not_found(std::string msg) { return {ErrorCode::kNotFound, std::move(msg), {}}; }
  static Error unavailable(std::string msg) {
    return {ErrorCode::kUnavailable, std::move(msg), {}};
  }
  static Error internal(std::string msg) { return {ErrorCode::kInternal, std::move(msg), {}}; }
};

namespace detail {
[[noreturn]] void bad_result_access(const char* what);
}  // namespace detail

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    if (!ok()) detail::bad_result_access("value() of an error Result");
    return std::get<0>(state_);
  }
  const T& value() const& {
    if (!ok()) detail::bad_result_access("value() of an error Result");
    return std::get<0>(state_);
  }
  T&& value() && {
    if (!ok()) detail::bad_result_access("value() of an error Result");
    return std::get<0>(std::move(state_));
  }
  const Error& error() const {
    if (ok()) detail::bad_result_access("error() of an ok Result");
    return std::get<1>(state_);
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> state_;
};

// A Result without a value: success, or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT: implicit by design

  static Status ok_status() { return {}; }
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    if (!failed_) detail::bad_result_access("error() of an ok Status");
    return error_;
  }

 private:
  Error error_;
  bool failed_ = false;
};

}  // namespace cloudlet
