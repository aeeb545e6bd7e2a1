// GET /metrics over real HTTP: the series exist, count what happens, and carry no ids or keys.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <regex>
#include <thread>

#include "support/test_server.h"
#include "support/webhook_receiver.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

/// The value of the series `name{labels}` (labels exactly as rendered, "" for none), or -1.
double Sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

/// How much `series` grew between two scrapes (metrics are process-wide; tests may share a
/// process).
double Delta(const std::string& before, const std::string& after, const std::string& series) {
  double b = Sample(before, series);
  return Sample(after, series) - (b < 0 ? 0 : b);
}

std::string Scrape(const TestServer& server) {
  auto r = server.Anonymous().Get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return r.body;
}

TEST(Metrics, ServedWithoutKeyWithEverySeries) {
  TestServer server;
  std::string text = Scrape(server);
  for (const char* name :
       {"klozeo_http_requests_in_flight", "klozeo_rate_limit_rejections_total",
        "klozeo_dedup_outcomes_total{tier=\"email\"}", "klozeo_webhook_outbox_depth",
        "klozeo_webhook_deliveries_total{outcome=\"delivered\"}",
        "klozeo_webhook_delivery_duration_seconds_count",
        "klozeo_idempotency_requests_total{outcome=\"replayed\"}",
        "klozeo_db_pool_connections{state=\"in_use\"}",
        "klozeo_db_pool_connections{state=\"idle\"}", "klozeo_db_pool_size"}) {
    EXPECT_GE(Sample(text, name), 0) << name << " missing in:\n" << text;
  }
  EXPECT_GT(Sample(text, "process_resident_memory_bytes"), 1e6);
  EXPECT_GT(Sample(text, "klozeo_db_pool_size"), 0);
  // The scrape itself is in flight while it renders.
  EXPECT_EQ(Sample(text, "klozeo_http_requests_in_flight"), 1);
}

TEST(Metrics, CountRequestsByRoutePatternAndStatus) {
  TestServer server;
  auto api = server.NewAccount();
  const std::string before = Scrape(server);
  auto created = api.Post("/api/v1/leads", json{{"name", "A"}, {"source", "s"}});
  ASSERT_EQ(created.status, 201);
  const std::string id = created.json()["id"];
  for (int i = 0; i < 3; ++i) EXPECT_EQ(api.Get("/api/v1/leads/" + id).status, 200);
  EXPECT_EQ(api.Get("/api/v1/leads/cl_missing").status, 404);
  EXPECT_EQ(api.Get("/no/such/route").status, 404);

  std::string text = Scrape(server);
  const std::string get_ok =
      "klozeo_http_requests_total{method=\"GET\",route=\"/api/v1/leads/{id}\",status=\"200\"}";
  EXPECT_EQ(Delta(before, text, get_ok), 3) << text;
  EXPECT_EQ(Delta(before, text,
                  "klozeo_http_requests_total{method=\"GET\",route=\"/api/v1/leads/{id}\","
                  "status=\"404\"}"),
            1);
  EXPECT_EQ(Delta(before, text,
                  "klozeo_http_requests_total{method=\"POST\",route=\"/api/v1/leads\","
                  "status=\"201\"}"),
            1);
  EXPECT_EQ(Delta(before, text,
                  "klozeo_http_request_duration_seconds_count{method=\"GET\",route=\"/"
                  "api/v1/leads/{id}\",status=\"200\"}"),
            3);
  EXPECT_EQ(Delta(before, text,
                  "klozeo_http_requests_total{method=\"GET\",route=\"unmatched\","
                  "status=\"404\"}"),
            1);
  // Label values are patterns and codes: never an id, a key or a raw path.
  EXPECT_EQ(text.find(id), std::string::npos);
  EXPECT_EQ(text.find("cl_missing"), std::string::npos);
  EXPECT_EQ(text.find("/no/such/route"), std::string::npos);
  EXPECT_EQ(text.find(api.key()), std::string::npos);
  EXPECT_EQ(text.find("sk_live_"), std::string::npos);
}

TEST(Metrics, CountRateLimitRejectionsAndDedupTiers) {
  TestServer::Options options;
  options.plan_overrides = {"tiny:leads=0,requests=3,window=600"};
  TestServer server(options);
  auto api = server.NewAccount("tiny");
  const std::string before = Scrape(server);
  EXPECT_EQ(
      api.Post("/api/v1/leads", json{{"name", "A"}, {"source", "s"}, {"email", "a@x.io"}}).status,
      201);
  EXPECT_EQ(
      api.Post("/api/v1/leads", json{{"name", "B"}, {"source", "s"}, {"email", "A@x.io"}}).status,
      200);
  EXPECT_EQ(api.Get("/api/v1/leads").status, 200);
  EXPECT_EQ(api.Get("/api/v1/leads").status, 429);
  EXPECT_EQ(api.Get("/api/v1/leads").status, 429);
  std::string text = Scrape(server);
  EXPECT_EQ(Delta(before, text, "klozeo_rate_limit_rejections_total"), 2);
  EXPECT_EQ(Delta(before, text, "klozeo_dedup_outcomes_total{tier=\"none\"}"), 1);
  EXPECT_EQ(Delta(before, text, "klozeo_dedup_outcomes_total{tier=\"email\"}"), 1);
  EXPECT_EQ(Delta(before, text, "klozeo_dedup_outcomes_total{tier=\"source_id\"}"), 0);
}

