#include "service/webhook_service.h"

#include <algorithm>
#include <iterator>

#include "core/ids.h"

namespace klozeo::service {

namespace {

// The default schedule: delays after failed attempts 1..10 (5 s ... 24 h), about 47 hours in
// all, so a receiver down for up to two days receives everything.
constexpr int64_t kScheduleMs[] = {
    5'000,     30'000,     120'000,    600'000,    1'800'000,
    3'600'000, 10'800'000, 21'600'000, 43'200'000, 86'400'000,
};
constexpr int64_t kScheduleBaseMs = 5'000;

}  // namespace

std::optional<int64_t> RetryDelayMs(int64_t attempt, int64_t base_ms, double jitter) {
  constexpr int64_t kRetries = static_cast<int64_t>(std::size(kScheduleMs));
  if (attempt < 1 || attempt > kRetries) return std::nullopt;
  double delay = static_cast<double>(kScheduleMs[attempt - 1]) * static_cast<double>(base_ms) /
                 static_cast<double>(kScheduleBaseMs);
  delay *= 0.8 + 0.4 * std::clamp(jitter, 0.0, 1.0);
  return std::max<int64_t>(1, static_cast<int64_t>(delay));
}

void ScheduleAfterAttempt(domain::AttemptRecord& record, int64_t wall_now_ms, int64_t retry_base_ms,
                          double jitter) {
  if (record.attempt.success) {
    record.new_state = domain::DeliveryState::kDelivered;
  } else if (auto delay = RetryDelayMs(record.attempt.attempt, retry_base_ms, jitter)) {
    record.new_state = domain::DeliveryState::kPending;
    record.attempt.next_retry_ms = wall_now_ms + *delay;
  } else {
    record.new_state = domain::DeliveryState::kFailed;
  }
}

bool FailingTooLong(const domain::Webhook& hook, int64_t now_ms) {
  return hook.active && hook.failing_since_ms &&
         now_ms - *hook.failing_since_ms >= domain::kWebhookFailureWindowMs;
}

using core::Error;
using core::Result;
using domain::Principal;
using domain::Webhook;

namespace {

Error WebhookNotFound() { return Error::NotFound("webhook not found"); }
Error DeliveryNotFound() { return Error::NotFound("delivery not found"); }

}  // namespace

core::Status WebhookService::CheckUrl(const std::string& url) const {
  KLOZEO_ASSIGN_OR_RETURN(auto parsed, domain::ParseWebhookUrl(url));
  if (allow_private_) return core::Ok();
  if (auto reason = domain::BlockedAddressReason(parsed.host)) {
    return Error::BadRequest("field 'url' points at " + parsed.host + ", a " + *reason +
                             " address: deliveries to loopback, private, link-local and "
                             "unspecified addresses are refused; start the server with "
                             "--webhook-allow-private (KLOZEO_WEBHOOK_ALLOW_PRIVATE=1) to allow "
                             "them on a self-hosted network");
  }
  // Hostnames are judged when delivering, on the address they resolve to then.
  return core::Ok();
}

Result<Webhook> WebhookService::Create(const Principal& who, const domain::WebhookPatch& patch) {
  if (!patch.url) return Error::BadRequest("field 'url' is required");
  KLOZEO_TRY(CheckUrl(*patch.url));
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_ASSIGN_OR_RETURN(int64_t count, tx->webhooks().Count(who.account_key));
  if (count >= domain::kMaxWebhooks) {
    return Error::BadRequest("an account holds at most " + std::to_string(domain::kMaxWebhooks) +
                             " webhooks; delete one first");
  }
  Webhook w;
  w.id = core::NewUuidV7();
  domain::ApplyWebhookPatch(w, patch);
  w.active = patch.active.value_or(true);
  w.created_at = w.updated_at = clock_.NowSeconds();
  KLOZEO_TRY(tx->webhooks().Insert(who.account_key, w));
  KLOZEO_TRY(tx->Commit());
  return w;
}

Result<Webhook> WebhookService::Get(const Principal& who, const std::string& id) {
  if (!core::IsUuid(id)) return WebhookNotFound();
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
  KLOZEO_ASSIGN_OR_RETURN(auto w, tx->webhooks().Get(who.account_key, id));
  if (!w) return WebhookNotFound();
  return std::move(*w);
}

Result<std::vector<Webhook>> WebhookService::List(const Principal& who) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
  return tx->webhooks().List(who.account_key);
}

