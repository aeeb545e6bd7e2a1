// Leads over real HTTP against the real server and a temp SQLite file.
#include <gtest/gtest.h>

#include <set>

#include "support/expect_error.h"
#include "support/test_server.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

json Acme() {
  return json{{"name", "Acme Corporation"},
              {"source", "website"},
              {"email", "contact@acme.com"},
              {"city", "San Francisco"},
              {"rating", 4.5},
              {"tags", json::array({"enterprise"})},
              {"attributes",
               json::array({json{{"name", "industry"}, {"type", "text"}, {"value", "Software"}},
                            json{{"name", "employees"}, {"type", "number"}, {"value", 500}}})}};
}

TEST(LeadsApi, CreateThenGetReturnsEveryField) {
  TestServer server;
  auto api = server.NewAccount();
  auto created = api.Post("/api/v1/leads", Acme());
  ASSERT_EQ(created.status, 201) << created.body;
  json c = created.json();
  std::string id = c["id"];
  EXPECT_EQ(id.rfind("cl_", 0), 0u);
  EXPECT_EQ(c["message"], "Lead created successfully");
  EXPECT_EQ(c["created_at"], 1700000000);

  auto got = api.Get("/api/v1/leads/" + id);
  ASSERT_EQ(got.status, 200);
  json lead = got.json();
  EXPECT_EQ(lead["id"], id);
  EXPECT_EQ(lead["name"], "Acme Corporation");
  EXPECT_EQ(lead["source"], "website");
  EXPECT_EQ(lead["email"], "contact@acme.com");
  EXPECT_EQ(lead["city"], "San Francisco");
  EXPECT_EQ(lead["rating"], 4.5);
  EXPECT_EQ(lead["tags"], json::array({"enterprise"}));
  EXPECT_EQ(lead["status"], "new");
  EXPECT_EQ(lead["score"], 0);
  ASSERT_EQ(lead["attributes"].size(), 2u);
  EXPECT_EQ(lead["attributes"][0]["name"], "industry");
  EXPECT_EQ(lead["attributes"][1]["value"], 500);
  EXPECT_TRUE(lead["created_at"].is_number_integer());
  EXPECT_EQ(lead["updated_at"], 1700000000);
  EXPECT_EQ(lead["last_interaction_at"], 1700000000);
  EXPECT_FALSE(got.header("x-request-id").empty());
}

TEST(LeadsApi, EveryOptionalFieldRoundTrips) {
  TestServer server;
  auto api = server.NewAccount();
  json full{{"name", "Z\xC3\xBCrich Caf\xC3\xA9"},
            {"source", "maps"},
            {"description", "d"},
            {"email", "e@x.io"},
            {"phone", "+41 44 000 00 00"},
            {"website", "https://x.io"},
            {"address", "Bahnhofstrasse 1"},
            {"city", "Z\xC3\xBCrich"},
            {"state", "ZH"},
            {"country", "CH"},
            {"postal_code", "8001"},
            {"latitude", 47.37},
            {"longitude", 8.54},
            {"rating", 4},
            {"review_count", 120},
            {"category", "cafe"},
            {"tags", {"a", "b"}},
            {"source_id", "ext-1"},
            {"logo_url", "https://x.io/l.png"},
            {"status", "qualified"}};
  auto created = api.Post("/api/v1/leads", full);
  ASSERT_EQ(created.status, 201) << created.body;
  json lead = api.Get("/api/v1/leads/" + created.json()["id"].get<std::string>()).json();
  for (auto& [key, value] : full.items()) EXPECT_EQ(lead[key], value) << key;
}

TEST(LeadsApi, ValidationErrorsNameTheField) {
  TestServer server;
  auto api = server.NewAccount();
  struct Case {
    json body;
    std::string field;
  };
  std::vector<Case> cases = {
      {json{{"source", "web"}}, "name"},
      {json{{"name", "A"}}, "source"},
      {json{{"name", ""}, {"source", "web"}}, "name"},
      {json{{"name", "A"}, {"source", "web"}, {"email", 12}}, "email"},
      {json{{"name", "A"}, {"source", "web"}, {"rating", "x"}}, "rating"},
      {json{{"name", "A"}, {"source", "web"}, {"review_count", -3}}, "review_count"},
      {json{{"name", "A"}, {"source", "web"}, {"status", "won"}}, "status"},
      {json{{"name", "A"}, {"source", "web"}, {"tags", "x"}}, "tags"},
      {json{{"name", "A"}, {"source", "web"}, {"latitude", 100}}, "latitude"},
      {json{{"name", "A"},
            {"source", "web"},
            {"attributes", {{{"name", "n"}, {"type", "bool"}, {"value", "yes"}}}}},
       "attributes[0]"},
      {json::array(), "JSON object"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body.dump());
    ExpectError(api.Post("/api/v1/leads", c.body), 400, "bad_request", c.field);
  }
  ExpectError(api.Send("POST", "/api/v1/leads", "{\"name\": \"A\","), 400, "bad_request", "JSON");
  ExpectError(api.Send("POST", "/api/v1/leads", ""), 400, "bad_request", "empty");
}

