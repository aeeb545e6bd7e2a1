#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "domain/account.h"
#include "domain/webhook.h"
#include "service/scoring_service.h"

// JSON shapes and request checks shared by the REST routes (http/) and the MCP tools (mcp/), so
// both faces answer and validate alike.
namespace klozeo::service {

/// GET /leads/{id}/score: why a lead has its score.
nlohmann::json ScoreExplanationToJson(const ScoreExplanation& e);

/// One delivery of GET /webhooks/{id}/deliveries, with its attempts (times in Unix seconds).
nlohmann::json WebhookDeliveryToJson(const domain::WebhookDelivery& d);

/// The array `key` of a batch body, checked against the plan's batch size. Errors: BadRequest
/// when the body is not an object, the key is missing or not an array, empty, or too long.
core::Result<const nlohmann::json*> BatchList(const nlohmann::json& body, const char* key,
                                              const domain::Principal& who);

/// The ids of a PUT/DELETE batch; a non-string id becomes "" (which matches no lead).
std::vector<std::string> BatchIds(const nlohmann::json& list);

}  // namespace klozeo::service
