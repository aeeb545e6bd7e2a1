#pragma once

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
