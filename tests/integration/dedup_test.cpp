// Deduplication and merge on POST /leads (API-CONTRACT section 7) over real HTTP.
#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "support/test_server.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

json Lead(const std::string& name, json extra = json::object()) {
  json lead{{"name", name}, {"source", "website"}};
  for (auto& [k, v] : extra.items()) lead[k] = v;
  return lead;
}

std::string CreatedId(const HttpResult& r, int status = 201) {
  EXPECT_EQ(r.status, status) << r.body;
  return r.json().value("id", "");
}

int64_t CountLeads(const HttpClient& api) {
  auto r = api.Get("/api/v1/leads?limit=1000");
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json()["count"].get<int64_t>();
}

TEST(Dedup, MergesOnEmailCaseInsensitive) {
  TestServer server;
  auto api = server.NewAccount();
  std::string id =
      CreatedId(api.Post("/api/v1/leads", Lead("Acme", {{"email", "Sales@Acme.com"}})));
  server.clock().AdvanceMillis(60 * 1000);
  auto merged = api.Post("/api/v1/leads", Lead("Acme Inc", {{"email", "  sales@ACME.COM "}}));
  ASSERT_EQ(merged.status, 200) << merged.body;
  json body = merged.json();
  EXPECT_EQ(body["id"], id);
  EXPECT_EQ(body["duplicate"], true);
  EXPECT_EQ(body["message"], "Duplicate detected, existing lead updated");
  EXPECT_EQ(body["created_at"], 1700000000);  // the original's
  EXPECT_EQ(CountLeads(api), 1);
  EXPECT_EQ(api.Get("/api/v1/leads/" + id).json()["name"], "Acme Inc");
}

TEST(Dedup, MergesOnSourceIdExactOnly) {
  TestServer server;
  auto api = server.NewAccount();
  std::string id = CreatedId(api.Post("/api/v1/leads", Lead("Acme", {{"source_id", "ext-1"}})));
  auto merged = api.Post("/api/v1/leads", Lead("Other name", {{"source_id", "ext-1"}}));
  ASSERT_EQ(merged.status, 200) << merged.body;
  EXPECT_EQ(merged.json()["id"], id);
  // Exact: another case is another external id.
  auto other = api.Post("/api/v1/leads", Lead("Third", {{"source_id", "EXT-1"}}));
  EXPECT_EQ(other.status, 201) << other.body;
  EXPECT_EQ(CountLeads(api), 2);
}

TEST(Dedup, MergesOnPhoneWithSimilarName) {
  TestServer server;
  auto api = server.NewAccount();
  std::string id = CreatedId(
      api.Post("/api/v1/leads", Lead("Acme Corporation", {{"phone", "+1 (415) 555-2671"}})));
  // Same number written nationally, name differs only in case/punctuation: merge.
  auto merged = api.Post("/api/v1/leads", Lead("ACME Corporation.", {{"phone", "415.555.2671"}}));
  ASSERT_EQ(merged.status, 200) << merged.body;
  EXPECT_EQ(merged.json()["id"], id);
  // Same number, unrelated name: a new lead.
  auto other = api.Post("/api/v1/leads", Lead("Globex Industries", {{"phone", "4155552671"}}));
  EXPECT_EQ(other.status, 201) << other.body;
  // Similar name, different number: a new lead.
  auto third = api.Post("/api/v1/leads", Lead("Acme Corporation", {{"phone", "415 555 0000"}}));
  EXPECT_EQ(third.status, 201) << third.body;
  EXPECT_EQ(CountLeads(api), 3);
}

TEST(Dedup, NameAndCityOnlyHintsAPotentialDuplicate) {
  TestServer server;
  auto api = server.NewAccount();
  std::string id = CreatedId(api.Post("/api/v1/leads", Lead("Café Flore", {{"city", "Paris"}})));
  auto hinted = api.Post("/api/v1/leads", Lead("CAFÉ FLORE", {{"city", "  paris "}}));
  ASSERT_EQ(hinted.status, 201) << hinted.body;
  json body = hinted.json();
  EXPECT_NE(body["id"], id);
  EXPECT_EQ(body["potential_duplicate_id"], id);
  EXPECT_EQ(body["message"], "Lead created successfully");
  EXPECT_FALSE(body.contains("duplicate"));
  // Without a city there is no hint.
  auto plain = api.Post("/api/v1/leads", Lead("Café Flore"));
  ASSERT_EQ(plain.status, 201);
  EXPECT_FALSE(plain.json().contains("potential_duplicate_id"));
  EXPECT_EQ(CountLeads(api), 3);
}

