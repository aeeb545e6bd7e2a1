// The API the web console adds (issue #14): the caller's account, its API keys, the rule
// expression check; and the console's own files as the binary serves them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "http/console.h"
#include "support/test_server.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

TEST(AccountApi, ShowsPlanLimitsAndLeadsUsed) {
  TestServer::Options options;
  options.plan_overrides = {"free:leads=3,requests=50,window=60,batch=2"};
  TestServer server(options);
  auto api = server.NewAccount("free");
  ASSERT_EQ(api.Post("/api/v1/leads", json{{"name", "A"}, {"source", "s"}}).status, 201);
  ASSERT_EQ(api.Post("/api/v1/leads", json{{"name", "B"}, {"source", "s"}}).status, 201);
  auto r = api.Get("/api/v1/account");
  ASSERT_EQ(r.status, 200) << r.body;
  json body = r.json();
  EXPECT_EQ(body["plan"], "free");
  EXPECT_EQ(body["leads_used"], 2);
  EXPECT_EQ(body["limits"]["max_leads"], 3);
  EXPECT_EQ(body["limits"]["requests_per_window"], 50);
  EXPECT_EQ(body["limits"]["window_seconds"], 60);
  EXPECT_EQ(body["limits"]["max_batch"], 2);
  // The rate-limit headroom is in the headers of every answer, this one included:
  EXPECT_EQ(r.header("x-ratelimit-limit"), "50");
  EXPECT_EQ(r.header("x-ratelimit-remaining"), "47");  // two creates and this read counted

  auto unlimited = server.NewAccount("unlimited").Get("/api/v1/account").json();
  EXPECT_EQ(unlimited["leads_used"], 0);
  EXPECT_TRUE(unlimited["limits"]["max_leads"].is_null());
  EXPECT_TRUE(unlimited["limits"]["requests_per_window"].is_null());
  EXPECT_EQ(server.Anonymous().Get("/api/v1/account").status, 401);
}

TEST(KeysApi, CreateListRevokeAndTheRevokedKeyStopsWorking) {
  TestServer server;
  auto first = server.NewAccount();
  auto listed = first.Get("/api/v1/keys");
  ASSERT_EQ(listed.status, 200) << listed.body;
  ASSERT_EQ(listed.json()["keys"].size(), 1u);
  EXPECT_EQ(listed.json()["count"], 1);
  json own = listed.json()["keys"][0];
  EXPECT_TRUE(own["current"].get<bool>());
  EXPECT_TRUE(own["revoked_at"].is_null());
  EXPECT_EQ(own["prefix"], first.key().substr(0, 12));
  EXPECT_FALSE(own.contains("key_hash"));

  auto created = first.Post("/api/v1/keys", json::object());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string secret = created.json()["key"];
  EXPECT_TRUE(std::regex_match(secret, std::regex("sk_live_[0-9a-f]{32}"))) << secret;
  EXPECT_EQ(created.json()["prefix"], secret.substr(0, 12));
  EXPECT_FALSE(created.json()["current"].get<bool>());
  const std::string second_id = created.json()["id"];

  HttpClient second(server.port(), secret);
  auto seen_by_second = second.Get("/api/v1/keys").json()["keys"];
  ASSERT_EQ(seen_by_second.size(), 2u);
  for (const auto& k : seen_by_second) {
    EXPECT_EQ(k["current"].get<bool>(), k["id"] == second_id) << k.dump();
    EXPECT_FALSE(k.contains("key"));  // the secret is shown once, at creation
  }

  // The key in use cannot revoke itself; another key of the account can.
  auto self = second.Delete("/api/v1/keys/" + second_id);
  EXPECT_EQ(self.status, 409) << self.body;
  EXPECT_NE(self.json()["message"].get<std::string>().find("cannot revoke itself"),
            std::string::npos);
  EXPECT_EQ(second.Get("/api/v1/leads").status, 200);

  const std::string first_id = own["id"];
  EXPECT_EQ(second.Delete("/api/v1/keys/" + first_id).status, 204);
  EXPECT_EQ(first.Get("/api/v1/leads").status, 401);
  EXPECT_EQ(second.Delete("/api/v1/keys/" + first_id).status, 404);  // already revoked
  auto after = second.Get("/api/v1/keys").json()["keys"];
  ASSERT_EQ(after.size(), 2u);
  for (const auto& k : after) {
    EXPECT_EQ(k["revoked_at"].is_null(), k["id"] == second_id) << k.dump();
  }
}

