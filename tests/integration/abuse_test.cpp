// The abuse matrix (issue #8): every route of the API × {no key, wrong key, revoked key,
// another account's ids} answers 401/404 and never shows another tenant's data; then hostile
// transport and input (oversize bodies, slow clients, header floods, long URLs and filter lists,
// invalid UTF-8, NaN/Infinity, enormous limits, hostile expressions), each a clear 4xx while the
// server keeps serving.
//
// The matrix walks the server's own route table: a route added without a row in kRouteCases
// fails `EveryRouteIsCovered`, and a path parameter the matrix cannot fill fails as well.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/test_server.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

/// A valid body for each route that takes one (the matrix must reach the handler with a
/// well-formed request, so a 401/404 is about the key or the ids, not the body). Routes without
/// a body list "". Every route of the API must have a row: see EveryRouteIsCovered.
/// `{ID}` in a body is replaced by the victim's lead id.
const std::map<std::string, std::string> kRouteCases = {
    {"GET /healthz", ""},
    {"GET /metrics", ""},
    {"GET /api/v1/openapi.json", ""},
    {"GET /api/v1/leads", ""},
    {"POST /api/v1/leads", R"({"name":"Intruder","source":"abuse"})"},
    {"GET /api/v1/leads/export", ""},
    {"GET /api/v1/stats", ""},
    {"POST /mcp",
     R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}})"},
    {"GET /mcp", ""},
    {"DELETE /mcp", ""},
    {"GET /api/v1/leads/{id}", ""},
    {"PUT /api/v1/leads/{id}", R"({"name":"Hijacked"})"},
    {"DELETE /api/v1/leads/{id}", ""},
    {"GET /api/v1/leads/{id}/attributes", ""},
    {"POST /api/v1/leads/{id}/attributes", R"({"name":"x","type":"text","value":"hijacked"})"},
    {"PUT /api/v1/leads/{id}/attributes/{attr_id}", R"({"value":"hijacked"})"},
    {"DELETE /api/v1/leads/{id}/attributes/{attr_id}", ""},
    {"GET /api/v1/leads/{id}/notes", ""},
    {"GET /api/v1/leads/{id}/duplicates", ""},
    {"POST /api/v1/leads/{id}/merge", R"({"from":["{ID}"]})"},
    {"POST /api/v1/leads/{id}/not-duplicate", R"({"of":"{ID}"})"},
    {"GET /api/v1/leads/{id}/merges", ""},
    {"POST /api/v1/leads/{id}/notes", R"({"content":"hijacked"})"},
    {"PUT /api/v1/notes/{note_id}", R"({"content":"hijacked"})"},
    {"DELETE /api/v1/notes/{note_id}", ""},
    {"GET /api/v1/scoring-rules", ""},
    {"POST /api/v1/scoring-rules", R"({"name":"r","expression":"1"})"},
    {"GET /api/v1/scoring-rules/{id}", ""},
    {"PUT /api/v1/scoring-rules/{id}", R"({"expression":"2"})"},
    {"DELETE /api/v1/scoring-rules/{id}", ""},
    {"POST /api/v1/leads/{id}/score", ""},
    {"GET /api/v1/leads/{id}/score", ""},
    {"POST /api/v1/leads/score/batch", ""},
    {"POST /api/v1/leads/batch", R"({"leads":[{"name":"Intruder","source":"abuse"}]})"},
    {"PUT /api/v1/leads/batch", R"({"ids":["{ID}"],"data":{"name":"Hijacked"}})"},
    {"DELETE /api/v1/leads/batch", R"({"ids":["{ID}"]})"},
    {"GET /api/v1/webhooks", ""},
    {"POST /api/v1/webhooks", R"({"url":"http://127.0.0.1:9/intruder"})"},
    {"GET /api/v1/webhooks/{id}", ""},
    {"PUT /api/v1/webhooks/{id}", R"({"url":"http://127.0.0.1:9/hijacked","active":false})"},
    {"DELETE /api/v1/webhooks/{id}", ""},
    {"GET /api/v1/webhooks/{id}/deliveries", ""},
    {"POST /api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", ""},
    {"POST /api/v1/webhooks/{id}/test", ""},
    {"POST /api/v1/scoring-rules/check", R"({"expression":"1"})"},
    {"GET /api/v1/account", ""},
    {"GET /api/v1/keys", ""},
    {"POST /api/v1/keys", ""},
    {"DELETE /api/v1/keys/{id}", ""},
};

/// Something only the victim's data contains: it must never appear in an answer to anyone else.
const std::string kSecret = "victim-secret-7f3a";

struct Victim {
  HttpClient api;
  std::string lead_id, attr_id, note_id, rule_id, webhook_id, delivery_id, key_id;
  std::string lead_before, attributes_before, notes_before, rules_before, webhook_before;
};

Victim MakeVictim(TestServer& server) {
  Victim v{server.NewAccount(), {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}};
  auto lead = v.api.Post("/api/v1/leads", json{{"name", "Lead " + kSecret},
                                               {"source", "victim"},
                                               {"email", kSecret + "@victim.test"},
                                               {"city", "Paris"}});
  EXPECT_EQ(lead.status, 201);
  v.lead_id = lead.json()["id"];
  auto attr = v.api.Post("/api/v1/leads/" + v.lead_id + "/attributes",
                         json{{"name", "secret"}, {"type", "text"}, {"value", kSecret}});
  EXPECT_EQ(attr.status, 201);
  v.attr_id = attr.json()["id"];
  auto note = v.api.Post("/api/v1/leads/" + v.lead_id + "/notes", json{{"content", kSecret}});
  EXPECT_EQ(note.status, 201);
  v.note_id = note.json()["id"];
  auto rule = v.api.Post("/api/v1/scoring-rules",
                         json{{"name", kSecret}, {"expression", "city == \"Paris\" ? 10 : 0"}});
  EXPECT_EQ(rule.status, 201);
  v.rule_id = rule.json()["id"];
  // A webhook whose URL carries the secret (nothing listens on port 9: its deliveries fail and
  // wait for a retry), and a delivery of it to fill {delivery_id}.
  auto hook = v.api.Post("/api/v1/webhooks", json{{"url", "http://127.0.0.1:9/" + kSecret}});
  EXPECT_EQ(hook.status, 201);
  v.webhook_id = hook.json()["id"];
  auto ping = v.api.Post("/api/v1/webhooks/" + v.webhook_id + "/test", json::object());
  EXPECT_EQ(ping.status, 202);
  v.delivery_id = ping.json()["id"];
  v.key_id = v.api.Get("/api/v1/keys").json()["keys"][0]["id"];
  v.lead_before = v.api.Get("/api/v1/leads/" + v.lead_id).body;
  v.attributes_before = v.api.Get("/api/v1/leads/" + v.lead_id + "/attributes").body;
  v.notes_before = v.api.Get("/api/v1/leads/" + v.lead_id + "/notes").body;
  v.rules_before = v.api.Get("/api/v1/scoring-rules").body;
  v.webhook_before = v.api.Get("/api/v1/webhooks/" + v.webhook_id).body;
  return v;
}

/// The route's pattern with the victim's ids in place of its parameters; "" when a parameter is
/// unknown to the matrix.
std::string FillPath(const std::string& pattern, const Victim& v) {
  const bool rule_route = pattern.rfind("/api/v1/scoring-rules/", 0) == 0;
  const bool webhook_route = pattern.rfind("/api/v1/webhooks/", 0) == 0;
  const bool key_route = pattern.rfind("/api/v1/keys/", 0) == 0;
  std::string out;
  size_t i = 0;
  while (i < pattern.size()) {
    size_t open = pattern.find('{', i);
    if (open == std::string::npos) {
      out += pattern.substr(i);
      break;
    }
    size_t close = pattern.find('}', open);
    out += pattern.substr(i, open - i);
    std::string name = pattern.substr(open + 1, close - open - 1);
    if (name == "id") {
      out += rule_route      ? v.rule_id
             : webhook_route ? v.webhook_id
             : key_route     ? v.key_id
                             : v.lead_id;
    } else if (name == "attr_id") {
      out += v.attr_id;
    } else if (name == "note_id") {
      out += v.note_id;
    } else if (name == "delivery_id") {
      out += v.delivery_id;
    } else {
      return "";
    }
    i = close + 1;
  }
  return out;
}

std::string FillBody(std::string body, const Victim& v) {
  for (size_t at = body.find("{ID}"); at != std::string::npos; at = body.find("{ID}")) {
    body.replace(at, 4, v.lead_id);
  }
  return body;
}

/// `text` as a JSON string literal with its bytes as they are (invalid UTF-8 included), which
/// nlohmann would refuse to write.
std::string RawJsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

void ExpectHealthy(const TestServer& server) {
  auto r = HttpClient(server.port()).Get("/healthz");
  EXPECT_EQ(r.status, 200) << "the server stopped serving";
}

/// A 4xx with the JSON error shape.
void ExpectClear4xx(const HttpResult& r, const std::string& what) {
  EXPECT_GE(r.status, 400) << what << " -> " << r.status << " " << r.body.substr(0, 200);
  EXPECT_LT(r.status, 500) << what << " -> " << r.status << " " << r.body.substr(0, 200);
  if (r.status >= 400 && r.status < 500) {
    json body = json::parse(r.body, nullptr, false);
    EXPECT_TRUE(body.is_object() && body.contains("error") && body.contains("message") &&
                body.contains("code"))
        << what << " -> " << r.body.substr(0, 200);
  }
}

TEST(AbuseMatrix, EveryRouteIsCovered) {
  TestServer server;
  Victim victim = MakeVictim(server);
  std::set<std::string> served;
  for (const auto& route : server.api().router().routes()) {
    std::string key = route.method + " " + route.pattern;
    served.insert(key);
    EXPECT_EQ(kRouteCases.count(key), 1u)
        << "route " << key << " has no row in the abuse matrix (kRouteCases)";
    EXPECT_FALSE(FillPath(route.pattern, victim).empty())
        << "route " << key << " has a path parameter the abuse matrix cannot fill (FillPath)";
  }
  for (const auto& [key, body] : kRouteCases) {
    EXPECT_EQ(served.count(key), 1u) << "the matrix lists " << key << ", which the API lacks";
  }
}

TEST(AbuseMatrix, EveryRouteRefusesMissingWrongRevokedKeysAndForeignIds) {
  TestServer server;
  Victim victim = MakeVictim(server);
  HttpClient attacker = server.NewAccount();
  ASSERT_EQ(attacker.Post("/api/v1/leads", json{{"name", "Mine"}, {"source", "a"}}).status, 201);
  auto revoked_account = server.services().accounts().CreateAccount("revoked", "unlimited");
  ASSERT_TRUE(revoked_account.ok());
  ASSERT_TRUE(
      server.services().accounts().RevokeKey("revoked", revoked_account->second.key.id).ok());
  const std::vector<std::pair<std::string, HttpClient>> bad_keys = {
      {"no key", server.Anonymous()},
      {"wrong key", HttpClient(server.port(), "sk_live_00000000000000000000000000000000")},
      {"malformed key", HttpClient(server.port(), "' OR 1=1 --")},
      {"revoked key", HttpClient(server.port(), revoked_account->second.secret)},
  };

  int checked = 0;
  for (const auto& route : server.api().router().routes()) {
    const std::string key = route.method + " " + route.pattern;
    auto row = kRouteCases.find(key);
    if (row == kRouteCases.end()) continue;  // reported by EveryRouteIsCovered
    const std::string path = FillPath(route.pattern, victim);
    if (path.empty()) continue;  // reported by EveryRouteIsCovered
    const std::string body = FillBody(row->second, victim);
    const bool authenticated = route.handler.first;
    SCOPED_TRACE(key + " as " + path);

    if (!authenticated) {
      auto r = server.Anonymous().Send(route.method, path, body);
      EXPECT_EQ(r.status, 200);
      EXPECT_EQ(r.body.find(kSecret), std::string::npos) << r.body;
      continue;
    }
    for (const auto& [who, client] : bad_keys) {
      auto r = client.Send(route.method, path, body);
      EXPECT_EQ(r.status, 401) << who << ": " << r.body.substr(0, 200);
      EXPECT_EQ(r.body.find(kSecret), std::string::npos) << who;
      ++checked;
    }
    // A valid key of another account: the victim's ids are unknown to it.
    auto r = attacker.Send(route.method, path, body);
    const bool has_ids = route.pattern.find('{') != std::string::npos;
    if (has_ids) {
      EXPECT_EQ(r.status, 404) << r.body.substr(0, 200);
      if (r.status == 404) {
        EXPECT_EQ(r.json()["code"], "not_found");
      }
    } else {
      EXPECT_LT(r.status, 500) << r.body.substr(0, 200);
    }
    EXPECT_EQ(r.body.find(kSecret), std::string::npos) << "another tenant's data: " << r.body;
    ++checked;
  }
  EXPECT_GT(checked, 100);

  // Nothing of the victim's changed.
  EXPECT_EQ(victim.api.Get("/api/v1/leads/" + victim.lead_id).body, victim.lead_before);
  EXPECT_EQ(victim.api.Get("/api/v1/leads/" + victim.lead_id + "/attributes").body,
            victim.attributes_before);
  EXPECT_EQ(victim.api.Get("/api/v1/leads/" + victim.lead_id + "/notes").body, victim.notes_before);
  EXPECT_EQ(victim.api.Get("/api/v1/scoring-rules").body, victim.rules_before);
  EXPECT_EQ(victim.api.Get("/api/v1/webhooks/" + victim.webhook_id).body, victim.webhook_before);
  EXPECT_EQ(victim.api.Get("/api/v1/webhooks").json().size(), 1u);
  EXPECT_EQ(victim.api.Get("/api/v1/leads").json()["count"], 1);
  // And the attacker's batch writes did not touch the victim's lead: its one lead plus what its
  // own creates added.
  auto mine = attacker.Get("/api/v1/leads?limit=100").json();
  for (const auto& lead : mine["leads"]) EXPECT_NE(lead["id"], victim.lead_id);
  ExpectHealthy(server);
}

TEST(AbuseMatrix, OversizeBodiesOnEveryBodyRouteAre413) {
  TestServer server({.max_body_bytes = 8192});
  Victim victim = MakeVictim(server);
  std::string big = "{\"name\":\"" + std::string(20000, 'x') + "\",\"source\":\"s\"}";
  for (const auto& route : server.api().router().routes()) {
    if (route.method != "POST" && route.method != "PUT") continue;
    std::string path = FillPath(route.pattern, victim);
    if (path.empty()) continue;
    auto r = victim.api.Send(route.method, path, big);
    EXPECT_EQ(r.status, 413) << route.method << " " << route.pattern;
  }
  ExpectHealthy(server);
}

TEST(HostileInput, SlowClientsDoNotStopTheServerServingOthers) {
  TestServer server;
  auto api = server.NewAccount();
  namespace net = boost::asio;
  net::io_context ioc;
  std::vector<std::unique_ptr<net::ip::tcp::socket>> slow;
  const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), server.port());
  // Slow-loris: many connections that start a request and never finish it.
  for (int i = 0; i < 200; ++i) {
    auto s = std::make_unique<net::ip::tcp::socket>(ioc);
    s->connect(endpoint);
    std::string partial = "POST /api/v1/leads HTTP/1.1\r\nHost: x\r\nX-API-Key: " + api.key() +
                          "\r\nContent-Length: 100\r\n\r\n{\"na";
    net::write(*s, net::buffer(i % 2 == 0 ? partial : std::string("GET /healthz HTTP/1.1\r\nHo")));
    slow.push_back(std::move(s));
  }
  // Everyone else is served meanwhile.
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(
        api.Post("/api/v1/leads", json{{"name", "L" + std::to_string(i)}, {"source", "s"}}).status,
        201);
  }
  EXPECT_EQ(api.Get("/api/v1/leads").json()["count"], 50);
  // One more byte every so often does not keep a connection forever: the read timeout (30 s for
  // a whole request) closes them. Wait for that, generously.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  size_t closed = 0;
  for (auto& s : slow) {
    s->non_blocking(true);
  }
  while (closed < slow.size() && std::chrono::steady_clock::now() < deadline) {
    closed = 0;
    for (auto& s : slow) {
      char c;
      boost::system::error_code ec;
      s->read_some(net::buffer(&c, 1), ec);
      if (ec && ec != net::error::would_block) {
        ++closed;
      } else if (!ec) {
        // A 408-style answer would also be fine: read until the close.
        ++closed;
      }
    }
    if (closed < slow.size()) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_EQ(closed, slow.size()) << "slow connections are closed by the read timeout";
  ExpectHealthy(server);
}

