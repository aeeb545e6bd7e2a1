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

/// The real server, in this process, on 127.0.0.1:<free port> over a temp SQLite file.
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

 private:
  TempDir dir_;
  core::ManualClock clock_;
  std::string db_path_;
  std::unique_ptr<app::ServerApp> app_;
  std::thread runner_;
  int accounts_ = 0;
};

}  // namespace klozeo::testing