TEST(Dedup, TiersApplyInOrder) {
  TestServer server;
  auto api = server.NewAccount();
  std::string by_email = CreatedId(api.Post("/api/v1/leads", Lead("A", {{"email", "a@x.io"}})));
  std::string by_source = CreatedId(api.Post("/api/v1/leads", Lead("B", {{"source_id", "s-1"}})));
  // Matches lead B by source_id and lead A by e-mail: the e-mail tier wins.
  auto merged = api.Post("/api/v1/leads", Lead("C", {{"email", "A@X.IO"}, {"source_id", "s-1"}}));
  ASSERT_EQ(merged.status, 200);
  EXPECT_EQ(merged.json()["id"], by_email);
  EXPECT_NE(by_email, by_source);
}

TEST(Dedup, IsScopedToTheAccount) {
  TestServer server;
  auto a = server.NewAccount();
  auto b = server.NewAccount();
  CreatedId(a.Post("/api/v1/leads", Lead("Acme", {{"email", "x@acme.com"}, {"city", "Oslo"}})));
  auto other = b.Post("/api/v1/leads", Lead("Acme", {{"email", "x@acme.com"}, {"city", "Oslo"}}));
  ASSERT_EQ(other.status, 201) << other.body;
  EXPECT_FALSE(other.json().contains("potential_duplicate_id"));
}

TEST(Dedup, MergeRulesFieldByField) {
  TestServer server;
  auto api = server.NewAccount();
  json original = Lead("Acme", {{"email", "a@acme.com"},
                                {"city", "Paris"},
                                {"phone", "+33 1 23 45 67 89"},
                                {"description", "keep me"},
                                {"rating", 3.5},
                                {"review_count", 10},
                                {"tags", {"one", "two"}},
                                {"status", "contacted"},
                                {"attributes",
                                 {{{"name", "industry"}, {"type", "text"}, {"value", "Software"}},
                                  {{"name", "size"}, {"type", "number"}, {"value", 10}}}}});
  std::string id = CreatedId(api.Post("/api/v1/leads", original));
  json before = api.Get("/api/v1/leads/" + id).json();
  server.clock().AdvanceMillis(100 * 1000);
  json incoming = Lead("Acme", {{"email", "A@acme.com"},
                                {"city", "Lyon"},                     // non-empty: overwrites
                                {"phone", nullptr},                   // null: kept
                                {"description", ""},                  // empty: kept
                                {"rating", 4.5},                      // overwrites
                                {"tags", json::array()},              // empty list: kept
                                {"website", "https://acme.example"},  // new value
                                {"attributes",
                                 {{{"name", "size"}, {"type", "number"}, {"value", 50}},
                                  {{"name", "tier"}, {"type", "text"}, {"value", "gold"}}}}});
  auto merged = api.Post("/api/v1/leads", incoming);
  ASSERT_EQ(merged.status, 200) << merged.body;
  json after = api.Get("/api/v1/leads/" + id).json();
  EXPECT_EQ(after["name"], "Acme");
  EXPECT_EQ(after["email"], "A@acme.com");
  EXPECT_EQ(after["city"], "Lyon");
  EXPECT_EQ(after["phone"], "+33 1 23 45 67 89");
  EXPECT_EQ(after["description"], "keep me");
  EXPECT_EQ(after["rating"], 4.5);
  EXPECT_EQ(after["review_count"], 10);
  EXPECT_EQ(after["tags"], json::array({"one", "two"}));
  EXPECT_EQ(after["status"], "contacted");
  EXPECT_EQ(after["website"], "https://acme.example");
  EXPECT_EQ(after["created_at"], before["created_at"]);
  EXPECT_EQ(after["updated_at"], 1700000100);
  EXPECT_EQ(after["last_interaction_at"], 1700000100);
  // Attributes upserted by name: industry kept, size replaced (same id), tier added.
  std::map<std::string, json> attrs;
  for (const auto& a : after["attributes"]) attrs[a["name"]] = a;
  ASSERT_EQ(attrs.size(), 3u);
  EXPECT_EQ(attrs["industry"]["value"], "Software");
  EXPECT_EQ(attrs["size"]["value"], 50);
  EXPECT_EQ(attrs["tier"]["value"], "gold");
  for (const auto& a : before["attributes"]) {
    if (a["name"] == "size") {
      EXPECT_EQ(attrs["size"]["id"], a["id"]);
    }
  }
}

