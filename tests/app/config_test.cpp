// Configuration layers (defaults < file < environment < flags), file errors, rendering, and
// the JSON log line format.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "app/config.h"
#include "app/logging.h"
#include "support/test_server.h"

namespace klozeo::app {
namespace {

using klozeo::testing::TempDir;

class ConfigTest : public ::testing::Test {
 protected:
  std::string WriteFile(const std::string& text) {
    auto path = (dir_.path() / "klozeo.toml").string();
    std::ofstream(path) << text;
    return path;
  }
  ConfigSources Sources(std::optional<std::string> file = std::nullopt) {
    ConfigSources s;
    s.file = std::move(file);
    s.env = [this](const char* name) -> const char* {
      auto it = env_.find(name);
      return it == env_.end() ? nullptr : it->second.c_str();
    };
    return s;
  }
  TempDir dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(ConfigTest, DefaultsWithoutAnySource) {
  auto c = ResolveConfig(Sources());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->listen, "127.0.0.1:8080");
  EXPECT_EQ(c->db, "sqlite:./klozeo.db");
  EXPECT_EQ(c->log_format, "text");
  EXPECT_TRUE(ValidateConfig(*c).ok());
}

TEST_F(ConfigTest, FlagsBeatEnvironmentBeatsFileBeatsDefaults) {
  auto path = WriteFile(R"(
[server]
listen = "0.0.0.0:9000"
threads = 3
sdk_compat = true

[database]
url = "sqlite:/var/lib/klozeo/file.db"
pool_size = 7

[dedup]
phone_region = "GB"
name_similarity = 0.9

[log]
level = "warn"
format = "json"
)");
  auto from_file = ResolveConfig(Sources(path));
  ASSERT_TRUE(from_file.ok()) << from_file.error().message;
  EXPECT_EQ(from_file->listen, "0.0.0.0:9000");
  EXPECT_EQ(from_file->threads, 3);
  EXPECT_TRUE(from_file->sdk_compat);
  EXPECT_EQ(from_file->pool_size, 7);
  EXPECT_EQ(from_file->dedup.phone_region, "GB");
  EXPECT_DOUBLE_EQ(from_file->dedup.name_similarity, 0.9);
  EXPECT_EQ(from_file->log_format, "json");
  EXPECT_EQ(from_file->auth_cache_ms, 1000);  // untouched: default

  env_["KLOZEO_LISTEN"] = "127.0.0.1:9100";
  env_["KLOZEO_THREADS"] = "5";
  env_["KLOZEO_SDK_COMPAT"] = "0";
  auto with_env = ResolveConfig(Sources(path));
  ASSERT_TRUE(with_env.ok());
  EXPECT_EQ(with_env->listen, "127.0.0.1:9100");
  EXPECT_EQ(with_env->threads, 5);
  EXPECT_FALSE(with_env->sdk_compat);
  EXPECT_EQ(with_env->pool_size, 7);  // file still applies where env is silent

  auto sources = Sources(path);
  sources.flags["--listen"] = "127.0.0.1:9200";
  sources.flags["--sdk-compat"] = "true";
  auto with_flags = ResolveConfig(sources);
  ASSERT_TRUE(with_flags.ok());
  EXPECT_EQ(with_flags->listen, "127.0.0.1:9200");
  EXPECT_TRUE(with_flags->sdk_compat);
  EXPECT_EQ(with_flags->threads, 5);  // env where no flag
}

TEST_F(ConfigTest, PlansFromFileEnvironmentAndFlagsApplyInThatOrder) {
  auto path = WriteFile("[plans.free]\nleads = 10\nrequests = 20\n\n[plans.team]\nbatch = 50\n");
  env_["KLOZEO_PLAN"] = "free:leads=11;pro:batch=7";
  auto sources = Sources(path);
  sources.flags["--plan"] = "free:requests=21\n";
  auto c = ResolveConfig(sources);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->plan_overrides,
            (std::vector<std::string>{"free:leads=10,requests=20", "team:batch=50", "free:leads=11",
                                      "pro:batch=7", "free:requests=21"}));
  ASSERT_TRUE(ValidateConfig(*c).ok());
  std::string rendered = RenderConfig(*c);
  EXPECT_NE(rendered.find("[plans.free]\nleads = 11\nrequests = 21\n"), std::string::npos)
      << rendered;
  EXPECT_NE(rendered.find("[plans.team]"), std::string::npos);
}

TEST_F(ConfigTest, UnknownKeysAndWrongTypesNameTheKey) {
  struct Case {
    std::string toml;
    std::string message;
  };
  for (const auto& [toml, message] : std::vector<Case>{
           {"[server]\nlisen = \"x\"\n", "unknown key server.lisen"},
           {"[servr]\nlisten = \"x\"\n", "unknown key servr.listen"},
           {"listen = \"x\"\n", "unknown key listen"},
           {"[server]\nthreads = \"four\"\n", "server.threads must be an integer"},
           {"[server]\nsdk_compat = 1\n", "server.sdk_compat must be true or false"},
           {"[dedup]\nname_similarity = \"high\"\n", "dedup.name_similarity must be a number"},
           {"[plans.free]\nleeds = 1\n", "unknown key plans.free.leeds"},
           {"[plans.free]\nleads = \"1\"\n", "plans.free.leads must be an integer"},
           {"[server\nlisten = 1\n", "klozeo.toml:1"},
       }) {
    auto c = ResolveConfig(Sources(WriteFile(toml)));
    ASSERT_FALSE(c.ok()) << toml;
    EXPECT_NE(c.error().message.find(message), std::string::npos)
        << "expected '" << message << "' in: " << c.error().message;
  }
  auto missing = ResolveConfig(Sources((dir_.path() / "absent.toml").string()));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("absent.toml"), std::string::npos);
}

