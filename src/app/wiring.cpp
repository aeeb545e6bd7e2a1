#include "app/wiring.h"

#include <charconv>
#include <thread>

#include "core/strings.h"
#include "dedup/phone.h"
#include "http/errors.h"
#include "service/dedup_backfill.h"
#include "storage/postgres/postgres_store.h"
#include "storage/sqlite/sqlite_store.h"

namespace klozeo::app {

using core::Error;
using core::Result;

/// Write threads on SQLite: up to this many writes can queue for the writer and share a commit.
constexpr int kSqliteWriteThreads = 32;

Result<DatabaseUrl> ParseDatabaseUrl(const std::string& url) {
  if (url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0) {
    return DatabaseUrl{DatabaseUrl::Kind::kPostgres, url};
  }
  if (url.rfind("sqlite://", 0) == 0) return DatabaseUrl{DatabaseUrl::Kind::kSqlite, url.substr(9)};
  if (url.rfind("sqlite:", 0) == 0) return DatabaseUrl{DatabaseUrl::Kind::kSqlite, url.substr(7)};
  if (url.find("://") != std::string::npos) {
    return Error::BadRequest("unsupported database URL '" + url +
                             "': use sqlite:PATH, a file path, or postgres://...");
  }
  if (url.empty()) return Error::BadRequest("database URL is empty");
  return DatabaseUrl{DatabaseUrl::Kind::kSqlite, url};
}

Result<std::unique_ptr<storage::Database>> OpenDatabase(const std::string& url, int pool_size) {
  KLOZEO_ASSIGN_OR_RETURN(auto parsed, ParseDatabaseUrl(url));
  std::unique_ptr<storage::Database> db;
  if (parsed.kind == DatabaseUrl::Kind::kPostgres) {
    storage::postgres::Options options;
    options.conninfo = parsed.location;
    options.pool_size = pool_size > 0 ? pool_size : 8;
    KLOZEO_ASSIGN_OR_RETURN(db, storage::postgres::OpenDatabase(options));
  } else {
    if (parsed.location.empty()) return Error::BadRequest("SQLite database path is empty");
    storage::sqlite::Options options;
    options.path = parsed.location;
    options.pool_size = pool_size > 0 ? pool_size : 8;
    KLOZEO_ASSIGN_OR_RETURN(db, storage::sqlite::OpenDatabase(options));
  }
  // What an upgrade left of dedup's backfill, before anything is served.
  KLOZEO_TRY(service::ResumeDedupBackfill(*db));
  return db;
}

Result<std::unique_ptr<Services>> Services::Open(const std::string& db_url, int pool_size,
                                                 const std::vector<std::string>& plan_overrides,
                                                 const core::Clock& clock, int64_t auth_cache_ms,
                                                 const service::DedupOptions& dedup,
                                                 bool webhook_allow_private) {
  if (!dedup::PhoneNormalizer::IsSupportedRegion(dedup.phone_region)) {
    return Error::BadRequest("unknown phone region '" + dedup.phone_region +
                             "': use an ISO 3166-1 alpha-2 code such as US or GB");
  }
  if (!(dedup.name_similarity >= 0 && dedup.name_similarity <= 1)) {
    return Error::BadRequest("name similarity threshold must be between 0 and 1");
  }
  std::unique_ptr<Services> s(new Services(clock));
  s->plans_ = service::Plans::Defaults();
  for (const auto& spec : plan_overrides) KLOZEO_TRY(s->plans_.ApplyOverride(spec));
  KLOZEO_ASSIGN_OR_RETURN(s->db_, OpenDatabase(db_url, pool_size));
  s->accounts_ =
      std::make_unique<service::AccountService>(*s->db_, clock, s->plans_, auth_cache_ms);
  s->outbox_ = std::make_unique<service::WebhookOutbox>(clock);
  s->scoring_ = std::make_unique<service::ScoringService>(*s->db_, clock, s->outbox_.get());
  s->leads_ = std::make_unique<service::LeadService>(*s->db_, clock, s->scoring_.get(), dedup,
                                                     s->outbox_.get());
  // PostgreSQL shares rate-limit counters between the processes on the database.
  s->limiter_ = std::make_unique<service::RateLimiter>(
      clock, s->db_->Dialect() == "postgres" ? s->db_.get() : nullptr);
  s->webhooks_ =
      std::make_unique<service::WebhookService>(*s->db_, clock, *s->outbox_, webhook_allow_private);
  s->idempotency_ = std::make_unique<service::IdempotencyService>(*s->db_, clock);
  s->stats_ = std::make_unique<service::StatsService>(*s->db_, clock);
  return s;
}

Result<std::pair<std::string, uint16_t>> ParseListen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return Error::BadRequest("listen address '" + listen + "' must be HOST:PORT");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  std::string port_text = listen.substr(colon + 1);
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port > 65535 ||
      host.empty()) {
    return Error::BadRequest("listen address '" + listen + "' must be HOST:PORT");
  }
  return std::make_pair(host, static_cast<uint16_t>(port));
}

