#include "webhooks/dispatcher.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "core/crypto.h"
#include "metrics/metrics.h"
#include "service/webhook_outbox.h"
#include "service/webhook_service.h"

namespace klozeo::webhooks {
namespace {

using core::Result;
using domain::DeliveryJob;

// klozeo_webhook_outbox_depth is recounted at most this often (a count of the pending index).
constexpr auto kDepthInterval = std::chrono::seconds(1);

std::string DefaultWorkerId() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(getpid()) + "-" + core::RandomHex(4);
}

}  // namespace

Dispatcher::Dispatcher(storage::Database& db, const core::Clock& clock, DispatcherOptions options)
    : db_(db),
      clock_(clock),
      options_(std::move(options)),
      transport_(clock, options_.allow_private, options_.timeout_ms) {
  if (options_.worker_id.empty()) options_.worker_id = DefaultWorkerId();
}

Dispatcher::~Dispatcher() { Stop(); }

core::Status Dispatcher::Start() {
  std::lock_guard<std::mutex> lock(wake_mu_);
  if (running_) return core::Ok();
  KLOZEO_TRY(transport_.Open());
  stop_ = false;
  running_ = true;
  thread_ = std::thread([this] { Run(); });
  return core::Ok();
}

void Dispatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    if (!running_) return;
    stop_ = true;
    transport_.Wakeup();
  }
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(wake_mu_);
  transport_.Close();
  running_ = false;
}

void Dispatcher::Wake() {
  wake_ = true;
  std::lock_guard<std::mutex> lock(wake_mu_);
  if (running_) transport_.Wakeup();
}

Result<bool> Dispatcher::ClaimAndStart(int64_t wall_now_ms) {
  const int room = options_.max_in_flight - static_cast<int>(transport_.in_flight());
  if (room <= 0) return false;
  auto jobs = [&]() -> Result<std::vector<DeliveryJob>> {
    KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
    KLOZEO_ASSIGN_OR_RETURN(auto claimed,
                            tx->webhooks().ClaimDeliveries(options_.worker_id, wall_now_ms,
                                                           wall_now_ms + options_.lease_ms, room));
    if (!claimed.empty()) KLOZEO_TRY(tx->Commit());
    return claimed;
  }();
  if (!jobs.ok()) return jobs.error();
  const bool full = static_cast<int>(jobs->size()) == room;
  for (auto& job : *jobs) transport_.Start(std::move(job));
  return full;
}

Result<int> Dispatcher::Record(std::vector<AttemptOutcome>& done) {
  if (done.empty()) return 0;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto recorded = [&]() -> Result<int> {
    KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
    const int64_t wall = service::WallMillis();
    std::set<std::pair<domain::AccountKey, std::string>> failed_hooks;
    std::vector<std::string_view> outcomes;  // counted once the transaction commits
    // By account: a store that locks per account (PostgreSQL) then takes the locks of one
    // transaction in the same order in every process.
    std::vector<const AttemptOutcome*> ordered;
    for (const AttemptOutcome& o : done) ordered.push_back(&o);
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const AttemptOutcome* a, const AttemptOutcome* b) {
                       return a->job.account_key < b->job.account_key;
                     });
    for (const AttemptOutcome* op : ordered) {
      const AttemptOutcome& o = *op;
      domain::AttemptRecord r;
      r.account_key = o.job.account_key;
      r.webhook_id = o.job.webhook_id;
      r.delivery_id = o.job.delivery_id;
      r.attempt.attempt = o.job.attempts + 1;
      r.attempt.started_at_ms = o.started_clock_ms;
      r.attempt.duration_ms = o.duration_ms;
      r.attempt.status_code = o.status_code;
      r.attempt.error = o.error;
      r.attempt.success = o.success;
      service::ScheduleAfterAttempt(r, wall, options_.retry_base_ms, unit(rng_));
      KLOZEO_ASSIGN_OR_RETURN(bool held, tx->webhooks().RecordAttempt(options_.worker_id, r));
      if (held && !o.success) failed_hooks.emplace(o.job.account_key, o.job.webhook_id);
      if (held) {
        outcomes.push_back(o.success                                       ? "delivered"
                           : r.new_state == domain::DeliveryState::kFailed ? "dead"
                                                                           : "failed");
      }
    }
    for (const auto& [account, id] : failed_hooks) {
      KLOZEO_ASSIGN_OR_RETURN(auto hook, tx->webhooks().Get(account, id));
      if (!hook || !service::FailingTooLong(*hook, clock_.NowMillis())) continue;
      hook->active = false;
      hook->updated_at = clock_.NowSeconds();
      KLOZEO_TRY(tx->webhooks().Update(account, *hook));
      spdlog::warn("webhooks: webhook {} of account {} deactivated after failing for 3 days", id,
                   static_cast<int64_t>(account));
    }
    KLOZEO_TRY(tx->Commit());
    for (auto outcome : outcomes) metrics::WebhookDeliveries(outcome).Increment();
    return static_cast<int>(outcomes.size());
  }();
  if (!recorded.ok()) {
    spdlog::warn("webhooks: recording {} attempts failed: {}", done.size(),
                 recorded.error().ForLog());
  }
  done.clear();
  return recorded;
}

