#include "app/cli.h"

#include <spdlog/spdlog.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "app/import.h"
#include "app/logging.h"
#include "app/wiring.h"
#include "core/clock.h"
#include "service/lead_export.h"

namespace klozeo::app {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitConfig = 2;

int Fail(int code, const std::string& message) {
  std::cerr << "klozeo: " << message << std::endl;
  return code;
}

int ExitCodeFor(const core::Error& e) {
  return e.code == core::ErrorCode::kBadRequest ? kExitConfig : kExitFailure;
}

std::string DefaultDb() {
  const char* env = std::getenv("KLOZEO_DB");
  return env != nullptr && *env != '\0' ? env : "sqlite:./klozeo.db";
}

int Serve(ServeConfig config) {
  if (const char* key = std::getenv("KLOZEO_BOOTSTRAP_KEY"); key != nullptr && *key != '\0') {
    config.bootstrap_key = key;
  }
  core::SystemClock clock;
  std::optional<std::string> new_key;
  auto app = ServerApp::Create(config, clock, &new_key);
  if (!app.ok()) return Fail(kExitConfig, "cannot start: " + app.error().message);
  if (new_key) {
    std::cout << "\n  No account existed, so account 'default' (plan unlimited) was created.\n"
              << "  Its API key is shown this once; keep it:\n\n"
              << "    " << *new_key << "\n\n"
              << "  Try: curl -H 'X-API-Key: " << *new_key << "' http://" << config.listen
              << "/api/v1/leads\n\n";
  }
  auto& server = (*app)->server();
  server.StopOnSignals();
  std::cout << "klozeo listening on http://" << config.listen.substr(0, config.listen.rfind(':'))
            << ":" << (*app)->port() << std::endl;
  spdlog::info("server started listen={} port={} db={}", config.listen, (*app)->port(),
               config.db.rfind("postgres", 0) == 0 ? "postgres" : config.db);
  server.Run();
  spdlog::info("server stopped");
  return 0;
}

/// `klozeo export`: streams the export to a file, with a progress line on a terminal.
int RunExport(Services& services, const std::string& account_name, const std::string& format_name,
              const service::ListParams& params, bool raw_formulas, const std::string& out_path) {
  auto principal = services.accounts().PrincipalFor(account_name);
  if (!principal.ok()) return Fail(ExitCodeFor(principal.error()), principal.error().message);
  auto format = service::ParseExportFormat(format_name);
  if (!format.ok()) return Fail(kExitConfig, format.error().message);
  service::ExportOptions options;
  options.format = *format;
  options.neutralize_formulas = !raw_formulas;
  auto stream = service::OpenExport(services.leads(), services.db(), *principal, params, options);
  if (!stream.ok()) return Fail(ExitCodeFor(stream.error()), stream.error().message);
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  if (!out) return Fail(kExitFailure, "cannot write " + out_path);
  const bool tty = isatty(STDERR_FILENO) != 0;
  std::string chunk;
  auto started = std::chrono::steady_clock::now();
  int64_t last_report = -1;
  while (true) {
    chunk.clear();
    auto more = (*stream)->Next(chunk);
    if (!more.ok()) return Fail(kExitFailure, "export failed: " + more.error().message);
    out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    int64_t done = (*stream)->leads_written();
    if (tty && done != last_report) {
      double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      std::cerr << "\rexporting: " << done << " leads, "
                << static_cast<int64_t>(static_cast<double>(done) / std::max(secs, 1e-3))
                << " leads/s" << std::flush;
      last_report = done;
    }
    if (!*more) break;
  }
  out.close();
  if (!out) return Fail(kExitFailure, "cannot write " + out_path);
  if (tty) std::cerr << "\n";
  std::cerr << "exported " << (*stream)->leads_written() << " leads to " << out_path << std::endl;
  return 0;
}

}  // namespace

