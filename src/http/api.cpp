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

// How long /healthz reports "degraded" after the database refused a write.
constexpr int64_t kStorageFaultWindowMs = 60000;

// Shown on plans without a request limit, so clients that read the headers never throttle.
constexpr int64_t kUnlimitedHeaderValue = 1000000000;

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

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

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

// Stage 1 (request id) happens here; the later stages are the functions below, in order.
Response Api::Handle(Request& req) {
  const auto started = std::chrono::steady_clock::now();
  Exchange ex{req, RequestIdFor(req)};
  RequestIdScope request_id_scope(ex.request_id);
  InFlightScope in_flight;
  Response response = Route(ex);
  Respond(ex, response, started);
  return response;
}

Response Api::Route(Exchange& ex) {
  auto match = router_.Find(ex.request.method, ex.request.path);
  if (match.kind == ApiRouter::MatchKind::kNoRoute) {
    // The web console's files live outside the route table (no key; docs/CONSOLE.md).
    if (auto console = ServeConsole(ex.request)) {
      ex.route_name = "console";
      return std::move(*console);
    }
    return ErrorResponse(Error::NotFound("no route for " + ex.request.method + " " +
                                         ex.request.path.substr(0, 200)));
  }
  if (match.kind == ApiRouter::MatchKind::kWrongMethod) {
    ex.route_name = "method_not_allowed";
    Response response = ErrorResponse(
        Error{core::ErrorCode::kMethodNotAllowed,
              "method " + ex.request.method + " is not allowed here; allowed: " + match.allow});
    response.SetHeader("Allow", match.allow);
    return response;
  }
  ex.route_name = match.route->pattern;
  const auto& [authenticated, handler] = match.route->handler;
  if (!authenticated) return RunHandler(ex, handler, match.params);
  if (auto refused = Authenticate(ex)) return std::move(*refused);
  Response response;
  if (auto refused = RateLimit(ex)) {
    response = std::move(*refused);
  } else {
    std::string_view idempotency_key = ex.request.Header("idempotency-key");
    if (!idempotency_key.empty() && IsMutating(ex.request.method)) {
      response = HandleIdempotent(ex.request, ex.principal.account_key, idempotency_key,
                                  [&] { return RunHandler(ex, handler, match.params); });
    } else {
      response = RunHandler(ex, handler, match.params);
    }
  }
  SetRateHeaders(ex, response);
  return response;
}

void Api::SetRateHeaders(const Exchange& ex, Response& response) {
  response.SetHeader("X-RateLimit-Limit",
                     std::to_string(ex.rate.limited ? ex.rate.limit : kUnlimitedHeaderValue));
  response.SetHeader("X-RateLimit-Remaining",
                     std::to_string(ex.rate.limited ? ex.rate.remaining : kUnlimitedHeaderValue));
}

// The stages of Handle for POST /api/v1/leads, the write left to the writer's runner: Route's
// checks, the body's parse and the lead's keys here; the response made on the I/O thread once
// the create committed (Respond there too, so the access log's duration covers the commit).
bool Api::HandleAsync(Request& req, const Completion& done) {
  if (req.method != "POST" || req.path != "/api/v1/leads" ||
      !req.Header("idempotency-key").empty()) {
    return false;
  }
  const auto started = std::chrono::steady_clock::now();
  auto ex = std::make_shared<Exchange>(Exchange{req, RequestIdFor(req)});
  RequestIdScope request_id_scope(ex->request_id);
  metrics::InFlightRequests().Increment();
  ex->route_name = "/api/v1/leads";
  // `make` runs on the I/O thread; `rated`: past the rate limiter (its headers are set).
  auto answer = [this, ex, started, done](std::function<Response()> make, bool rated) {
    done([this, ex, started, make = std::move(make), rated] {
      RequestIdScope scope(ex->request_id);
      Response response;
      try {
        response = make();
      } catch (const std::exception& e) {
        spdlog::error("request_id={} route={} unhandled exception: {}", ex->request_id,
                      ex->route_name, e.what());
        response = ErrorResponse(Error::Internal(e.what()));
      }
      if (rated) SetRateHeaders(*ex, response);
      Respond(*ex, response, started);
      metrics::InFlightRequests().Decrement();
      return response;
    });
  };
  if (auto refused = Authenticate(*ex)) {
    answer([refused = std::move(*refused)] { return refused; }, false);
    return true;
  }
  if (auto refused = RateLimit(*ex)) {
    answer([refused = std::move(*refused)] { return refused; }, true);
    return true;
  }
  Result<domain::LeadPatch> patch = Error::Internal("not parsed");
  try {
    patch = ParseLeadCreate(ex->request);
  } catch (const std::exception& e) {
    patch = Error::Internal(e.what());
  }
  if (!patch.ok()) {
    Response refused = MapError(*ex, patch.error());
    answer([refused = std::move(refused)] { return refused; }, true);
    return true;
  }
  leads_.CreateAsync(
      ex->principal, std::move(*patch), [this, ex, answer](Result<service::CreateOutcome> outcome) {
        auto created = std::make_shared<Result<service::CreateOutcome>>(std::move(outcome));
        answer(
            [this, ex, created]() -> Response {
              if (!created->ok()) return MapError(*ex, created->error());
              return LeadCreatedResponse(**created);
            },
            true);
      });
  return true;
}

