#include "domain/webhook.h"

#include <algorithm>

namespace klozeo::domain {

bool IsWebhookEvent(std::string_view name) {
  return std::find(kWebhookEvents.begin(), kWebhookEvents.end(), name) != kWebhookEvents.end();
}

bool Webhook::Subscribes(std::string_view event) const {
  if (events.empty()) return true;
  return std::find(events.begin(), events.end(), event) != events.end();
}

std::string_view DeliveryStateName(DeliveryState state) {
  switch (state) {
    case DeliveryState::kPending:
      return "pending";
    case DeliveryState::kDelivered:
      return "delivered";
    case DeliveryState::kFailed:
      return "failed";
  }
  return "pending";
}

std::optional<DeliveryState> ParseDeliveryState(std::string_view name) {
  if (name == "pending") return DeliveryState::kPending;
  if (name == "delivered") return DeliveryState::kDelivered;
  if (name == "failed") return DeliveryState::kFailed;
  return std::nullopt;
}

}  // namespace klozeo::domain
