#include "http/api.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>
#include <random>

#include "core/crypto.h"
#include "core/ids.h"
#include "domain/lead_codec.h"
#include "http/console.h"
#include "http/errors.h"
#include "http/handler_util.h"
#include "metrics/metrics.h"
#include "service/lead_export.h"

namespace klozeo::http {

using core::Error;
using core::Result;
using nlohmann::json;

namespace {

// Shown on plans without a request limit, so clients that read the headers never throttle.
constexpr int64_t kUnlimitedHeaderValue = 1000000000;

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

/// 16 hex characters. Request ids only need to be unique, not secret: a per-thread PRNG
/// spares the CSPRNG's lock on every request.
std::string NewRequestId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t v = rng();
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) id[static_cast<size_t>(i)] = kHex[v & 0xF];
  return id;
}

/// Accepts a caller's X-Request-Id when it is short and plain, so traces can span systems.
std::string RequestIdFor(const Request& req) {
  std::string_view given = req.Header("x-request-id");
  if (given.empty() || given.size() > 64) return NewRequestId();
  for (char c : given) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return NewRequestId();
    }
  }
  return std::string(given);
}

thread_local std::string current_request_id;

/// Sets the thread's current request id for the life of one Handle call.
class RequestIdScope {
 public:
  explicit RequestIdScope(const std::string& id) { current_request_id = id; }
  ~RequestIdScope() { current_request_id.clear(); }
  RequestIdScope(const RequestIdScope&) = delete;
  RequestIdScope& operator=(const RequestIdScope&) = delete;
};

/// Counts the request in flight for the life of one Handle call.
class InFlightScope {
 public:
  InFlightScope() { metrics::InFlightRequests().Increment(); }
  ~InFlightScope() { metrics::InFlightRequests().Decrement(); }
  InFlightScope(const InFlightScope&) = delete;
  InFlightScope& operator=(const InFlightScope&) = delete;
};

bool IsMutating(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "DELETE";
}

}  // namespace

std::string_view CurrentRequestId() { return current_request_id; }

Api::Api(ApiOptions options, storage::Database& db, service::AccountService& accounts,
         service::LeadService& leads, service::ScoringService& scoring,
         service::RateLimiter& limiter, service::WebhookService& webhooks,
         service::IdempotencyService& idempotency)
    : options_(options),
      db_(db),
      accounts_(accounts),
      leads_(leads),
      scoring_(scoring),
      limiter_(limiter),
      webhooks_(webhooks),
      idempotency_(idempotency) {
  AddRoutes();
}

void Api::Add(const char* method, const char* pattern, bool authenticated, RouteHandler handler) {
  router_.Add(method, pattern, {authenticated, std::move(handler)});
}

Response Api::Handle(Request& req) {
  const auto started = std::chrono::steady_clock::now();
  const std::string request_id = RequestIdFor(req);
  RequestIdScope request_id_scope(request_id);
  InFlightScope in_flight;
  std::string route_name = "unmatched";
  std::string account_id;
  Response response;

  // Stage 1: route.
  auto match = router_.Find(req.method, req.path);
  std::optional<Response> console;
  if (match.kind == ApiRouter::MatchKind::kNoRoute && (console = ServeConsole(req))) {
    route_name = "console";
    response = std::move(*console);
  } else if (match.kind == ApiRouter::MatchKind::kNoRoute) {
    response = ErrorResponse(
        Error::NotFound("no route for " + req.method + " " + req.path.substr(0, 200)));
  } else if (match.kind == ApiRouter::MatchKind::kWrongMethod) {
    route_name = "method_not_allowed";
    response = ErrorResponse(
        Error{core::ErrorCode::kMethodNotAllowed,
              "method " + req.method + " is not allowed here; allowed: " + match.allow});
    response.SetHeader("Allow", match.allow);
  } else {
    route_name = match.route->pattern;
    const auto& [authenticated, handler] = match.route->handler;
    domain::Principal principal;
    std::optional<Response> refused;
    service::RateDecision rate;
    // Stage 2: authenticate.
    if (authenticated) {
      auto who = accounts_.Authenticate(PresentedKey(req));
      if (!who.ok()) {
        refused = ErrorResponse(who.error());
        if (who.error().code == core::ErrorCode::kInternal) {
          spdlog::error("request_id={} authentication failed: {}", request_id, who.error().message);
        }
      } else {
        principal = std::move(*who);
        account_id = principal.account_id;
        // Stage 3: rate limit.
        rate = limiter_.Take(principal.account_id, principal.limits);
        if (!rate.allowed) {
          metrics::RateLimitRejections().Increment();
          refused = ErrorResponse(Error{core::ErrorCode::kRateLimited,
                                        "rate limit of " + std::to_string(rate.limit) +
                                            " requests exceeded; retry in " +
                                            std::to_string(rate.retry_after_seconds) + " s"});
          refused->SetHeader("Retry-After", std::to_string(rate.retry_after_seconds));
        }
      }
    }
    // Stage 4: handle (once per Idempotency-Key when the request carries one).
    auto handle = [&]() -> Response {
      Context ctx{req, match.params, principal, request_id};
      try {
        auto result = handler(ctx);
        if (result.ok()) return std::move(*result);
        if (result.error().code == core::ErrorCode::kInternal ||
            result.error().code == core::ErrorCode::kUnavailable) {
          spdlog::error("request_id={} route={} error: {}", request_id, route_name,
                        result.error().message);
        }
        return ErrorResponse(result.error());
      } catch (const std::exception& e) {
        spdlog::error("request_id={} route={} unhandled exception: {}", request_id, route_name,
                      e.what());
        return ErrorResponse(Error::Internal(e.what()));
      }
    };
    std::string_view idempotency_key = req.Header("idempotency-key");
    if (refused) {
      response = std::move(*refused);
    } else if (authenticated && !idempotency_key.empty() && IsMutating(req.method)) {
      response = HandleIdempotent(req, account_id, idempotency_key, handle);
    } else {
      response = handle();
    }
    if (authenticated && !account_id.empty()) {
      response.SetHeader("X-RateLimit-Limit",
                         std::to_string(rate.limited ? rate.limit : kUnlimitedHeaderValue));
      response.SetHeader("X-RateLimit-Remaining",
                         std::to_string(rate.limited ? rate.remaining : kUnlimitedHeaderValue));
    }
  }
  // Stage 5: respond and log.
  response.SetHeader("X-Request-Id", request_id);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  metrics::ObserveRequest(req.method, route_name, response.status, ms / 1000.0);
  spdlog::info("access method={} route={} status={} duration_ms={:.3f} request_id={} account_id={}",
               req.method, route_name, response.status, ms, request_id,
               account_id.empty() ? "-" : account_id);
  return response;
}

