#pragma once

#include <optional>
#include <string_view>

#include "core/result.h"

namespace klozeo::query {

/// Page size when `limit` is absent.
inline constexpr int kDefaultLimit = 50;
/// Larger `limit` values are clamped to this.
inline constexpr int kMaxLimit = 1000;

/// Reads the `limit` parameter: absent or empty → kDefaultLimit; a decimal integer ≥ 1,
/// clamped to kMaxLimit (surrounding spaces allowed).
/// Errors: BadRequest for anything non-numeric (including "5.0") or below 1.
core::Result<int> ParseLimit(std::optional<std::string_view> text);

}  // namespace klozeo::query
