// GET /metrics over real HTTP: the series exist, count what happens, and carry no ids or keys.
#include <gtest/gtest.h>

#include <regex>

#include "support/test_server.h"

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
