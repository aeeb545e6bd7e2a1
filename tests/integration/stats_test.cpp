// GET /api/v1/stats over real HTTP, on SQLite and (registered `.pg`) on PostgreSQL.
#include <gtest/gtest.h>

#include "support/test_server.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

constexpr int64_t kDayMs = 86'400'000;  // TestServer's clock starts at 2023-11-14 22:13:20 UTC

void CreateLead(const HttpClient& api, const json& body) {
  auto r = api.Post("/api/v1/leads", body);
  ASSERT_EQ(r.status, 201) << r.body;
}

json Stats(const HttpClient& api, const std::string& query = "") {
  auto r = api.Get("/api/v1/stats" + query);
  EXPECT_EQ(r.status, 200) << r.body;
  return json::parse(r.body, nullptr, false);
}

TEST(StatsApi, EmptyAccountHasEveryBucketAndDay) {
  TestServer server;
  auto api = server.NewAccount();
  json s = Stats(api);
  EXPECT_EQ(s["total_leads"], 0);
  EXPECT_TRUE(s["average_score"].is_null());
  EXPECT_EQ(s["by_status"], json::object());
  EXPECT_EQ(s["by_source"], json::array());
  EXPECT_EQ(s["top_cities"], json::array());
  ASSERT_EQ(s["score_histogram"].size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(s["score_histogram"][i]["from"], i * 10);
    EXPECT_EQ(s["score_histogram"][i]["to"], i == 9 ? 100 : i * 10 + 9);
    EXPECT_EQ(s["score_histogram"][i]["count"], 0);
  }
  ASSERT_EQ(s["created_per_day"].size(), 30u);
  EXPECT_EQ(s["created_per_day"][0]["date"], "2023-10-16");
  EXPECT_EQ(s["created_per_day"][29]["date"], "2023-11-14");
  EXPECT_EQ(s["created_per_day"][29]["count"], 0);
  EXPECT_EQ(Stats(api, "?days=1")["created_per_day"].size(), 1u);
  EXPECT_EQ(Stats(api, "?days=365")["created_per_day"].size(), 365u);
}

TEST(StatsApi, CountsStatusesSourcesCitiesScoresAndDays) {
  TestServer server;
  auto api = server.NewAccount();
  // score = rating * 10, clamped to 0..100 by the scorer.
  ASSERT_EQ(api.Post("/api/v1/scoring-rules",
                     json{{"name", "rating"}, {"expression", "rating * 10"}, {"weight", 1}})
                .status,
            201);
  CreateLead(api, {{"name", "A"}, {"source", "web"}, {"city", "Paris"}, {"rating", 0.5}});
  CreateLead(api, {{"name", "B"}, {"source", "Web"}, {"city", "PARIS"}, {"rating", 0.95}});
  CreateLead(api, {{"name", "C"},
                   {"source", "ads"},
                   {"city", "Lyon"},
                   {"rating", 2.5},
                   {"status", "contacted"}});
  server.clock().AdvanceMillis(-2 * kDayMs);  // two days earlier
  CreateLead(
      api,
      {{"name", "D"}, {"source", "ads"}, {"city", ""}, {"rating", 9.5}, {"status", "converted"}});
  CreateLead(api, {{"name", "E"}, {"source", "fair"}, {"rating", 20}, {"status", "contacted"}});
  server.clock().AdvanceMillis(2 * kDayMs);

  json s = Stats(api, "?days=3");
  EXPECT_EQ(s["total_leads"], 5);
  // Scores 5, 9.5, 25, 95, 100.
  EXPECT_DOUBLE_EQ(s["average_score"].get<double>(), 46.9);
  EXPECT_EQ(s["by_status"], (json{{"new", 2}, {"contacted", 2}, {"converted", 1}}));
  // Case-insensitive groups, most leads first, ties by name.
  ASSERT_EQ(s["by_source"].size(), 3u) << s["by_source"];
  EXPECT_EQ(s["by_source"][0]["count"], 2);
  EXPECT_EQ(s["by_source"][1]["count"], 2);
  EXPECT_EQ(s["by_source"][0]["source"], "ads") << "ties by folded name: 'ads' < 'web'";
  EXPECT_EQ(s["by_source"][1]["source"], "Web") << "the smallest spelling of the group";
  EXPECT_EQ(s["by_source"][2], (json{{"source", "fair"}, {"count", 1}}));
  ASSERT_EQ(s["top_cities"].size(), 2u) << "empty and absent cities are not counted";
  EXPECT_EQ(s["top_cities"][0]["count"], 2);
  EXPECT_EQ(s["top_cities"][0]["city"], "Paris") << "the spelling of the oldest lead";
  EXPECT_EQ(s["top_cities"][1], (json{{"city", "Lyon"}, {"count", 1}}));
  std::vector<int> histogram;
  for (const auto& b : s["score_histogram"]) histogram.push_back(b["count"]);
  EXPECT_EQ(histogram, (std::vector<int>{2, 0, 1, 0, 0, 0, 0, 0, 0, 2}));
  EXPECT_EQ(s["created_per_day"], (json{{{"date", "2023-11-12"}, {"count", 2}},
                                        {{"date", "2023-11-13"}, {"count", 0}},
                                        {{"date", "2023-11-14"}, {"count", 3}}}));
  // A shorter window leaves the older leads out of the per-day counts only.
  json today = Stats(api, "?days=1");
  EXPECT_EQ(today["created_per_day"], (json{{{"date", "2023-11-14"}, {"count", 3}}}));
  EXPECT_EQ(today["total_leads"], 5);
}

