#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "domain/account.h"
#include "storage/store.h"

namespace klozeo::service {

/// The outcome of counting one request against an account's budget.
struct RateDecision {
  bool allowed = true;
  bool limited = false;             ///< false for plans without a request limit (no headers)
  int64_t limit = 0;                ///< X-RateLimit-Limit
  int64_t remaining = 0;            ///< X-RateLimit-Remaining (never negative)
  int64_t retry_after_seconds = 0;  ///< Retry-After when refused (at least 1)
};

/// Per-account fixed-window request counter. The window starts at an account's first request
/// and lasts the plan's `window_seconds`. Counted in memory (one process), or, given a
/// database that shares counters (PostgreSQL: storage::Database::CountRequest), in the
/// database, so several processes hold one budget per account. If the shared counter cannot
/// be reached the request is counted in memory instead (the limit then holds per process).
class RateLimiter {
 public:
  explicit RateLimiter(const core::Clock& clock, storage::Database* shared = nullptr)
      : clock_(clock), shared_(shared) {}

  /// Counts one request for `account_id` and says whether it may proceed.
  RateDecision Take(std::string_view account_id, const domain::PlanLimits& limits);

 private:
  struct Window {
    int64_t start_ms = 0;
    int64_t count = 0;
  };
  const core::Clock& clock_;
  storage::Database* shared_;
  std::mutex mu_;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace klozeo::service