TEST(LeadsApi, NotFoundForMissingMalformedAndForeignIds) {
  TestServer server;
  auto alice = server.NewAccount();
  auto bob = server.NewAccount();
  std::string id = alice.Post("/api/v1/leads", Acme()).json()["id"];
  const std::string missing = "cl_01234567-89ab-7def-8123-456789abcdef";
  for (const std::string& bad : {missing, std::string("cl_nope"), std::string("garbage"), id}) {
    SCOPED_TRACE(bad);
    const HttpClient& who = bad == id ? bob : alice;
    ExpectError(who.Get("/api/v1/leads/" + bad), 404, "not_found");
    ExpectError(who.Put("/api/v1/leads/" + bad, json{{"city", "x"}}), 404, "not_found");
    ExpectError(who.Delete("/api/v1/leads/" + bad), 404, "not_found");
    ExpectError(who.Get("/api/v1/leads/" + bad + "/attributes"), 404, "not_found");
    ExpectError(who.Post("/api/v1/leads/" + bad + "/notes", json{{"content", "x"}}), 404,
                "not_found");
  }
  // Bob's list does not show Alice's lead; Alice's still exists.
  EXPECT_EQ(bob.Get("/api/v1/leads").json()["count"], 0);
  EXPECT_EQ(alice.Get("/api/v1/leads/" + id).status, 200);
}

