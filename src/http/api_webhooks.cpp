// Routes for webhooks (API-CONTRACT sections 3 and 10; docs/API.md "Webhooks").
#include <charconv>
#include <nlohmann/json.hpp>

#include "domain/webhook_codec.h"
#include "http/api.h"
#include "http/handler_util.h"
#include "service/views.h"

namespace klozeo::http {

using core::Result;
using nlohmann::json;

namespace {

constexpr int kDefaultDeliveryLimit = 50;
constexpr int kMaxDeliveryLimit = 200;

Result<int> DeliveryLimit(const Request& req) {
  auto text = req.Query("limit");
  if (!text) return kDefaultDeliveryLimit;
  int limit = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
  if (ec != std::errc() || ptr != text->data() + text->size() || limit < 1) {
    return core::Error::BadRequest("parameter 'limit' must be a positive integer");
  }
  return std::min(limit, kMaxDeliveryLimit);
}

}  // namespace

void Api::AddWebhookRoutes() {
  Add("GET", "/api/v1/webhooks", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(auto hooks, webhooks_.List(c.principal));
    json list = json::array();
    for (const auto& w : hooks) list.push_back(domain::WebhookToJson(w, options_.sdk_compat));
    return Json(200, options_.sdk_compat ? json{{"webhooks", std::move(list)}} : list);
  });

  Add("POST", "/api/v1/webhooks", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(json body, ParseBody(c.request));
    KLOZEO_ASSIGN_OR_RETURN(auto patch, domain::ParseWebhookPatch(body, true));
    KLOZEO_ASSIGN_OR_RETURN(auto w, webhooks_.Create(c.principal, patch));
    return Json(201, domain::WebhookToJson(w, options_.sdk_compat));
  });

  Add("GET", "/api/v1/webhooks/{id}", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(auto w, webhooks_.Get(c.principal, c.params.at("id")));
    return Json(200, domain::WebhookToJson(w, options_.sdk_compat));
  });

  Add("PUT", "/api/v1/webhooks/{id}", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(json body, ParseBody(c.request));
    KLOZEO_ASSIGN_OR_RETURN(auto patch, domain::ParseWebhookPatch(body, false));
    KLOZEO_ASSIGN_OR_RETURN(auto w, webhooks_.Update(c.principal, c.params.at("id"), patch));
    return Json(200, domain::WebhookToJson(w, options_.sdk_compat));
  });

  Add("DELETE", "/api/v1/webhooks/{id}", true, [this](Context& c) -> Result<Response> {
    KLOZEO_TRY(webhooks_.Delete(c.principal, c.params.at("id")));
    return NoContent();
  });

  Add("GET", "/api/v1/webhooks/{id}/deliveries", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(int limit, DeliveryLimit(c.request));
    KLOZEO_ASSIGN_OR_RETURN(auto deliveries,
                            webhooks_.Deliveries(c.principal, c.params.at("id"), limit));
    json list = json::array();
    for (const auto& d : deliveries) list.push_back(service::WebhookDeliveryToJson(d));
    const auto count = list.size();
    return Json(200, json{{"deliveries", std::move(list)}, {"count", count}});
  });

  Add("POST", "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", true,
      [this](Context& c) -> Result<Response> {
        KLOZEO_ASSIGN_OR_RETURN(auto d, webhooks_.Redeliver(c.principal, c.params.at("id"),
                                                            c.params.at("delivery_id")));
        return Json(202, service::WebhookDeliveryToJson(d));
      });

  Add("POST", "/api/v1/webhooks/{id}/test", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(auto d, webhooks_.Ping(c.principal, c.params.at("id")));
    return Json(202, service::WebhookDeliveryToJson(d));
  });
}

}  // namespace klozeo::http
