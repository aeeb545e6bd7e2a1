// Batch routes (API-CONTRACT section 4): POST, PUT and DELETE /leads/batch.
#include <nlohmann/json.hpp>

#include "domain/lead_codec.h"
#include "http/api.h"
#include "http/handler_util.h"
#include "service/views.h"

namespace klozeo::http {

using core::Error;
using core::Result;
using nlohmann::json;

namespace {

Response ResultsResponse(const json& ids, const std::vector<service::BatchItemResult>& results) {
  json list = json::array();
  size_t success = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    json item{{"index", i}, {"id", ids[i]}, {"success", r.success}};
    if (r.success) {
      ++success;
    } else {
      item["message"] = ids[i].is_string() ? r.message : "id must be a string";
    }
    list.push_back(std::move(item));
  }
  return Json(200, json{{"results", std::move(list)},
                        {"total", results.size()},
                        {"success", success},
                        {"failed", results.size() - success}});
}

}  // namespace

void Api::AddBatchRoutes() {
  Add("POST", "/api/v1/leads/batch", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(json body, ParseBody(c.request));
    KLOZEO_ASSIGN_OR_RETURN(const json* list, service::BatchList(body, "leads", c.principal));
    std::vector<Result<domain::LeadPatch>> items;
    items.reserve(list->size());
    for (const auto& item : *list) items.push_back(domain::ParseLeadPatch(item, true));
    KLOZEO_ASSIGN_OR_RETURN(auto outcome, leads_.CreateBatch(c.principal, items));
    const size_t success = outcome.created.size();
    const size_t failed = outcome.errors.size();
    // Written directly (as Dump would: the same keys in the same order): a lead id is cl_ and a
    // UUID, nothing to escape; error messages go through the JSON library.
    Response r;
    r.status = failed == 0 ? 201 : 207;
    r.body.reserve(32 + success * 80);
    r.body = "{\"created\":[";
    for (size_t k = 0; k < success; ++k) {
      const auto& [index, lead] = outcome.created[k];
      if (k > 0) r.body += ',';
      r.body += "{\"created_at\":";
      r.body += std::to_string(lead.created_at);
      r.body += ",\"id\":\"";
      r.body += lead.id;
      r.body += "\",\"index\":";
      r.body += std::to_string(index);
      r.body += '}';
    }
    r.body += "],\"errors\":[";
    for (size_t k = 0; k < failed; ++k) {
      const auto& [index, message] = outcome.errors[k];
      if (k > 0) r.body += ',';
      r.body += Dump(json{{"index", index}, {"message", message}});
    }
    r.body += "],\"failed\":" + std::to_string(failed) + ",\"success\":" + std::to_string(success) +
              ",\"total\":" + std::to_string(items.size()) + "}";
    return r;
  });

  Add("PUT", "/api/v1/leads/batch", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(json body, ParseBody(c.request));
    KLOZEO_ASSIGN_OR_RETURN(const json* ids, service::BatchList(body, "ids", c.principal));
    auto data = body.find("data");
    if (data == body.end() || !data->is_object()) {
      return Error::BadRequest("'data' must be a JSON object");
    }
    KLOZEO_ASSIGN_OR_RETURN(auto patch, domain::ParseLeadPatch(*data, false));
    KLOZEO_ASSIGN_OR_RETURN(auto results,
                            leads_.UpdateBatch(c.principal, service::BatchIds(*ids), patch));
    return ResultsResponse(*ids, results);
  });

  Add("DELETE", "/api/v1/leads/batch", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(json body, ParseBody(c.request));
    KLOZEO_ASSIGN_OR_RETURN(const json* ids, service::BatchList(body, "ids", c.principal));
    KLOZEO_ASSIGN_OR_RETURN(auto results, leads_.DeleteBatch(c.principal, service::BatchIds(*ids)));
    return ResultsResponse(*ids, results);
  });
}

}  // namespace klozeo::http
