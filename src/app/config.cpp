#include "app/config.h"

#include <toml++/toml.h>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <type_traits>

#include "app/wiring.h"
#include "dedup/phone.h"
#include "service/plans.h"

namespace klozeo::app {
namespace {

using core::Error;
using core::Result;
using core::Status;

enum class Kind { kString, kInt, kFloat, kBool, kList };
enum class Secret { kNo, kYes, kUrlPassword };

/// How one setting reads and writes its ServeConfig member.
struct Binding {
  Kind kind;
  std::function<Status(ServeConfig&, const std::string&)> set;
  std::function<std::string(const ServeConfig&)> get;  ///< as a TOML value
};

template <typename T>
Result<T> ParseNumber(const std::string& text) {
  T value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) {
    if constexpr (std::is_floating_point_v<T>) {
      return Error::BadRequest("'" + text + "' is not a number");
    } else {
      return Error::BadRequest("'" + text + "' is not an integer");
    }
  }
  return value;
}

Result<bool> ParseBool(const std::string& text) {
  for (const char* yes : {"1", "true", "yes", "on"}) {
    if (text == yes) return true;
  }
  for (const char* no : {"0", "false", "no", "off"}) {
    if (text == no) return false;
  }
  return Error::BadRequest("'" + text + "' is not a boolean (true/false, 1/0, yes/no, on/off)");
}

std::string Quote(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// A Binding for the member `access` returns.
template <typename Access>
Binding Bind(Access access) {
  using T = std::remove_reference_t<decltype(access(std::declval<ServeConfig&>()))>;
  Binding b;
  b.get = [access](const ServeConfig& c) {
    const T& v = access(const_cast<ServeConfig&>(c));
    if constexpr (std::is_same_v<T, std::string>) {
      return Quote(v);
    } else if constexpr (std::is_same_v<T, std::optional<std::string>>) {
      return Quote(v.value_or(""));
    } else if constexpr (std::is_same_v<T, bool>) {
      return std::string(v ? "true" : "false");
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      nlohmann::json list = v;
      return list.dump();
    } else if constexpr (std::is_floating_point_v<T>) {
      std::ostringstream out;
      out << v;
      std::string text = out.str();
      if (text.find_first_of(".eE") == std::string::npos) text += ".0";
      return text;
    } else {
      return std::to_string(v);
    }
  };
  b.set = [access](ServeConfig& c, const std::string& text) -> Status {
    T& v = access(c);
    if constexpr (std::is_same_v<T, std::string>) {
      v = text;
    } else if constexpr (std::is_same_v<T, std::optional<std::string>>) {
      v = text.empty() ? std::nullopt : std::optional<std::string>(text);
    } else if constexpr (std::is_same_v<T, bool>) {
      KLOZEO_ASSIGN_OR_RETURN(v, ParseBool(text));
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      // One value per line (repeated flags) or per ';' (an environment variable).
      std::string item;
      for (char ch : text + "\n") {
        if (ch == '\n' || ch == ';') {
          if (!item.empty()) v.push_back(item);
          item.clear();
        } else {
          item += ch;
        }
      }
    } else {
      KLOZEO_ASSIGN_OR_RETURN(v, ParseNumber<T>(text));
    }
    return core::Ok();
  };
  if constexpr (std::is_same_v<T, bool>) {
    b.kind = Kind::kBool;
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    b.kind = Kind::kList;
  } else if constexpr (std::is_floating_point_v<T>) {
    b.kind = Kind::kFloat;
  } else if constexpr (std::is_integral_v<T>) {
    b.kind = Kind::kInt;
  } else {
    b.kind = Kind::kString;
  }
  return b;
}

#define KLOZEO_FIELD(member) Bind([](ServeConfig & c) -> auto& { return c.member; })

struct Setting {
  const char* key;   // TOML key
  const char* flag;  // command-line flag, or nullptr
  const char* env;   // environment variable
  const char* help;
  Binding binding;
  Secret secret = Secret::kNo;
};

// Every setting of `klozeo serve`: one line each. Plans have their own TOML tables
// ([plans.NAME]) and are handled beside this table.
const std::vector<Setting>& Settings() {
  static const std::vector<Setting> settings = {
      {"server.listen", "--listen", "KLOZEO_LISTEN", "HOST:PORT to listen on (port 0: any free)",
       KLOZEO_FIELD(listen)},
      {"server.threads", "--threads", "KLOZEO_THREADS", "I/O threads (0: one per core)",
       KLOZEO_FIELD(threads)},
      {"server.write_threads", "--write-threads", "KLOZEO_WRITE_THREADS",
       "Threads for write requests (0: 32 on SQLite, where queued writes share one commit, "
       "none on PostgreSQL; -1: none, writes run on the I/O threads)",
       KLOZEO_FIELD(write_threads)},
      {"server.max_body_bytes", "--max-body-bytes", "KLOZEO_MAX_BODY_BYTES",
       "Largest accepted request body; larger ones get 413", KLOZEO_FIELD(max_body_bytes)},
      {"server.sdk_compat", "--sdk-compat", "KLOZEO_SDK_COMPAT",
       "Enveloped list responses and ISO webhook timestamps for the official SDKs",
       KLOZEO_FIELD(sdk_compat)},
      {"database.url", "--db", "KLOZEO_DB",
       "Database: sqlite:PATH, a file path, or postgres://user@host:port/db", KLOZEO_FIELD(db),
       Secret::kUrlPassword},
      {"database.pool_size", "--pool-size", "KLOZEO_POOL_SIZE",
       "Database connections (0: threads + 2)", KLOZEO_FIELD(pool_size)},
      {"auth.cache_ms", "--auth-cache-ms", "KLOZEO_AUTH_CACHE_MS",
       "How long a verified API key is trusted before the database is asked again; a key "
       "revoked from another process stops working within this time (0: off)",
       KLOZEO_FIELD(auth_cache_ms)},
      {"auth.bootstrap_key", nullptr, "KLOZEO_BOOTSTRAP_KEY",
       "Make sure account 'default' (plan unlimited) holds this API key (sk_live_...)",
       KLOZEO_FIELD(bootstrap_key), Secret::kYes},
      {"dedup.phone_region", "--phone-region", "KLOZEO_PHONE_REGION",
       "Default region (ISO 3166-1 alpha-2) of phone numbers without a country code, for "
       "duplicate detection",
       KLOZEO_FIELD(dedup.phone_region)},
      {"dedup.name_similarity", "--name-similarity", "KLOZEO_NAME_SIMILARITY",
       "Duplicate detection by phone merges when the names' similarity is above this (0 to 1)",
       KLOZEO_FIELD(dedup.name_similarity)},
      {"log.level", "--log-level", "KLOZEO_LOG_LEVEL", "trace, debug, info, warn, error or off",
       KLOZEO_FIELD(log_level)},
      {"log.format", "--log-format", "KLOZEO_LOG_FORMAT",
       "text (human-readable) or json (one JSON object per line)", KLOZEO_FIELD(log_format)},
      {"metrics.listen", "--metrics-listen", "KLOZEO_METRICS_LISTEN",
       "Serve GET /metrics on this HOST:PORT only (empty: on the API's listener)",
       KLOZEO_FIELD(metrics_listen)},
      {"webhooks.allow_private", "--webhook-allow-private", "KLOZEO_WEBHOOK_ALLOW_PRIVATE",
       "Allow webhook URLs on loopback, private, link-local and unspecified addresses "
       "(self-hosted networks, tests); refused by default against SSRF",
       KLOZEO_FIELD(webhooks.allow_private)},
      {"webhooks.retry_base_ms", "--webhook-retry-base-ms", "KLOZEO_WEBHOOK_RETRY_BASE_MS",
       "Delay before the first webhook retry; later retries scale the schedule "
       "(5 s, 30 s, 2 min ... 24 h) with it",
       KLOZEO_FIELD(webhooks.retry_base_ms)},
      {"webhooks.concurrency", "--webhook-concurrency", "KLOZEO_WEBHOOK_CONCURRENCY",
       "Webhook deliveries in flight at once", KLOZEO_FIELD(webhooks.max_in_flight)},
      {"webhooks.poll_ms", "--webhook-poll-ms", "KLOZEO_WEBHOOK_POLL_MS",
       "How often the webhook outbox is polled for other processes' events and due retries",
       KLOZEO_FIELD(webhooks.poll_ms)},
      {"mcp.allowed_origins", "--mcp-allowed-origins", "KLOZEO_MCP_ALLOWED_ORIGINS",
       "Browser origins (scheme://host[:port], comma-separated; * for any) allowed to call "
       "/mcp besides localhost ones; other Origin headers get 403 (DNS-rebinding protection)",
       KLOZEO_FIELD(mcp_allowed_origins)},
      {"plans", "--plan", "KLOZEO_PLAN",
       "Override plan limits, e.g. free:leads=100,requests=100,window=600,batch=100 "
       "(repeatable; ';' between plans in the variable; 0 means unlimited for leads and "
       "requests; in the file: [plans.NAME] tables)",
       KLOZEO_FIELD(plan_overrides)},
  };
  return settings;
}

#undef KLOZEO_FIELD

const Setting* FindByKey(std::string_view key) {
  for (const auto& s : Settings()) {
    if (key == s.key) return &s;
  }
  return nullptr;
}

/// A TOML scalar as the text a flag would carry, checked against the setting's kind.
Result<std::string> TomlText(const toml::node& node, Kind kind, const std::string& key) {
  switch (kind) {
    case Kind::kString:
      if (auto v = node.value<std::string>(); v && node.is_string()) return *v;
      return Error::BadRequest(key + " must be a string");
    case Kind::kInt:
      if (node.is_integer()) return std::to_string(*node.value<int64_t>());
      return Error::BadRequest(key + " must be an integer");
    case Kind::kFloat:
      if (node.is_number()) {
        std::ostringstream out;
        out.precision(17);
        out << *node.value<double>();
        return out.str();
      }
      return Error::BadRequest(key + " must be a number");
    case Kind::kBool:
      if (node.is_boolean()) return std::string(*node.value<bool>() ? "true" : "false");
      return Error::BadRequest(key + " must be true or false");
    case Kind::kList:
      break;
  }
  return Error::BadRequest(key + " has an unsupported type");
}

/// [plans.NAME] tables -> override specs.
Status ApplyPlanTables(const toml::table& plans, ServeConfig& config) {
  for (const auto& [name, node] : plans) {
    const std::string prefix = "plans." + std::string(name.str());
    const auto* table = node.as_table();
    if (table == nullptr) return Error::BadRequest(prefix + " must be a table");
    std::string spec = std::string(name.str()) + ":";
    bool first = true;
    for (const auto& [field, value] : *table) {
      const std::string key = prefix + "." + std::string(field.str());
      if (field != "leads" && field != "requests" && field != "window" && field != "batch") {
        return Error::BadRequest("unknown key " + key +
                                 " (a plan has leads, requests, window, batch)");
      }
      if (!value.is_integer()) return Error::BadRequest(key + " must be an integer");
      if (!first) spec += ",";
      first = false;
      spec += std::string(field.str()) + "=" + std::to_string(*value.value<int64_t>());
    }
    if (!first) config.plan_overrides.push_back(spec);
  }
  return core::Ok();
}

Status ApplyFile(const std::string& path, ServeConfig& config) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << path << ":" << e.source().begin.line << ":" << e.source().begin.column;
    return Error::BadRequest("config " + where.str() + ": " + std::string(e.description()));
  }
  auto fail = [&](const Error& e) {
    return Error::BadRequest("config " + path + ": " + e.message);
  };
  for (const auto& [section, node] : root) {
    const std::string section_name(section.str());
    if (section_name == "plans") {
      const auto* plans = node.as_table();
      if (plans == nullptr) return fail(Error::BadRequest("plans must be a table"));
      auto applied = ApplyPlanTables(*plans, config);
      if (!applied.ok()) return fail(applied.error());
      continue;
    }
    const auto* table = node.as_table();
    if (table == nullptr) {
      return fail(Error::BadRequest("unknown key " + section_name +
                                    " (settings live in tables such as [server])"));
    }
    for (const auto& [name, value] : *table) {
      const std::string key = section_name + "." + std::string(name.str());
      const Setting* setting = FindByKey(key);
      if (setting == nullptr) return fail(Error::BadRequest("unknown key " + key));
      auto text = TomlText(value, setting->binding.kind, key);
      if (!text.ok()) return fail(text.error());
      auto set = setting->binding.set(config, *text);
      if (!set.ok()) return fail(Error::BadRequest(key + ": " + set.error().message));
    }
  }
  return core::Ok();
}

