// Idempotency-Key on POST, PUT and DELETE over real HTTP: replays, conflicts, expiry and
// concurrent duplicates.
#include <gtest/gtest.h>

#include <thread>

#include "support/expect_error.h"
#include "support/test_server.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

HttpResult SendWithKey(const HttpClient& api, const std::string& method, const std::string& target,
                       const std::string& body, const std::string& key) {
  return api.Send(method, target, body, {{"Idempotency-Key", key}});
}

int64_t LeadCount(const HttpClient& api) {
  return api.Get("/api/v1/leads?limit=1000").json()["count"].get<int64_t>();
}

TEST(Idempotency, RetryReplaysTheFirstResponseWithoutRedoingTheWork) {
  TestServer server;
  auto api = server.NewAccount();
  const std::string body = json{{"name", "Acme"}, {"source", "web"}}.dump();
  auto first = SendWithKey(api, "POST", "/api/v1/leads", body, "key-1");
  ASSERT_EQ(first.status, 201);
  EXPECT_EQ(first.header("idempotent-replayed"), "");
  server.clock().AdvanceMillis(5000);
  auto retry = SendWithKey(api, "POST", "/api/v1/leads", body, "key-1");
  EXPECT_EQ(retry.status, 201);
  EXPECT_EQ(retry.body, first.body);
  EXPECT_EQ(retry.header("content-type"), "application/json");
  EXPECT_EQ(retry.header("idempotent-replayed"), "true");
  EXPECT_NE(retry.header("x-request-id"), first.header("x-request-id"));
  EXPECT_EQ(LeadCount(api), 1);
  // Another key does the work again.
  auto other = SendWithKey(api, "POST", "/api/v1/leads", body, "key-2");
  EXPECT_EQ(other.status, 201);
  EXPECT_NE(other.json()["id"], first.json()["id"]);
  EXPECT_EQ(LeadCount(api), 2);
}

TEST(Idempotency, SameKeyWithAnotherRequestIsAConflict) {
  TestServer server;
  auto api = server.NewAccount();
  ASSERT_EQ(
      SendWithKey(api, "POST", "/api/v1/leads", json{{"name", "A"}, {"source", "s"}}.dump(), "k")
          .status,
      201);
  auto other_body =
      SendWithKey(api, "POST", "/api/v1/leads", json{{"name", "B"}, {"source", "s"}}.dump(), "k");
  ExpectError(other_body, 409, "idempotency_conflict");
  auto other_route = SendWithKey(api, "POST", "/api/v1/scoring-rules",
                                 json{{"name", "A"}, {"source", "s"}}.dump(), "k");
  ExpectError(other_route, 409, "idempotency_conflict");
  EXPECT_EQ(LeadCount(api), 1);
}

TEST(Idempotency, KeysAreScopedPerAccount) {
  TestServer server;
  auto alice = server.NewAccount();
  auto bob = server.NewAccount();
  const std::string body = json{{"name", "A"}, {"source", "s"}}.dump();
  auto a = SendWithKey(alice, "POST", "/api/v1/leads", body, "shared");
  auto b = SendWithKey(bob, "POST", "/api/v1/leads", body, "shared");
  EXPECT_EQ(a.status, 201);
  EXPECT_EQ(b.status, 201);
  EXPECT_EQ(b.header("idempotent-replayed"), "");
  EXPECT_NE(a.json()["id"], b.json()["id"]);
}