TEST(Dedup, MergeWithoutChangeBumpsOnlyLastInteraction) {
  TestServer server;
  auto api = server.NewAccount();
  json lead = Lead("Acme", {{"email", "a@acme.com"}, {"city", "Paris"}});
  std::string id = CreatedId(api.Post("/api/v1/leads", lead));
  server.clock().AdvanceMillis(30 * 1000);
  ASSERT_EQ(api.Post("/api/v1/leads", lead).status, 200);
  json after = api.Get("/api/v1/leads/" + id).json();
  EXPECT_EQ(after["updated_at"], 1700000000);
  EXPECT_EQ(after["last_interaction_at"], 1700000030);
}

TEST(Dedup, MergedLeadIsRescored) {
  TestServer server;
  auto api = server.NewAccount();
  ASSERT_EQ(api.Post("/api/v1/scoring-rules",
                     json{{"name", "rating"}, {"expression", "rating * 10"}, {"weight", 1.0}})
                .status,
            201);
  std::string id =
      CreatedId(api.Post("/api/v1/leads", Lead("Acme", {{"email", "a@acme.com"}, {"rating", 2}})));
  EXPECT_EQ(api.Get("/api/v1/leads/" + id).json()["score"], 20.0);
  ASSERT_EQ(
      api.Post("/api/v1/leads", Lead("Acme", {{"email", "a@acme.com"}, {"rating", 7}})).status,
      200);
  EXPECT_EQ(api.Get("/api/v1/leads/" + id).json()["score"], 70.0);
}

TEST(Dedup, MergeSucceedsOnAFullAccount) {
  TestServer server({.plan_overrides = {"free:leads=2"}});
  auto api = server.NewAccount("free");
  std::string id = CreatedId(api.Post("/api/v1/leads", Lead("A", {{"email", "a@x.io"}})));
  CreatedId(api.Post("/api/v1/leads", Lead("B")));
  auto full = api.Post("/api/v1/leads", Lead("C"));
  EXPECT_EQ(full.status, 403) << full.body;
  auto merged = api.Post("/api/v1/leads", Lead("A2", {{"email", "A@X.IO"}}));
  ASSERT_EQ(merged.status, 200) << merged.body;
  EXPECT_EQ(merged.json()["id"], id);
  // A name+city hint still creates, so the cap applies to it.
  auto hinted = api.Post("/api/v1/leads", Lead("B"));
  EXPECT_EQ(hinted.status, 403);
}

TEST(Dedup, ConcurrentIdenticalCreatesEndAsOneLead) {
  TestServer server({.threads = 4});
  auto api = server.NewAccount();
  constexpr int kClients = 24;
  std::vector<HttpResult> results(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      results[i] =
          api.Post("/api/v1/leads", Lead("Race Co", {{"email", "race@co.io"}, {"rating", i}}));
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> ids;
  int created = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.status == 201 || r.status == 200) << r.status << " " << r.body;
    if (r.status == 201) ++created;
    ids.insert(r.json()["id"].get<std::string>());
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(CountLeads(api), 1);
}

TEST(Dedup, ConcurrentPhoneCreatesEndAsOneLead) {
  TestServer server({.threads = 4});
  auto api = server.NewAccount();
  constexpr int kClients = 16;
  std::vector<HttpResult> results(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      results[i] = api.Post("/api/v1/leads", Lead("Phone Co", {{"phone", "+44 20 7946 0958"}}));
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) ASSERT_TRUE(r.status == 201 || r.status == 200) << r.body;
  EXPECT_EQ(CountLeads(api), 1);
}

}  // namespace
}  // namespace klozeo::testing
