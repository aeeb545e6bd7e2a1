#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "domain/lead.h"
#include "storage/store.h"

namespace klozeo::service {

/// Writes webhook events into the outbox of the transaction that makes the change, so an event
/// exists exactly when its change is committed; after the commit, Notify wakes the dispatcher of
/// this process (others find the event by polling). Thread-safe.
class WebhookOutbox {
 public:
  /// `clock` stamps the payload's `timestamp`; deliveries are due at once (wall clock).
  explicit WebhookOutbox(const core::Clock& clock) : clock_(clock) {}

  /// Writes event `type` with `data_json` (a JSON text) as its data for every subscriber of the
  /// account. Returns true when a delivery was queued (then call Notify after the commit).
  core::Result<bool> Add(storage::Tx& tx, domain::AccountKey account, std::string_view type,
                         std::string_view data_json) const;
  /// As Add, with the data made by `data` only when the account has a subscriber to `type`
  /// (most creates: nothing to build on the writer's serial path).
  core::Result<bool> AddLazily(storage::Tx& tx, domain::AccountKey account, std::string_view type,
                               const std::function<std::string()>& data) const;
  /// The event body `{"event","timestamp","data"}` with the clock's time.
  std::string Body(std::string_view type, std::string_view data_json) const;

  /// Wakes the dispatcher when `queued` (some Add returned true and the Tx committed).
  void Notify(bool queued = true) const;
  /// Called by Notify; set once before serving (the dispatcher's wake-up).
  void SetListener(std::function<void()> listener) { listener_ = std::move(listener); }

  const core::Clock& clock() const { return clock_; }

  // Payloads (API-CONTRACT section 10).
  static std::string LeadData(const domain::Lead& lead);
  static std::string NoteData(const domain::Note& note);
  /// {"ids":[...],"count":N}
  static std::string IdsData(const std::vector<std::string>& ids);
  /// {"leads":[{"id","score"}],"count":N}
  static std::string ScoresData(const std::vector<std::pair<std::string, double>>& scores);

 private:
  const core::Clock& clock_;
  std::function<void()> listener_;
};

using core::WallMillis;

}  // namespace klozeo::service
