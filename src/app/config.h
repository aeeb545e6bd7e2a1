#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "service/lead_service.h"

namespace klozeo::app {

/// Webhook delivery settings (`--webhook-*`).
struct WebhookConfig {
  bool allow_private = false;    ///< deliver to loopback/private/link-local addresses too
  int64_t retry_base_ms = 5000;  ///< first retry delay; the schedule scales with it
  int max_in_flight = 64;        ///< concurrent deliveries
  int64_t poll_ms = 500;         ///< outbox poll interval (other processes' events, retries)
};

/// Everything `klozeo serve` can be told. Each member is set from (highest first) a command-line
/// flag, a `KLOZEO_*` environment variable, the TOML file of `--config`, or its default here.
/// The table in config.cpp (kSettings) names each one's flag, variable and TOML key: adding a
/// setting is a member here and one line there.
struct ServeConfig {
  std::string listen = "127.0.0.1:8080";
  std::string db = "sqlite:./klozeo.db";
  int threads = 0;
  /// Threads for write requests (http::ServerOptions::write_threads); 0: 32 on SQLite, where
  /// queued writes share a commit (docs/GROUP-COMMIT.md), none on PostgreSQL; -1: none.
  int write_threads = 0;
  int pool_size = 0;  ///< 0: threads + 2
  int64_t max_body_bytes = 10 * 1024 * 1024;
  bool sdk_compat = false;
  int64_t auth_cache_ms = 1000;  ///< see AccountService
  /// `NAME:leads=N,requests=N,window=S,batch=N`, applied in order over the default plans.
  std::vector<std::string> plan_overrides;
  std::optional<std::string> bootstrap_key;
  service::DedupOptions dedup;  ///< --phone-region, --name-similarity
  std::string log_level = "info";
  std::string log_format = "text";  ///< text or json
  /// Where GET /metrics is served: empty for the API's own listener, else HOST:PORT of a
  /// listener that serves only the metrics.
  std::string metrics_listen;
  WebhookConfig webhooks;
  /// Browser origins allowed to call /mcp besides loopback ones, comma-separated ("*": any).
  std::string mcp_allowed_origins;
};

/// Where the layers of configuration come from. `env` reads a variable (nullptr when unset);
/// `flags` holds what was given on the command line, by flag name ("--listen" -> value; a
/// repeated flag's values are joined by '\n'; a boolean flag's value is "true").
struct ConfigSources {
  std::optional<std::string> file;  ///< TOML file path
  std::function<const char*(const char*)> env;
  std::map<std::string, std::string> flags;
};

/// Defaults, then the file, then the environment, then the flags. Errors: BadRequest naming
/// the file and key (unknown key, wrong type, bad value), the variable, or the flag.
core::Result<ServeConfig> ResolveConfig(const ConfigSources& sources);

/// Checks the values together (listen addresses, database URL, region, ranges, plans).
/// Errors: BadRequest naming the setting.
core::Status ValidateConfig(const ServeConfig& config);

/// The configuration as a TOML document (every setting, the effective plans), secrets masked.
std::string RenderConfig(const ServeConfig& config);

/// One documented setting, for the command line's help.
struct SettingInfo {
  const char* key;   ///< TOML key, e.g. "server.listen"
  const char* flag;  ///< "--listen", or nullptr for file/environment only
  const char* env;   ///< "KLOZEO_LISTEN"
  const char* help;
  const char* type_name;  ///< for --help: TEXT, INT, NUMBER, BOOL
  bool is_flag;           ///< a boolean switch (takes no value on the command line)
  bool repeatable;
  std::string default_text;
};
std::vector<SettingInfo> DescribeSettings();

/// The environment variable that names a configuration file.
inline constexpr const char* kConfigEnv = "KLOZEO_CONFIG";

}  // namespace klozeo::app
