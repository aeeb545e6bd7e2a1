#include "service/rate_limiter.h"

#include <algorithm>

namespace klozeo::service {

RateDecision RateLimiter::Take(std::string_view account_id, const domain::PlanLimits& limits) {
  RateDecision d;
  if (limits.requests_per_window <= 0) return d;  // unlimited
  d.limited = true;
  d.limit = limits.requests_per_window;
  const int64_t now = clock_.NowMillis();
  const int64_t window_ms = limits.window_seconds * 1000;
  if (shared_ != nullptr) {
    auto counted = shared_->CountRequest(account_id, now, window_ms);
    if (counted.ok() && counted->has_value()) {
      const auto& w = **counted;
      if (w.count > limits.requests_per_window) {
        d.allowed = false;
        d.remaining = 0;
        d.retry_after_seconds = std::max<int64_t>(1, (w.start_ms + window_ms - now + 999) / 1000);
      } else {
        d.remaining = limits.requests_per_window - w.count;
      }
      return d;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = windows_.try_emplace(std::string(account_id));
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

}  // namespace klozeo::service
