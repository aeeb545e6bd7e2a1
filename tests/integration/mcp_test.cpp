// The MCP Streamable HTTP transport's JSON-RPC edge cases over real HTTP (the SDK-driven tests
// in tests/mcp/ cover the tools end to end).
#include <gtest/gtest.h>

#include "support/test_server.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

const std::string kInitialize =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",)"
    R"("capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";

/// A client with an open MCP session.
struct McpSession {
  HttpClient api;
  std::string id;

  HttpResult Post(const std::string& body, Headers extra = {}) const {
    extra.emplace_back("Mcp-Session-Id", id);
    extra.emplace_back("Content-Type", "application/json");
    return api.Send("POST", "/mcp", body, extra);
  }
  json Rpc(const std::string& body) const {
    auto r = Post(body);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }
};

McpSession Open(TestServer& server) {
  HttpClient api = server.NewAccount();
  auto r = api.Send("POST", "/mcp", kInitialize, {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["result"]["protocolVersion"], "2025-06-18");
  EXPECT_EQ(r.header("mcp-session-id").size(), 32u);
  return McpSession{api, r.header("mcp-session-id")};
}

TEST(McpTransport, MalformedJsonIsParseError) {
  TestServer server;
  McpSession s = Open(server);
  for (const char* body : {"{", "not json", "", "{\"jsonrpc\":\"2.0\",\"id\":1,"}) {
    auto r = s.Post(body);
    EXPECT_EQ(r.status, 400) << body;
    json j = json::parse(r.body, nullptr, false);
    EXPECT_EQ(j["error"]["code"], -32700) << r.body;
    EXPECT_TRUE(j["id"].is_null());
  }
}

TEST(McpTransport, UnknownMethodIsMethodNotFound) {
  TestServer server;
  McpSession s = Open(server);
  json j = s.Rpc(R"({"jsonrpc":"2.0","id":"a","method":"resources/list"})");
  EXPECT_EQ(j["error"]["code"], -32601);
  EXPECT_EQ(j["id"], "a");
}

TEST(McpTransport, BadParamsAreInvalidParams) {
  TestServer server;
  McpSession s = Open(server);
  for (
      const char* body : {
          R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{}})",
          R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":7}})",
          R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"no_such_tool"}})",
          R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_lead","arguments":[1]}})",
          R"({"jsonrpc":"2.0","id":2,"method":"tools/list","params":[]})",
          R"({"jsonrpc":"2.0","id":2,"method":"initialize","params":{}})",
      }) {
    // initialize is not part of a session: send it without one.
    auto r = std::string(body).find("initialize") != std::string::npos
                 ? s.api.Send("POST", "/mcp", body)
                 : s.Post(body);
    EXPECT_EQ(r.status, 200) << body << " -> " << r.body;
    json j = json::parse(r.body, nullptr, false);
    EXPECT_EQ(j["error"]["code"], -32602) << body << " -> " << r.body;
    EXPECT_EQ(j["id"], 2);
  }
}

TEST(McpTransport, InvalidRequestsAreInvalidRequest) {
  TestServer server;
  McpSession s = Open(server);
  for (const char* body :
       {R"({"id":3,"method":"ping"})", R"({"jsonrpc":"1.0","id":3,"method":"ping"})",
        R"({"jsonrpc":"2.0","id":{"x":1},"method":"ping"})",
        R"({"jsonrpc":"2.0","id":3,"method":5})", R"(42)"}) {
    json j = s.Rpc(body);
    EXPECT_EQ(j["error"]["code"], -32600) << body << " -> " << j;
  }
  auto empty = s.Post("[]");
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(empty.json()["error"]["code"], -32600);
}