void Dispatcher::ReleaseInFlight() {
  if (transport_.in_flight() == 0) return;
  const int64_t now = service::WallMillis();
  std::vector<std::string> ids = transport_.Abandon();
  auto released = [&]() -> core::Status {
    KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
    for (const auto& id : ids) {
      KLOZEO_TRY(tx->webhooks().ReleaseDelivery(options_.worker_id, id, now));
    }
    return tx->Commit();
  }();
  if (!released.ok()) {
    spdlog::warn("webhooks: releasing {} claims failed (they lapse after the lease): {}",
                 ids.size(), released.error().ForLog());
  }
}

void Dispatcher::UpdateDepth() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_depth_) return;
  next_depth_ = now + kDepthInterval;
  auto depth = [&]() -> Result<int64_t> {
    KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
    return tx->webhooks().CountPending();
  }();
  if (depth.ok()) metrics::WebhookOutboxDepth().Set(static_cast<double>(*depth));
}

Result<int> Dispatcher::RunOnce(int64_t wall_now_ms) {
  if (running_) return core::Error::Internal("RunOnce while the dispatcher thread runs");
  KLOZEO_TRY(transport_.Open());
  std::vector<AttemptOutcome> done;
  auto claimed = ClaimAndStart(wall_now_ms);
  if (!claimed.ok()) return claimed.error();
  while (true) {
    transport_.Collect(done);
    if (transport_.in_flight() == 0) break;
    long timer = transport_.NextTimerMs();
    transport_.Wait(static_cast<int>(std::clamp<long>(timer < 0 ? 100 : timer, 1, 100)));
  }
  return Record(done);
}

void Dispatcher::Run() {
  const int64_t poll_ms = std::max<int64_t>(10, options_.poll_ms);
  auto next_poll = std::chrono::steady_clock::now();
  bool more_due = false;  // the last claim was full: more may be waiting
  std::vector<AttemptOutcome> done;
  while (!stop_) {
    auto now = std::chrono::steady_clock::now();
    UpdateDepth();
    if (wake_.exchange(false) || now >= next_poll || more_due) {
      next_poll = now + std::chrono::milliseconds(poll_ms);
      auto claimed = ClaimAndStart(service::WallMillis());
      if (!claimed.ok()) {
        spdlog::warn("webhooks: claiming deliveries failed: {}", claimed.error().ForLog());
      }
      more_due = claimed.ok() && *claimed;
    }
    transport_.Collect(done);
    (void)Record(done);  // a failure is logged; the claims lapse and are sent again
    if (stop_) break;
    // Sleep until a socket is ready, a wake-up, or the next poll; not at all when more work
    // is waiting and there is room for it.
    int timeout_ms = 0;
    const bool room = static_cast<int>(transport_.in_flight()) < options_.max_in_flight;
    if (!(more_due && room)) {
      auto until_poll = std::chrono::duration_cast<std::chrono::milliseconds>(
                            next_poll - std::chrono::steady_clock::now())
                            .count();
      timeout_ms = static_cast<int>(std::clamp<int64_t>(until_poll, 0, poll_ms));
      if (transport_.in_flight() > 0) {
        long curl_timeout = transport_.NextTimerMs();
        if (curl_timeout >= 0) timeout_ms = std::min(timeout_ms, static_cast<int>(curl_timeout));
      }
    }
    if (timeout_ms > 0 && !wake_.load()) transport_.Wait(timeout_ms);
  }
  // Stopping: give back what is in flight, due at once, so it is not held for a lease.
  ReleaseInFlight();
}

}  // namespace klozeo::webhooks