Result<std::unique_ptr<ServerApp>> ServerApp::Create(const ServeConfig& config,
                                                     const core::Clock& clock,
                                                     std::optional<std::string>* printed_key) {
  KLOZEO_TRY(ValidateConfig(config));
  KLOZEO_ASSIGN_OR_RETURN(auto listen, ParseListen(config.listen));
  int threads = config.threads > 0
                    ? config.threads
                    : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  int pool = config.pool_size > 0 ? config.pool_size : threads + 2;
  std::unique_ptr<ServerApp> app(new ServerApp());
  KLOZEO_ASSIGN_OR_RETURN(app->services_, Services::Open(config.db, pool, config.plan_overrides,
                                                         clock, config.auth_cache_ms, config.dedup,
                                                         config.webhooks.allow_private));
  KLOZEO_ASSIGN_OR_RETURN(auto key, app->services_->accounts().Bootstrap(config.bootstrap_key));
  if (printed_key != nullptr) *printed_key = key;
  http::ApiOptions api_options;
  api_options.sdk_compat = config.sdk_compat;
  api_options.serve_metrics = config.metrics_listen.empty();
  auto& s = *app->services_;
  app->api_ = std::make_unique<http::Api>(api_options, s.db(), s.accounts(), s.leads(), s.scoring(),
                                          s.limiter(), s.webhooks(), s.idempotency());
  app->api_->AddStatsRoutes(s.stats());
  app->mcp_ = std::make_unique<mcp::Server>(
      mcp::ToolServices{s.db(), s.leads(), s.scoring(), s.webhooks(), s.stats()}, clock);
  std::vector<std::string> origins;
  std::string_view rest = config.mcp_allowed_origins;
  while (!rest.empty()) {
    const size_t comma = std::min(rest.find(','), rest.size());
    if (auto origin = core::Trim(rest.substr(0, comma)); !origin.empty()) {
      origins.emplace_back(origin);
    }
    rest.remove_prefix(std::min(comma + 1, rest.size()));
  }
  app->api_->AddMcpRoutes(*app->mcp_, std::move(origins));
  webhooks::DispatcherOptions dispatch;
  dispatch.allow_private = config.webhooks.allow_private;
  dispatch.retry_base_ms = config.webhooks.retry_base_ms;
  dispatch.max_in_flight = config.webhooks.max_in_flight;
  dispatch.poll_ms = config.webhooks.poll_ms;
  app->dispatcher_ = std::make_unique<webhooks::Dispatcher>(s.db(), clock, dispatch);
  webhooks::Dispatcher* dispatcher = app->dispatcher_.get();
  s.outbox().SetListener([dispatcher] { dispatcher->Wake(); });
  KLOZEO_TRY(app->dispatcher_->Start());

  // Metrics: every series exists from the start; pool usage is read at scrape time.
  metrics::RegisterServerMetrics();
  storage::Database* db = &s.db();
  auto& registry = metrics::Registry::Global();
  const std::string pool_help = "Database connections by state (in_use: handed out; idle: open).";
  app->gauges_.push_back(
      registry.AddCallbackGauge("klozeo_db_pool_connections", pool_help, {{"state", "in_use"}},
                                [db] { return static_cast<double>(db->PoolUsage().in_use); }));
  app->gauges_.push_back(
      registry.AddCallbackGauge("klozeo_db_pool_connections", pool_help, {{"state", "idle"}},
                                [db] { return static_cast<double>(db->PoolUsage().idle); }));
  app->gauges_.push_back(
      registry.AddCallbackGauge("klozeo_db_pool_size", "Most database connections the pool opens.",
                                {}, [db] { return static_cast<double>(db->PoolUsage().size); }));

  http::ServerOptions server_options;
  server_options.host = listen.first;
  server_options.port = listen.second;
  server_options.threads = threads;
  server_options.write_threads = config.write_threads != 0
                                     ? std::max(0, config.write_threads)
                                     : (s.db().Dialect() == "sqlite" ? kSqliteWriteThreads : 0);
  server_options.max_body_bytes = static_cast<size_t>(config.max_body_bytes);
  http::Api* api = app->api_.get();
  server_options.runs_on_write_threads = [api](http::Request& req) {
    return api->RunsOnWriteThreads(req);
  };
  server_options.writes_in_flight = &app->writes_in_flight_;
  server_options.async_handler = [api](http::Request& req, http::Api::Completion done) {
    return api->HandleAsync(req, done);
  };
  s.db().CountWritesIn(&app->writes_in_flight_);
  app->server_ = std::make_unique<http::Server>(
      server_options, [api](http::Request& req) { return api->Handle(req); });
  KLOZEO_TRY(app->server_->Start());

  if (!config.metrics_listen.empty()) {
    KLOZEO_ASSIGN_OR_RETURN(auto metrics_listen, ParseListen(config.metrics_listen));
    http::ServerOptions metrics_options;
    metrics_options.host = metrics_listen.first;
    metrics_options.port = metrics_listen.second;
    metrics_options.threads = 1;
    metrics_options.max_body_bytes = 1024;
    app->metrics_server_ = std::make_unique<http::Server>(metrics_options, [](http::Request& req) {
      http::Response r;
      if (req.path != "/metrics" || (req.method != "GET" && req.method != "HEAD")) {
        r = http::TransportError(404, "not_found", "only GET /metrics is served here");
        return r;
      }
      r.content_type = std::string(metrics::kContentType);
      r.body = metrics::Registry::Global().Serialize();
      return r;
    });
    KLOZEO_TRY(app->metrics_server_->Start());
    http::Server* metrics_server = app->metrics_server_.get();
    app->metrics_runner_ = std::thread([metrics_server] { metrics_server->Run(); });
  }
  return app;
}

ServerApp::~ServerApp() {
  if (metrics_runner_.joinable()) {
    metrics_server_->Stop();
    metrics_runner_.join();
  }
}

}  // namespace klozeo::app