TEST(Idempotency, ErrorsAndDeletesReplayToo) {
  TestServer server;
  auto api = server.NewAccount();
  auto id = api.Post("/api/v1/leads", json{{"name", "A"}, {"source", "s"}}).json()["id"];
  const std::string path = "/api/v1/leads/" + id.get<std::string>();
  auto deleted = SendWithKey(api, "DELETE", path, "", "del");
  EXPECT_EQ(deleted.status, 204);
  // Without the key the retry would be a 404; with it, the stored 204.
  auto retry = SendWithKey(api, "DELETE", path, "", "del");
  EXPECT_EQ(retry.status, 204);
  EXPECT_EQ(retry.body, "");
  EXPECT_EQ(retry.header("idempotent-replayed"), "true");
  // A 4xx that the handler produced is stored as well.
  auto bad = SendWithKey(api, "PUT", path, json{{"name", "x"}}.dump(), "put");
  EXPECT_EQ(bad.status, 404);
  auto bad_retry = SendWithKey(api, "PUT", path, json{{"name", "x"}}.dump(), "put");
  EXPECT_EQ(bad_retry.status, 404);
  EXPECT_EQ(bad_retry.header("idempotent-replayed"), "true");
}

TEST(Idempotency, StoredResponsesExpireAfter24Hours) {
  TestServer server;
  auto api = server.NewAccount();
  const std::string body = json{{"name", "A"}, {"source", "s"}}.dump();
  auto first = SendWithKey(api, "POST", "/api/v1/leads", body, "day");
  server.clock().AdvanceMillis(24LL * 3600 * 1000 - 1000);
  EXPECT_EQ(SendWithKey(api, "POST", "/api/v1/leads", body, "day").header("idempotent-replayed"),
            "true");
  server.clock().AdvanceMillis(2000);
  auto after = SendWithKey(api, "POST", "/api/v1/leads", body, "day");
  EXPECT_EQ(after.status, 201);
  EXPECT_EQ(after.header("idempotent-replayed"), "");
  EXPECT_NE(after.json()["id"], first.json()["id"]);
  EXPECT_EQ(LeadCount(api), 2);
}

TEST(Idempotency, ConcurrentRequestsWithOneKeyDoTheWorkOnce) {
  TestServer::Options options;
  options.threads = 4;
  TestServer server(options);
  auto api = server.NewAccount();
  for (int round = 0; round < 5; ++round) {
    const std::string key = "race-" + std::to_string(round);
    // Batch create: slow enough that the duplicates arrive while the first one works.
    json leads = json::array();
    for (int i = 0; i < 200; ++i) {
      leads.push_back({{"name", "L" + std::to_string(i)}, {"source", "s"}});
    }
    const std::string body = json{{"leads", leads}}.dump();
    constexpr int kClients = 6;
    std::vector<HttpResult> results(kClients);
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back(
          [&, c] { results[c] = SendWithKey(api, "POST", "/api/v1/leads/batch", body, key); });
    }
    for (auto& t : clients) t.join();
    int executed = 0;
    for (const auto& r : results) {
      ASSERT_EQ(r.status, 201) << r.body;
      EXPECT_EQ(r.body, results[0].body);
      if (r.header("idempotent-replayed").empty()) ++executed;
    }
    EXPECT_EQ(executed, 1);
    EXPECT_EQ(LeadCount(api), 200 * (round + 1));
  }
}

TEST(Idempotency, BadKeysAndIgnoredPlaces) {
  TestServer server;
  auto api = server.NewAccount();
  const std::string body = json{{"name", "A"}, {"source", "s"}}.dump();
  ExpectError(SendWithKey(api, "POST", "/api/v1/leads", body, std::string(256, 'k')), 400,
              "bad_request");
  EXPECT_EQ(LeadCount(api), 0);
  // GET ignores the header.
  EXPECT_EQ(SendWithKey(api, "GET", "/api/v1/leads", "", "g").status, 200);
  EXPECT_EQ(SendWithKey(api, "GET", "/api/v1/leads", "", "g").header("idempotent-replayed"), "");
  // Streamed score recalculation accepts the key but stores nothing: it runs each time.
  auto first = SendWithKey(api, "POST", "/api/v1/leads/score/batch", "", "score");
  auto second = SendWithKey(api, "POST", "/api/v1/leads/score/batch", "", "score");
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.header("idempotent-replayed"), "");
}

}  // namespace
}  // namespace klozeo::testing
