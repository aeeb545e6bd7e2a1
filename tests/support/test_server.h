#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/wiring.h"
#include "core/clock.h"
#include "support/http_client.h"

namespace klozeo::testing {

/// A fresh temporary directory, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// The PostgreSQL DSN `dsn` (URL form: postgres[ql]://auth@host:port/db?opts) with its database
/// name replaced by `name`.
std::string WithDatabase(const std::string& dsn, const std::string& name);

/// The database of one test: a SQLite file in a temp dir or, with
/// KLOZEO_TEST_BACKEND=postgres, a fresh PostgreSQL database on the server of
/// KLOZEO_TEST_PG_DSN (created with a random name, dropped with FORCE on destruction), since
/// ctest runs tests in parallel. Test binaries linking this support library skip every test
/// with a message when PostgreSQL is asked for without a DSN.
class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  /// The `--db` URL: sqlite:PATH or postgresql://...
  const std::string& url() const { return url_; }
  bool is_postgres() const { return !pg_name_.empty(); }
  /// True when KLOZEO_TEST_BACKEND=postgres.
  static bool PostgresRequested();

 private:
  TempDir dir_;
  std::string url_;
  std::string pg_name_;
};

/// The real server, in this process, on 127.0.0.1:<free port> over a TestDatabase.
/// Time comes from a ManualClock the test can move.
class TestServer {
 public:
  struct Options {
    bool sdk_compat = false;
    std::vector<std::string> plan_overrides;
    size_t max_body_bytes = 10 * 1024 * 1024;
    int threads = 2;
    /// The SQLite file; empty: a fresh one in a temp directory (a restart test passes the
    /// previous server's db_path()).
    std::string db_path;
    /// The database URL (wins over db_path); empty: this server's own TestDatabase.
    std::string db_url;
    /// Webhook delivery settings; tests deliver to loopback receivers, so private addresses are
    /// allowed unless a test says otherwise.
    app::WebhookConfig webhooks = {true, 5000, 64, 200};
    std::string metrics_listen;  ///< as ServeConfig::metrics_listen
  };
  TestServer() : TestServer(Options{}) {}
  explicit TestServer(Options options);
  ~TestServer();

  uint16_t port() const { return app_->port(); }
  /// Creates an account on `plan` and returns a client holding its key.
  HttpClient NewAccount(const std::string& plan = "unlimited");
  /// A client without a key.
  HttpClient Anonymous() const { return HttpClient(port()); }
  core::ManualClock& clock() { return clock_; }
  const std::string& db_path() const { return db_path_; }
  app::Services& services() { return app_->services(); }
  webhooks::Dispatcher& dispatcher() { return app_->dispatcher(); }
  app::ServerApp& app() { return *app_; }
  /// The API this server runs (its route table lists every route).
  const http::Api& api() const { return app_->api(); }
  /// Stops the server gracefully and waits for it, then the webhook dispatcher.
  void Stop();
  /// The database URL the server runs on (to open it a second time).
  const std::string& db_url() const { return db_.url(); }

 private:
  TestDatabase db_;
  core::ManualClock clock_;
  std::string db_path_;
  std::unique_ptr<app::ServerApp> app_;
  std::thread runner_;
  int accounts_ = 0;
};

}  // namespace klozeo::testing
