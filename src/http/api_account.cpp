// The caller's own account and API keys (docs/API.md "Account and API keys"): what the web
// console's account page shows, through the public API like everything it does.
#include <limits>
#include <nlohmann/json.hpp>

#include "core/crypto.h"
#include "http/api.h"
#include "http/handler_util.h"

namespace klozeo::http {

using core::Result;
using nlohmann::json;

namespace {

/// A plan limit where 0 means "none": null in JSON.
json Limit(int64_t value) { return value > 0 ? json(value) : json(nullptr); }

json KeyToJson(const domain::ApiKey& key, bool current) {
  return json{{"id", key.id},
              {"prefix", key.prefix},
              {"created_at", key.created_at},
              {"revoked_at", key.revoked_at ? json(*key.revoked_at) : json(nullptr)},
              {"current", current}};
}

}  // namespace

void Api::AddAccountRoutes() {
  Add("GET", "/api/v1/account", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(int64_t used, accounts_.LeadsUsed(c.principal));
    const auto& limits = c.principal.limits;
    return Json(200, json{{"account_id", c.principal.account_id},
                          {"plan", c.principal.plan},
                          {"leads_used", used},
                          {"limits",
                           {{"max_leads", Limit(limits.max_leads)},
                            {"requests_per_window", Limit(limits.requests_per_window)},
                            {"window_seconds", limits.window_seconds},
                            {"max_batch", limits.max_batch}}}});
  });

  Add("GET", "/api/v1/keys", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(auto keys, accounts_.ListOwnKeys(c.principal));
    const std::string presented_hash = core::Sha256Hex(PresentedKey(c.request));
    json list = json::array();
    for (const auto& key : keys) list.push_back(KeyToJson(key, key.key_hash == presented_hash));
    return Json(200, json{{"keys", std::move(list)}, {"count", keys.size()}});
  });

  Add("POST", "/api/v1/keys", true, [this](Context& c) -> Result<Response> {
    // A replayable answer would keep the secret in the idempotency table: refused (the stored
    // answer is this error, which holds nothing).
    if (!c.request.Header("idempotency-key").empty()) {
      return core::Error::BadRequest(
          "POST /keys does not take an Idempotency-Key: its answer holds a secret that is never "
          "stored; list the keys (GET /keys) to see whether a retry is needed");
    }
    // No body is needed; one sent is ignored (like POST /leads/{id}/score).
    KLOZEO_ASSIGN_OR_RETURN(auto created, accounts_.CreateOwnKey(c.principal));
    json out = KeyToJson(created.key, false);
    out["key"] = created.secret;
    out["message"] = "store this key now: it is not shown again";
    return Json(201, out);
  });

  Add("DELETE", "/api/v1/keys/{id}", true, [this](Context& c) -> Result<Response> {
    KLOZEO_TRY(accounts_.RevokeOwnKey(c.principal, c.params.at("id"), PresentedKey(c.request)));
    return NoContent();
  });
}

}  // namespace klozeo::http