TEST(McpTransport, BatchesAnswerRequestsInOrderAndSkipNotifications) {
  TestServer server;
  McpSession s = Open(server);
  json j = s.Rpc(R"([{"jsonrpc":"2.0","id":1,"method":"ping"},)"
                 R"({"jsonrpc":"2.0","method":"notifications/initialized"},)"
                 R"({"jsonrpc":"2.0","id":2,"method":"tools/list"},)"
                 R"({"jsonrpc":"2.0","id":3,"method":"bogus"}])");
  ASSERT_TRUE(j.is_array()) << j;
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0], (json{{"jsonrpc", "2.0"}, {"id", 1}, {"result", json::object()}}));
  EXPECT_EQ(j[1]["id"], 2);
  EXPECT_EQ(j[1]["result"]["tools"].size(), 33u);
  EXPECT_EQ(j[2]["error"]["code"], -32601);
  // initialize must come alone.
  auto r = s.api.Send("POST", "/mcp", "[" + kInitialize + "]");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["code"], -32600);
}

TEST(McpTransport, NotificationsAndResponsesOnlyAre202) {
  TestServer server;
  McpSession s = Open(server);
  for (const char* body :
       {R"({"jsonrpc":"2.0","method":"notifications/initialized"})",
        R"({"jsonrpc":"2.0","id":9,"result":{}})",
        R"([{"jsonrpc":"2.0","method":"notifications/cancelled","params":{}}])"}) {
    auto r = s.Post(body);
    EXPECT_EQ(r.status, 202) << body;
    EXPECT_EQ(r.body, "");
  }
}

TEST(McpTransport, SessionsVersionsAndMethods) {
  TestServer server;
  McpSession s = Open(server);
  const std::string ping = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
  auto missing = s.api.Send("POST", "/mcp", ping);
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.json()["error"]["code"], -32000);
  auto unknown = s.api.Send("POST", "/mcp", ping, {{"Mcp-Session-Id", "0123"}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.json()["error"]["code"], -32001);
  // Another account's key with this session: unknown to it.
  HttpClient other = server.NewAccount();
  EXPECT_EQ(other.Send("POST", "/mcp", ping, {{"Mcp-Session-Id", s.id}}).status, 404);
  EXPECT_EQ(other.Send("DELETE", "/mcp", "", {{"Mcp-Session-Id", s.id}}).status, 404);

  EXPECT_EQ(s.Post(ping, {{"MCP-Protocol-Version", "2025-03-26"}}).status, 200);
  auto bad_version = s.Post(ping, {{"MCP-Protocol-Version", "2024-01-01"}});
  EXPECT_EQ(bad_version.status, 400);

  auto get = s.api.Send("GET", "/mcp", "", {{"Accept", "text/event-stream"}});
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.header("allow"), "POST, DELETE");

  EXPECT_EQ(s.api.Send("DELETE", "/mcp", "").status, 400);
  EXPECT_EQ(s.api.Send("DELETE", "/mcp", "", {{"Mcp-Session-Id", s.id}}).status, 204);
  EXPECT_EQ(s.Post(ping).status, 404) << "an ended session is gone";
  EXPECT_EQ(s.api.Send("DELETE", "/mcp", "", {{"Mcp-Session-Id", s.id}}).status, 404);
}

TEST(McpTransport, AuthAndOrigin) {
  TestServer server;
  for (const auto& client :
       {server.Anonymous(),
        HttpClient(server.port(), "sk_live_00000000000000000000000000000000")}) {
    auto r = client.Send("POST", "/mcp", kInitialize);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.header("www-authenticate"), "Bearer");
  }
  // REST routes are unchanged: no WWW-Authenticate there.
  EXPECT_EQ(server.Anonymous().Get("/api/v1/leads").header("www-authenticate"), "");
  // A Bearer token works like X-API-Key.
  HttpClient api = server.NewAccount();
  HttpClient anonymous = server.Anonymous();
  auto bearer =
      anonymous.Send("POST", "/mcp", kInitialize, {{"Authorization", "Bearer " + api.key()}});
  EXPECT_EQ(bearer.status, 200) << bearer.body;

  for (const char* origin : {"http://evil.example", "https://localhost.evil.example", "null",
                             "http://127.0.0.1.evil.example:80", "http://localhost:80x"}) {
    auto r = api.Send("POST", "/mcp", kInitialize, {{"Origin", origin}});
    EXPECT_EQ(r.status, 403) << origin;
    EXPECT_EQ(r.json()["error"]["code"], -32000);
  }
  for (const char* origin : {"http://localhost", "http://localhost:5173", "http://127.0.0.1:3000",
                             "http://[::1]:8080"}) {
    EXPECT_EQ(api.Send("POST", "/mcp", kInitialize, {{"Origin", origin}}).status, 200) << origin;
  }
}

