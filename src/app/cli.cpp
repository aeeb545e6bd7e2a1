#include "app/cli.h"

#include <spdlog/spdlog.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>

#include "app/config.h"
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

int Serve(const ServeConfig& config) {
  core::SystemClock clock;
  std::optional<std::string> new_key;
  auto app = ServerApp::Create(config, clock, &new_key);
  if (!app.ok()) return Fail(kExitConfig, "cannot start: " + app.error().message);
  const std::string base_url = "http://" + config.listen.substr(0, config.listen.rfind(':')) + ":" +
                               std::to_string((*app)->port());
  if (new_key) {
    std::cout << "\n  No account existed, so account 'default' (plan unlimited) was created.\n"
              << "  Its API key is shown this once; keep it:\n\n"
              << "    " << *new_key << "\n\n"
              << "  Console: open " << base_url << "/ and paste this key to sign in.\n"
              << "  Try: curl -H 'X-API-Key: " << *new_key << "' " << base_url
              << "/api/v1/leads\n\n";
  }
  auto& server = (*app)->server();
  server.StopOnSignals();
  std::cout << "klozeo listening on " << base_url << std::endl;
  std::cout << "console at " << base_url << "/ (sign in with an API key)" << std::endl;
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
  SetUpLogging("info", "text");
  CLI::App cli{"klozeo: a self-hostable, Klozeo-compatible lead-management server"};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", "klozeo 0.1.0");

  // serve: every setting comes from the table in config.cpp (flag, variable, TOML key).
  auto* serve = cli.add_subcommand(
      "serve",
      "Start the HTTP API. Each setting is taken from its flag, else its KLOZEO_* environment "
      "variable, else the --config file, else its default");
  std::string config_path;
  serve->add_option("--config", config_path,
                    "TOML configuration file (see packaging/klozeo.toml) [env KLOZEO_CONFIG]");
  std::map<std::string, std::string> flag_values;
  std::map<std::string, std::vector<std::string>> flag_lists;
  std::map<std::string, bool> flag_switches;
  std::vector<std::pair<std::string, CLI::Option*>> serve_options;
  for (const auto& setting : DescribeSettings()) {
    if (setting.flag == nullptr) continue;
    std::string help =
        std::string(setting.help) + " [env " + setting.env + "; config " + setting.key +
        (setting.default_text.empty() ? "" : "; default " + setting.default_text) + "]";
    CLI::Option* option = nullptr;
    if (setting.is_flag) {
      option = serve->add_flag(setting.flag, flag_switches[setting.flag], help);
    } else if (setting.repeatable) {
      option = serve->add_option(setting.flag, flag_lists[setting.flag], help)->type_name("SPEC");
    } else {
      option = serve->add_option(setting.flag, flag_values[setting.flag], help)
                   ->type_name(setting.type_name);
    }
    serve_options.emplace_back(setting.flag, option);
  }
  serve->footer(
      "Not a flag, to keep it out of the process list: KLOZEO_BOOTSTRAP_KEY (config "
      "auth.bootstrap_key) makes sure account "
      "'default' holds that key.\nCheck a configuration file with: klozeo config check FILE");

  // config
  auto* config_cmd = cli.add_subcommand("config", "Work with configuration files");
  config_cmd->require_subcommand(1);
  std::string check_path;
  auto* config_check = config_cmd->add_subcommand(
      "check",
      "Validate FILE (with the KLOZEO_* environment on top) and print the effective "
      "configuration, secrets masked; exit code 2 when invalid");
  config_check->add_option("file", check_path, "TOML configuration file")->required();

  // accounts
  // The admin commands' database: --db, else KLOZEO_DB, else database.url of --config (or
  // KLOZEO_CONFIG), else the default.
  std::string db_url, admin_config;
  auto add_db = [&](CLI::App* sub) {
    sub->add_option("--db", db_url, "Database URL (default sqlite:./klozeo.db)")
        ->envname("KLOZEO_DB");
    sub->add_option("--config", admin_config,
                    "Read the database URL from this configuration file [env KLOZEO_CONFIG]");
  };
  auto* accounts = cli.add_subcommand("accounts", "Manage accounts");
  accounts->require_subcommand(1);
  std::string account_name, plan = "free";
  auto* acc_create = accounts->add_subcommand(
      "create", "Create an account and its first API key (printed as the last line)");
  add_db(acc_create);
  acc_create->add_option("--name", account_name, "Account name")->required();
  acc_create->add_option("--plan", plan, "Plan: free, pro or unlimited")->capture_default_str();
  auto* acc_list = accounts->add_subcommand("list", "List accounts");
  add_db(acc_list);

  // keys
  auto* keys = cli.add_subcommand("keys", "Manage API keys of an account");
  keys->require_subcommand(1);
  std::string key_id;
  auto* key_create = keys->add_subcommand("create", "Create a key (printed as the last line)");
  auto* key_list = keys->add_subcommand("list", "List keys (never the secrets)");
  auto* key_revoke = keys->add_subcommand("revoke", "Revoke a key by id");
  for (auto* sub : {key_create, key_list, key_revoke}) {
    add_db(sub);
    sub->add_option("--account", account_name, "Account name")->required();
  }
  key_revoke->add_option("--key", key_id, "Key id (from keys list)")->required();

  // export
  auto* export_cmd = cli.add_subcommand("export", "Export an account's leads to a file");
  std::string export_format = "csv", export_out;
  service::ListParams export_params;
  std::string sort_by, sort_order;
  bool raw_formulas = false;
  add_db(export_cmd);
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
  add_db(import_cmd);
  import_cmd->add_option("--account", import_options.account, "Account name")->required();
  import_cmd->add_option("file", import_options.path, "FILE.csv, FILE.json or FILE.jsonl")
      ->required();
  import_cmd->add_flag("--dedup", import_options.dedup, "Merge duplicates as POST /leads does");
  import_cmd->add_flag("--dry-run", import_options.dry_run, "Validate only, write nothing");
  import_cmd->add_option("--phone-region", import_region, "As serve --phone-region")
      ->envname("KLOZEO_PHONE_REGION");
  import_cmd
      ->add_option("--batch-size", import_options.batch_size,
                   "Leads per write transaction without --dedup")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = cli.exit(e);
    return code == 0 ? 0 : kExitConfig;
  }

  if (serve->parsed() || config_check->parsed()) {
    ConfigSources sources;
    sources.env = [](const char* name) -> const char* { return std::getenv(name); };
    if (config_check->parsed()) {
      sources.file = check_path;
    } else if (!config_path.empty()) {
      sources.file = config_path;
    } else if (const char* env = std::getenv(kConfigEnv); env != nullptr && *env != '\0') {
      sources.file = env;
    }
    for (const auto& [flag, option] : serve_options) {
      if (option->count() == 0) continue;
      if (auto it = flag_switches.find(flag); it != flag_switches.end()) {
        sources.flags[flag] = it->second ? "true" : "false";
      } else if (auto list = flag_lists.find(flag); list != flag_lists.end()) {
        std::string joined;
        for (const auto& v : list->second) joined += v + "\n";
        sources.flags[flag] = joined;
      } else {
        sources.flags[flag] = flag_values[flag];
      }
    }
    auto config = ResolveConfig(sources);
    if (config.ok()) {
      if (auto valid = ValidateConfig(*config); !valid.ok()) config = valid.error();
    }
    if (!config.ok()) return Fail(kExitConfig, config.error().message);
    if (config_check->parsed()) {
      std::cout << RenderConfig(*config);
      return 0;
    }
    SetUpLogging(config->log_level, config->log_format);
    return Serve(*config);
  }

  if (db_url.empty()) {
    if (admin_config.empty()) {
      const char* env = std::getenv(kConfigEnv);
      if (env != nullptr) admin_config = env;
    }
    if (!admin_config.empty()) {
      ConfigSources sources;
      sources.file = admin_config;
      auto config = ResolveConfig(sources);
      if (!config.ok()) return Fail(kExitConfig, config.error().message);
      db_url = config->db;
    } else {
      db_url = ServeConfig().db;
    }
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
