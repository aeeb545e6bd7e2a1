#include "app/wiring.h"

#include <charconv>
#include <thread>

#include "dedup/phone.h"
#include "storage/postgres/postgres_store.h"
#include "storage/sqlite/sqlite_store.h"

namespace klozeo::app {

using core::Error;
using core::Result;

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

Result<std::unique_ptr<storage::Database>> OpenDatabase(const std::string& url, int pool_size,
                                                        const std::string& phone_region) {
  KLOZEO_ASSIGN_OR_RETURN(auto parsed, ParseDatabaseUrl(url));
  if (parsed.kind == DatabaseUrl::Kind::kPostgres) {
    storage::postgres::Options options;
    options.conninfo = parsed.location;
    options.pool_size = pool_size > 0 ? pool_size : 8;
    options.phone_region = phone_region;
    return storage::postgres::OpenDatabase(options);
  }
  if (parsed.location.empty()) return Error::BadRequest("SQLite database path is empty");
  storage::sqlite::Options options;
  options.path = parsed.location;
  options.pool_size = pool_size > 0 ? pool_size : 8;
  options.phone_region = phone_region;
  return storage::sqlite::OpenDatabase(options);
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
  KLOZEO_ASSIGN_OR_RETURN(s->db_, OpenDatabase(db_url, pool_size, dedup.phone_region));
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
  KLOZEO_ASSIGN_OR_RETURN(auto listen, ParseListen(config.listen));
  if (config.max_body_bytes < 1024)
    return Error::BadRequest("max body size must be at least 1024 bytes");
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
  auto& s = *app->services_;
  app->api_ = std::make_unique<http::Api>(api_options, s.db(), s.accounts(), s.leads(), s.scoring(),
                                          s.limiter(), s.webhooks());
  if (config.webhooks.retry_base_ms < 1 || config.webhooks.max_in_flight < 1 ||
      config.webhooks.poll_ms < 10) {
    return Error::BadRequest(
        "webhook settings: retry base and concurrency must be at least 1, poll at least 10 ms");
  }
  webhooks::DispatcherOptions dispatch;
  dispatch.allow_private = config.webhooks.allow_private;
  dispatch.retry_base_ms = config.webhooks.retry_base_ms;
  dispatch.max_in_flight = config.webhooks.max_in_flight;
  dispatch.poll_ms = config.webhooks.poll_ms;
  app->dispatcher_ = std::make_unique<webhooks::Dispatcher>(s.db(), clock, dispatch);
  webhooks::Dispatcher* dispatcher = app->dispatcher_.get();
  s.outbox().SetListener([dispatcher] { dispatcher->Wake(); });
  KLOZEO_TRY(app->dispatcher_->Start());
  http::ServerOptions server_options;
  server_options.host = listen.first;
  server_options.port = listen.second;
  server_options.threads = threads;
  server_options.max_body_bytes = config.max_body_bytes;
  http::Api* api = app->api_.get();
  app->server_ = std::make_unique<http::Server>(
      server_options, [api](http::Request& req) { return api->Handle(req); });
  KLOZEO_TRY(app->server_->Start());
  return app;
}

}  // namespace klozeo::app
