// Routes for leads, their attributes and their notes (API-CONTRACT sections 3, 5, 6 and 7).
#include <nlohmann/json.hpp>

#include "domain/lead_codec.h"
#include "http/api.h"
#include "http/handler_util.h"
#include "metrics/metrics.h"
#include "service/lead_export.h"

namespace klozeo::http {

using core::Result;
using nlohmann::json;

namespace {

Response LeadResponse(const domain::Lead& lead) {
  Response r;
  r.body.reserve(1024);
  domain::AppendLeadJson(r.body, lead);
  return r;
}

service::ListParams ListParamsOf(const Request& req) {
  service::ListParams p;
  p.filters = req.QueryAll("filter");
  p.sort_by = req.Query("sort_by");
  p.sort_order = req.Query("sort_order");
  p.limit = req.Query("limit");
  p.cursor = req.Query("cursor");
  return p;
}

}  // namespace

Result<domain::LeadPatch> Api::ParseLeadCreate(const Request& request) {
  KLOZEO_ASSIGN_OR_RETURN(json body, ParseBody(request));
  return domain::ParseLeadPatch(body, true);
}

Response Api::LeadCreatedResponse(const service::CreateOutcome& outcome) {
  metrics::DedupOutcome(outcome.dedup_tier).Increment();
  json out{{"id", outcome.lead.id}, {"created_at", outcome.lead.created_at}};
  if (outcome.duplicate) {
    out["message"] = "Duplicate detected, existing lead updated";
    out["duplicate"] = true;
    return Json(200, out);
  }
  out["message"] = "Lead created successfully";
  if (outcome.potential_duplicate_id)
    out["potential_duplicate_id"] = *outcome.potential_duplicate_id;
  return Json(201, out);
}

void Api::AddLeadRoutes() {
  // --- leads ---
  Add("GET", "/api/v1/leads", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(auto page, leads_.List(c.principal, ListParamsOf(c.request)));
    Response r;
    r.body.reserve(page.leads.size() * 1024 + 128);
    r.body = "{\"leads\":[";
    for (size_t i = 0; i < page.leads.size(); ++i) {
      if (i > 0) r.body += ",";
      domain::AppendLeadJson(r.body, page.leads[i]);
    }
    r.body += "],\"next_cursor\":";
    r.body += page.next_cursor ? Dump(json(*page.next_cursor)) : "null";
    r.body += ",\"has_more\":";
    r.body += page.next_cursor ? "true" : "false";
    r.body += ",\"count\":" + std::to_string(page.leads.size()) + "}";
    return r;
  });

