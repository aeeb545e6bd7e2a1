#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/result.h"
#include "storage/store.h"

namespace klozeo::webhooks {

/// How deliveries are sent and retried.
struct DispatcherOptions {
  /// Deliver to loopback, private, link-local and other blocked addresses too.
  bool allow_private = false;
  /// The first retry's delay; later ones scale the default schedule (5 s, 30 s, 2 min, 10 min,
  /// 30 min, 1 h, 3 h, 6 h, 12 h, 24 h) by retry_base_ms / 5000.
  int64_t retry_base_ms = 5000;
  /// Concurrent requests at most.
  int max_in_flight = 64;
  /// How often the outbox is looked at without a wake-up (events of other processes, retries).
  int64_t poll_ms = 500;
  /// A delivery is acknowledged by a 2xx within this time.
  int64_t timeout_ms = 5000;
  /// How long a claim is held before another dispatcher may take the delivery over.
  int64_t lease_ms = 60000;
  /// This dispatcher's name in claims; empty: "<hostname>-<pid>-<random>".
  std::string worker_id;
};

/// The delay after failed attempt `attempt` (1-based) before the next, with `jitter` in [0, 1)
/// spreading it over +/-20%; nullopt when retries are exhausted (after 11 attempts).
std::optional<int64_t> RetryDelayMs(int64_t attempt, int64_t base_ms, double jitter);

/// Delivers the outbox: claims due deliveries (storage::WebhookStore::ClaimDeliveries, with a
/// lease), POSTs them concurrently with libcurl's multi interface, and records each attempt,
/// the retry schedule and the webhook's health. Before connecting it resolves the host, refuses
/// blocked addresses (unless allow_private) and pins libcurl to the address it checked; it never
/// follows redirects, uses no proxy and speaks only http and https. One thread; Wake() is
/// thread-safe.
class Dispatcher {
 public:
  /// `clock` stamps attempts and judges the three-day failure window; due times and leases use
  /// the wall clock, which every process sharing the database agrees on.
  Dispatcher(storage::Database& db, const core::Clock& clock, DispatcherOptions options);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  /// Starts the thread. Errors: Internal when libcurl cannot be set up.
  core::Status Start();
  /// Stops the thread: requests in flight are abandoned and their claims released (due at
  /// once), so another process or the next start sends them. Idempotent.
  void Stop();
  /// Looks at the outbox now (called after a commit that queued deliveries).
  void Wake();

  const DispatcherOptions& options() const { return options_; }

 private:
  struct Impl;
  void Run();

  storage::Database& db_;
  const core::Clock& clock_;
  DispatcherOptions options_;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> wake_{false};
  std::mutex wake_mu_;  // guards the multi handle against Wake() during teardown
  bool running_ = false;
};

}  // namespace klozeo::webhooks
