// The real `klozeo` binary: account and key commands, bootstrap, serve and SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/command.h"
#include "support/serve_process.h"
#include "support/test_server.h"

namespace klozeo::testing {
namespace {

/// `text` as one single-quoted shell word.
std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// Runs the binary with `args` (shell-quoted by the caller), capturing stdout.
CmdResult Klozeo(const std::string& args, const std::string& env = "") {
  return RunCommand(KLOZEO_BINARY, args, env);
}

TEST(Cli, AccountsAndKeysLifecycle) {
  TempDir dir;
  std::string db = "sqlite:" + (dir.path() / "k.db").string();
  CmdResult created = Klozeo("accounts create --db " + db + " --name acme --plan pro");
  ASSERT_EQ(created.exit_code, 0) << created.out;
  std::string key = LastLine(created.out);
  EXPECT_EQ(key.rfind("sk_live_", 0), 0u) << created.out;
  EXPECT_EQ(key.size(), 40u);

  EXPECT_EQ(Klozeo("accounts create --db " + db + " --name acme --plan pro").exit_code, 1)
      << "duplicate name";
  EXPECT_EQ(Klozeo("accounts create --db " + db + " --name x --plan gold").exit_code, 2)
      << "unknown plan";
  CmdResult listed = Klozeo("accounts list --db " + db);
  EXPECT_NE(listed.out.find("acme\tpro"), std::string::npos) << listed.out;

  CmdResult second = Klozeo("keys create --db " + db + " --account acme");
  ASSERT_EQ(second.exit_code, 0);
  std::string key2 = LastLine(second.out);
  EXPECT_EQ(key2.rfind("sk_live_", 0), 0u);
  CmdResult keys = Klozeo("keys list --db " + db + " --account acme");
  EXPECT_EQ(keys.out.find(key.substr(8)), std::string::npos) << "secrets are never listed";
  EXPECT_EQ(std::count(keys.out.begin(), keys.out.end(), '\n'), 2);
  std::string first_key_id = keys.out.substr(0, keys.out.find('\t'));

  // Serve, use both keys, revoke one from the command line while it runs.
  ServeProcess serve(KLOZEO_BINARY, db);
  ASSERT_NE(serve.port(), 0) << serve.output();
  EXPECT_EQ(HttpClient(serve.port(), key).Get("/api/v1/leads").status, 200);
  EXPECT_EQ(HttpClient(serve.port(), key2).Get("/api/v1/leads").status, 200);
  ASSERT_EQ(Klozeo("keys revoke --db " + db + " --account acme --key " + first_key_id).exit_code,
            0);
  // The server trusts a verified key for --auth-cache-ms (default 1 s): the revocation from
  // this other process takes effect within that time.
  int status = 200;
  auto revoked_at = std::chrono::steady_clock::now();
  while (status == 200 && std::chrono::steady_clock::now() - revoked_at < std::chrono::seconds(5)) {
    status = HttpClient(serve.port(), key).Get("/api/v1/leads").status;
    if (status == 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status, 401);
  EXPECT_LT(std::chrono::steady_clock::now() - revoked_at, std::chrono::milliseconds(2500));
  EXPECT_EQ(HttpClient(serve.port(), key2).Get("/api/v1/leads").status, 200);
  EXPECT_EQ(serve.SignalAndWait(SIGTERM), 0);
  EXPECT_NE(Klozeo("keys list --db " + db + " --account acme").out.find("revoked"),
            std::string::npos);
}

TEST(Cli, FirstStartCreatesDefaultAccountAndPrintsItsKey) {
  TempDir dir;
  std::string db = (dir.path() / "fresh.db").string();  // a bare path means SQLite
  std::string key;
  {
    ServeProcess serve(KLOZEO_BINARY, db);
    ASSERT_NE(serve.port(), 0) << serve.output();
    auto pos = serve.output().find("sk_live_");
    ASSERT_NE(pos, std::string::npos) << serve.output();
    key = serve.output().substr(pos, 40);
    // Where the key goes.
    EXPECT_NE(serve.output().find("paste the key above to sign in"), std::string::npos)
        << serve.output();
    EXPECT_EQ(HttpClient(serve.port(), key).Get("/api/v1/leads").status, 200);
    // The console URL and a curl line that works as pasted, with the real port.
    const std::string base = "http://127.0.0.1:" + std::to_string(serve.port()) + "/";
    EXPECT_NE(serve.output().find("Console: " + base + "\n"), std::string::npos) << serve.output();
    auto curl_at = serve.output().find("curl ");
    ASSERT_NE(curl_at, std::string::npos) << serve.output();
    std::string curl_line =
        serve.output().substr(curl_at, serve.output().find('\n', curl_at) - curl_at);
    EXPECT_NE(curl_line.find(base + "api/v1/leads"), std::string::npos) << curl_line;
    CmdResult pasted =
        RunCommand("/bin/sh", "-c " + ShellQuote(curl_line + " -sS -w '%{http_code}'"));
    EXPECT_EQ(pasted.exit_code, 0) << curl_line;
    EXPECT_NE(pasted.out.find("\"leads\":[]"), std::string::npos) << pasted.out;
    EXPECT_EQ(pasted.out.substr(pasted.out.size() - 3), "200") << pasted.out;
    EXPECT_EQ(serve.SignalAndWait(SIGTERM), 0);
  }
  // The second start finds the account and prints no key.
  ServeProcess again(KLOZEO_BINARY, db);
  ASSERT_NE(again.port(), 0);
  EXPECT_EQ(again.output().find("sk_live_"), std::string::npos);
  EXPECT_EQ(HttpClient(again.port(), key).Get("/api/v1/leads").status, 200);
}

TEST(Cli, BootstrapKeyIsIdempotent) {
  TempDir dir;
  std::string db = "sqlite:" + (dir.path() / "b.db").string();
  const std::string key = "sk_live_0123456789abcdef0123456789abcdef";
  for (int round = 0; round < 2; ++round) {
    ServeProcess serve(KLOZEO_BINARY, db, {{"KLOZEO_BOOTSTRAP_KEY", key}});
    ASSERT_NE(serve.port(), 0) << serve.output();
    EXPECT_EQ(serve.output().find("sk_live_"), std::string::npos) << "nothing new to print";
    auto r = HttpClient(serve.port(), key).Get("/api/v1/leads");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("x-ratelimit-limit"), "1000000000") << "default is on the unlimited plan";
  }
  CmdResult keys = Klozeo("keys list --db " + db + " --account default");
  EXPECT_EQ(std::count(keys.out.begin(), keys.out.end(), '\n'), 1) << keys.out;
}

TEST(Cli, ExportWritesEveryMatchingLeadToAFile) {
  TempDir dir;
  std::string db = "sqlite:" + (dir.path() / "e.db").string();
  CmdResult created = Klozeo("accounts create --db " + db + " --name shop --plan unlimited");
  ASSERT_EQ(created.exit_code, 0);
  std::string key = LastLine(created.out);
  {
    ServeProcess serve(KLOZEO_BINARY, db);
    ASSERT_NE(serve.port(), 0);
    HttpClient api(serve.port(), key);
    for (int i = 0; i < 30; ++i) {
      ASSERT_EQ(api.Post("/api/v1/leads", nlohmann::json{{"name", "L" + std::to_string(i)},
                                                         {"source", "s"},
                                                         {"city", i % 3 == 0 ? "Paris" : "Rome"},
                                                         {"rating", i % 5}})
                    .status,
                201);
    }
    EXPECT_EQ(serve.SignalAndWait(SIGTERM), 0);
  }
  std::string json_path = (dir.path() / "all.json").string();
  ASSERT_EQ(Klozeo("export --db " + db + " --account shop --format json -o " + json_path).exit_code,
            0);
  std::ifstream in(json_path);
  nlohmann::json all = nlohmann::json::parse(in);
  EXPECT_EQ(all.size(), 30u);
  std::string csv_path = (dir.path() / "paris.csv").string();
  ASSERT_EQ(Klozeo("export --db " + db +
                   " --account shop --format csv --filter and.eq.city.paris "
                   "--sort-by rating --sort-order desc -o " +
                   csv_path)
                .exit_code,
            0);
  std::ifstream csv(csv_path);
  std::string header, line;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("id,name,source,", 0), 0u);
  int rows = 0;
  while (std::getline(csv, line)) {
    ++rows;
    EXPECT_NE(line.find(",Paris,"), std::string::npos) << line;
  }
  EXPECT_EQ(rows, 10);
  EXPECT_EQ(Klozeo("export --db " + db + " --account nobody -o " + csv_path).exit_code, 1);
  EXPECT_EQ(Klozeo("export --db " + db + " --account shop --filter and.gt.city.x -o " + csv_path)
                .exit_code,
            2);
}

TEST(Cli, BadConfigurationExitsWithCode2) {
  EXPECT_EQ(Klozeo("serve --listen nonsense --db /tmp/x-never.db").exit_code, 2);
  EXPECT_EQ(Klozeo("serve --db ftp://nowhere").exit_code, 2);
  EXPECT_EQ(Klozeo("serve --plan free:leads=abc --db /tmp/x-never.db").exit_code, 2);
  EXPECT_EQ(Klozeo("frobnicate").exit_code, 2);
  EXPECT_EQ(Klozeo("serve --webhook-retry-base-ms 0 --db /tmp/x-never.db").exit_code, 2);
  EXPECT_EQ(Klozeo("serve --webhook-concurrency 0 --db /tmp/x-never.db").exit_code, 2);
  EXPECT_EQ(Klozeo("serve --webhook-poll-ms 1 --db /tmp/x-never.db").exit_code, 2);
  CmdResult help = Klozeo("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("serve"), std::string::npos);
}

TEST(Cli, HelpCoversEveryCommandAndSetting) {
  CmdResult help = Klozeo("--help");
  ASSERT_EQ(help.exit_code, 0);
  for (const char* command : {"serve", "accounts", "keys", "export", "import", "config"}) {
    EXPECT_NE(help.out.find(command), std::string::npos) << command << " in\n" << help.out;
  }
  CmdResult serve = Klozeo("serve --help");
  ASSERT_EQ(serve.exit_code, 0);
  for (const char* text :
       {"--config", "--listen", "KLOZEO_LISTEN", "server.listen", "--db", "--pool-size",
        "--threads", "--max-body-bytes", "--sdk-compat", "--auth-cache-ms", "--phone-region",
        "--name-similarity", "--log-level", "--log-format", "KLOZEO_LOG_FORMAT", "--metrics-listen",
        "--plan", "KLOZEO_BOOTSTRAP_KEY", "KLOZEO_CONFIG"}) {
    EXPECT_NE(serve.out.find(text), std::string::npos) << text << " in\n" << serve.out;
  }
  for (const char* sub : {"accounts create", "accounts list", "keys create", "keys list",
                          "keys revoke", "export", "import", "config check"}) {
    CmdResult r = Klozeo(std::string(sub) + " --help");
    EXPECT_EQ(r.exit_code, 0) << sub;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << sub << ":\n" << r.out;
  }
}

TEST(Cli, ConfigCheckPrintsTheEffectiveConfigurationMasked) {
  TempDir dir;
  const std::string path = (dir.path() / "klozeo.toml").string();
  std::ofstream(path) << "[server]\nlisten = \"0.0.0.0:9000\"\n\n[database]\n"
                         "url = \"postgres://app:s3cret@db:5432/klozeo\"\n\n"
                         "[auth]\nbootstrap_key = \"sk_live_00000000000000000000000000000000\"\n\n"
                         "[plans.free]\nleads = 42\n";
  CmdResult ok = Klozeo("config check " + path, "KLOZEO_THREADS=6");
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("listen = \"0.0.0.0:9000\""), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("threads = 6"), std::string::npos) << ok.out;  // environment on top
  EXPECT_NE(ok.out.find("[plans.free]\nleads = 42"), std::string::npos) << ok.out;
  EXPECT_EQ(ok.out.find("s3cret"), std::string::npos) << ok.out;
  EXPECT_EQ(ok.out.find("sk_live_0000"), std::string::npos) << ok.out;

  std::ofstream(path) << "[server]\nlisten = \"0.0.0.0:9000\"\nworkers = 4\n";
  EXPECT_EQ(Klozeo("config check " + path).exit_code, 2);
  // The message goes to stderr: piped through cat to read it.
  CmdResult bad = Klozeo("config check " + path + " 2>&1 | cat");
  EXPECT_NE(bad.out.find("unknown key server.workers"), std::string::npos) << bad.out;
  EXPECT_EQ(Klozeo("config check " + (dir.path() / "none.toml").string()).exit_code, 2);
}

TEST(Cli, AdminCommandsReadTheDatabaseFromTheConfigFile) {
  TempDir dir;
  const std::string db = (dir.path() / "from-config.db").string();
  const std::string path = (dir.path() / "klozeo.toml").string();
  std::ofstream(path) << "[database]\nurl = \"sqlite:" << db << "\"\n";
  ASSERT_EQ(Klozeo("accounts create --config " + path + " --name viaconfig").exit_code, 0);
  EXPECT_NE(Klozeo("accounts list --db " + db).out.find("viaconfig"), std::string::npos);
  EXPECT_NE(Klozeo("accounts list", "KLOZEO_CONFIG=" + path).out.find("viaconfig"),
            std::string::npos);
  // --db wins over the file.
  const std::string other = (dir.path() / "other.db").string();
  EXPECT_EQ(Klozeo("accounts list --config " + path + " --db " + other).out.find("viaconfig"),
            std::string::npos);
}

TEST(Cli, JsonLogsCarryTheRequestIdOnEveryLine) {
  TempDir dir;
  const std::string db = (dir.path() / "k.db").string();
  const std::string log = (dir.path() / "stderr.log").string();
  ServeProcess serve(KLOZEO_BINARY, db, {{"KLOZEO_LOG_FORMAT", "json"}}, log);
  ASSERT_NE(serve.port(), 0) << serve.output();
  auto r =
      HttpClient(serve.port()).Send("GET", "/api/v1/leads", "", {{"X-Request-Id", "trace-42"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(serve.SignalAndWait(SIGTERM), 0);
  std::ifstream in(log);
  std::string line;
  int lines = 0;
  bool access = false;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << "not JSON: " << line;
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("msg")) << line;
    ++lines;
    if (j.value("event", "") == "access") {
      access = true;
      EXPECT_EQ(j["request_id"], "trace-42");
      EXPECT_EQ(j["route"], "/api/v1/leads");
      EXPECT_EQ(j["status"], "401");
    }
  }
  EXPECT_GE(lines, 2);  // started, the access line, stopped
  EXPECT_TRUE(access);
}

TEST(Cli, ServeReadsTheConfigFileUnderEnvironmentAndFlags) {
  TempDir dir;
  const std::string db = (dir.path() / "k.db").string();
  const std::string path = (dir.path() / "klozeo.toml").string();
  // The file asks for a port that is taken by nobody but is overridden by the flag (port 0).
  std::ofstream(path) << "[server]\nlisten = \"127.0.0.1:1\"\nsdk_compat = true\n"
                         "[metrics]\nlisten = \"127.0.0.1:0\"\n";
  ServeProcess serve(KLOZEO_BINARY, db, {{"KLOZEO_CONFIG", path}});
  ASSERT_NE(serve.port(), 0) << serve.output();
  // metrics.listen from the file: the API listener no longer serves /metrics.
  EXPECT_EQ(HttpClient(serve.port()).Get("/metrics").status, 404);
  EXPECT_EQ(HttpClient(serve.port()).Get("/healthz").status, 200);
  EXPECT_EQ(serve.SignalAndWait(SIGTERM), 0);
}

}  // namespace
}  // namespace klozeo::testing