int RunCli(int argc, char** argv) {
  // Logs go to stderr; stdout is for what a person or script asked for (keys, listings).
  SetUpLogging("info");
  CLI::App cli{"klozeo: a self-hostable, Klozeo-compatible lead-management server"};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", "klozeo 0.1.0");

  // serve
  ServeConfig serve_config;
  auto* serve = cli.add_subcommand("serve", "Start the HTTP API");
  serve->add_option("--listen", serve_config.listen, "HOST:PORT to listen on")
      ->envname("KLOZEO_LISTEN")
      ->capture_default_str();
  serve
      ->add_option("--db", serve_config.db,
                   "Database: sqlite:PATH, a file path, or postgres://user@host:port/db")
      ->envname("KLOZEO_DB")
      ->capture_default_str();
  serve->add_option("--threads", serve_config.threads, "I/O threads (0: one per core)")
      ->envname("KLOZEO_THREADS")
      ->check(CLI::Range(0, 256));
  serve->add_option("--pool-size", serve_config.pool_size, "Database connections (0: threads + 2)")
      ->envname("KLOZEO_POOL_SIZE")
      ->check(CLI::Range(0, 1024));
  serve
      ->add_option("--max-body-bytes", serve_config.max_body_bytes,
                   "Largest accepted request body; larger ones get 413")
      ->envname("KLOZEO_MAX_BODY_BYTES")
      ->capture_default_str();
  serve
      ->add_flag("--sdk-compat", serve_config.sdk_compat,
                 "Enveloped list responses and ISO webhook timestamps for the official SDKs")
      ->envname("KLOZEO_SDK_COMPAT");
  serve
      ->add_option("--auth-cache-ms", serve_config.auth_cache_ms,
                   "How long a verified API key is trusted before the database is asked again; "
                   "a key revoked from another process stops working within this time (0: off)")
      ->envname("KLOZEO_AUTH_CACHE_MS")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  serve
      ->add_option("--phone-region", serve_config.dedup.phone_region,
                   "Default region (ISO 3166-1 alpha-2) of phone numbers without a country code, "
                   "for duplicate detection")
      ->envname("KLOZEO_PHONE_REGION")
      ->capture_default_str();
  serve
      ->add_option("--name-similarity", serve_config.dedup.name_similarity,
                   "Duplicate detection by phone merges when the names' similarity is above this")
      ->envname("KLOZEO_NAME_SIMILARITY")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  // webhooks
  serve
      ->add_flag("--webhook-allow-private", serve_config.webhooks.allow_private,
                 "Allow webhook URLs on loopback, private, link-local and unspecified addresses "
                 "(self-hosted networks, tests); refused by default against SSRF")
      ->envname("KLOZEO_WEBHOOK_ALLOW_PRIVATE");
  serve
      ->add_option("--webhook-retry-base-ms", serve_config.webhooks.retry_base_ms,
                   "Delay before the first webhook retry; later retries scale the schedule "
                   "(5 s, 30 s, 2 min ... 24 h) with it")
      ->envname("KLOZEO_WEBHOOK_RETRY_BASE_MS")
      ->check(CLI::Range(int64_t{1}, int64_t{3600000}))
      ->capture_default_str();
  serve
      ->add_option("--webhook-concurrency", serve_config.webhooks.max_in_flight,
                   "Webhook deliveries in flight at once")
      ->envname("KLOZEO_WEBHOOK_CONCURRENCY")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  serve
      ->add_option("--webhook-poll-ms", serve_config.webhooks.poll_ms,
                   "How often the webhook outbox is polled for other processes' events and due "
                   "retries")
      ->envname("KLOZEO_WEBHOOK_POLL_MS")
      ->check(CLI::Range(int64_t{10}, int64_t{60000}))
      ->capture_default_str();
  std::string log_level = "info";
  serve->add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->envname("KLOZEO_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  serve->add_option("--plan", serve_config.plan_overrides,
                    "Override plan limits, e.g. free:leads=100,requests=100,window=600,batch=100 "
                    "(repeatable; 0 means unlimited for leads and requests)");

  // accounts
  std::string db_url = DefaultDb();
  auto* accounts = cli.add_subcommand("accounts", "Manage accounts");
  accounts->require_subcommand(1);
  std::string account_name, plan = "free";
  auto* acc_create = accounts->add_subcommand(
      "create", "Create an account and its first API key (printed as the last line)");
  acc_create->add_option("--db", db_url, "Database URL")->envname("KLOZEO_DB");
  acc_create->add_option("--name", account_name, "Account name")->required();
  acc_create->add_option("--plan", plan, "Plan: free, pro or unlimited")->capture_default_str();
  auto* acc_list = accounts->add_subcommand("list", "List accounts");
  acc_list->add_option("--db", db_url, "Database URL")->envname("KLOZEO_DB");

  // keys
  auto* keys = cli.add_subcommand("keys", "Manage API keys of an account");
  keys->require_subcommand(1);
  std::string key_id;
  auto* key_create = keys->add_subcommand("create", "Create a key (printed as the last line)");
  auto* key_list = keys->add_subcommand("list", "List keys (never the secrets)");
  auto* key_revoke = keys->add_subcommand("revoke", "Revoke a key by id");
  for (auto* sub : {key_create, key_list, key_revoke}) {
    sub->add_option("--db", db_url, "Database URL")->envname("KLOZEO_DB");
    sub->add_option("--account", account_name, "Account name")->required();
  }
  key_revoke->add_option("--key", key_id, "Key id (from keys list)")->required();

  // export
  auto* export_cmd = cli.add_subcommand("export", "Export an account's leads to a file");
  std::string export_format = "csv", export_out;
  service::ListParams export_params;
  std::string sort_by, sort_order;
  bool raw_formulas = false;
  export_cmd->add_option("--db", db_url, "Database URL")->envname("KLOZEO_DB");
  export_cmd->add_option("--account", account_name, "Account name")->required();
  export_cmd->add_option("--format", export_format, "csv, json or xlsx")
      ->check(CLI::IsMember({"csv", "json", "xlsx"}))
      ->capture_default_str();
  export_cmd->add_option("--filter", export_params.filters,
                         "Filter as in the API, e.g. and.eq.city.Paris (repeatable)");
  export_cmd->add_option("--sort-by", sort_by, "Sort field (default created_at)");
  export_cmd->add_option("--sort-order", sort_order, "ASC or DESC");
  export_cmd->add_flag("--raw-formulas", raw_formulas,
                       "CSV: keep cells starting with = + - @ as they are");
  export_cmd->add_option("-o,--output", export_out, "Output file")->required();

  // import (app/import.cpp)
  ImportOptions import_options;
  std::string import_region;
  auto* import_cmd = cli.add_subcommand("import", "Import leads from a CSV, JSON or JSONL file");
  import_cmd->add_option("--db", db_url, "Database URL")->envname("KLOZEO_DB");
  import_cmd->add_option("--account", import_options.account, "Account name")->required();
  import_cmd->add_option("file", import_options.path, "FILE.csv, FILE.json or FILE.jsonl")
      ->required();
  import_cmd->add_flag("--dedup", import_options.dedup, "Merge duplicates as POST /leads does");
  import_cmd->add_flag("--dry-run", import_options.dry_run, "Validate only, write nothing");
  import_cmd->add_option("--phone-region", import_region, "As serve --phone-region")
      ->envname("KLOZEO_PHONE_REGION");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = cli.exit(e);
    return code == 0 ? 0 : kExitConfig;
  }

  if (serve->parsed()) {
    SetUpLogging(log_level);
    return Serve(serve_config);
  }

  core::SystemClock clock;
  service::DedupOptions dedup;
  if (!import_region.empty()) dedup.phone_region = import_region;
  auto services = Services::Open(db_url, 2, {}, clock, 0, dedup);
  if (!services.ok()) return Fail(ExitCodeFor(services.error()), services.error().message);
  auto& acc = (*services)->accounts();

  if (acc_create->parsed()) {
    auto created = acc.CreateAccount(account_name, plan);
    if (!created.ok()) return Fail(ExitCodeFor(created.error()), created.error().message);
    std::cout << "account " << created->first.name << " (" << created->first.id << ") on plan "
              << created->first.plan << "\n"
              << "API key (shown once):\n"
              << created->second.secret << std::endl;
    return 0;
  }
  if (acc_list->parsed()) {
    auto list = acc.ListAccounts();
    if (!list.ok()) return Fail(kExitFailure, list.error().message);
    for (const auto& a : *list) std::cout << a.id << "\t" << a.name << "\t" << a.plan << "\n";
    return 0;
  }
  if (key_create->parsed()) {
    auto key = acc.CreateKey(account_name);
    if (!key.ok()) return Fail(kExitFailure, key.error().message);
    std::cout << "key " << key->key.id << " for account " << account_name << " (shown once):\n"
              << key->secret << std::endl;
    return 0;
  }
  if (key_list->parsed()) {
    auto list = acc.ListKeys(account_name);
    if (!list.ok()) return Fail(kExitFailure, list.error().message);
    for (const auto& k : *list) {
      std::cout << k.id << "\t" << k.prefix << "...\t" << (k.revoked_at ? "revoked" : "active")
                << "\n";
    }
    return 0;
  }
  if (import_cmd->parsed()) return RunImportCommand(**services, import_options);
  if (export_cmd->parsed()) {
    if (!sort_by.empty()) export_params.sort_by = sort_by;
    if (!sort_order.empty()) export_params.sort_order = sort_order;
    return RunExport(**services, account_name, export_format, export_params, raw_formulas,
                     export_out);
  }
  if (key_revoke->parsed()) {
    auto status = acc.RevokeKey(account_name, key_id);
    if (!status.ok()) return Fail(kExitFailure, status.error().message);
    std::cout << "revoked " << key_id << std::endl;
    return 0;
  }
  return kExitConfig;
}

}  // namespace klozeo::app
