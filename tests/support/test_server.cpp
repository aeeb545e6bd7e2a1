#include "support/test_server.h"

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

TestServer::TestServer(Options options) : clock_(1700000000000) {
  app::ServeConfig config;
  config.listen = "127.0.0.1:0";
  db_path_ = options.db_path.empty() ? (dir_.path() / "klozeo.db").string() : options.db_path;
  config.db = "sqlite:" + db_path_;
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
