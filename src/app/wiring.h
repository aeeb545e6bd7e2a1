#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/config.h"
#include "core/clock.h"
#include "core/result.h"
#include "http/api.h"
#include "http/server.h"
#include "mcp/server.h"
#include "metrics/metrics.h"
#include "service/account_service.h"
#include "service/idempotency.h"
#include "service/lead_service.h"
#include "service/plans.h"
#include "service/rate_limiter.h"
#include "service/scoring_service.h"
#include "service/stats_service.h"
#include "service/webhook_outbox.h"
#include "service/webhook_service.h"
#include "storage/store.h"
#include "webhooks/dispatcher.h"

namespace klozeo::app {

/// Where the data lives, parsed from `--db`: `sqlite:PATH`, a bare path (SQLite), or
/// `postgres://...`.
struct DatabaseUrl {
  enum class Kind { kSqlite, kPostgres } kind = Kind::kSqlite;
  std::string location;  ///< file path or libpq connection string
};

/// Errors: BadRequest for an unsupported scheme.
core::Result<DatabaseUrl> ParseDatabaseUrl(const std::string& url);

/// Opens the database named by `url` (the only place that names concrete storage): migrated,
/// with what an upgrade left of dedup's backfill done (service::ResumeDedupBackfill).
core::Result<std::unique_ptr<storage::Database>> OpenDatabase(const std::string& url,
                                                              int pool_size);

/// The services over one database, shared by the server and the command line.
class Services {
 public:
  /// Errors: as OpenDatabase; BadRequest for a bad plan override.
  static core::Result<std::unique_ptr<Services>> Open(
      const std::string& db_url, int pool_size, const std::vector<std::string>& plan_overrides,
      const core::Clock& clock, int64_t auth_cache_ms = 0, const service::DedupOptions& dedup = {},
      bool webhook_allow_private = false);
  storage::Database& db() { return *db_; }
  const service::Plans& plans() const { return plans_; }
  service::AccountService& accounts() { return *accounts_; }
  service::LeadService& leads() { return *leads_; }
  service::ScoringService& scoring() { return *scoring_; }
  service::RateLimiter& limiter() { return *limiter_; }
  service::WebhookOutbox& outbox() { return *outbox_; }
  service::WebhookService& webhooks() { return *webhooks_; }
  service::IdempotencyService& idempotency() { return *idempotency_; }
  service::StatsService& stats() { return *stats_; }
  const core::Clock& clock() const { return clock_; }

 private:
  explicit Services(const core::Clock& clock) : clock_(clock) {}
  const core::Clock& clock_;
  std::unique_ptr<storage::Database> db_;
  service::Plans plans_;
  std::unique_ptr<service::WebhookOutbox> outbox_;  // before the services that write events
  std::unique_ptr<service::AccountService> accounts_;
  std::unique_ptr<service::ScoringService> scoring_;  // before leads_, which points at it
  std::unique_ptr<service::LeadService> leads_;
  std::unique_ptr<service::RateLimiter> limiter_;
  std::unique_ptr<service::WebhookService> webhooks_;
  std::unique_ptr<service::IdempotencyService> idempotency_;
  std::unique_ptr<service::StatsService> stats_;
};

/// A ready-to-run server: services, API and HTTP listener.
class ServerApp {
 public:
  /// Opens the database, bootstraps the default account, binds the listener.
  /// `printed_key` receives a freshly created default key, if one was made.
  static core::Result<std::unique_ptr<ServerApp>> Create(const ServeConfig& config,
                                                         const core::Clock& clock,
                                                         std::optional<std::string>* printed_key);
  ~ServerApp();
  http::Server& server() { return *server_; }
  Services& services() { return *services_; }
  /// Delivers webhooks; stopped before the services go.
  webhooks::Dispatcher& dispatcher() { return *dispatcher_; }
  const http::Api& api() const { return *api_; }
  uint16_t port() const { return server_->port(); }
  /// The port of the metrics-only listener (0 when the metrics are on the API's listener).
  uint16_t metrics_port() const { return metrics_server_ ? metrics_server_->port() : 0; }

 private:
  ServerApp() = default;
  /// Write requests on the server's write threads (first: outlives the database and server).
  std::atomic<int> writes_in_flight_{0};
  std::unique_ptr<Services> services_;
  std::unique_ptr<webhooks::Dispatcher> dispatcher_;
  std::unique_ptr<mcp::Server> mcp_;  ///< before api_, which points at it
  std::unique_ptr<http::Api> api_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<http::Server> metrics_server_;  ///< with `metrics_listen`
  std::thread metrics_runner_;
  std::vector<metrics::CallbackHandle> gauges_;  ///< pool usage of this app's database
};

/// Splits "HOST:PORT" (IPv6 as "[::1]:PORT"). Errors: BadRequest.
core::Result<std::pair<std::string, uint16_t>> ParseListen(const std::string& listen);

}  // namespace klozeo::app
