#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"
#include "query/fields.h"

namespace klozeo::query {

/// How a filter combines with the others: every `and` must hold, and when any `or` filter is
/// present at least one of them must hold.
enum class Logic { kAnd, kOr };

/// The 20 filter operators, named on the wire as in OpName().
enum class Op {
  kEq,
  kNeq,
  kContains,
  kNotContains,
  kStartsWith,
  kEndsWith,
  kIn,
  kGt,
  kGte,
  kLt,
  kLte,
  kIsEmpty,
  kIsNotEmpty,
  kArrayContains,
  kArrayNotContains,
  kArrayEmpty,
  kArrayNotEmpty,
  kWithinRadius,
  kIsSet,
  kIsNotSet,
};

/// The `within_radius` value: a centre in degrees and a radius in kilometres (> 0).
struct GeoCircle {
  double lat = 0;
  double lng = 0;
  double km = 0;

  bool operator==(const GeoCircle&) const = default;
};

/// A filter's typed value:
/// - std::monostate: operators without a value (is_empty, array_empty, is_set, ...);
/// - std::string: text comparisons, eq/neq on attributes, array_contains (raw, not folded);
/// - double: eq/neq on number fields, gt/gte/lt/lte;
/// - std::vector<std::string>: `in` (the comma-separated items, trimmed);
/// - GeoCircle: within_radius.
using FilterValue =
    std::variant<std::monostate, std::string, double, std::vector<std::string>, GeoCircle>;

/// One parsed `filter=<logic>.<operator>.<field>[.<value>]`.
struct Filter {
  Logic logic = Logic::kAnd;
  Op op = Op::kEq;
  FieldRef field;
  FilterValue value;

  bool operator==(const Filter&) const = default;
};

/// Most filters accepted in one request.
inline constexpr size_t kMaxFilters = 50;
/// Longest filter value accepted, in bytes.
inline constexpr size_t kMaxFilterValueBytes = 1024;

/// The operator's wire name ("eq", "array_not_contains", ...).
std::string_view OpName(Op op);
/// The operator with this wire name; nullopt when unknown.
std::optional<Op> LookupOp(std::string_view name);
/// True for neq, not_contains and array_not_contains, which also match a NULL field or an
/// absent attribute.
bool IsNegative(Op op);

/// Lenient number parsing: "4", "4.0", "-3", "+3", "1e+21", "1e-07", surrounding spaces
/// allowed. nullopt for anything else, including an empty string, inf and nan.
std::optional<double> ParseNumber(std::string_view text);

/// Parses one filter. Splits on the first three dots only, so the value may hold dots.
/// Errors: BadRequest naming the filter and the reason (unknown logic, operator or field,
/// operator not fitting the field, non-numeric value on a number comparison, bad
/// within_radius value, value too long or not UTF-8).
core::Result<Filter> ParseFilter(std::string_view text);

/// Parses every `filter` parameter of a request, in order.
/// Errors: as ParseFilter (the first bad filter), or BadRequest for more than kMaxFilters.
core::Result<std::vector<Filter>> ParseFilters(std::span<const std::string> texts);

/// Applies the combination rule given a way to evaluate single filters: every `and` filter
/// holds, and if any `or` filter exists, at least one holds. True for an empty list.
bool CombineFilters(std::span<const Filter> filters,
                    const std::function<bool(const Filter&)>& holds);

}  // namespace klozeo::query