TEST(KeysApi, CreateRefusesAnIdempotencyKeySoNoSecretIsStored) {
  TestServer server;
  auto api = server.NewAccount();
  auto r = api.Send("POST", "/api/v1/keys", "{}", {{"Idempotency-Key", "k1"}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.json()["message"].get<std::string>().find("Idempotency-Key"), std::string::npos);
  EXPECT_EQ(r.body.find("sk_live_"), std::string::npos);
  EXPECT_EQ(api.Get("/api/v1/keys").json()["count"], 1);  // nothing was created
}

TEST(KeysApi, AnotherAccountsKeyIsNotFound) {
  TestServer server;
  auto alice = server.NewAccount();
  auto bob = server.NewAccount();
  const std::string bob_key_id = bob.Get("/api/v1/keys").json()["keys"][0]["id"];
  auto r = alice.Delete("/api/v1/keys/" + bob_key_id);
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(r.json()["code"], "not_found");
  EXPECT_EQ(bob.Get("/api/v1/leads").status, 200);
  EXPECT_EQ(alice.Get("/api/v1/keys").json()["keys"].size(), 1u);
  EXPECT_EQ(alice.Delete("/api/v1/keys/not-a-key").status, 404);
  EXPECT_EQ(server.Anonymous().Post("/api/v1/keys", json::object()).status, 401);
}

TEST(ScoringRuleCheck, GivesTheCompilerMessageAndColumn) {
  TestServer server;
  auto api = server.NewAccount();
  auto ok = api.Post("/api/v1/scoring-rules/check", json{{"expression", "rating > 4 ? 50 : 0"}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(ok.json()["valid"].get<bool>());
  auto bad = api.Post("/api/v1/scoring-rules/check", json{{"expression", "rating > 4 ? 50"}});
  ASSERT_EQ(bad.status, 200) << bad.body;
  EXPECT_FALSE(bad.json()["valid"].get<bool>());
  EXPECT_NE(bad.json()["message"].get<std::string>().find("invalid expression"), std::string::npos);
  EXPECT_TRUE(bad.json()["column"].is_number_integer()) << bad.body;
  EXPECT_GT(bad.json()["column"].get<int>(), 1);
  EXPECT_EQ(api.Post("/api/v1/scoring-rules/check", json{{"expr", "1"}}).status, 400);
  EXPECT_EQ(api.Get("/api/v1/scoring-rules").json().size(), 0u);  // nothing stored
}

TEST(Console, IndexIsServedWithSecurityHeadersAndNoCache) {
  TestServer server;
  auto r = server.Anonymous().Get("/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(r.header("cache-control"), "no-cache");
  const std::string csp = r.header("content-security-policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
  EXPECT_TRUE(r.header("content-encoding").empty());  // the client did not ask for gzip
  // No inline script: the only script is an external module under the hashed assets.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      r.body, m, std::regex("<script type=\"module\" src=\"(/assets/[0-9a-f]{12}/js/app.js)\">")))
      << r.body;
  EXPECT_EQ(r.body.find("<script>"), std::string::npos);
  auto js = server.Anonymous().Get(m[1].str());
  ASSERT_EQ(js.status, 200);
  EXPECT_EQ(js.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(js.header("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_NE(js.body.find("sessionStorage"), std::string::npos);
  EXPECT_EQ(server.Anonymous().Get("/index.html").body, r.body);
}

TEST(Console, GzipWhenAccepted) {
  TestServer server;
  auto plain = server.Anonymous().Get("/");
  auto gz = server.Anonymous().Send("GET", "/", "", {{"Accept-Encoding", "gzip, deflate, br"}});
  ASSERT_EQ(gz.status, 200);
  EXPECT_EQ(gz.header("content-encoding"), "gzip");
  EXPECT_EQ(gz.header("vary"), "Accept-Encoding");
  ASSERT_GE(gz.body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz.body[0]), 0x1f);  // the gzip magic
  EXPECT_EQ(static_cast<unsigned char>(gz.body[1]), 0x8b);
  auto refused = server.Anonymous().Send("GET", "/", "", {{"Accept-Encoding", "gzip;q=0"}});
  EXPECT_TRUE(refused.header("content-encoding").empty());
  EXPECT_EQ(refused.body, plain.body);
  // Every embedded file compresses (the build ran gzip on each).
  for (const auto& asset : http::ConsoleAssets()) {
    EXPECT_LT(asset.gzip.size(), asset.body.size()) << asset.path;
  }
}

TEST(Console, UnknownPathsStayJson404AndTheApiIsUntouched) {
  TestServer server;
  auto missing = server.Anonymous().Get("/assets/000000000000/js/app.js");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.header("content-type"), "application/json");
  EXPECT_EQ(server.Anonymous().Get("/nope").status, 404);
  EXPECT_EQ(server.Anonymous().Send("POST", "/", "{}").status, 404);
  EXPECT_EQ(server.Anonymous().Get("/api/v1/leads").status, 401);
}

}  // namespace
}  // namespace klozeo::testing
