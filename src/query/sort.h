#pragma once

#include <optional>
#include <string_view>

#include "core/result.h"
#include "query/fields.h"

namespace klozeo::query {

/// ASC or DESC. NULL sort values come last in both directions.
enum class SortDirection { kAsc, kDesc };

/// The order of a listing; always tie-broken by lead id in the same direction.
struct Sort {
  FieldRef field{FieldKind::kNumber, "created_at"};
  SortDirection direction = SortDirection::kAsc;

  bool operator==(const Sort&) const = default;
};

/// "asc" or "desc", as stored in cursors.
std::string_view DirectionName(SortDirection direction);

/// Reads `sort_by` (any text or number field, or attr:<name>; absent or empty means
/// created_at) and `sort_order` (ASC or DESC in any case; absent or empty means ASC).
/// Errors: BadRequest naming the bad parameter value.
core::Result<Sort> ParseSort(std::optional<std::string_view> sort_by,
                             std::optional<std::string_view> sort_order);

}  // namespace klozeo::query