TEST(McpTransport, PlanRateLimitsCountEveryPost) {
  TestServer server({.plan_overrides = {"free:requests=3,window=600"}});
  HttpClient api = server.NewAccount("free");
  auto init = api.Send("POST", "/mcp", kInitialize);
  ASSERT_EQ(init.status, 200);
  EXPECT_EQ(init.header("x-ratelimit-limit"), "3");
  const Headers session = {{"Mcp-Session-Id", init.header("mcp-session-id")}};
  const std::string ping = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
  EXPECT_EQ(api.Send("POST", "/mcp", ping, session).status, 200);
  EXPECT_EQ(api.Send("GET", "/api/v1/leads", "").status, 200) << "one budget with REST";
  auto limited = api.Send("POST", "/mcp", ping, session);
  EXPECT_EQ(limited.status, 429);
  EXPECT_FALSE(limited.header("retry-after").empty());
}

TEST(McpTransport, ProgressStreamsAsServerSentEvents) {
  TestServer server;
  McpSession s = Open(server);
  json leads = json::array();
  for (int i = 0; i < 2100; ++i)
    leads.push_back({{"name", "L" + std::to_string(i)}, {"source", "s"}});
  for (size_t i = 0; i < leads.size(); i += 700) {
    json part(leads.begin() + static_cast<long>(i),
              leads.begin() + static_cast<long>(std::min(leads.size(), i + 700)));
    ASSERT_EQ(s.api.Post("/api/v1/leads/batch", json{{"leads", part}}).status, 201);
  }
  const std::string call =
      R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"recalculate_all_scores",)"
      R"("arguments":{},"_meta":{"progressToken":"tok"}}})";
  auto r = s.Post(call, {{"Accept", "application/json, text/event-stream"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/event-stream");
  std::vector<json> events;
  for (size_t at = r.body.find("data: "); at != std::string::npos;
       at = r.body.find("data: ", at + 1)) {
    events.push_back(json::parse(r.body.substr(at + 6, r.body.find('\n', at) - at - 6)));
  }
  ASSERT_EQ(events.size(), 4u) << r.body;  // 3 chunks of 1,000, then the response
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(events[static_cast<size_t>(i)]["method"], "notifications/progress");
    EXPECT_EQ(events[static_cast<size_t>(i)]["params"]["progressToken"], "tok");
    EXPECT_EQ(events[static_cast<size_t>(i)]["params"]["total"], 2100);
  }
  EXPECT_EQ(events[2]["params"]["progress"], 2100);
  EXPECT_EQ(events[3]["id"], 7);
  EXPECT_EQ(events[3]["result"]["structuredContent"]["count"], 2100);
  // A client that takes only JSON gets the result as JSON.
  auto plain = s.Post(call, {{"Accept", "application/json"}});
  EXPECT_EQ(plain.header("content-type"), "application/json");
  EXPECT_EQ(plain.json()["result"]["structuredContent"]["count"], 2100);
}

TEST(McpTransport, ToolFailuresAreResultsWithTheApisMessage) {
  TestServer server;
  McpSession s = Open(server);
  json j = s.Rpc(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_lead",)"
                 R"("arguments":{"name":"A","source":"s","email":7}}})");
  EXPECT_EQ(j["result"]["isError"], true);
  auto rest = s.api.Post("/api/v1/leads", json{{"name", "A"}, {"source", "s"}, {"email", 7}});
  EXPECT_EQ(rest.status, 400);
  EXPECT_EQ(j["result"]["content"][0]["text"], rest.json()["message"]);
  EXPECT_FALSE(j["result"].contains("structuredContent"));
}

}  // namespace
}  // namespace klozeo::testing