std::optional<Response> Api::Authenticate(Exchange& ex) {
  auto who = accounts_.Authenticate(PresentedKey(ex.request));
  if (!who.ok()) {
    if (who.error().code == core::ErrorCode::kInternal) {
      spdlog::error("request_id={} authentication failed: {}", ex.request_id, who.error().ForLog());
    }
    Response refused = ErrorResponse(who.error());
    // MCP clients look for the scheme to offer (the Streamable HTTP authorization rules).
    if (refused.status == 401 && ex.route_name == "/mcp") {
      refused.SetHeader("WWW-Authenticate", "Bearer");
    }
    return refused;
  }
  ex.principal = std::move(*who);
  ex.account_id = ex.principal.account_id;
  return std::nullopt;
}

std::optional<Response> Api::RateLimit(Exchange& ex) {
  ex.rate = limiter_.Take(ex.principal.account_key, ex.principal.limits);
  if (ex.rate.allowed) return std::nullopt;
  metrics::RateLimitRejections().Increment();
  Response refused = ErrorResponse(
      Error{core::ErrorCode::kRateLimited, "rate limit of " + std::to_string(ex.rate.limit) +
                                               " requests exceeded; retry in " +
                                               std::to_string(ex.rate.retry_after_seconds) + " s"});
  refused.SetHeader("Retry-After", std::to_string(ex.rate.retry_after_seconds));
  return refused;
}

Response Api::RunHandler(Exchange& ex, const RouteHandler& handler, const PathParams& params) {
  Context ctx{ex.request, params, ex.principal, ex.request_id};
  try {
    auto result = handler(ctx);
    if (result.ok()) return std::move(*result);
    return MapError(ex, result.error());
  } catch (const std::exception& e) {
    spdlog::error("request_id={} route={} unhandled exception: {}", ex.request_id, ex.route_name,
                  e.what());
    return ErrorResponse(Error::Internal(e.what()));
  }
}

Response Api::MapError(const Exchange& ex, const core::Error& error) {
  switch (error.code) {
    case core::ErrorCode::kStorageFull:
    case core::ErrorCode::kStorageReadOnly:
      RecordStorageFault(error.code);
      [[fallthrough]];
    case core::ErrorCode::kInternal:
    case core::ErrorCode::kUnavailable:
      spdlog::error("request_id={} route={} error: {}", ex.request_id, ex.route_name,
                    error.ForLog());
      break;
    default:
      // A refusal the client caused; the database's own words, if any, stay in the log.
      if (!error.detail.empty()) {
        spdlog::info("request_id={} route={} {}: {}", ex.request_id, ex.route_name,
                     core::ErrorCodeName(error.code), error.detail);
      }
      break;
  }
  return ErrorResponse(error);
}

