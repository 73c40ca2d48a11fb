// Status: the project's one error vocabulary (code + human message).
//
// Contract: a default-constructed Status is OK. Errors carry a code from StatusCode and a message
// that names the offending object/field so it can be shown to a user unchanged. "Does not fit" is
// never a Status error: the scheduling core reports it as counted Reasons (see sched/).
// Value type; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace hami::base {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // malformed input: annotation, quantity, manifest, flag
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kUnavailable,  // transient: retry may succeed (API server down, lock contention)
  kInternal,
  kUnimplemented,
  kPermissionDenied,
  kDeadlineExceeded,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "InvalidArgument: <message>" or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>"; OK stays OK.
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string message) {
  return {StatusCode::kInvalidArgument, std::move(message)};
}
inline Status NotFound(std::string message) { return {StatusCode::kNotFound, std::move(message)}; }
inline Status FailedPrecondition(std::string message) {
  return {StatusCode::kFailedPrecondition, std::move(message)};
}
inline Status Unavailable(std::string message) {
  return {StatusCode::kUnavailable, std::move(message)};
}
inline Status Internal(std::string message) { return {StatusCode::kInternal, std::move(message)}; }
inline Status Unimplemented(std::string message) {
  return {StatusCode::kUnimplemented, std::move(message)};
}

}  // namespace hami::base

// Propagates a non-OK Status (or the error of a Result) from the enclosing function.
#define HAMI_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::hami::base::Status hami_status_ = (expr);  \
    if (!hami_status_.ok()) return hami_status_; \
  } while (0)