std::string MaskUrlPassword(const std::string& url) {
  // scheme://user:password@host... and key=value connection strings (password=...).
  std::string out = url;
  auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    auto at = out.find('@', scheme + 3);
    auto colon = out.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at) {
      out.replace(colon + 1, at - colon - 1, "********");
    }
  }
  auto pw = out.find("password=");
  if (pw != std::string::npos) {
    auto end = out.find_first_of(" &", pw);
    out.replace(pw + 9, (end == std::string::npos ? out.size() : end) - pw - 9, "********");
  }
  return out;
}

}  // namespace

Result<ServeConfig> ResolveConfig(const ConfigSources& sources) {
  ServeConfig config;
  if (sources.file) KLOZEO_TRY(ApplyFile(*sources.file, config));
  for (const auto& s : Settings()) {
    if (!sources.env) break;
    const char* value = sources.env(s.env);
    if (value == nullptr || *value == '\0') continue;
    auto set = s.binding.set(config, value);
    if (!set.ok()) {
      return Error::BadRequest("environment " + std::string(s.env) + ": " + set.error().message);
    }
  }
  for (const auto& s : Settings()) {
    if (s.flag == nullptr) continue;
    auto it = sources.flags.find(s.flag);
    if (it == sources.flags.end()) continue;
    auto set = s.binding.set(config, it->second);
    if (!set.ok()) return Error::BadRequest(std::string(s.flag) + ": " + set.error().message);
  }
  return config;
}

