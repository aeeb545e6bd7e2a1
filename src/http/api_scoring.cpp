// Routes for scoring rules and lead scores (API-CONTRACT sections 3, 4 and 8).
#include <cctype>
#include <nlohmann/json.hpp>

#include "domain/lead_codec.h"
#include "domain/scoring_rule_codec.h"
#include "http/api.h"
#include "http/handler_util.h"
#include "service/views.h"

namespace klozeo::http {

using core::Result;
using nlohmann::json;

void Api::AddScoringRoutes() {
  // --- scoring rules ---
  Add("GET", "/api/v1/scoring-rules", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(auto rules, scoring_.ListRules(c.principal));
    json list = json::array();
    for (const auto& rule : rules) list.push_back(domain::ScoringRuleToJson(rule));
    return Json(200, options_.sdk_compat ? json{{"rules", std::move(list)}} : list);
  });

  Add("POST", "/api/v1/scoring-rules", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(json body, ParseBody(c.request));
    KLOZEO_ASSIGN_OR_RETURN(auto patch, domain::ParseScoringRulePatch(body, true));
    KLOZEO_ASSIGN_OR_RETURN(auto rule, scoring_.CreateRule(c.principal, patch));
    return Json(201, domain::ScoringRuleToJson(rule));
  });

  // Compiles an expression without storing anything, so an editor can check it as it is typed.
  Add("POST", "/api/v1/scoring-rules/check", true, [](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(json body, ParseBody(c.request));
    if (!body.is_object() || !body.contains("expression") || !body["expression"].is_string()) {
      return core::Error::BadRequest("field 'expression' must be a string");
    }
    auto compiled = service::CompileExpression(body["expression"].get<std::string>());
    if (compiled.ok())
      return Json(200, json{{"valid", true}, {"message", nullptr}, {"column", nullptr}});
    const std::string& message = compiled.error().message;
    json column = nullptr;
    if (auto at = message.rfind("at column "); at != std::string::npos) {
      int n = 0;
      for (size_t i = at + 10;
           i < message.size() && std::isdigit(static_cast<unsigned char>(message[i])); ++i) {
        n = n * 10 + (message[i] - '0');
        column = n;
      }
    }
    return Json(200, json{{"valid", false}, {"message", message}, {"column", column}});
  });

  Add("GET", "/api/v1/scoring-rules/{id}", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(auto rule, scoring_.GetRule(c.principal, c.params.at("id")));
    return Json(200, domain::ScoringRuleToJson(rule));
  });

  Add("PUT", "/api/v1/scoring-rules/{id}", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(json body, ParseBody(c.request));
    KLOZEO_ASSIGN_OR_RETURN(auto patch, domain::ParseScoringRulePatch(body, false));
    KLOZEO_ASSIGN_OR_RETURN(auto rule, scoring_.UpdateRule(c.principal, c.params.at("id"), patch));
    return Json(200, domain::ScoringRuleToJson(rule));
  });

  Add("DELETE", "/api/v1/scoring-rules/{id}", true, [this](Context& c) -> Result<Response> {
    KLOZEO_TRY(scoring_.DeleteRule(c.principal, c.params.at("id")));
    return NoContent();
  });

  // --- scores (any request body is ignored) ---
  Add("POST", "/api/v1/leads/{id}/score", true, [this](Context& c) -> Result<Response> {
    const std::string& id = c.params.at("id");
    KLOZEO_ASSIGN_OR_RETURN(double score, scoring_.RescoreLead(c.principal, id));
    return Json(200, json{{"id", id}, {"score", score}});
  });

  Add("GET", "/api/v1/leads/{id}/score", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(auto explanation, scoring_.Explain(c.principal, c.params.at("id")));
    return Json(200, service::ScoreExplanationToJson(explanation));
  });

  Add("POST", "/api/v1/leads/score/batch", true, [this](Context& c) -> Result<Response> {
    // The contract's body lists every lead. It is streamed: each producer call runs one step
    // of the rescore (one write transaction, ScoringService::RescoreStep) and sends its part of
    // the body, so memory holds one step, and the I/O thread serves other connections between
    // steps. A failure after the first step can only cut the body short; steps already sent
    // are stored.
    struct State {
      std::string after;
      int64_t count = 0;
      bool started = false;
      bool done = false;
      service::RescoreEvent event;  // the one leads.scored event of the whole rescore
    };
    auto state = std::make_shared<State>();
    auto who = std::make_shared<domain::Principal>(c.principal);
    // The first step runs now, so a failure there is still an ordinary error response.
    std::string first_part = "{\"leads\":[";
    auto append = [state](std::string& out) {
      return [state, &out](std::string_view id, double score) {
        if (state->count > 0 || state->started) out += ',';
        state->started = true;
        // Lead ids are cl_<uuid>: nothing to escape.
        out += "{\"id\":\"";
        out += id;
        out += "\",\"score\":";
        domain::AppendScoreJson(out, score);
        out += '}';
      };
    };
    KLOZEO_ASSIGN_OR_RETURN(
        auto step, scoring_.RescoreStep(*who, &state->after, append(first_part), &state->event,
                                        service::ScoringService::StepChunks(0)));
    state->count += step.count;
    state->done = step.done;
    Response r;
    r.stream = [this, state, who, append,
                first = std::move(first_part)](std::string& out) mutable -> Result<bool> {
      if (!first.empty()) {
        out += first;
        first.clear();
      } else if (!state->done) {
        KLOZEO_ASSIGN_OR_RETURN(
            auto next, scoring_.RescoreStep(*who, &state->after, append(out), &state->event,
                                            service::ScoringService::StepChunks(state->count)));
        state->count += next.count;
        state->done = next.done;
      }
      if (!state->done) return true;
      out += "],\"count\":" + std::to_string(state->count) + "}";
      return false;
    };
    return r;
  });
}

}  // namespace klozeo::http
