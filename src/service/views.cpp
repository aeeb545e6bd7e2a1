#include "service/views.h"

namespace klozeo::service {

using core::Error;
using core::Result;
using nlohmann::json;

namespace {

json Millis(const std::optional<int64_t>& ms) { return ms ? json(*ms / 1000) : json(nullptr); }

}  // namespace

json ScoreExplanationToJson(const ScoreExplanation& e) {
  json rules = json::array();
  for (const auto& c : e.rules) {
    rules.push_back(json{{"id", c.rule.id},
                         {"name", c.rule.name},
                         {"expression", c.rule.expression},
                         {"weight", c.rule.weight},
                         {"priority", c.rule.priority},
                         {"value", c.value ? json(*c.value) : json(nullptr)},
                         {"contribution", c.contribution},
                         {"error", c.error ? json(*c.error) : json(nullptr)}});
  }
  return json{{"id", e.lead_id},  {"score", e.score},
              {"total", e.total}, {"stored_score", e.stored_score},
              {"rules", rules},   {"evaluated_at", e.evaluated_at}};
}

json WebhookDeliveryToJson(const domain::WebhookDelivery& d) {
  json attempts = json::array();
  for (const auto& a : d.attempt_log) {
    attempts.push_back(json{{"attempt", a.attempt},
                            {"time", a.started_at_ms / 1000},
                            {"time_ms", a.started_at_ms},
                            {"status_code", a.status_code ? json(*a.status_code) : json(nullptr)},
                            {"duration_ms", a.duration_ms},
                            {"success", a.success},
                            {"error", a.error ? json(*a.error) : json(nullptr)},
                            {"next_retry_at", Millis(a.next_retry_ms)}});
  }
  const bool pending = d.state == domain::DeliveryState::kPending;
  return json{{"id", d.id},
              {"webhook_id", d.webhook_id},
              {"event_id", d.event_id},
              {"event", d.event_type},
              {"state", std::string(domain::DeliveryStateName(d.state))},
              {"attempt_count", d.attempts},
              {"next_attempt_at", pending ? Millis(d.next_attempt_ms) : json(nullptr)},
              {"created_at", d.created_at_ms / 1000},
              {"attempts", std::move(attempts)}};
}

Result<const json*> BatchList(const json& body, const char* key, const domain::Principal& who) {
  if (!body.is_object()) return Error::BadRequest("request body must be a JSON object");
  auto it = body.find(key);
  if (it == body.end() || !it->is_array()) {
    return Error::BadRequest(std::string("'") + key + "' must be an array");
  }
  if (it->empty()) return Error::BadRequest(std::string("'") + key + "' must not be empty");
  if (who.limits.max_batch > 0 && static_cast<int64_t>(it->size()) > who.limits.max_batch) {
    return Error::BadRequest("at most " + std::to_string(who.limits.max_batch) + " " + key +
                             " per batch on plan '" + who.plan + "'");
  }
  return &*it;
}

std::vector<std::string> BatchIds(const json& list) {
  std::vector<std::string> ids;
  ids.reserve(list.size());
  for (const auto& id : list) ids.push_back(id.is_string() ? id.get<std::string>() : "");
  return ids;
}

}  // namespace klozeo::service
