#include "support/test_server.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <random>
#include <stdexcept>

namespace klozeo::testing {

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("klozeo-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string WithDatabase(const std::string& dsn, const std::string& name) {
  auto scheme = dsn.find("://");
  if (scheme == std::string::npos) {
    throw std::runtime_error("KLOZEO_TEST_PG_DSN must be a postgresql:// URL");
  }
  auto slash = dsn.find('/', scheme + 3);
  auto query = dsn.find('?', scheme + 3);
  std::string head = dsn.substr(0, std::min(slash, query));
  std::string tail = query == std::string::npos ? "" : dsn.substr(query);
  return head + "/" + name + tail;
}

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

// Runs one statement on the DSN's own database (CREATE/DROP DATABASE).
void AdminExec(const std::string& sql) {
  PGconn* conn = PQconnectdb(Env("KLOZEO_TEST_PG_DSN").c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot connect to KLOZEO_TEST_PG_DSN: " + msg);
  }
  PGresult* r = PQexec(conn, sql.c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string msg = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(conn);
  if (!ok) throw std::runtime_error(sql + ": " + msg);
}

// Skips every test of the binary, with a message, when PostgreSQL is asked for without a
// server to run on.
class PostgresEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (TestDatabase::PostgresRequested() && Env("KLOZEO_TEST_PG_DSN").empty()) {
      GTEST_SKIP() << "KLOZEO_TEST_BACKEND=postgres but KLOZEO_TEST_PG_DSN is not set: skipping "
                      "(scripts/with-postgres.sh or `make test` provide one)";
    }
  }
};

[[maybe_unused]] const auto* const kPostgresEnvironment =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

}  // namespace

bool TestDatabase::PostgresRequested() { return Env("KLOZEO_TEST_BACKEND") == "postgres"; }

TestDatabase::TestDatabase() {
  if (!PostgresRequested()) {
    url_ = "sqlite:" + (dir_.path() / "klozeo.db").string();
    return;
  }
  std::string dsn = Env("KLOZEO_TEST_PG_DSN");
  if (dsn.empty()) throw std::runtime_error("KLOZEO_TEST_PG_DSN is not set");
  std::random_device rd;
  pg_name_ = "klozeo_test_" + std::to_string(rd()) + "_" + std::to_string(rd());
  AdminExec("CREATE DATABASE " + pg_name_);
  url_ = WithDatabase(dsn, pg_name_);
}

TestDatabase::~TestDatabase() {
  if (pg_name_.empty()) return;
  try {
    AdminExec("DROP DATABASE IF EXISTS " + pg_name_ + " WITH (FORCE)");
  } catch (const std::exception&) {
    // the throwaway cluster goes away anyway
  }
}

TestServer::TestServer(Options options) : clock_(1700000000000) {
  app::ServeConfig config;
  config.listen = "127.0.0.1:0";
  // A given database (a restart test reopens the previous server's), else this server's own.
  config.db = !options.db_url.empty()    ? options.db_url
              : !options.db_path.empty() ? "sqlite:" + options.db_path
                                         : db_.url();
  db_path_ = options.db_path;
  config.webhooks = options.webhooks;
  config.threads = options.threads;
  config.sdk_compat = options.sdk_compat;
  config.plan_overrides = options.plan_overrides;
  config.max_body_bytes = static_cast<int64_t>(options.max_body_bytes);
  config.metrics_listen = options.metrics_listen;
  auto app = app::ServerApp::Create(config, clock_, nullptr);
  if (!app.ok()) throw std::runtime_error("test server failed to start: " + app.error().message);
  app_ = std::move(*app);
  runner_ = std::thread([this] { app_->server().Run(); });
}

TestServer::~TestServer() { Stop(); }

void TestServer::Stop() {
  if (runner_.joinable()) {
    app_->server().Stop();
    runner_.join();
  }
  if (app_) app_->dispatcher().Stop();
}

HttpClient TestServer::NewAccount(const std::string& plan) {
  auto created =
      app_->services().accounts().CreateAccount("acct" + std::to_string(++accounts_), plan);
  if (!created.ok()) throw std::runtime_error("account: " + created.error().message);
  return HttpClient(port(), created->second.secret);
}

}  // namespace klozeo::testing
