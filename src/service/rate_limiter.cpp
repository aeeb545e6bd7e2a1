#include "service/rate_limiter.h"

#include <algorithm>

namespace klozeo::service {

RateDecision RateLimiter::Take(domain::AccountKey account, const domain::PlanLimits& limits) {
  RateDecision d;
  if (limits.requests_per_window <= 0) return d;  // unlimited
  d.limited = true;
  d.limit = limits.requests_per_window;
  const int64_t now = clock_.NowMillis();
  const int64_t window_ms = limits.window_seconds * 1000;
  if (shared_ != nullptr && TakeShared(account, limits, now, d)) return d;
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = windows_.try_emplace(account);
  Window& w = it->second;
  if (inserted || now - w.start_ms >= window_ms) {
    w.start_ms = now;
    w.count = 0;
  }
  if (w.count >= limits.requests_per_window) {
    d.allowed = false;
    d.remaining = 0;
    int64_t wait_ms = w.start_ms + window_ms - now;
    d.retry_after_seconds = std::max<int64_t>(1, (wait_ms + 999) / 1000);
    return d;
  }
  ++w.count;
  d.remaining = limits.requests_per_window - w.count;
  return d;
}

// Serves from this process's reserved requests, else reserves a batch from the shared window.
// False when the shared counter cannot be reached (the caller counts in memory).
bool RateLimiter::TakeShared(domain::AccountKey account, const domain::PlanLimits& limits,
                             int64_t now, RateDecision& d) {
  const int64_t limit = limits.requests_per_window;
  const int64_t window_ms = limits.window_seconds * 1000;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = reserved_.find(account);
    if (it != reserved_.end() && now - it->second.start_ms < window_ms && it->second.tokens > 0) {
      Reserved& r = it->second;
      --r.tokens;
      d.remaining = std::max<int64_t>(0, limit - r.shared_count + r.tokens);
      return true;
    }
  }
  const int64_t batch = SharedBatch(limit);
  auto counted = shared_->CountRequests(account, now, window_ms, batch);
  if (!counted.ok() || !counted->has_value()) return false;
  const auto& w = **counted;
  // What this reservation really got: the part of the batch still under the limit.
  const int64_t granted = std::clamp<int64_t>(limit - (w.count - batch), 0, batch);
  if (granted == 0) {
    d.allowed = false;
    d.remaining = 0;
    d.retry_after_seconds = std::max<int64_t>(1, (w.start_ms + window_ms - now + 999) / 1000);
    return true;
  }
  std::lock_guard<std::mutex> lock(mu_);
  Reserved& r = reserved_[account];
  if (r.start_ms != w.start_ms) r = Reserved{w.start_ms, 0, 0};
  r.tokens += granted - 1;  // this request takes one
  r.shared_count = std::max(r.shared_count, w.count);
  d.remaining = std::max<int64_t>(0, limit - r.shared_count + r.tokens);
  return true;
}

}  // namespace klozeo::service