Status ValidateConfig(const ServeConfig& c) {
  auto named = [](const char* key, const Error& e) {
    return Error::BadRequest(std::string(key) + ": " + e.message);
  };
  if (auto l = ParseListen(c.listen); !l.ok()) return named("server.listen", l.error());
  if (!c.metrics_listen.empty()) {
    if (auto l = ParseListen(c.metrics_listen); !l.ok()) {
      return named("metrics.listen", l.error());
    }
  }
  if (c.threads < 0 || c.threads > 256) {
    return Error::BadRequest("server.threads: must be between 0 and 256");
  }
  if (c.write_threads < -1 || c.write_threads > 1024) {
    return Error::BadRequest("server.write_threads: must be between -1 and 1024");
  }
  if (c.pool_size < 0 || c.pool_size > 1024) {
    return Error::BadRequest("database.pool_size: must be between 0 and 1024");
  }
  if (c.max_body_bytes < 1024) {
    return Error::BadRequest("server.max_body_bytes: must be at least 1024 bytes");
  }
  if (c.auth_cache_ms < 0 || c.auth_cache_ms > 600000) {
    return Error::BadRequest("auth.cache_ms: must be between 0 and 600000");
  }
  if (auto u = ParseDatabaseUrl(c.db); !u.ok()) return named("database.url", u.error());
  if (c.webhooks.retry_base_ms < 1 || c.webhooks.retry_base_ms > 3600000) {
    return Error::BadRequest("webhooks.retry_base_ms: must be between 1 and 3600000");
  }
  if (c.webhooks.max_in_flight < 1 || c.webhooks.max_in_flight > 4096) {
    return Error::BadRequest("webhooks.concurrency: must be between 1 and 4096");
  }
  if (c.webhooks.poll_ms < 10 || c.webhooks.poll_ms > 60000) {
    return Error::BadRequest("webhooks.poll_ms: must be between 10 and 60000");
  }
  if (!dedup::PhoneNormalizer::IsSupportedRegion(c.dedup.phone_region)) {
    return Error::BadRequest("dedup.phone_region: unknown region '" + c.dedup.phone_region +
                             "': use an ISO 3166-1 alpha-2 code such as US or GB");
  }
  if (!(c.dedup.name_similarity >= 0 && c.dedup.name_similarity <= 1)) {
    return Error::BadRequest("dedup.name_similarity: must be between 0 and 1");
  }
  bool level_ok = false;
  for (const char* level : {"trace", "debug", "info", "warn", "error", "off"}) {
    level_ok = level_ok || c.log_level == level;
  }
  if (!level_ok) {
    return Error::BadRequest("log.level: '" + c.log_level +
                             "' is not one of trace, debug, info, warn, error, off");
  }
  if (c.log_format != "text" && c.log_format != "json") {
    return Error::BadRequest("log.format: '" + c.log_format + "' is not text or json");
  }
  service::Plans plans = service::Plans::Defaults();
  for (const auto& spec : c.plan_overrides) {
    if (auto applied = plans.ApplyOverride(spec); !applied.ok()) {
      return named("plans", applied.error());
    }
  }
  return core::Ok();
}