  // Without an Idempotency-Key the server takes this route through HandleAsync instead.
  Add("POST", "/api/v1/leads", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(auto patch, ParseLeadCreate(c.request));
    KLOZEO_ASSIGN_OR_RETURN(auto outcome, leads_.Create(c.principal, patch));
    return LeadCreatedResponse(outcome);
  });

  Add("GET", "/api/v1/leads/export", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(auto format, service::ParseExportFormat(c.request.Query("format")));
    service::ExportOptions options;
    options.format = format;
    auto neutralize = c.request.Query("neutralize_formulas");
    if (neutralize && (*neutralize == "false" || *neutralize == "0")) {
      options.neutralize_formulas = false;
    }
    KLOZEO_ASSIGN_OR_RETURN(auto stream, service::OpenExport(leads_, db_, c.principal,
                                                             ListParamsOf(c.request), options));
    Response r;
    r.content_type = std::string(service::ExportContentType(format));
    r.SetHeader("Content-Disposition", "attachment; filename=\"leads." +
                                           std::string(service::ExportExtension(format)) + "\"");
    std::shared_ptr<service::ExportStream> shared(std::move(stream));
    r.stream = [shared](std::string& out) { return shared->Next(out); };
    return r;
  });

  Add("GET", "/api/v1/leads/{id}", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(auto lead, leads_.Get(c.principal, c.params.at("id")));
    return LeadResponse(lead);
  });

  Add("PUT", "/api/v1/leads/{id}", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(json body, ParseBody(c.request));
    KLOZEO_ASSIGN_OR_RETURN(auto patch, domain::ParseLeadPatch(body, false));
    KLOZEO_ASSIGN_OR_RETURN(auto lead, leads_.Update(c.principal, c.params.at("id"), patch));
    return LeadResponse(lead);
  });

  Add("DELETE", "/api/v1/leads/{id}", true, [this](Context& c) -> Result<Response> {
    KLOZEO_TRY(leads_.Delete(c.principal, c.params.at("id")));
    return NoContent();
  });

  // --- attributes ---
  Add("GET", "/api/v1/leads/{id}/attributes", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(auto attrs, leads_.ListAttributes(c.principal, c.params.at("id")));
    json list = json::array();
    for (const auto& a : attrs) list.push_back(domain::AttributeToJson(a));
    return Json(200, options_.sdk_compat ? json{{"attributes", std::move(list)}} : list);
  });

  Add("POST", "/api/v1/leads/{id}/attributes", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(json body, ParseBody(c.request));
    KLOZEO_ASSIGN_OR_RETURN(auto attr, domain::ParseAttribute(body));
    KLOZEO_ASSIGN_OR_RETURN(auto stored, leads_.PutAttribute(c.principal, c.params.at("id"), attr));
    return Json(201, domain::AttributeToJson(stored));
  });

  Add("PUT", "/api/v1/leads/{id}/attributes/{attr_id}", true,
      [this](Context& c) -> Result<Response> {
        KLOZEO_ASSIGN_OR_RETURN(json body, ParseBody(c.request));
        // `{"value": X}` is the wrapper; anything else is the bare value (a Python client sends
        // it).
        json value =
            (body.is_object() && body.size() == 1 && body.contains("value")) ? body["value"] : body;
        KLOZEO_ASSIGN_OR_RETURN(auto stored,
                                leads_.UpdateAttributeValue(c.principal, c.params.at("id"),
                                                            c.params.at("attr_id"), value));
        return Json(200, domain::AttributeToJson(stored));
      });

  Add("DELETE", "/api/v1/leads/{id}/attributes/{attr_id}", true,
      [this](Context& c) -> Result<Response> {
        KLOZEO_TRY(leads_.DeleteAttribute(c.principal, c.params.at("id"), c.params.at("attr_id")));
        return NoContent();
      });

  // --- notes ---
  Add("GET", "/api/v1/leads/{id}/notes", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(auto notes, leads_.ListNotes(c.principal, c.params.at("id")));
    json list = json::array();
    for (const auto& n : notes) list.push_back(domain::NoteToJson(n));
    return Json(200, options_.sdk_compat ? json{{"notes", std::move(list)}} : list);
  });

  Add("POST", "/api/v1/leads/{id}/notes", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(json body, ParseBody(c.request));
    KLOZEO_ASSIGN_OR_RETURN(std::string content, domain::ParseNoteContent(body));
    KLOZEO_ASSIGN_OR_RETURN(auto note, leads_.CreateNote(c.principal, c.params.at("id"), content));
    return Json(201, domain::NoteToJson(note));
  });

  Add("PUT", "/api/v1/notes/{note_id}", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(json body, ParseBody(c.request));
    KLOZEO_ASSIGN_OR_RETURN(std::string content, domain::ParseNoteContent(body));
    KLOZEO_ASSIGN_OR_RETURN(auto note,
                            leads_.UpdateNote(c.principal, c.params.at("note_id"), content));
    return Json(200, domain::NoteToJson(note));
  });

  Add("DELETE", "/api/v1/notes/{note_id}", true, [this](Context& c) -> Result<Response> {
    KLOZEO_TRY(leads_.DeleteNote(c.principal, c.params.at("note_id")));
    return NoContent();
  });
}

}  // namespace klozeo::http