TEST_F(ConfigTest, BadEnvironmentAndFlagValuesNameTheirSource) {
  env_["KLOZEO_THREADS"] = "many";
  auto c = ResolveConfig(Sources());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("KLOZEO_THREADS"), std::string::npos) << c.error().message;
  env_.clear();
  auto sources = Sources();
  sources.flags["--name-similarity"] = "x";
  c = ResolveConfig(sources);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("--name-similarity"), std::string::npos);
}

TEST_F(ConfigTest, ValidationNamesTheSetting) {
  struct Case {
    std::function<void(ServeConfig&)> change;
    std::string message;
  };
  for (const auto& [change, message] : std::vector<Case>{
           {[](ServeConfig& c) { c.listen = "nope"; }, "server.listen"},
           {[](ServeConfig& c) { c.metrics_listen = "nope"; }, "metrics.listen"},
           {[](ServeConfig& c) { c.dedup.phone_region = "XX"; }, "dedup.phone_region"},
           {[](ServeConfig& c) { c.dedup.name_similarity = 2; }, "dedup.name_similarity"},
           {[](ServeConfig& c) { c.log_format = "xml"; }, "log.format"},
           {[](ServeConfig& c) { c.log_level = "loud"; }, "log.level"},
           {[](ServeConfig& c) { c.db = "mysql://x"; }, "database.url"},
           {[](ServeConfig& c) { c.max_body_bytes = 10; }, "server.max_body_bytes"},
           {[](ServeConfig& c) { c.plan_overrides = {"free:leads=x"}; }, "plans"},
       }) {
    ServeConfig c;
    change(c);
    auto status = ValidateConfig(c);
    ASSERT_FALSE(status.ok()) << message;
    EXPECT_EQ(status.error().message.rfind(message, 0), 0u) << status.error().message;
  }
}

TEST_F(ConfigTest, RenderedConfigMasksSecretsAndReadsBack) {
  ServeConfig c;
  c.db = "postgres://klozeo:hunter2@db.internal:5432/klozeo";
  c.bootstrap_key = "sk_live_0123456789abcdef0123456789abcdef";
  c.metrics_listen = "127.0.0.1:9091";
  std::string text = RenderConfig(c);
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_EQ(text.find("sk_live_0123"), std::string::npos) << text;
  EXPECT_NE(text.find("url = \"postgres://klozeo:********@db.internal:5432/klozeo\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("bootstrap_key = \"********\""), std::string::npos);
  // What is printed is itself a valid configuration file (secrets aside).
  ServeConfig plain;
  plain.metrics_listen = "127.0.0.1:9091";
  plain.log_format = "json";
  auto again = ResolveConfig(Sources(WriteFile(RenderConfig(plain))));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->metrics_listen, "127.0.0.1:9091");
  EXPECT_EQ(again->log_format, "json");
  EXPECT_EQ(RenderConfig(*again), RenderConfig(plain));
}

TEST(Logging, JsonLinesCarryFieldsAndTheRequestId) {
  auto line = nlohmann::json::parse(
      FormatJsonLine("info", "2026-01-01T00:00:00.000Z",
                     "access method=GET route=/api/v1/leads status=200 request_id=abc", ""));
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["event"], "access");
  EXPECT_EQ(line["method"], "GET");
  EXPECT_EQ(line["status"], "200");
  EXPECT_EQ(line["request_id"], "abc");
  auto inner = nlohmann::json::parse(
      FormatJsonLine("error", "t", "could not \"store\": disk full", "req-7"));
  EXPECT_EQ(inner["msg"], "could not \"store\": disk full");
  EXPECT_EQ(inner["request_id"], "req-7");
  EXPECT_FALSE(inner.contains("event"));
}

}  // namespace
}  // namespace klozeo::app
