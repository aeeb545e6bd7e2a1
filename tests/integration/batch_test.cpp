// POST, PUT and DELETE /leads/batch (API-CONTRACT section 4) over real HTTP.
#include <gtest/gtest.h>

#include "support/test_server.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

json Leads(int n, const std::string& prefix = "Lead ") {
  json list = json::array();
  for (int i = 0; i < n; ++i) {
    list.push_back(json{{"name", prefix + std::to_string(i)}, {"source", "import"}});
  }
  return list;
}

int64_t CountLeads(const HttpClient& api) {
  auto r = api.Get("/api/v1/leads?limit=1000");
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json()["count"].get<int64_t>();
}

void ExpectBadRequest(const HttpResult& r) {
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json()["code"], "bad_request") << r.body;
}

TEST(BatchCreate, AllCreatedIs201AndLeadsAreStoredAndScored) {
  TestServer server;
  auto api = server.NewAccount();
  ASSERT_EQ(
      api.Post("/api/v1/scoring-rules", json{{"name", "r"}, {"expression", "rating * 10"}}).status,
      201);
  json leads = Leads(3);
  leads[1]["rating"] = 5;
  leads[1]["email"] = "dup@x.io";
  leads[2]["email"] = "DUP@x.io";  // no dedup in batch
  auto r = api.Post("/api/v1/leads/batch", json{{"leads", leads}});
  ASSERT_EQ(r.status, 201) << r.body;
  json body = r.json();
  EXPECT_EQ(body["total"], 3);
  EXPECT_EQ(body["success"], 3);
  EXPECT_EQ(body["failed"], 0);
  EXPECT_EQ(body["errors"], json::array());
  ASSERT_EQ(body["created"].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(body["created"][i]["index"], i);
    EXPECT_EQ(body["created"][i]["created_at"], 1700000000);
    auto got = api.Get("/api/v1/leads/" + body["created"][i]["id"].get<std::string>());
    ASSERT_EQ(got.status, 200);
    EXPECT_EQ(got.json()["name"], "Lead " + std::to_string(i));
  }
  auto scored = api.Get("/api/v1/leads/" + body["created"][1]["id"].get<std::string>());
  EXPECT_EQ(scored.json()["score"], 50.0);
  EXPECT_EQ(CountLeads(api), 3);
}

// A batch files its leads for substring search itself (schema 16: no insert trigger), together
// with a single lead still pending before it; another account's search does not see them.
TEST(BatchCreate, LeadsAreFoundBySubstringSearchRightAway) {
  TestServer server;
  auto api = server.NewAccount();
  auto other = server.NewAccount();
  ASSERT_EQ(api.Post("/api/v1/leads", json{{"name", "Zanzibar Single"}, {"source", "web"}}).status,
            201);
  json leads = Leads(3, "Quixotic ");
  ASSERT_EQ(api.Post("/api/v1/leads/batch", json{{"leads", leads}}).status, 201);
  auto found = [](const HttpClient& client, const std::string& needle) {
    auto r = client.Get("/api/v1/leads?filter=and.contains.name." + needle + "&sort_by=name");
    EXPECT_EQ(r.status, 200) << r.body;
    const json body = r.json();
    std::vector<std::string> names;
    for (const auto& lead : body["leads"]) names.push_back(lead["name"]);
    return names;
  };
  EXPECT_EQ(found(api, "UIXOT"),
            (std::vector<std::string>{"Quixotic 0", "Quixotic 1", "Quixotic 2"}));
  EXPECT_EQ(found(api, "otic%202"), (std::vector<std::string>{"Quixotic 2"}));
  EXPECT_EQ(found(api, "anzib"), (std::vector<std::string>{"Zanzibar Single"}));
  EXPECT_EQ(found(other, "UIXOT"), (std::vector<std::string>{}));
  // Later single creates still join the index.
  ASSERT_EQ(api.Post("/api/v1/leads", json{{"name", "Quixotic Late"}, {"source", "web"}}).status,
            201);
  EXPECT_EQ(found(api, "otic%20L"), (std::vector<std::string>{"Quixotic Late"}));
}