void Api::RecordStorageFault(core::ErrorCode code) {
  metrics::StorageFaults(code == core::ErrorCode::kStorageFull ? "disk_full" : "read_only")
      .Increment();
  storage_fault_code_.store(static_cast<int>(code));
  storage_fault_at_ms_.store(SteadyMillis());
}

std::optional<core::ErrorCode> Api::RecentStorageFault() const {
  const int64_t at = storage_fault_at_ms_.load();
  if (at == 0 || SteadyMillis() - at > kStorageFaultWindowMs) return std::nullopt;
  return static_cast<core::ErrorCode>(storage_fault_code_.load());
}

void Api::Respond(const Exchange& ex, Response& response,
                  std::chrono::steady_clock::time_point started) {
  // A write that went through: the database takes writes again.
  if (IsMutating(ex.request.method) && response.status < 300 && !ex.account_id.empty()) {
    storage_fault_at_ms_.store(0);
  }
  response.SetHeader("X-Request-Id", ex.request_id);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  metrics::ObserveRequest(ex.request.method, ex.route_name, response.status, ms / 1000.0);
  spdlog::info("access method={} route={} status={} duration_ms={:.3f} request_id={} account_id={}",
               ex.request.method, ex.route_name, response.status, ms, ex.request_id,
               ex.account_id.empty() ? "-" : ex.account_id);
}

Response Api::HandleIdempotent(const Request& req, domain::AccountKey account, std::string_view key,
                               const std::function<Response()>& handle) {
  auto decision = idempotency_.Begin(
      account, key, service::IdempotencyService::Fingerprint(req.method, req.target, req.body));
  if (!decision.ok()) {
    if (decision.error().code != core::ErrorCode::kBadRequest) {
      spdlog::error("request_id={} idempotency lookup failed: {}", current_request_id,
                    decision.error().ForLog());
    }
    return ErrorResponse(decision.error());
  }
  using Kind = service::IdempotencyService::Kind;
  switch (decision->kind) {
    case Kind::kConflict:
      metrics::IdempotencyOutcome("conflict").Increment();
      return ErrorResponse(Error{core::ErrorCode::kIdempotencyConflict,
                                 "this Idempotency-Key was already used for a different request "
                                 "(method, path, query or body differ)"});
    case Kind::kInProgress:
      metrics::IdempotencyOutcome("in_progress").Increment();
      return ErrorResponse(Error{core::ErrorCode::kIdempotencyConflict,
                                 "a request with this Idempotency-Key is still being processed; "
                                 "retry later"});
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
    idempotency_.Release(account, key);
    throw;
  }
  // Server errors are not stored (a retry should get another chance), nor are streamed bodies
  // (they are never held in memory whole; the only streamed write, score recalculation, gives
  // the same result when run again).
  if (response.status >= 500 || response.stream) {
    idempotency_.Release(account, key);
    return response;
  }
  service::StoredResponse stored;
  stored.status = response.status;
  stored.body = response.body;
  stored.headers.emplace_back("content-type", response.content_type);
  for (const auto& h : response.headers) stored.headers.push_back(h);
  auto saved = idempotency_.Complete(account, key, stored);
  if (!saved.ok()) {
    spdlog::error("request_id={} could not store the idempotent response: {}", current_request_id,
                  saved.error().ForLog());
    idempotency_.Release(account, key);
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
      spdlog::error("healthz: database unreachable: {}", ping.error().ForLog());
      return Json(503, json{{"status", "unavailable"}, {"database", db_.Dialect()}});
    }
    // Reads work, but the database refused a write within the last minute (and none has
    // succeeded since): degraded, with the reason.
    if (auto fault = RecentStorageFault()) {
      return Json(503, json{{"status", "degraded"},
                            {"database", db_.Dialect()},
                            {"reason", core::ErrorCodeName(*fault)},
                            {"message", core::ClientMessageFor(*fault)}});
    }
    return Json(200, json{{"status", "ok"}, {"database", db_.Dialect()}});
  });

  AddLeadRoutes();
  AddDedupRoutes();
  AddScoringRoutes();
  AddBatchRoutes();
  AddWebhookRoutes();
  AddAccountRoutes();
  AddOperationsRoutes();
}

}  // namespace klozeo::http