std::string RenderConfig(const ServeConfig& config) {
  std::ostringstream out;
  out << "# effective configuration (secrets masked)\n";
  std::string section;
  for (const auto& s : Settings()) {
    if (s.binding.kind == Kind::kList) continue;  // plans: below
    std::string key = s.key;
    auto dot = key.find('.');
    std::string table = key.substr(0, dot);
    if (table != section) {
      out << (section.empty() ? "" : "\n") << "[" << table << "]\n";
      section = table;
    }
    std::string value = s.binding.get(config);
    if (s.secret == Secret::kYes && value != "\"\"") value = "\"********\"";
    if (s.secret == Secret::kUrlPassword) value = Quote(MaskUrlPassword(config.db));
    out << key.substr(dot + 1) << " = " << value << "\n";
  }
  service::Plans plans = service::Plans::Defaults();
  for (const auto& spec : config.plan_overrides) (void)plans.ApplyOverride(spec);
  for (const auto& [name, limits] : plans.all()) {
    out << "\n[plans." << name << "]\n"
        << "leads = " << limits.max_leads << "\n"
        << "requests = " << limits.requests_per_window << "\n"
        << "window = " << limits.window_seconds << "\n"
        << "batch = " << limits.max_batch << "\n";
  }
  return out.str();
}

std::vector<SettingInfo> DescribeSettings() {
  ServeConfig defaults;
  std::vector<SettingInfo> out;
  for (const auto& s : Settings()) {
    std::string def = s.binding.kind == Kind::kList ? "" : s.binding.get(defaults);
    if (def == "\"\"") def.clear();
    const char* type_name = s.binding.kind == Kind::kInt     ? "INT"
                            : s.binding.kind == Kind::kFloat ? "NUMBER"
                            : s.binding.kind == Kind::kBool  ? "BOOL"
                                                             : "TEXT";
    out.push_back(SettingInfo{s.key, s.flag, s.env, s.help, type_name,
                              s.binding.kind == Kind::kBool, s.binding.kind == Kind::kList, def});
  }
  return out;
}

}  // namespace klozeo::app