TEST(HostileInput, QueryParametersAreBoundedWithClear400s) {
  TestServer server;
  auto api = server.NewAccount();
  ASSERT_EQ(api.Post("/api/v1/leads", json{{"name", "A"}, {"source", "s"}}).status, 201);
  std::string many_filters = "/api/v1/leads?";
  for (int i = 0; i < 200; ++i) many_filters += "filter=and.eq.city.x&";
  std::string long_value = "/api/v1/leads?filter=and.eq.city." + std::string(5000, 'a');
  const std::vector<std::string> targets = {
      many_filters,  // over the 50-filter cap
      long_value,    // a value over 1 KiB
      "/api/v1/leads?limit=-1",
      "/api/v1/leads?limit=0",
      "/api/v1/leads?limit=NaN",
      "/api/v1/leads?limit=Infinity",
      "/api/v1/leads?filter=and.gt.rating.NaN",
      "/api/v1/leads?filter=and.gt.rating.Infinity",
      "/api/v1/leads?filter=and.gt.rating.1e999",
      "/api/v1/leads?filter=and.eq.city.%FF%FE",         // invalid UTF-8
      "/api/v1/leads?filter=and.eq.%C0%AF.x",            // overlong encoding
      "/api/v1/leads?sort_by=%FF&sort_order=asc",        // invalid UTF-8 sort field
      "/api/v1/leads?cursor=" + std::string(5000, 'A'),  // over the cursor size
      "/api/v1/leads?cursor=%FF%00",
      "/api/v1/leads/export?format=%FF",
  };
  for (const auto& target : targets) {
    auto r = api.Get(target);
    ExpectClear4xx(r, target.substr(0, 100));
  }
  // An enormous `limit` is clamped to 1000 (docs/API.md, Paging), not refused: a bounded page.
  for (std::string limit : {"99999999999999999999999", "1000000", "2147483648"}) {
    auto r = api.Get("/api/v1/leads?limit=" + limit);
    EXPECT_EQ(r.status, 200) << limit;
    EXPECT_EQ(r.json()["count"], 1) << limit;
  }
  // Invalid UTF-8 and odd bytes in a path: not found, never a crash.
  for (std::string path : std::vector<std::string>{"/api/v1/leads/%FF%FE", "/api/v1/leads/\xff\xfe",
                                                   "/api/v1/leads/cl_%00",
                                                   "/api/v1/leads/" + std::string(3000, 'z')}) {
    auto r = api.Get(path);
    ExpectClear4xx(r, path.substr(0, 60));
  }
  ExpectHealthy(server);
}