Response Api::HandleIdempotent(const Request& req, std::string_view account_id,
                               std::string_view key, const std::function<Response()>& handle) {
  auto decision = idempotency_.Begin(
      account_id, key, service::IdempotencyService::Fingerprint(req.method, req.target, req.body));
  if (!decision.ok()) {
    if (decision.error().code != core::ErrorCode::kBadRequest) {
      spdlog::error("request_id={} idempotency lookup failed: {}", current_request_id,
                    decision.error().message);
    }
    return ErrorResponse(decision.error());
  }
  using Kind = service::IdempotencyService::Kind;
  switch (decision->kind) {
    case Kind::kConflict:
      metrics::IdempotencyOutcome("conflict").Increment();
      return TransportError(409, "idempotency_conflict",
                            "this Idempotency-Key was already used for a different request "
                            "(method, path, query or body differ)");
    case Kind::kInProgress:
      metrics::IdempotencyOutcome("in_progress").Increment();
      return TransportError(409, "idempotency_conflict",
                            "a request with this Idempotency-Key is still being processed; "
                            "retry later");
    case Kind::kReplay: {
      metrics::IdempotencyOutcome("replayed").Increment();
      Response r;
      r.status = decision->replay.status;
      r.body = std::move(decision->replay.body);
      for (auto& [name, value] : decision->replay.headers) {
        if (name == "content-type") {
          r.content_type = std::move(value);
        } else {
          r.SetHeader(std::move(name), std::move(value));
        }
      }
      r.SetHeader("Idempotent-Replayed", "true");
      return r;
    }
    case Kind::kProceed:
      break;
  }
  metrics::IdempotencyOutcome("executed").Increment();
  Response response;
  try {
    response = handle();
  } catch (...) {
    idempotency_.Release(account_id, key);
    throw;
  }
  // Server errors are not stored (a retry should get another chance), nor are streamed bodies
  // (they are never held in memory whole; the only streamed write, score recalculation, gives
  // the same result when run again).
  if (response.status >= 500 || response.stream) {
    idempotency_.Release(account_id, key);
    return response;
  }
  service::StoredResponse stored;
  stored.status = response.status;
  stored.body = response.body;
  stored.headers.emplace_back("content-type", response.content_type);
  for (const auto& h : response.headers) stored.headers.push_back(h);
  auto saved = idempotency_.Complete(account_id, key, stored);
  if (!saved.ok()) {
    spdlog::error("request_id={} could not store the idempotent response: {}", current_request_id,
                  saved.error().message);
    idempotency_.Release(account_id, key);
  }
  return response;
}

void Api::AddOperationsRoutes() {
  Add("GET", "/api/v1/openapi.json", false, [](Context&) -> Result<Response> {
    Response r;
    r.body = std::string(OpenApiDocument());
    return r;
  });
  if (options_.serve_metrics) {
    Add("GET", "/metrics", false, [](Context&) -> Result<Response> {
      Response r;
      r.content_type = std::string(metrics::kContentType);
      r.body = metrics::Registry::Global().Serialize();
      return r;
    });
  }
}

void Api::AddRoutes() {
  // --- health (no key) ---
  Add("GET", "/healthz", false, [this](Context&) -> Result<Response> {
    auto ping = db_.Ping();
    if (!ping.ok()) {
      spdlog::error("healthz: database unreachable: {}", ping.error().message);
      return Json(503, json{{"status", "unavailable"}, {"database", db_.Dialect()}});
    }
    return Json(200, json{{"status", "ok"}, {"database", db_.Dialect()}});
  });

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

  Add("POST", "/api/v1/leads", true, [this](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(json body, ParseBody(c.request));
    KLOZEO_ASSIGN_OR_RETURN(auto patch, domain::ParseLeadPatch(body, true));
    KLOZEO_ASSIGN_OR_RETURN(auto outcome, leads_.Create(c.principal, patch));
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

  AddScoringRoutes();
  AddBatchRoutes();
  AddWebhookRoutes();
  AddAccountRoutes();
  AddOperationsRoutes();
}

}  // namespace klozeo::http
