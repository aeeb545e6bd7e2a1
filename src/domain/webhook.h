#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/account.h"

namespace klozeo::domain {

/// The events a webhook can subscribe to (API-CONTRACT section 10). `ping` is not among them:
/// it is only sent by POST /webhooks/{id}/test, to that one webhook.
inline constexpr std::array<std::string_view, 11> kWebhookEvents = {
    "lead.created",  "lead.updated",  "lead.deleted", "lead.scored",
    "note.created",  "note.updated",  "note.deleted", "leads.created",
    "leads.updated", "leads.deleted", "leads.scored",
};
inline constexpr std::string_view kPingEvent = "ping";

/// True for one of kWebhookEvents.
bool IsWebhookEvent(std::string_view name);

/// A subscription: where to POST which events. The secret is write-only over the API.
struct Webhook {
  std::string id;  ///< plain UUID
  std::string url;
  std::vector<std::string> events;    ///< empty: every event
  std::optional<std::string> secret;  ///< signs deliveries (X-Klozeo-Signature) when set
  bool active = true;
  int64_t created_at = 0;  ///< Unix seconds
  int64_t updated_at = 0;  ///< Unix seconds
  /// Unix milliseconds of the first failed attempt since the last success (none: healthy).
  /// A webhook failing for kWebhookFailureWindowMs is deactivated.
  std::optional<int64_t> failing_since_ms;
  std::optional<int64_t> last_success_ms;  ///< Unix milliseconds of the last 2xx

  /// Whether `event` is delivered to this webhook (ignores `active`).
  bool Subscribes(std::string_view event) const;
};

/// A subscription that fails without a success for this long is set inactive (3 days).
inline constexpr int64_t kWebhookFailureWindowMs = int64_t{3} * 24 * 60 * 60 * 1000;
/// The most webhooks one account may hold.
inline constexpr int64_t kMaxWebhooks = 50;

/// One event in the outbox, written in the transaction of the change that caused it.
struct WebhookEvent {
  std::string id;  ///< plain UUID
  AccountKey account_key{};
  std::string type;  ///< one of kWebhookEvents, or kPingEvent
  /// The exact bytes POSTed (and signed): {"event","timestamp","data"}. Fixed when the event is
  /// written, so every retry sends the same body.
  std::string body;
  int64_t created_at_ms = 0;
};

/// Where a delivery stands.
enum class DeliveryState {
  kPending,    ///< waiting for its (next) attempt, or being attempted
  kDelivered,  ///< a 2xx acknowledged it
  kFailed,     ///< every retry failed; no further attempt unless redelivered
};
std::string_view DeliveryStateName(DeliveryState state);
std::optional<DeliveryState> ParseDeliveryState(std::string_view name);

/// One try at delivering.
struct WebhookAttempt {
  int64_t attempt = 0;  ///< 1-based, per delivery
  int64_t started_at_ms = 0;
  int64_t duration_ms = 0;
  std::optional<int64_t> status_code;  ///< HTTP status, when the receiver answered
  std::optional<std::string> error;    ///< what went wrong (refused address, timeout, non-2xx)
  bool success = false;
  std::optional<int64_t> next_retry_ms;  ///< when the next attempt is due (none: no more)
};

/// One event to one webhook: the unit the receiver sees as X-Klozeo-Delivery (its id is stable
/// across retries and redeliveries).
struct WebhookDelivery {
  std::string id;  ///< plain UUID
  AccountKey account_key{};
  std::string webhook_id;
  std::string event_id;
  std::string event_type;
  DeliveryState state = DeliveryState::kPending;
  int64_t attempts = 0;  ///< attempts recorded so far
  std::optional<int64_t> next_attempt_ms;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  /// Filled by the listing (Tx::ListWebhookDeliveries), oldest first.
  std::vector<WebhookAttempt> attempt_log;
};

/// A delivery claimed by a dispatcher (storage::WebhookStore::ClaimDeliveries), with what sending
/// needs.
struct DeliveryJob {
  std::string delivery_id;
  AccountKey account_key{};
  std::string webhook_id;
  std::string event_id;
  std::string event_type;
  std::string url;
  std::optional<std::string> secret;
  std::string body;
  int64_t attempts = 0;  ///< attempts before this one
  int64_t created_at_ms = 0;
};

/// The outcome of one attempt, recorded by storage::WebhookStore::RecordAttempt.
struct AttemptRecord {
  AccountKey account_key{};
  std::string webhook_id;
  std::string delivery_id;
  WebhookAttempt attempt;  ///< `attempt.attempt` is the job's attempts + 1
  /// The delivery's state after this attempt: kDelivered on success, kPending with
  /// attempt.next_retry_ms when a retry is scheduled, kFailed when retries are exhausted.
  DeliveryState new_state = DeliveryState::kPending;
};

}  // namespace klozeo::domain
