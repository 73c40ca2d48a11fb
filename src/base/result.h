// Result<T>: a value or a non-OK Status, shaped like std::expected<T, Status>.
//
// Contract: constructing a Result from an OK Status is a programming error (it becomes kInternal).
// Access value() only when ok(). Value type; thread-compatible.
#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "base/status.h"

namespace hami::base {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT: implicit like std::expected
  Result(Status status) : data_(std::move(status)) {  // NOLINT
    if (std::get<Status>(data_).ok())
      data_ = Status(StatusCode::kInternal, "Result from OK status");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return ok(); }

  const T& value() const& {
    assert(ok());
    return std::get<T>(data_);
  }
  T& value() & {
    assert(ok());
    return std::get<T>(data_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(data_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // The error; OK when a value is held.
  Status status() const { return ok() ? Status() : std::get<Status>(data_); }
  const Status& error() const {
    assert(!ok());
    return std::get<Status>(data_);
  }

  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace hami::base

#define HAMI_CONCAT_INNER_(a, b) a##b
#define HAMI_CONCAT_(a, b) HAMI_CONCAT_INNER_(a, b)
// HAMI_ASSIGN_OR_RETURN(auto x, Expr()): evaluates a Result, returns its error, else binds the
// value.
#define HAMI_ASSIGN_OR_RETURN(lhs, expr) \
  HAMI_ASSIGN_OR_RETURN_IMPL_(HAMI_CONCAT_(hami_result_, __LINE__), lhs, expr)
// tmp names a new variable and lhs is a declaration: neither can be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define HAMI_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.error();                \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