/// Scrapes until `done` holds for the text (up to `timeout_ms`), returning the last scrape.
std::string ScrapeUntil(const TestServer& server,
                        const std::function<bool(const std::string&)>& done,
                        int timeout_ms = 30000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string text = Scrape(server);
  while (!done(text) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    text = Scrape(server);
  }
  return text;
}

TEST(Metrics, CountWebhookDeliveriesByOutcomeWithLatencyAndOutboxDepth) {
  WebhookReceiver receiver;
  receiver.Plan({{500, 0}});  // the first attempt fails, the retry succeeds
  TestServer::Options options;
  options.webhooks.retry_base_ms = 100;
  options.webhooks.poll_ms = 50;
  TestServer server(options);
  auto api = server.NewAccount();
  auto hook = api.Post("/api/v1/webhooks", json{{"url", receiver.Url()}, {"secret", "s3cret"}});
  ASSERT_EQ(hook.status, 201) << hook.body;
  const std::string hook_id = hook.json()["id"];
  const std::string before = Scrape(server);
  ASSERT_EQ(api.Post("/api/v1/leads", json{{"name", "Hooked"}, {"source", "s"}}).status, 201);
  ASSERT_TRUE(receiver.WaitForCount(2, 30000));

  const std::string delivered = "klozeo_webhook_deliveries_total{outcome=\"delivered\"}";
  const std::string failed = "klozeo_webhook_deliveries_total{outcome=\"failed\"}";
  const std::string latency = "klozeo_webhook_delivery_duration_seconds_count";
  // The outcome is counted once recorded (just after the receiver answered), and the depth is
  // recounted every second.
  std::string text = ScrapeUntil(server, [&](const std::string& t) {
    return Delta(before, t, delivered) >= 1 && Sample(t, "klozeo_webhook_outbox_depth") == 0;
  });
  EXPECT_EQ(Delta(before, text, delivered), 1) << text;
  EXPECT_EQ(Delta(before, text, failed), 1) << text;
  EXPECT_EQ(Delta(before, text, "klozeo_webhook_deliveries_total{outcome=\"dead\"}"), 0);
  EXPECT_EQ(Delta(before, text, latency), 2) << text;
  EXPECT_GT(Delta(before, text, "klozeo_webhook_delivery_duration_seconds_sum"), 0);
  EXPECT_EQ(Sample(text, "klozeo_webhook_outbox_depth"), 0) << text;
  // Label values are outcomes, never ids.
  const auto deliveries = api.Get("/api/v1/webhooks/" + hook_id + "/deliveries").json();
  ASSERT_EQ(deliveries["count"], 1);
  EXPECT_EQ(text.find(hook_id), std::string::npos);
  EXPECT_EQ(text.find(deliveries["deliveries"][0]["id"].get<std::string>()), std::string::npos);
  EXPECT_EQ(text.find(api.key()), std::string::npos);
}

TEST(Metrics, OutboxDepthCountsPendingDeliveries) {
  WebhookReceiver receiver;
  receiver.SetDefault({503, 0});  // never acknowledged: the deliveries stay pending
  TestServer::Options options;
  options.webhooks.retry_base_ms = 60'000;
  options.webhooks.poll_ms = 50;
  TestServer server(options);
  auto api = server.NewAccount();
  ASSERT_EQ(api.Post("/api/v1/webhooks", json{{"url", receiver.Url()}}).status, 201);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(
        api.Post("/api/v1/leads", json{{"name", "L" + std::to_string(i)}, {"source", "s"}}).status,
        201);
  }
  std::string text = ScrapeUntil(
      server, [](const std::string& t) { return Sample(t, "klozeo_webhook_outbox_depth") == 3; });
  EXPECT_EQ(Sample(text, "klozeo_webhook_outbox_depth"), 3) << text;
}

TEST(Metrics, SeparateListenAddressServesOnlyMetrics) {
  TestServer::Options options;
  options.metrics_listen = "127.0.0.1:0";
  TestServer server(options);
  ASSERT_NE(server.app().metrics_port(), 0);
  EXPECT_EQ(server.Anonymous().Get("/metrics").status, 404);
  HttpClient metrics(server.app().metrics_port());
  auto r = metrics.Get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("klozeo_db_pool_size"), std::string::npos);
  EXPECT_EQ(metrics.Get("/api/v1/leads").status, 404);
}

}  // namespace
}  // namespace klozeo::testing