TEST(BatchCreate, InvalidItemsFailPerItemWith207) {
  TestServer server;
  auto api = server.NewAccount();
  json leads = Leads(4);
  leads[1].erase("name");
  leads[3]["status"] = "bogus";
  auto r = api.Post("/api/v1/leads/batch", json{{"leads", leads}});
  ASSERT_EQ(r.status, 207) << r.body;
  json body = r.json();
  EXPECT_EQ(body["total"], 4);
  EXPECT_EQ(body["success"], 2);
  EXPECT_EQ(body["failed"], 2);
  ASSERT_EQ(body["created"].size(), 2u);
  EXPECT_EQ(body["created"][0]["index"], 0);
  EXPECT_EQ(body["created"][1]["index"], 2);
  ASSERT_EQ(body["errors"].size(), 2u);
  EXPECT_EQ(body["errors"][0]["index"], 1);
  EXPECT_NE(body["errors"][0]["message"].get<std::string>().find("name"), std::string::npos);
  EXPECT_EQ(body["errors"][1]["index"], 3);
  EXPECT_EQ(CountLeads(api), 2);
}

TEST(BatchCreate, MalformedEmptyOrOversizedIs400AndCreatesNothing) {
  TestServer server({.plan_overrides = {"free:batch=5,requests=1000"}});
  auto api = server.NewAccount("free");
  ExpectBadRequest(api.Send("POST", "/api/v1/leads/batch", "{not json"));
  ExpectBadRequest(api.Post("/api/v1/leads/batch", json{{"leads", json::object()}}));
  ExpectBadRequest(api.Post("/api/v1/leads/batch", json::array()));
  ExpectBadRequest(api.Post("/api/v1/leads/batch", json{{"leads", json::array()}}));
  ExpectBadRequest(api.Post("/api/v1/leads/batch", json{{"leads", Leads(6)}}));
  EXPECT_EQ(CountLeads(api), 0);
  EXPECT_EQ(api.Post("/api/v1/leads/batch", json{{"leads", Leads(5)}}).status, 201);
}

TEST(BatchCreate, DefaultFreePlanBatchIs100) {
  TestServer server;
  auto api = server.NewAccount("free");
  ExpectBadRequest(api.Post("/api/v1/leads/batch", json{{"leads", Leads(101)}}));
  EXPECT_EQ(api.Post("/api/v1/leads/batch", json{{"leads", Leads(100)}}).status, 201);
}

TEST(BatchCreate, LeadCapAppliesPerItem) {
  TestServer server({.plan_overrides = {"free:leads=5,requests=1000"}});
  auto api = server.NewAccount("free");
  ASSERT_EQ(api.Post("/api/v1/leads/batch", json{{"leads", Leads(3)}}).status, 201);
  auto r = api.Post("/api/v1/leads/batch", json{{"leads", Leads(4, "More ")}});
  ASSERT_EQ(r.status, 207) << r.body;
  json body = r.json();
  EXPECT_EQ(body["success"], 2);
  EXPECT_EQ(body["failed"], 2);
  for (const auto& e : body["errors"]) {
    EXPECT_NE(e["message"].get<std::string>().find("leads_limit_reached"), std::string::npos);
  }
  EXPECT_EQ(body["errors"][0]["index"], 2);
  EXPECT_EQ(CountLeads(api), 5);
  // None fits: 403, nothing stored.
  auto full = api.Post("/api/v1/leads/batch", json{{"leads", Leads(2, "Over ")}});
  EXPECT_EQ(full.status, 403) << full.body;
  EXPECT_EQ(full.json()["code"], "leads_limit_reached");
  EXPECT_EQ(CountLeads(api), 5);
}

std::vector<std::string> CreateIds(const HttpClient& api, int n) {
  auto r = api.Post("/api/v1/leads/batch", json{{"leads", Leads(n)}});
  EXPECT_EQ(r.status, 201) << r.body;
  std::vector<std::string> ids;
  json body = r.json();
  for (const auto& c : body["created"]) ids.push_back(c["id"]);
  return ids;
}

