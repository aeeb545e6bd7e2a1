#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "storage/store.h"
#include "webhooks/transport.h"

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

/// Delivers the outbox, in three parts: claiming due deliveries (storage::Tx::
/// ClaimWebhookDeliveries, with a lease), sending them (Transport: libcurl's multi interface,
/// addresses checked and pinned), and recording each attempt with what the webhook service's
/// rules make of it (service::ScheduleAfterAttempt: delivered, retry later or dead;
/// service::FailingTooLong: the three-day deactivation). One thread; Wake() is thread-safe.
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

  /// One pass without the thread, for tests (not while started): claims what is due at
  /// `wall_now_ms` (a time ahead of the wall clock makes scheduled retries due), sends it,
  /// waits for every answer or timeout, and records the attempts. Returns how many attempts it
  /// recorded. Errors: Internal when libcurl cannot be set up, or the claim or the record
  /// failed.
  core::Result<int> RunOnce(int64_t wall_now_ms);

  const DispatcherOptions& options() const { return options_; }

 private:
  void Run();
  /// Claims as many due deliveries as there is room for and starts them; true when the claim
  /// was full (more may be due).
  core::Result<bool> ClaimAndStart(int64_t wall_now_ms);
  /// Records `done` in one transaction and clears it; returns how many attempts were held by
  /// this dispatcher's claims. On failure the claims lapse and the deliveries are attempted
  /// again: at least once, never lost.
  core::Result<int> Record(std::vector<AttemptOutcome>& done);
  /// Gives back the claims of the transfers in flight, due at once (stopping).
  void ReleaseInFlight();
  /// Recounts klozeo_webhook_outbox_depth, at most once a second.
  void UpdateDepth();

  storage::Database& db_;
  const core::Clock& clock_;
  DispatcherOptions options_;
  Transport transport_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::chrono::steady_clock::time_point next_depth_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> wake_{false};
  std::mutex wake_mu_;  // guards the transport against Wake() during teardown
  bool running_ = false;
};

}  // namespace klozeo::webhooks
