#pragma once

#include "storage/sql/guard.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/result.h"
#include "query/sql_value.h"

namespace klozeo::storage {

/// What both backends' statements build on their own primitives the same way. A backend's
/// statement S derives from StatementBase<S> (and says `using StatementBase<S>::Bind;`) and
/// supplies Bind(int, std::string_view), Bind(int, int64_t), Bind(int, double), BindNull,
/// Step (true with a row, false when done), Changes (rows the statement changed), IsNull, Int,
/// Double and Text; parameters are 1-based, columns 0-based.
template <typename S>
class StatementBase {
 public:
  S& Bind(int index, const std::string& text) { return self().Bind(index, std::string_view(text)); }
  S& Bind(int index, const char* text) { return self().Bind(index, std::string_view(text)); }
  /// The value, or NULL when absent.
  template <typename T>
  S& Bind(int index, const std::optional<T>& value) {
    return value ? self().Bind(index, *value) : self().BindNull(index);
  }
  /// Binds a query::SqlValue (the filter compiler's binds).
  S& BindValue(int index, const query::SqlValue& v) {
    if (const auto* text = std::get_if<std::string>(&v)) return Bind(index, *text);
    if (const auto* n = std::get_if<std::int64_t>(&v)) return self().Bind(index, int64_t{*n});
    if (const auto* d = std::get_if<double>(&v)) return self().Bind(index, *d);
    return self().BindNull(index);
  }
  /// Runs a statement whose rows (if any) are not read.
  core::Status Run() {
    auto stepped = self().Step();
    if (!stepped.ok()) return std::move(stepped).error();
    return core::Ok();
  }
  std::optional<std::string> OptText(int col) const { return Opt(col, &S::Text); }
  std::optional<double> OptDouble(int col) const { return Opt(col, &S::Double); }
  std::optional<int64_t> OptInt(int col) const { return Opt(col, &S::Int); }

 private:
  S& self() { return static_cast<S&>(*this); }
  template <typename R>
  std::optional<R> Opt(int col, R (S::*read)(int) const) const {
    const S& s = static_cast<const S&>(*this);
    if (s.IsNull(col)) return std::nullopt;
    return (s.*read)(col);
  }
};

/// Binds `values` to the parameters of `s` from `first` on.
template <typename S, typename... T>
void BindFrom(S& s, int first, const T&... values) {
  (s.Bind(first++, values), ...);
}

}  // namespace klozeo::storage