TEST(LeadsApi, PartialUpdateAndTimestampRules) {
  TestServer server;
  auto api = server.NewAccount();
  std::string id = api.Post("/api/v1/leads", Acme()).json()["id"];
  server.clock().AdvanceMillis(60'000);

  // A real change moves updated_at and last_interaction_at.
  auto r =
      api.Put("/api/v1/leads/" + id,
              json{{"rating", 4.8}, {"city", "New York"}, {"tags", {"enterprise", "updated"}}});
  ASSERT_EQ(r.status, 200) << r.body;
  json lead = r.json();
  EXPECT_EQ(lead["rating"], 4.8);
  EXPECT_EQ(lead["city"], "New York");
  EXPECT_EQ(lead["email"], "contact@acme.com") << "keys not sent are kept";
  EXPECT_EQ(lead["tags"], json::array({"enterprise", "updated"}));
  EXPECT_EQ(lead["updated_at"], 1700000060);
  EXPECT_EQ(lead["last_interaction_at"], 1700000060);
  EXPECT_EQ(lead["created_at"], 1700000000);

  // The same values again: only last_interaction_at moves.
  server.clock().AdvanceMillis(60'000);
  lead = api.Put("/api/v1/leads/" + id, json{{"rating", 4.8}, {"id", "cl_other"}, {"score", 55}})
             .json();
  EXPECT_EQ(lead["updated_at"], 1700000060);
  EXPECT_EQ(lead["last_interaction_at"], 1700000120);
  EXPECT_EQ(lead["id"], id) << "read-only fields are ignored";
  EXPECT_EQ(lead["score"], 0);

  // A status change is a real change; null clears; name cannot be cleared.
  server.clock().AdvanceMillis(60'000);
  lead = api.Put("/api/v1/leads/" + id, json{{"status", "contacted"}, {"email", nullptr}}).json();
  EXPECT_EQ(lead["status"], "contacted");
  EXPECT_TRUE(lead["email"].is_null());
  EXPECT_EQ(lead["updated_at"], 1700000180);
  ExpectError(api.Put("/api/v1/leads/" + id, json{{"name", nullptr}}), 400, "bad_request", "name");
  ExpectError(api.Put("/api/v1/leads/" + id, json{{"source", ""}}), 400, "bad_request", "source");
  EXPECT_EQ(api.Get("/api/v1/leads/" + id).json()["name"], "Acme Corporation");
}

TEST(LeadsApi, DeleteRemovesLeadAttributesAndNotes) {
  TestServer server;
  auto api = server.NewAccount();
  std::string id = api.Post("/api/v1/leads", Acme()).json()["id"];
  std::string note =
      api.Post("/api/v1/leads/" + id + "/notes", json{{"content", "hi"}}).json()["id"];
  auto del = api.Delete("/api/v1/leads/" + id);
  EXPECT_EQ(del.status, 204);
  EXPECT_TRUE(del.body.empty());
  EXPECT_EQ(api.Get("/api/v1/leads/" + id).status, 404);
  EXPECT_EQ(api.Put("/api/v1/notes/" + note, json{{"content", "x"}}).status, 404);
  EXPECT_EQ(api.Delete("/api/v1/leads/" + id).status, 404);
}

TEST(LeadsApi, ListPagesWithCursorInCreationOrder) {
  TestServer server;
  auto api = server.NewAccount();
  std::vector<std::string> ids;
  for (int i = 0; i < 23; ++i) {
    // Several leads share one second: the id breaks ties.
    if (i % 5 == 0) server.clock().AdvanceMillis(1000);
    ids.push_back(
        api.Post("/api/v1/leads", json{{"name", "L" + std::to_string(i)}, {"source", "t"}})
            .json()["id"]);
  }
  std::vector<std::string> seen;
  std::string target = "/api/v1/leads?limit=5";
  int pages = 0;
  while (true) {
    auto r = api.Get(target);
    ASSERT_EQ(r.status, 200) << r.body;
    json page = r.json();
    ++pages;
    EXPECT_EQ(page["count"], page["leads"].size());
    for (auto& l : page["leads"]) seen.push_back(l["id"]);
    if (!page["has_more"].get<bool>()) {
      EXPECT_TRUE(page["next_cursor"].is_null());
      break;
    }
    ASSERT_TRUE(page["next_cursor"].is_string());
    target = "/api/v1/leads?limit=5&cursor=" + page["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(pages, 5);
  EXPECT_EQ(seen, ids);
}

TEST(LeadsApi, ListLimitAndCursorErrors) {
  TestServer server;
  auto api = server.NewAccount();
  for (int i = 0; i < 3; ++i) api.Post("/api/v1/leads", json{{"name", "L"}, {"source", "t"}});
  EXPECT_EQ(api.Get("/api/v1/leads").json()["count"], 3);
  EXPECT_EQ(api.Get("/api/v1/leads?limit=999999").json()["count"], 3) << "clamped, not refused";
  ExpectError(api.Get("/api/v1/leads?limit=0"), 400, "bad_request", "limit");
  ExpectError(api.Get("/api/v1/leads?limit=-4"), 400, "bad_request", "limit");
  ExpectError(api.Get("/api/v1/leads?limit=ten"), 400, "bad_request", "limit");
  ExpectError(api.Get("/api/v1/leads?cursor=garbage"), 400, "bad_request", "cursor");
  // A real cursor with one byte changed is refused (tamper-evident).
  std::string cursor = api.Get("/api/v1/leads?limit=1").json()["next_cursor"];
  cursor[2] = cursor[2] == 'A' ? 'B' : 'A';
  ExpectError(api.Get("/api/v1/leads?cursor=" + cursor), 400, "bad_request", "cursor");
}

TEST(LeadsApi, FreePlanLeadCapIs403) {
  TestServer server({.plan_overrides = {"free:leads=3"}});
  auto api = server.NewAccount("free");
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(api.Post("/api/v1/leads", json{{"name", "L"}, {"source", "t"}}).status, 201);
  }
  ExpectError(api.Post("/api/v1/leads", json{{"name", "L"}, {"source", "t"}}), 403,
              "leads_limit_reached", "limit");
  // Deleting one frees a slot.
  std::string id = api.Get("/api/v1/leads?limit=1").json()["leads"][0]["id"];
  ASSERT_EQ(api.Delete("/api/v1/leads/" + id).status, 204);
  EXPECT_EQ(api.Post("/api/v1/leads", json{{"name", "L"}, {"source", "t"}}).status, 201);
}

TEST(LeadsApi, DefaultFreePlanCapIs100) {
  // The free plan's request budget (100 per 10 min) would run out first: lift only that.
  TestServer server({.plan_overrides = {"free:requests=1000"}});
  auto api = server.NewAccount("free");
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(api.Post("/api/v1/leads", json{{"name", "L"}, {"source", "t"}}).status, 201) << i;
  }
  ExpectError(api.Post("/api/v1/leads", json{{"name", "L"}, {"source", "t"}}), 403,
              "leads_limit_reached");
}

TEST(LeadsApi, ConcurrentCreatesAllLandWithUniqueIds) {
  TestServer server;
  auto api = server.NewAccount();
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::string> ids;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto r = api.Post("/api/v1/leads", json{{"name", "C"}, {"source", "t"}});
        std::lock_guard<std::mutex> lock(mu);
        EXPECT_EQ(r.status, 201) << r.body;
        ids.insert(r.json()["id"].get<std::string>());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ids.size(), 200u);
  EXPECT_EQ(api.Get("/api/v1/leads?limit=1000").json()["count"], 200);
}

}  // namespace
}  // namespace klozeo::testing
