#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace klozeo::exporter {

/// A point in time. CSV writes it as integer Unix seconds; XLSX as a real date-time cell (UTC).
struct Timestamp {
  int64_t unix_seconds = 0;
};

/// One typed value of an exported row. Built by aggregate initialisation:
/// `Cell{}` (empty), `Cell{"text"}`, `Cell{4.5}`, `Cell{int64_t{3}}` (an `int` works too),
/// `Cell{Timestamp{1700000000}}`, `Cell{true}`.
struct Cell {
  std::variant<std::monostate, std::string, double, int64_t, Timestamp, bool> value;
};

}  // namespace klozeo::exporter