TEST(StatsApi, TopTenSourcesByCountThenName) {
  TestServer server;
  auto api = server.NewAccount();
  std::vector<json> leads;
  for (int i = 0; i < 12; ++i) {
    for (int n = 0; n <= (i == 11 ? 3 : 0); ++n) {
      leads.push_back({{"name", "L" + std::to_string(i) + "_" + std::to_string(n)},
                       {"source", "s" + std::to_string(i + 10)},
                       {"city", "c" + std::to_string(i + 10)}});
    }
  }
  ASSERT_EQ(api.Post("/api/v1/leads/batch", json{{"leads", leads}}).status, 201);
  json s = Stats(api);
  ASSERT_EQ(s["by_source"].size(), 10u);
  EXPECT_EQ(s["by_source"][0], (json{{"source", "s21"}, {"count", 4}}));
  EXPECT_EQ(s["by_source"][1], (json{{"source", "s10"}, {"count", 1}}));
  EXPECT_EQ(s["by_source"][9], (json{{"source", "s18"}, {"count", 1}}));
  ASSERT_EQ(s["top_cities"].size(), 10u);
  EXPECT_EQ(s["top_cities"][0], (json{{"city", "c21"}, {"count", 4}}));
  EXPECT_EQ(s["total_leads"], 15);
}

TEST(StatsApi, TenantScopedAndAuthenticated) {
  TestServer server;
  auto alice = server.NewAccount();
  auto bob = server.NewAccount();
  CreateLead(alice, {{"name", "A"}, {"source", "web"}});
  EXPECT_EQ(Stats(alice)["total_leads"], 1);
  json b = Stats(bob);
  EXPECT_EQ(b["total_leads"], 0);
  EXPECT_EQ(b["by_source"], json::array());
  EXPECT_EQ(server.Anonymous().Get("/api/v1/stats").status, 401);
  EXPECT_EQ(HttpClient(server.port(), "sk_live_nope").Get("/api/v1/stats").status, 401);
}

TEST(StatsApi, BadDaysIs400) {
  TestServer server;
  auto api = server.NewAccount();
  for (const char* bad : {"0", "366", "-1", "abc", "", "7x", "1.5", "99999999999"}) {
    auto r = api.Get(std::string("/api/v1/stats?days=") + bad);
    EXPECT_EQ(r.status, 400) << bad << " -> " << r.body;
    EXPECT_NE(r.body.find("days"), std::string::npos) << r.body;
  }
}

}  // namespace
}  // namespace klozeo::testing
