// The closed set of failure kinds that travel as values through journeyd, and the Error value
// that carries one with a human-readable message. Errors are plain values: copyable and
// thread-compatible.
#pragma once

#include <string>
#include <string_view>

namespace journeyd {

enum class ErrorCode {
  kInvalidArgument,   // bad input: will not succeed if retried unchanged
  kUnauthenticated,   // missing or wrong credentials or signature
  kPermissionDenied,  // authenticated, but not allowed
  kNotFound,
  kConflict,          // duplicate, or state changed under us
  kRateLimited,       // slow down; retryable
  kUnavailable,       // transient: network, overload, backpressure; retryable
  kDeadlineExceeded,  // timed out; retryable
  kCorruption,        // stored data does not make sense
  kInternal,          // a bug or an unexpected library failure
};

std::string_view ErrorCodeName(ErrorCode code);

// True for the codes a caller may retry unchanged after waiting.
bool IsRetryable(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  std::string ToString() const;
};

inline Error InvalidArgument(std::string message) {
  return {ErrorCode::kInvalidArgument, std::move(message)};
}
inline Error NotFound(std::string message) { return {ErrorCode::kNotFound, std::move(message)}; }
inline Error Unavailable(std::string message) {
  return {ErrorCode::kUnavailable, std::move(message)};
}
inline Error Internal(std::string message) { return {ErrorCode::kInternal, std::move(message)}; }
inline Error Corruption(std::string message) {
  return {ErrorCode::kCorruption, std::move(message)};
}

}  // namespace journeyd