TEST(BatchUpdate, UpdatesEachIdAndReportsPerItemFailures) {
  TestServer server;
  auto api = server.NewAccount();
  auto other = server.NewAccount();
  auto ids = CreateIds(api, 2);
  auto foreign = CreateIds(other, 1);
  server.clock().AdvanceMillis(50 * 1000);
  json request{
      {"ids",
       {ids[0], "cl_00000000-0000-7000-8000-000000000000", foreign[0], ids[1], "garbage", 42}},
      {"data", {{"source", "LinkedIn"}, {"city", "Athens"}}}};
  auto r = api.Put("/api/v1/leads/batch", request);
  ASSERT_EQ(r.status, 200) << r.body;
  json body = r.json();
  EXPECT_EQ(body["total"], 6);
  EXPECT_EQ(body["success"], 2);
  EXPECT_EQ(body["failed"], 4);
  ASSERT_EQ(body["results"].size(), 6u);
  const bool expect[] = {true, false, false, true, false, false};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(body["results"][i]["index"], i);
    EXPECT_EQ(body["results"][i]["success"], expect[i]) << body["results"][i];
    EXPECT_EQ(body["results"][i].contains("message"), !expect[i]);
  }
  EXPECT_EQ(body["results"][5]["id"], 42);
  for (const auto& id : ids) {
    json lead = api.Get("/api/v1/leads/" + id).json();
    EXPECT_EQ(lead["source"], "LinkedIn");
    EXPECT_EQ(lead["city"], "Athens");
    EXPECT_EQ(lead["updated_at"], 1700000050);
    EXPECT_EQ(lead["last_interaction_at"], 1700000050);
  }
  EXPECT_EQ(other.Get("/api/v1/leads/" + foreign[0]).json()["source"], "import");
}

TEST(BatchUpdate, BadDataOrIdsIs400) {
  TestServer server;
  auto api = server.NewAccount();
  auto ids = CreateIds(api, 1);
  ExpectBadRequest(api.Put("/api/v1/leads/batch", json{{"ids", ids}}));
  ExpectBadRequest(api.Put("/api/v1/leads/batch", json{{"ids", ids}, {"data", {{"name", ""}}}}));
  ExpectBadRequest(api.Put("/api/v1/leads/batch", json{{"ids", json::array()}, {"data", {}}}));
  ExpectBadRequest(api.Put("/api/v1/leads/batch", json{{"data", {{"city", "x"}}}}));
}

TEST(BatchDelete, DeletesOwnLeadsOnly) {
  TestServer server({.plan_overrides = {"free:batch=3"}});
  auto api = server.NewAccount("free");
  auto other = server.NewAccount("free");
  auto ids = CreateIds(api, 3);
  auto foreign = CreateIds(other, 1);
  ExpectBadRequest(api.Send("DELETE", "/api/v1/leads/batch",
                            json{{"ids", {ids[0], ids[1], ids[2], foreign[0]}}}.dump()));
  auto r =
      api.Send("DELETE", "/api/v1/leads/batch", json{{"ids", {ids[0], foreign[0], ids[2]}}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  json body = r.json();
  EXPECT_EQ(body["total"], 3);
  EXPECT_EQ(body["success"], 2);
  EXPECT_EQ(body["failed"], 1);
  EXPECT_EQ(body["results"][1]["success"], false);
  EXPECT_EQ(body["results"][1]["message"], "lead not found");
  EXPECT_EQ(api.Get("/api/v1/leads/" + ids[0]).status, 404);
  EXPECT_EQ(api.Get("/api/v1/leads/" + ids[1]).status, 200);
  EXPECT_EQ(other.Get("/api/v1/leads/" + foreign[0]).status, 200);
  ExpectBadRequest(api.Send("DELETE", "/api/v1/leads/batch", ""));
}

TEST(BatchRoutes, LiteralBatchPathWinsOverLeadId) {
  TestServer server;
  auto api = server.NewAccount();
  // The literal path is matched before /leads/{id}: GET is not one of its methods.
  EXPECT_EQ(api.Get("/api/v1/leads/batch").status, 405);
  EXPECT_EQ(api.Put("/api/v1/leads/batch", json{{"ids", {"x"}}, {"data", json::object()}}).status,
            200);
}

}  // namespace
}  // namespace klozeo::testing
