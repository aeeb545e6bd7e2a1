#pragma once

#include <cassert>
#include <optional>
#include <utility>
#include <variant>

#include "core/error.h"

namespace klozeo::core {

/// A value or an Error, in the spirit of absl::StatusOr. Expected failures travel as Results;
/// exceptions are reserved for bugs and are turned into 500s at the HTTP edge.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

 private:
  std::variant<T, Error> v_;
};

/// Result for operations that produce no value.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const& {
    assert(!ok());
    return *error_;
  }
  Error&& error() && {
    assert(!ok());
    return std::move(*error_);
  }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

inline Status Ok() { return {}; }

}  // namespace klozeo::core

/// Evaluates `expr` (a Result); on failure returns its Error from the enclosing function.
#define KLOZEO_TRY(expr)                            \
  do {                                              \
    auto&& klozeo_try_result_ = (expr);             \
    if (!klozeo_try_result_.ok()) {                 \
      return std::move(klozeo_try_result_).error(); \
    }                                               \
  } while (false)

#define KLOZEO_CONCAT_INNER_(a, b) a##b
#define KLOZEO_CONCAT_(a, b) KLOZEO_CONCAT_INNER_(a, b)

/// `KLOZEO_ASSIGN_OR_RETURN(auto x, Compute());` binds the value or returns the Error.
#define KLOZEO_ASSIGN_OR_RETURN(lhs, expr) \
  KLOZEO_ASSIGN_OR_RETURN_IMPL_(KLOZEO_CONCAT_(klozeo_aor_, __LINE__), lhs, expr)
#define KLOZEO_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).error();       \
  lhs = std::move(tmp).value()