TEST(HostileInput, HostileBodiesOnEveryBodyRouteAreClear400s) {
  TestServer server;
  Victim victim = MakeVictim(server);
  std::string deep_array(100000, '[');
  std::string deep_object;
  for (int i = 0; i < 1000; ++i) deep_object += "{\"a\":";
  const std::vector<std::string> bodies = {
      "",
      "{",
      "{\"name\":\"\xff\xfe\",\"source\":\"s\",\"content\":\"\xff\",\"expression\":\"1\"}",
      "{\"name\":\"A\",\"source\":\"s\",\"rating\":NaN,\"content\":NaN,\"weight\":NaN}",
      "{\"name\":\"A\",\"source\":\"s\",\"rating\":Infinity,\"weight\":-Infinity}",
      "{\"name\":\"A\",\"source\":\"s\",\"rating\":1e999,\"weight\":1e999}",
      deep_array,
      deep_object,
  };
  for (const auto& route : server.api().router().routes()) {
    if (route.method != "POST" && route.method != "PUT") continue;
    std::string path = FillPath(route.pattern, victim);
    if (path.empty()) continue;
    for (const auto& body : bodies) {
      auto r = victim.api.Send(route.method, path, body);
      // The bodyless actions ignore their body: POST /leads/{id}/score, /leads/score/batch (200),
      // /webhooks/{id}/test and .../redeliver (202), /keys (201).
      if (r.status / 100 == 2) {
        const bool bodyless =
            route.pattern.find("/score") != std::string::npos || route.pattern.ends_with("/test") ||
            route.pattern.ends_with("/redeliver") || route.pattern == "/api/v1/keys";
        EXPECT_TRUE(bodyless) << route.method << " " << route.pattern << " accepted "
                              << body.substr(0, 60);
        continue;
      }
      if (route.pattern == "/mcp") {  // JSON-RPC: the error is a JSON-RPC error object
        EXPECT_EQ(r.status / 100, 4) << body.substr(0, 40) << " -> " << r.body.substr(0, 200);
        json rpc = json::parse(r.body, nullptr, false);
        EXPECT_TRUE(rpc.is_object() && rpc.value("jsonrpc", "") == "2.0" && rpc.contains("error") &&
                    rpc["error"].contains("code"))
            << r.body.substr(0, 200);
        continue;
      }
      ExpectClear4xx(r, route.method + " " + route.pattern + " " + body.substr(0, 40));
    }
  }
  ExpectHealthy(server);
}

