#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

namespace klozeo::query {

/// A SQL value: a bind parameter of a compiled query, or a sort key read back from a row.
/// NULL, INTEGER, REAL or TEXT, as SQLite stores them.
using SqlValue = std::variant<std::nullptr_t, std::int64_t, double, std::string>;

}  // namespace klozeo::query
