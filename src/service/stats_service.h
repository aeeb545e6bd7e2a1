#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/result.h"
#include "domain/account.h"
#include "storage/store.h"

namespace klozeo::service {

/// "How is my pipeline doing?": aggregates over one account's leads, computed by the database
/// (GET /api/v1/stats and the MCP tool get_stats share it).
class StatsService {
 public:
  static constexpr int kDefaultDays = 30;
  static constexpr int kMaxDays = 365;
  /// Sources and cities listed.
  static constexpr int kTop = 10;

  StatsService(storage::Database& db, const core::Clock& clock) : db_(db), clock_(clock) {}

  /// The `days` query parameter: absent is kDefaultDays. Errors: BadRequest unless it is an
  /// integer in 1..kMaxDays.
  static core::Result<int> ParseDays(const std::optional<std::string>& text);

  /// The statistics document of docs/API.md "Statistics": total_leads, average_score,
  /// by_status, by_source, top_cities, score_histogram (10 buckets, always all present) and
  /// created_per_day (the last `days` UTC days including today, every day present).
  /// Errors: BadRequest when `days` is outside 1..kMaxDays.
  core::Result<nlohmann::json> Get(const domain::Principal& who, int days);

 private:
  storage::Database& db_;
  const core::Clock& clock_;
};

}  // namespace klozeo::service
