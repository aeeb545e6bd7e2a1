// Dedup review routes (issue 15, docs/DEDUP.md): a lead's likely duplicates, explicit merges,
// dismissed pairs and the merge history.
#include <nlohmann/json.hpp>

#include "domain/lead_codec.h"
#include "http/api.h"
#include "http/handler_util.h"

namespace klozeo::http {

using core::Error;
using core::Result;
using nlohmann::json;

namespace {

// The body must be an object holding only `allowed` keys. Errors: BadRequest naming the problem.
core::Status CheckObject(const json& body, std::initializer_list<std::string_view> allowed) {
  if (!body.is_object()) return Error::BadRequest("the body must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return Error::BadRequest("unknown field '" + key + "'");
    }
  }
  return core::Ok();
}

// A stored JSON text back as a value (anything unreadable as a string).
json StoredJson(const std::string& text) {
  json value = json::parse(text, nullptr, false);
  return value.is_discarded() ? json(text) : value;
}

}  // namespace

void Api::AddDedupRoutes() {
  Add("GET", "/api/v1/leads/{id}/duplicates", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(auto found, leads_.Duplicates(c.principal, c.params.at("id")));
    Response r;
    r.body = "{\"lead_id\":" + Dump(json(c.params.at("id"))) + ",\"duplicates\":[";
    for (size_t i = 0; i < found.size(); ++i) {
      const auto& d = found[i];
      if (i > 0) r.body += ",";
      json head{{"id", d.lead.id},
                {"tier", d.tier},
                {"similarity", std::round(d.similarity * 1000.0) / 1000.0},
                {"agreeing", d.agreeing}};
      std::string text = Dump(head);
      text.pop_back();
      r.body += text + ",\"lead\":";
      domain::AppendLeadJson(r.body, d.lead);
      r.body += "}";
    }
    r.body += "],\"count\":" + std::to_string(found.size()) + "}";
    return r;
  });

  Add("POST", "/api/v1/leads/{id}/merge", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(json body, ParseBody(c.request));
    KLOZEO_TRY(CheckObject(body, {"from", "prefer"}));
    if (!body.contains("from") || !body["from"].is_array()) {
      return Error::BadRequest("'from' must be an array of lead ids");
    }
    std::vector<std::string> from;
    for (const auto& id : body["from"]) {
      if (!id.is_string()) return Error::BadRequest("'from' must hold lead ids (strings)");
      from.push_back(id.get<std::string>());
    }
    auto prefer = service::MergePreference::kLastTouch;
    if (body.contains("prefer")) {
      const json& p = body["prefer"];
      if (p == "target") {
        prefer = service::MergePreference::kTarget;
      } else if (p != "last_touch") {
        return Error::BadRequest("'prefer' must be \"target\" or \"last_touch\"");
      }
    }
    KLOZEO_ASSIGN_OR_RETURN(auto lead, leads_.Merge(c.principal, c.params.at("id"), from, prefer));
    Response r;
    r.body.reserve(1024);
    domain::AppendLeadJson(r.body, lead);
    return r;
  });

  Add("POST", "/api/v1/leads/{id}/not-duplicate", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(json body, ParseBody(c.request));
    KLOZEO_TRY(CheckObject(body, {"of"}));
    if (!body.contains("of") || !body["of"].is_string()) {
      return Error::BadRequest("'of' must be a lead id (string)");
    }
    const std::string of = body["of"].get<std::string>();
    KLOZEO_TRY(leads_.NotDuplicate(c.principal, c.params.at("id"), of));
    return Json(200, json{{"lead_id", c.params.at("id")}, {"not_duplicate_of", of}});
  });

  Add("GET", "/api/v1/leads/{id}/merges", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(auto merges, leads_.Merges(c.principal, c.params.at("id")));
    json list = json::array();
    for (const auto& m : merges) {
      json changes = json::array();
      for (const auto& change : m.changes) {
        changes.push_back({{"field", change.field},
                           {"old", StoredJson(change.old_value)},
                           {"new", StoredJson(change.new_value)}});
      }
      list.push_back(
          {{"id", m.id},
           {"lead_id", m.lead_id},
           {"source_lead_id", m.source_lead_id.empty() ? json() : json(m.source_lead_id)},
           {"kind", m.kind},
           {"tier", m.tier},
           {"merged_at", m.merged_at},
           {"changes", std::move(changes)}});
    }
    const size_t count = list.size();
    return Json(200, json{{"merges", std::move(list)}, {"count", count}});
  });
}

}  // namespace klozeo::http