TEST(HostileInput, HostileExpressionsAreClear400s) {
  TestServer server;
  auto api = server.NewAccount();
  std::string deep_parens = std::string(2000, '(') + "1" + std::string(2000, ')');
  std::string deep_unary(3000, '-');
  deep_unary += "1";
  std::string deep_ternary;
  for (int i = 0; i < 500; ++i) deep_ternary += "rating > 1 ? ";
  deep_ternary += "1";
  for (int i = 0; i < 500; ++i) deep_ternary += " : 0";
  std::string long_sum = "1";
  for (int i = 0; i < 1500; ++i) long_sum += "+1";
  const std::vector<std::string> expressions = {
      deep_parens,
      deep_unary,
      deep_ternary,
      long_sum,                                // a stack or size bound
      std::string(100000, '9'),                // a huge number literal
      "\"" + std::string(100000, 'x') + "\"",  // a huge string literal
      "1e999999",                              // out of range
      "city == \"\xff\xfe\"",                  // invalid UTF-8
      "rating ? ",                             // incomplete
      std::string("rating\0+1", 9),            // a NUL byte
  };
  for (const auto& e : expressions) {
    auto r = api.Send("POST", "/api/v1/scoring-rules",
                      "{\"name\":\"r\",\"expression\":" + RawJsonString(e) + "}");
    if (r.status == 201) {
      // Some of these are legal but must then score without harm.
      ASSERT_EQ(api.Post("/api/v1/leads", json{{"name", "A"}, {"source", "s"}}).status, 201);
      EXPECT_EQ(api.Post("/api/v1/leads/score/batch", json::object()).status, 200);
      ASSERT_EQ(api.Delete("/api/v1/scoring-rules/" + r.json()["id"].get<std::string>()).status,
                204);
      EXPECT_LE(e.size(), 4096u) << "an expression over the size limit was accepted";
      continue;
    }
    ExpectClear4xx(r, "expression " + e.substr(0, 40));
  }
  ExpectHealthy(server);
}

}  // namespace
}  // namespace klozeo::testing
