#pragma once

#include <algorithm>
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
/// database that shares counters (PostgreSQL: storage::Database::CountRequests), in the
/// database, so several processes hold one budget per account: a process reserves
/// SharedBatch(limit) requests at a time (1 for budgets under 200, at most 1,000) and serves
/// them from memory, so the budget is never exceeded and at most one batch per process goes
/// unused in a window. If the shared counter cannot be reached the request is counted in
/// memory instead (the limit then holds per process).
class RateLimiter {
 public:
  explicit RateLimiter(const core::Clock& clock, storage::Database* shared = nullptr)
      : clock_(clock), shared_(shared) {}

  /// Counts one request for `account` and says whether it may proceed.
  RateDecision Take(domain::AccountKey account, const domain::PlanLimits& limits);

  /// How many requests a process reserves from the shared counter at once: 1% of the budget,
  /// between 1 and 1,000.
  static int64_t SharedBatch(int64_t limit) { return std::clamp<int64_t>(limit / 100, 1, 1000); }

 private:
  /// Requests reserved from the shared window and not served yet.
  struct Reserved {
    int64_t start_ms = 0;      ///< the shared window's start
    int64_t tokens = 0;        ///< reserved, not yet served
    int64_t shared_count = 0;  ///< the shared count after the last reservation
  };
  bool TakeShared(domain::AccountKey account, const domain::PlanLimits& limits, int64_t now,
                  RateDecision& d);

  struct Window {
    int64_t start_ms = 0;
    int64_t count = 0;
  };
  const core::Clock& clock_;
  storage::Database* shared_;
  std::mutex mu_;
  std::unordered_map<domain::AccountKey, Window> windows_;
  std::unordered_map<domain::AccountKey, Reserved> reserved_;
};

}  // namespace klozeo::service
