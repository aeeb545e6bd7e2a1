#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "domain/account.h"
#include "http/message.h"
#include "http/router.h"
#include "mcp/server.h"
#include "service/account_service.h"
#include "service/idempotency.h"
#include "service/lead_service.h"
#include "service/rate_limiter.h"
#include "service/scoring_service.h"
#include "service/stats_service.h"
#include "service/webhook_service.h"
#include "storage/store.h"

namespace klozeo::http {

struct ApiOptions {
  /// Envelopes for attribute/note/rule lists and ISO webhook timestamps (API-CONTRACT section 4).
  bool sdk_compat = false;
  /// Answer `GET /metrics` here (false when the metrics have their own listener).
  bool serve_metrics = true;
};

/// The request id of the request this thread is handling ("" outside one), for log lines
/// written below the HTTP layer.
std::string_view CurrentRequestId();

/// The OpenAPI 3.1 document (docs/openapi.json, embedded at build time).
std::string_view OpenApiDocument();

/// What a handler gets: the request, its path parameters and the authenticated caller.
struct Context {
  Request& request;
  const PathParams& params;
  const domain::Principal& principal;
  const std::string& request_id;
};

using RouteHandler = std::function<core::Result<Response>(Context&)>;
/// Routes carry whether they need a key, and their handler.
using ApiRouter = Router<std::pair<bool, RouteHandler>>;

/// The Klozeo REST API. `Handle` runs the named stages of every request, top to bottom:
/// request id → Route → Authenticate → RateLimit → RunHandler (HandleIdempotent around it when
/// the request carries an Idempotency-Key) → MapError → Respond (headers, metrics, access log).
class Api {
 public:
  Api(ApiOptions options, storage::Database& db, service::AccountService& accounts,
      service::LeadService& leads, service::ScoringService& scoring, service::RateLimiter& limiter,
      service::WebhookService& webhooks, service::IdempotencyService& idempotency);

  Response Handle(Request& request);

  /// The answer to a request taken by HandleAsync: called once, from any thread, with a
  /// function that makes the response (the server runs it on the connection's I/O thread).
  using Completion = std::function<void(std::function<Response()>)>;
  /// Serves `request` as Handle would, without waiting for its write to commit, when it can:
  /// POST /api/v1/leads without an Idempotency-Key (LeadService::CreateAsync; `done` is called
  /// once the write committed, or at once for a refusal). False, and nothing done, for every
  /// other request (Handle serves those). `request` must stay valid until `done` is called.
  bool HandleAsync(Request& request, const Completion& done);

  /// Whether `request` should run on the server's write threads (ServerOptions): POST, PUT,
  /// PATCH and DELETE, except a POST /mcp that only reads (a read-only tool, initialize, a
  /// listing): that one stays on the I/O thread like a REST GET. Decodes the JSON of a small
  /// POST /mcp into request.decoded_body to tell.
  bool RunsOnWriteThreads(Request& request) const;

  /// Adds GET /api/v1/stats (api_stats.cpp); `stats` must outlive the API.
  void AddStatsRoutes(service::StatsService& stats);

  /// Adds POST, GET and DELETE /mcp, the MCP Streamable HTTP transport (api_mcp.cpp), behind
  /// the same keys, rate limits and access log as the REST routes. Browser origins other than
  /// loopback ones must be in `allowed_origins` ("*" allows any). `server` must outlive the API.
  void AddMcpRoutes(mcp::Server& server, std::vector<std::string> allowed_origins);

  /// Every (method, pattern) the API serves; the OpenAPI check walks this.
  const ApiRouter& router() const { return router_; }

 private:
  /// What the stages of one request share, filled in as the request moves through them.
  struct Exchange {
    Request& request;
    std::string request_id;
    std::string route_name = "unmatched";
    std::string account_id;  ///< empty until Authenticate succeeds
    domain::Principal principal;
    service::RateDecision rate;
  };

  /// Finds the route and runs the stages that follow; a missing route is a 404, a wrong
  /// method a 405 with `Allow`.
  Response Route(Exchange& ex);
  /// Resolves the presented key to a principal; the refusal (401, or 500/503) when it fails.
  std::optional<Response> Authenticate(Exchange& ex);
  /// Takes one request from the account's budget; the 429 with Retry-After when it is spent.
  std::optional<Response> RateLimit(Exchange& ex);
  /// Runs the route's handler; its error, or an escaped exception, goes through MapError.
  Response RunHandler(Exchange& ex, const RouteHandler& handler, const PathParams& params);
  /// The one place a handler's Error becomes a response; server-side failures are logged with
  /// their detail, refused writes (disk full, read-only) counted and remembered for /healthz.
  Response MapError(const Exchange& ex, const core::Error& error);
  /// Sets X-Request-Id, records the request in the metrics and writes the access log line.
  void Respond(const Exchange& ex, Response& response,
               std::chrono::steady_clock::time_point started);

  /// POST /api/v1/leads: the lead of the request's body, and the answer to its creation
  /// (api_leads.cpp, shared by the route and HandleAsync).
  static core::Result<domain::LeadPatch> ParseLeadCreate(const Request& request);
  static Response LeadCreatedResponse(const service::CreateOutcome& outcome);
  /// Sets the X-RateLimit-* headers of an authenticated route's answer.
  static void SetRateHeaders(const Exchange& ex, Response& response);

  void AddRoutes();
  /// Leads, their attributes and notes (api_leads.cpp).
  void AddLeadRoutes();
  /// Dedup review: duplicates, merge, not-duplicate, merge history (api_dedup.cpp).
  void AddDedupRoutes();
  /// Scoring rules and lead scores (api_scoring.cpp).
  void AddScoringRoutes();
  /// POST, PUT and DELETE /leads/batch (api_batch.cpp).
  void AddBatchRoutes();
  /// Webhooks, their deliveries, redelivery and test pings (api_webhooks.cpp).
  void AddWebhookRoutes();
  /// The caller's account and its API keys: GET /account, GET/POST /keys, DELETE /keys/{id}
  /// (api_account.cpp).
  void AddAccountRoutes();
  /// GET /api/v1/openapi.json and GET /metrics (no key).
  void AddOperationsRoutes();
  /// Runs the handler of a POST, PUT or DELETE that carries an Idempotency-Key: replays a
  /// stored response, refuses a conflicting reuse, or runs `handle` once and stores its answer.
  Response HandleIdempotent(const Request& req, domain::AccountKey account, std::string_view key,
                            const std::function<Response()>& handle);
  /// `authenticated` routes run behind the key check and the rate limiter.
  void Add(const char* method, const char* pattern, bool authenticated, RouteHandler handler);

  ApiOptions options_;
  storage::Database& db_;
  service::AccountService& accounts_;
  service::LeadService& leads_;
  service::ScoringService& scoring_;
  service::RateLimiter& limiter_;
  service::WebhookService& webhooks_;
  service::IdempotencyService& idempotency_;
  mcp::Server* mcp_ = nullptr;  ///< set by AddMcpRoutes
  ApiRouter router_;

  void RecordStorageFault(core::ErrorCode code);
  /// kStorageFull or kStorageReadOnly when a write was refused in the last minute and none
  /// has gone through since.
  std::optional<core::ErrorCode> RecentStorageFault() const;
  std::atomic<int64_t> storage_fault_at_ms_{0};  ///< steady-clock ms; 0: none
  std::atomic<int> storage_fault_code_{0};
};

}  // namespace klozeo::http