Result<Webhook> WebhookService::Update(const Principal& who, const std::string& id,
                                       const domain::WebhookPatch& patch) {
  if (!core::IsUuid(id)) return WebhookNotFound();
  if (patch.url) KLOZEO_TRY(CheckUrl(*patch.url));
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_ASSIGN_OR_RETURN(auto stored, tx->webhooks().Get(who.account_key, id));
  if (!stored) return WebhookNotFound();
  Webhook w = std::move(*stored);
  if (domain::ApplyWebhookPatch(w, patch)) {
    w.updated_at = clock_.NowSeconds();
    KLOZEO_TRY(tx->webhooks().Update(who.account_key, w));
    KLOZEO_TRY(tx->Commit());
    // Reactivated: its pending deliveries may be due.
    outbox_.Notify(w.active);
  }
  return w;
}

core::Status WebhookService::Delete(const Principal& who, const std::string& id) {
  if (!core::IsUuid(id)) return WebhookNotFound();
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_ASSIGN_OR_RETURN(bool deleted, tx->webhooks().Delete(who.account_key, id));
  if (!deleted) return WebhookNotFound();
  return tx->Commit();
}

Result<std::vector<domain::WebhookDelivery>> WebhookService::Deliveries(const Principal& who,
                                                                        const std::string& id,
                                                                        int limit) {
  if (!core::IsUuid(id)) return WebhookNotFound();
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
  KLOZEO_ASSIGN_OR_RETURN(auto w, tx->webhooks().Get(who.account_key, id));
  if (!w) return WebhookNotFound();
  return tx->webhooks().ListDeliveries(who.account_key, id, limit);
}

Result<domain::WebhookDelivery> WebhookService::Redeliver(const Principal& who,
                                                          const std::string& id,
                                                          const std::string& delivery_id) {
  if (!core::IsUuid(id)) return WebhookNotFound();
  if (!core::IsUuid(delivery_id)) return DeliveryNotFound();
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_ASSIGN_OR_RETURN(auto w, tx->webhooks().Get(who.account_key, id));
  if (!w) return WebhookNotFound();
  KLOZEO_ASSIGN_OR_RETURN(bool found,
                          tx->webhooks().Redeliver(who.account_key, id, delivery_id, WallMillis()));
  if (!found) return DeliveryNotFound();
  KLOZEO_ASSIGN_OR_RETURN(auto d, tx->webhooks().GetDelivery(who.account_key, id, delivery_id));
  KLOZEO_TRY(tx->Commit());
  outbox_.Notify();
  if (!d) return DeliveryNotFound();
  return std::move(*d);
}

Result<domain::WebhookDelivery> WebhookService::Ping(const Principal& who, const std::string& id) {
  if (!core::IsUuid(id)) return WebhookNotFound();
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_ASSIGN_OR_RETURN(auto w, tx->webhooks().Get(who.account_key, id));
  if (!w) return WebhookNotFound();
  nlohmann::json data{{"webhook_id", w->id}, {"message", "Test event from klozeo"}};
  domain::WebhookEvent event{core::NewUuidV7(), who.account_key, std::string(domain::kPingEvent),
                             outbox_.Body(domain::kPingEvent, data.dump()), clock_.NowMillis()};
  KLOZEO_ASSIGN_OR_RETURN(std::string delivery_id,
                          tx->webhooks().EnqueueDelivery(event, id, WallMillis()));
  KLOZEO_ASSIGN_OR_RETURN(auto d, tx->webhooks().GetDelivery(who.account_key, id, delivery_id));
  KLOZEO_TRY(tx->Commit());
  outbox_.Notify();
  if (!d) return DeliveryNotFound();
  return std::move(*d);
}

}  // namespace klozeo::service
