#include "app/cli.h"
#include "app/cli_mcp.h"

#include <spdlog/spdlog.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <vector>

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

/// `http://HOST:PORT/` for a person to open or paste: the bound port, and a loopback address
/// when the server listens on every interface.
std::string BaseUrl(const std::string& listen, uint16_t port) {
  std::string host = listen.substr(0, listen.rfind(':'));
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "[::]" || host == "::") host = "[::1]";
  return "http://" + host + ":" + std::to_string(port) + "/";
}

int Serve(const ServeConfig& config) {
  core::SystemClock clock;
  std::optional<std::string> new_key;
  auto app = ServerApp::Create(config, clock, &new_key);
  if (!app.ok()) return Fail(kExitConfig, "cannot start: " + app.error().ForLog());
  auto& server = (*app)->server();
  server.StopOnSignals();
  const std::string base_url = BaseUrl(config.listen, (*app)->port());
  if (new_key) {
    std::cout << "\n  No account existed, so account 'default' (plan unlimited) was created.\n"
              << "  Its API key is shown this once; keep it:\n\n"
              << "    " << *new_key << "\n\n"
              << "  Console: " << base_url << "\n"
              << "           (open it and paste the key above to sign in)\n"
              << "  API:     " << base_url << "api/v1/\n"
              << "  Try:     curl -H 'X-API-Key: " << *new_key << "' " << base_url
              << "api/v1/leads\n\n";
  }
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
  if (!principal.ok()) return Fail(ExitCodeFor(principal.error()), principal.error().ForLog());
  auto format = service::ParseExportFormat(format_name);
  if (!format.ok()) return Fail(kExitConfig, format.error().ForLog());
  service::ExportOptions options;
  options.format = *format;
  options.neutralize_formulas = !raw_formulas;
  auto stream = service::OpenExport(services.leads(), services.db(), *principal, params, options);
  if (!stream.ok()) return Fail(ExitCodeFor(stream.error()), stream.error().ForLog());
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  if (!out) return Fail(kExitFailure, "cannot write " + out_path);
  const bool tty = isatty(STDERR_FILENO) != 0;
  std::string chunk;
  auto started = std::chrono::steady_clock::now();
  int64_t last_report = -1;
  while (true) {
    chunk.clear();
    auto more = (*stream)->Next(chunk);
    if (!more.ok()) return Fail(kExitFailure, "export failed: " + more.error().ForLog());
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

/// A subcommand once registered: its CLI11 node and what runs when it was chosen.
struct Command {
  CLI::App* app;
  std::function<int()> run;
};

/// The admin commands' database: --db, else KLOZEO_DB, else database.url of --config (or
/// KLOZEO_CONFIG), else the default.
struct AdminDatabase {
  std::string url;
  std::string config;
};

void AddDatabaseOptions(CLI::App* sub, AdminDatabase& db) {
  sub->add_option("--db", db.url, "Database URL (default sqlite:./klozeo.db)")
      ->envname("KLOZEO_DB");
  sub->add_option("--config", db.config,
                  "Read the database URL from this configuration file [env KLOZEO_CONFIG]");
}

core::Result<std::string> DatabaseUrlOf(const AdminDatabase& db) {
  if (!db.url.empty()) return db.url;
  std::string config_path = db.config;
  if (config_path.empty()) {
    if (const char* env = std::getenv(kConfigEnv); env != nullptr) config_path = env;
  }
  if (config_path.empty()) return ServeConfig().db;
  ConfigSources sources;
  sources.file = config_path;
  KLOZEO_ASSIGN_OR_RETURN(auto config, ResolveConfig(sources));
  return config.db;
}

/// Opens the services an admin command works on and runs `body` with them.
int WithServices(const AdminDatabase& db, const service::DedupOptions& dedup,
                 const std::function<int(Services&)>& body) {
  auto url = DatabaseUrlOf(db);
  if (!url.ok()) return Fail(kExitConfig, url.error().ForLog());
  core::SystemClock clock;
  auto services = Services::Open(*url, 2, {}, clock, 0, dedup);
  if (!services.ok()) return Fail(ExitCodeFor(services.error()), services.error().ForLog());
  return body(**services);
}

int WithServices(const AdminDatabase& db, const std::function<int(Services&)>& body) {
  return WithServices(db, service::DedupOptions{}, body);
}

/// What `serve`'s flags captured, by flag name (the settings table is in config.cpp).
struct ServeFlags {
  std::string config_path;
  std::map<std::string, std::string> values;
  std::map<std::string, std::vector<std::string>> lists;
  std::map<std::string, bool> switches;
  std::vector<std::pair<std::string, CLI::Option*>> options;
};

/// The effective configuration: flags, then the environment, then `file`, then defaults.
core::Result<ServeConfig> ResolveServeConfig(const ServeFlags& flags, std::string file) {
  ConfigSources sources;
  sources.env = [](const char* name) -> const char* { return std::getenv(name); };
  if (!file.empty()) sources.file = std::move(file);
  for (const auto& [flag, option] : flags.options) {
    if (option->count() == 0) continue;
    if (auto it = flags.switches.find(flag); it != flags.switches.end()) {
      sources.flags[flag] = it->second ? "true" : "false";
    } else if (auto list = flags.lists.find(flag); list != flags.lists.end()) {
      std::string joined;
      for (const auto& v : list->second) joined += v + "\n";
      sources.flags[flag] = joined;
    } else {
      sources.flags[flag] = flags.values.at(flag);
    }
  }
  KLOZEO_ASSIGN_OR_RETURN(auto config, ResolveConfig(sources));
  KLOZEO_TRY(ValidateConfig(config));
  return config;
}

// serve: every setting comes from the table in config.cpp (flag, variable, TOML key).
Command AddServeCommand(CLI::App& cli) {
  auto flags = std::make_shared<ServeFlags>();
  auto* serve = cli.add_subcommand(
      "serve",
      "Start the HTTP API. Each setting is taken from its flag, else its KLOZEO_* environment "
      "variable, else the --config file, else its default");
  serve->add_option("--config", flags->config_path,
                    "TOML configuration file (see packaging/klozeo.toml) [env KLOZEO_CONFIG]");
  for (const auto& setting : DescribeSettings()) {
    if (setting.flag == nullptr) continue;
    std::string help =
        std::string(setting.help) + " [env " + setting.env + "; config " + setting.key +
        (setting.default_text.empty() ? "" : "; default " + setting.default_text) + "]";
    CLI::Option* option = nullptr;
    if (setting.is_flag) {
      option = serve->add_flag(setting.flag, flags->switches[setting.flag], help);
    } else if (setting.repeatable) {
      option = serve->add_option(setting.flag, flags->lists[setting.flag], help)->type_name("SPEC");
    } else {
      option = serve->add_option(setting.flag, flags->values[setting.flag], help)
                   ->type_name(setting.type_name);
    }
    flags->options.emplace_back(setting.flag, option);
  }
  serve->footer(
      "Not a flag, to keep it out of the process list: KLOZEO_BOOTSTRAP_KEY (config "
      "auth.bootstrap_key) makes sure account "
      "'default' holds that key.\nCheck a configuration file with: klozeo config check FILE");
  return {serve, [flags] {
            std::string file = flags->config_path;
            if (const char* env = std::getenv(kConfigEnv);
                file.empty() && env != nullptr && *env != '\0') {
              file = env;
            }
            auto config = ResolveServeConfig(*flags, file);
            if (!config.ok()) return Fail(kExitConfig, config.error().ForLog());
            SetUpLogging(config->log_level, config->log_format);
            return Serve(*config);
          }};
}

// config check FILE
Command AddConfigCheckCommand(CLI::App* config_cmd) {
  auto path = std::make_shared<std::string>();
  // Only the settings' parsing is shared with serve; its flags are not offered here.
  auto flags = std::make_shared<ServeFlags>();
  auto* check = config_cmd->add_subcommand(
      "check",
      "Validate FILE (with the KLOZEO_* environment on top) and print the effective "
      "configuration, secrets masked; exit code 2 when invalid");
  check->add_option("file", *path, "TOML configuration file")->required();
  return {check, [path, flags] {
            auto config = ResolveServeConfig(*flags, *path);
            if (!config.ok()) return Fail(kExitConfig, config.error().ForLog());
            std::cout << RenderConfig(*config);
            return 0;
          }};
}

Command AddAccountsCreateCommand(CLI::App* accounts) {
  struct Options {
    AdminDatabase db;
    std::string name;
    std::string plan = "free";
  };
  auto o = std::make_shared<Options>();
  auto* sub = accounts->add_subcommand(
      "create", "Create an account and its first API key (printed as the last line)");
  AddDatabaseOptions(sub, o->db);
  sub->add_option("--name", o->name, "Account name")->required();
  sub->add_option("--plan", o->plan, "Plan: free, pro or unlimited")->capture_default_str();
  return {sub, [o] {
            return WithServices(o->db, [&](Services& services) {
              auto created = services.accounts().CreateAccount(o->name, o->plan);
              if (!created.ok())
                return Fail(ExitCodeFor(created.error()), created.error().ForLog());
              std::cout << "account " << created->first.name << " (" << created->first.id
                        << ") on plan " << created->first.plan << "\n"
                        << "API key (shown once):\n"
                        << created->second.secret << std::endl;
              return 0;
            });
          }};
}

Command AddAccountsListCommand(CLI::App* accounts) {
  auto db = std::make_shared<AdminDatabase>();
  auto* sub = accounts->add_subcommand("list", "List accounts");
  AddDatabaseOptions(sub, *db);
  return {sub, [db] {
            return WithServices(*db, [](Services& services) {
              auto list = services.accounts().ListAccounts();
              if (!list.ok()) return Fail(kExitFailure, list.error().ForLog());
              for (const auto& a : *list) {
                std::cout << a.id << "\t" << a.name << "\t" << a.plan << "\n";
              }
              return 0;
            });
          }};
}

/// The options every `keys` subcommand takes.
struct KeyOptions {
  AdminDatabase db;
  std::string account;
  std::string key_id;
};

CLI::App* AddKeySubcommand(CLI::App* keys, const char* name, const char* help, KeyOptions& o) {
  auto* sub = keys->add_subcommand(name, help);
  AddDatabaseOptions(sub, o.db);
  sub->add_option("--account", o.account, "Account name")->required();
  return sub;
}

Command AddKeysCreateCommand(CLI::App* keys) {
  auto o = std::make_shared<KeyOptions>();
  auto* sub = AddKeySubcommand(keys, "create", "Create a key (printed as the last line)", *o);
  return {sub, [o] {
            return WithServices(o->db, [&](Services& services) {
              auto key = services.accounts().CreateKey(o->account);
              if (!key.ok()) return Fail(kExitFailure, key.error().ForLog());
              std::cout << "key " << key->key.id << " for account " << o->account
                        << " (shown once):\n"
                        << key->secret << std::endl;
              return 0;
            });
          }};
}

Command AddKeysListCommand(CLI::App* keys) {
  auto o = std::make_shared<KeyOptions>();
  auto* sub = AddKeySubcommand(keys, "list", "List keys (never the secrets)", *o);
  return {sub, [o] {
            return WithServices(o->db, [&](Services& services) {
              auto list = services.accounts().ListKeys(o->account);
              if (!list.ok()) return Fail(kExitFailure, list.error().ForLog());
              for (const auto& k : *list) {
                std::cout << k.id << "\t" << k.prefix << "...\t"
                          << (k.revoked_at ? "revoked" : "active") << "\n";
              }
              return 0;
            });
          }};
}

Command AddKeysRevokeCommand(CLI::App* keys) {
  auto o = std::make_shared<KeyOptions>();
  auto* sub = AddKeySubcommand(keys, "revoke", "Revoke a key by id", *o);
  sub->add_option("--key", o->key_id, "Key id (from keys list)")->required();
  return {sub, [o] {
            return WithServices(o->db, [&](Services& services) {
              auto status = services.accounts().RevokeKey(o->account, o->key_id);
              if (!status.ok()) return Fail(kExitFailure, status.error().ForLog());
              std::cout << "revoked " << o->key_id << std::endl;
              return 0;
            });
          }};
}

Command AddExportCommand(CLI::App& cli) {
  struct Options {
    AdminDatabase db;
    std::string account;
    std::string format = "csv";
    std::string out;
    service::ListParams params;
    std::string sort_by, sort_order;
    bool raw_formulas = false;
  };
  auto o = std::make_shared<Options>();
  auto* sub = cli.add_subcommand("export", "Export an account's leads to a file");
  AddDatabaseOptions(sub, o->db);
  sub->add_option("--account", o->account, "Account name")->required();
  sub->add_option("--format", o->format, "csv, json or xlsx")
      ->check(CLI::IsMember({"csv", "json", "xlsx"}))
      ->capture_default_str();
  sub->add_option("--filter", o->params.filters,
                  "Filter as in the API, e.g. and.eq.city.Paris (repeatable)");
  sub->add_option("--sort-by", o->sort_by, "Sort field (default created_at)");
  sub->add_option("--sort-order", o->sort_order, "ASC or DESC");
  sub->add_flag("--raw-formulas", o->raw_formulas,
                "CSV: keep cells starting with = + - @ as they are");
  sub->add_option("-o,--output", o->out, "Output file")->required();
  return {sub, [o] {
            return WithServices(o->db, [&](Services& services) {
              if (!o->sort_by.empty()) o->params.sort_by = o->sort_by;
              if (!o->sort_order.empty()) o->params.sort_order = o->sort_order;
              return RunExport(services, o->account, o->format, o->params, o->raw_formulas, o->out);
            });
          }};
}

// mcp: MCP over stdin/stdout (app/cli_mcp.cpp)
Command AddMcpCommand(CLI::App& cli) {
  struct Options {
    AdminDatabase db;
    std::string account;
  };
  auto o = std::make_shared<Options>();
  auto* sub = cli.add_subcommand(
      "mcp",
      "Speak MCP on stdin/stdout for one account (for clients that launch a command; "
      "logs go to stderr)");
  AddDatabaseOptions(sub, o->db);
  sub->add_option("--account", o->account, "Account name")->required();
  return {sub, [o] {
            return WithServices(o->db, [&](Services& services) {
              return RunMcpStdio(services, o->account, std::cin, std::cout);
            });
          }};
}

// import (app/import.cpp)
Command AddImportCommand(CLI::App& cli) {
  struct Options {
    AdminDatabase db;
    ImportOptions import;
    std::string region;
  };
  auto o = std::make_shared<Options>();
  auto* sub = cli.add_subcommand("import", "Import leads from a CSV, JSON or JSONL file");
  AddDatabaseOptions(sub, o->db);
  sub->add_option("--account", o->import.account, "Account name")->required();
  sub->add_option("file", o->import.path, "FILE.csv, FILE.json or FILE.jsonl")->required();
  sub->add_flag("--dedup", o->import.dedup, "Merge duplicates as POST /leads does");
  sub->add_flag("--dry-run", o->import.dry_run, "Validate only, write nothing");
  sub->add_option("--phone-region", o->region, "As serve --phone-region")
      ->envname("KLOZEO_PHONE_REGION");
  sub->add_option("--batch-size", o->import.batch_size,
                  "Leads per write transaction without --dedup")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  return {sub, [o] {
            service::DedupOptions dedup;
            if (!o->region.empty()) dedup.phone_region = o->region;
            return WithServices(o->db, dedup, [&](Services& services) {
              return RunImportCommand(services, o->import);
            });
          }};
}

}  // namespace

int RunCli(int argc, char** argv) {
  // Logs go to stderr; stdout is for what a person or script asked for (keys, listings).
  SetUpLogging("info", "text");
  CLI::App cli{"klozeo: a self-hostable, Klozeo-compatible lead-management server"};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", "klozeo 0.1.0");

  std::vector<Command> commands;
  commands.push_back(AddServeCommand(cli));

  auto* config_cmd = cli.add_subcommand("config", "Work with configuration files");
  config_cmd->require_subcommand(1);
  commands.push_back(AddConfigCheckCommand(config_cmd));

  auto* accounts = cli.add_subcommand("accounts", "Manage accounts");
  accounts->require_subcommand(1);
  commands.push_back(AddAccountsCreateCommand(accounts));
  commands.push_back(AddAccountsListCommand(accounts));

  auto* keys = cli.add_subcommand("keys", "Manage API keys of an account");
  keys->require_subcommand(1);
  commands.push_back(AddKeysCreateCommand(keys));
  commands.push_back(AddKeysListCommand(keys));
  commands.push_back(AddKeysRevokeCommand(keys));

  commands.push_back(AddExportCommand(cli));
  commands.push_back(AddImportCommand(cli));
  commands.push_back(AddMcpCommand(cli));

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = cli.exit(e);
    return code == 0 ? 0 : kExitConfig;
  }
  for (const auto& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return kExitConfig;
}

}  // namespace klozeo::app
