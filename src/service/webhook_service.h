#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "domain/account.h"
#include "domain/webhook.h"
#include "domain/webhook_codec.h"
#include "service/webhook_outbox.h"
#include "storage/store.h"

namespace klozeo::service {

// ---- the delivery rules the dispatcher (webhooks/) applies ----

/// The delay after failed attempt `attempt` (1-based) before the next, with `jitter` in [0, 1)
/// spreading it over +/-20%; nullopt when retries are exhausted (after 11 attempts). The
/// default schedule (5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h, 12 h, 24 h) is scaled by
/// base_ms / 5000.
std::optional<int64_t> RetryDelayMs(int64_t attempt, int64_t base_ms, double jitter);

/// Sets what `record.attempt` leads to: kDelivered on success, else kPending with
/// attempt.next_retry_ms (wall clock) while the schedule has a next retry, else kFailed.
void ScheduleAfterAttempt(domain::AttemptRecord& record, int64_t wall_now_ms, int64_t retry_base_ms,
                          double jitter);

/// The three-day rule: true when `hook` is active and has been failing without a success for
/// domain::kWebhookFailureWindowMs at `now_ms` (the injected clock): it is to be switched off.
bool FailingTooLong(const domain::Webhook& hook, int64_t now_ms);

/// Webhook subscriptions, their delivery logs, redelivery and test pings, for one account at a
/// time. Another account's webhook or delivery is NotFound, like a missing or malformed id.
class WebhookService {
 public:
  /// Without `allow_private`, URLs whose host is a blocked IP literal (loopback, private,
  /// link-local...) are refused at subscription time; hostnames are checked when delivering.
  WebhookService(storage::Database& db, const core::Clock& clock, WebhookOutbox& outbox,
                 bool allow_private)
      : db_(db), clock_(clock), outbox_(outbox), allow_private_(allow_private) {}

  /// Errors: BadRequest for a refused URL or when the account holds domain::kMaxWebhooks.
  core::Result<domain::Webhook> Create(const domain::Principal& who,
                                       const domain::WebhookPatch& patch);
  core::Result<domain::Webhook> Get(const domain::Principal& who, const std::string& id);
  /// Oldest first.
  core::Result<std::vector<domain::Webhook>> List(const domain::Principal& who);
  /// Partial update (url, events, secret, active). Errors: NotFound, BadRequest.
  core::Result<domain::Webhook> Update(const domain::Principal& who, const std::string& id,
                                       const domain::WebhookPatch& patch);
  /// Deletes the webhook and its delivery log. Errors: NotFound.
  core::Status Delete(const domain::Principal& who, const std::string& id);

  /// Newest first, at most `limit`, each with its attempts. Errors: NotFound.
  core::Result<std::vector<domain::WebhookDelivery>> Deliveries(const domain::Principal& who,
                                                                const std::string& id, int limit);
  /// Schedules a new attempt of a delivery now (same delivery id). Errors: NotFound.
  core::Result<domain::WebhookDelivery> Redeliver(const domain::Principal& who,
                                                  const std::string& id,
                                                  const std::string& delivery_id);
  /// Queues a `ping` event to this webhook only (even when inactive). Errors: NotFound.
  core::Result<domain::WebhookDelivery> Ping(const domain::Principal& who, const std::string& id);

  /// BadRequest when deliveries to `url`'s host are refused by the address policy (an IP
  /// literal in a blocked range), naming --webhook-allow-private.
  core::Status CheckUrl(const std::string& url) const;

 private:
  storage::Database& db_;
  const core::Clock& clock_;
  WebhookOutbox& outbox_;
  bool allow_private_;
};

}  // namespace klozeo::service
