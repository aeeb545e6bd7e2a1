// The OpenAPI document against the router's route table, and real responses against the
// document's schemas (valijson).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "http/api.h"
#include "support/test_server.h"
#include "support/webhook_receiver.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

json Document() { return json::parse(http::OpenApiDocument()); }

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

/// The JSON schema the document gives for (path, method, status), or null.
json ResponseSchema(const json& doc, const std::string& path, const std::string& method,
                    int status) {
  const json& responses = doc.at("paths").at(path).at(Lower(method)).at("responses");
  auto it = responses.find(std::to_string(status));
  if (it == responses.end()) return nullptr;
  json response = *it;
  if (response.contains("$ref")) {
    std::string name =
        response["$ref"].get<std::string>().substr(std::string("#/components/responses/").size());
    response = doc.at("components").at("responses").at(name);
  }
  if (!response.contains("content")) return json::object();  // 204: no body
  return response.at("content").at("application/json").at("schema");
}

/// The response object the document gives for (path, method, status), `$ref` resolved.
json ResponseObject(const json& doc, const std::string& path, const std::string& method,
                    int status) {
  json response = doc.at("paths")
                      .at(path)
                      .at(Lower(method))
                      .at("responses")
                      .value(std::to_string(status), json());
  if (response.contains("$ref")) {
    json::json_pointer pointer(response["$ref"].get<std::string>().substr(1));
    response = doc.at(pointer);
  }
  return response;
}

/// Validates a response against the documented schema and headers; returns the problems (""
/// when it matches).
std::string Validate(const json& doc, const std::string& path, const std::string& method,
                     const HttpResult& result) {
  const int status = result.status;
  const std::string& body = result.body;
  std::string header_problems;
  json documented = ResponseObject(doc, path, method, status);
  if (documented.is_object() && documented.contains("headers")) {
    for (const auto& [name, spec] : documented["headers"].items()) {
      if (name == "Idempotent-Replayed") continue;  // only on replays
      if (result.header(Lower(name)).empty()) header_problems += "missing header " + name + "\n";
    }
  }
  if (!header_problems.empty()) return header_problems;
  json schema_json = ResponseSchema(doc, path, method, status);
  if (schema_json.is_null()) {
    return "status " + std::to_string(status) + " is not documented for " + method + " " + path;
  }
  if (schema_json.empty()) return body.empty() ? "" : "a body where none is documented";
  // $refs point into #/components: give the schema a root that holds them.
  schema_json["components"] = doc.at("components");
  valijson::Schema schema;
  valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
  valijson::adapters::NlohmannJsonAdapter schema_adapter(schema_json);
  parser.populateSchema(schema_adapter, schema);
  json target = json::parse(body);
  valijson::adapters::NlohmannJsonAdapter target_adapter(target);
  valijson::Validator validator;
  valijson::ValidationResults results;
  if (validator.validate(schema, target_adapter, &results)) return "";
  std::string problems;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    std::string where;
    for (const auto& part : error.context) where += part;
    problems += where + ": " + error.description + "\n";
  }
  return problems;
}

#define EXPECT_DOCUMENTED(doc, path, method, result) \
  EXPECT_EQ(Validate(doc, path, method, result), "") \
      << method << " " << path << " -> " << (result).status << " " << (result).body.substr(0, 500)

TEST(OpenApi, DocumentIsOpenApi31WithComponents) {
  json doc = Document();
  EXPECT_EQ(doc["openapi"], "3.1.0");
  EXPECT_TRUE(doc["components"]["schemas"].contains("Lead"));
  EXPECT_TRUE(doc["components"]["securitySchemes"].contains("ApiKey"));
}

TEST(OpenApi, EveryRouteIsDocumentedAndEveryDocumentedRouteExists) {
  TestServer server;
  json doc = Document();
  std::set<std::pair<std::string, std::string>> routes;
  for (const auto& route : server.app().api().router().routes()) {
    routes.emplace(route.pattern, Lower(route.method));
  }
  for (const auto& [pattern, method] : routes) {
    EXPECT_TRUE(doc["paths"].contains(pattern) && doc["paths"][pattern].contains(method))
        << "route " << method << " " << pattern << " is missing from docs/openapi.json";
  }
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      EXPECT_TRUE(routes.count({path, method}) == 1)
          << "docs/openapi.json names " << method << " " << path << ", which is not a route";
      // Every operation documents its errors and its parameters exist in the path.
      EXPECT_TRUE(op["responses"].contains("500")) << method << " " << path;
    }
  }
}

TEST(OpenApi, ReferencesResolve) {
  json doc = Document();
  std::vector<std::string> missing;
  std::function<void(const json&)> walk = [&](const json& node) {
    if (node.is_object()) {
      if (auto it = node.find("$ref"); it != node.end()) {
        json::json_pointer pointer(it->get<std::string>().substr(1));
        if (!doc.contains(pointer)) missing.push_back(it->get<std::string>());
      }
      for (const auto& [k, v] : node.items()) walk(v);
    } else if (node.is_array()) {
      for (const auto& v : node) walk(v);
    }
  };
  walk(doc);
  EXPECT_TRUE(missing.empty()) << missing.front();
}

TEST(OpenApi, ServedWithoutKey) {
  TestServer server;
  auto r = server.Anonymous().Get("/api/v1/openapi.json");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.json(), Document());
}

TEST(OpenApi, RealResponsesMatchTheSchemas) {
  TestServer server;
  auto api = server.NewAccount("unlimited");
  json doc = Document();

  auto health = server.Anonymous().Get("/healthz");
  EXPECT_DOCUMENTED(doc, "/healthz", "GET", health);

  auto created =
      api.Post("/api/v1/leads",
               json{{"name", "Acme"},
                    {"source", "test"},
                    {"email", "a@acme.test"},
                    {"city", "Paris"},
                    {"rating", 4.5},
                    {"tags", {"x", "y"}},
                    {"attributes", {{{"name", "industry"}, {"type", "text"}, {"value", "SaaS"}}}}});
  ASSERT_EQ(created.status, 201);
  EXPECT_DOCUMENTED(doc, "/api/v1/leads", "POST", created);
  std::string id = created.json()["id"];
  auto merged =
      api.Post("/api/v1/leads", json{{"name", "Acme"}, {"source", "t"}, {"email", "A@acme.test"}});
  EXPECT_EQ(merged.status, 200);
  EXPECT_DOCUMENTED(doc, "/api/v1/leads", "POST", merged);
  auto hint = api.Post("/api/v1/leads", json{{"name", "acme"}, {"source", "t"}, {"city", "paris"}});
  EXPECT_DOCUMENTED(doc, "/api/v1/leads", "POST", hint);
  auto bad = api.Post("/api/v1/leads", json{{"source", "t"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_DOCUMENTED(doc, "/api/v1/leads", "POST", bad);

  const std::string lead_path = "/api/v1/leads/" + id;
  auto got = api.Get(lead_path);
  EXPECT_DOCUMENTED(doc, "/api/v1/leads/{id}", "GET", got);
  auto missing = api.Get("/api/v1/leads/cl_nope");
  EXPECT_DOCUMENTED(doc, "/api/v1/leads/{id}", "GET", missing);
  auto updated = api.Put(lead_path, json{{"status", "contacted"}, {"phone", nullptr}});
  EXPECT_DOCUMENTED(doc, "/api/v1/leads/{id}", "PUT", updated);
  auto page = api.Get("/api/v1/leads?limit=1&filter=and.eq.city.Paris");
  EXPECT_DOCUMENTED(doc, "/api/v1/leads", "GET", page);
  auto bad_filter = api.Get("/api/v1/leads?filter=and.nope.city");
  EXPECT_DOCUMENTED(doc, "/api/v1/leads", "GET", bad_filter);
  auto export_json = api.Get("/api/v1/leads/export?format=json");
  EXPECT_DOCUMENTED(doc, "/api/v1/leads/export", "GET", export_json);

  auto attrs = api.Get(lead_path + "/attributes");
  EXPECT_DOCUMENTED(doc, "/api/v1/leads/{id}/attributes", "GET", attrs);
  auto attr = api.Post(lead_path + "/attributes",
                       json{{"name", "employees"}, {"type", "number"}, {"value", 12}});
  EXPECT_DOCUMENTED(doc, "/api/v1/leads/{id}/attributes", "POST", attr);
  auto attr_put = api.Put(lead_path + "/attributes/" + attr.json()["id"].get<std::string>(),
                          json{{"value", 13}});
  EXPECT_DOCUMENTED(doc, "/api/v1/leads/{id}/attributes/{attr_id}", "PUT", attr_put);

  auto note = api.Post(lead_path + "/notes", json{{"content", "called"}});
  EXPECT_DOCUMENTED(doc, "/api/v1/leads/{id}/notes", "POST", note);
  auto notes = api.Get(lead_path + "/notes");
  EXPECT_DOCUMENTED(doc, "/api/v1/leads/{id}/notes", "GET", notes);
  auto note_put =
      api.Put("/api/v1/notes/" + note.json()["id"].get<std::string>(), json{{"content", "again"}});
  EXPECT_DOCUMENTED(doc, "/api/v1/notes/{note_id}", "PUT", note_put);

  auto rule = api.Post("/api/v1/scoring-rules",
                       json{{"name", "rated"}, {"expression", "rating > 4 ? 50 : 0"}});
  EXPECT_DOCUMENTED(doc, "/api/v1/scoring-rules", "POST", rule);
  auto bad_rule = api.Post("/api/v1/scoring-rules", json{{"name", "x"}, {"expression", "1 +"}});
  EXPECT_DOCUMENTED(doc, "/api/v1/scoring-rules", "POST", bad_rule);
  auto rules = api.Get("/api/v1/scoring-rules");
  EXPECT_DOCUMENTED(doc, "/api/v1/scoring-rules", "GET", rules);
  auto score = api.Post(lead_path + "/score", json::object());
  EXPECT_DOCUMENTED(doc, "/api/v1/leads/{id}/score", "POST", score);
  auto explain = api.Get(lead_path + "/score");
  EXPECT_DOCUMENTED(doc, "/api/v1/leads/{id}/score", "GET", explain);
  auto score_batch = api.Post("/api/v1/leads/score/batch", json::object());
  EXPECT_DOCUMENTED(doc, "/api/v1/leads/score/batch", "POST", score_batch);

  auto batch = api.Post("/api/v1/leads/batch",
                        json{{"leads", {{{"name", "B1"}, {"source", "s"}}, {{"name", ""}}}}});
  EXPECT_EQ(batch.status, 207);
  EXPECT_DOCUMENTED(doc, "/api/v1/leads/batch", "POST", batch);
  auto batch_put = api.Put("/api/v1/leads/batch",
                           json{{"ids", {id, "cl_unknown", 7}}, {"data", {{"rating", 5}}}});
  EXPECT_DOCUMENTED(doc, "/api/v1/leads/batch", "PUT", batch_put);

  auto unauthorized = server.Anonymous().Get("/api/v1/leads");
  EXPECT_DOCUMENTED(doc, "/api/v1/leads", "GET", unauthorized);
  auto deleted = api.Delete(lead_path);
  EXPECT_EQ(deleted.status, 204);
  EXPECT_DOCUMENTED(doc, "/api/v1/leads/{id}", "DELETE", deleted);
  auto batch_delete = api.Delete("/api/v1/leads/batch", json{{"ids", {id}}}.dump());
  EXPECT_DOCUMENTED(doc, "/api/v1/leads/batch", "DELETE", batch_delete);
}

TEST(OpenApi, WebhookResponsesMatchTheSchemas) {
  WebhookReceiver receiver;
  TestServer server;  // private (loopback) addresses allowed
  auto api = server.NewAccount();
  json doc = Document();

  auto created =
      api.Post("/api/v1/webhooks",
               json{{"url", receiver.Url()}, {"events", {"lead.created"}}, {"secret", "s"}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_DOCUMENTED(doc, "/api/v1/webhooks", "POST", created);
  auto bad = api.Post("/api/v1/webhooks", json{{"url", "ftp://x"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_DOCUMENTED(doc, "/api/v1/webhooks", "POST", bad);
  const std::string hook_path = "/api/v1/webhooks/" + created.json()["id"].get<std::string>();

  auto got = api.Get(hook_path);
  EXPECT_DOCUMENTED(doc, "/api/v1/webhooks/{id}", "GET", got);
  auto missing = api.Get("/api/v1/webhooks/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_DOCUMENTED(doc, "/api/v1/webhooks/{id}", "GET", missing);
  auto updated = api.Put(hook_path, json{{"events", nullptr}, {"active", true}});
  EXPECT_DOCUMENTED(doc, "/api/v1/webhooks/{id}", "PUT", updated);
  auto list = api.Get("/api/v1/webhooks");
  EXPECT_DOCUMENTED(doc, "/api/v1/webhooks", "GET", list);

  // A real delivery (lead.created), delivered to the receiver, then listed with its attempt.
  ASSERT_EQ(api.Post("/api/v1/leads", json{{"name", "Hooked"}, {"source", "s"}}).status, 201);
  ASSERT_TRUE(receiver.WaitForCount(1, 30000));
  HttpResult deliveries;
  for (int i = 0; i < 300; ++i) {  // the attempt is recorded just after the receiver answers
    deliveries = api.Get(hook_path + "/deliveries");
    if (deliveries.status == 200 && !deliveries.json()["deliveries"].empty() &&
        deliveries.json()["deliveries"][0]["state"] == "delivered") {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(deliveries.json()["deliveries"][0]["state"], "delivered") << deliveries.body;
  EXPECT_DOCUMENTED(doc, "/api/v1/webhooks/{id}/deliveries", "GET", deliveries);
  auto bad_limit = api.Get(hook_path + "/deliveries?limit=0");
  EXPECT_DOCUMENTED(doc, "/api/v1/webhooks/{id}/deliveries", "GET", bad_limit);
  const std::string delivery_id = deliveries.json()["deliveries"][0]["id"];
  auto redeliver =
      api.Post(hook_path + "/deliveries/" + delivery_id + "/redeliver", json::object());
  EXPECT_EQ(redeliver.status, 202);
  EXPECT_DOCUMENTED(doc, "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", "POST",
                    redeliver);
  auto ping = api.Post(hook_path + "/test", json::object());
  EXPECT_EQ(ping.status, 202);
  EXPECT_DOCUMENTED(doc, "/api/v1/webhooks/{id}/test", "POST", ping);
  ASSERT_TRUE(receiver.WaitForCount(3, 30000));

  auto deleted = api.Delete(hook_path);
  EXPECT_EQ(deleted.status, 204);
  EXPECT_DOCUMENTED(doc, "/api/v1/webhooks/{id}", "DELETE", deleted);
}

TEST(OpenApi, AccountAndKeyResponsesMatchTheSchemas) {
  TestServer server;
  auto api = server.NewAccount();
  json doc = Document();
  EXPECT_DOCUMENTED(doc, "/api/v1/account", "GET", api.Get("/api/v1/account"));
  auto created = api.Post("/api/v1/keys", json::object());
  EXPECT_EQ(created.status, 201);
  EXPECT_DOCUMENTED(doc, "/api/v1/keys", "POST", created);
  auto refused = api.Send("POST", "/api/v1/keys", "{}", {{"Idempotency-Key", "once"}});
  EXPECT_EQ(refused.status, 400);
  EXPECT_DOCUMENTED(doc, "/api/v1/keys", "POST", refused);
  auto keys = api.Get("/api/v1/keys");
  EXPECT_DOCUMENTED(doc, "/api/v1/keys", "GET", keys);
  const std::string own_id = keys.json()["keys"][0]["id"];
  auto self = api.Delete("/api/v1/keys/" + own_id);
  EXPECT_EQ(self.status, 409);
  EXPECT_DOCUMENTED(doc, "/api/v1/keys/{id}", "DELETE", self);
  auto revoked = api.Delete("/api/v1/keys/" + created.json()["id"].get<std::string>());
  EXPECT_EQ(revoked.status, 204);
  EXPECT_DOCUMENTED(doc, "/api/v1/keys/{id}", "DELETE", revoked);
  auto missing = api.Delete("/api/v1/keys/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_DOCUMENTED(doc, "/api/v1/keys/{id}", "DELETE", missing);
  auto valid = api.Post("/api/v1/scoring-rules/check", json{{"expression", "rating * 10"}});
  EXPECT_DOCUMENTED(doc, "/api/v1/scoring-rules/check", "POST", valid);
  auto invalid = api.Post("/api/v1/scoring-rules/check", json{{"expression", "1 +"}});
  EXPECT_DOCUMENTED(doc, "/api/v1/scoring-rules/check", "POST", invalid);
  auto bad = api.Post("/api/v1/scoring-rules/check", json::object());
  EXPECT_EQ(bad.status, 400);
  EXPECT_DOCUMENTED(doc, "/api/v1/scoring-rules/check", "POST", bad);
}

TEST(OpenApi, SdkCompatListsMatchTheSchemas) {
  TestServer::Options options;
  options.sdk_compat = true;
  TestServer server(options);
  auto api = server.NewAccount();
  json doc = Document();
  auto created = api.Post("/api/v1/leads", json{{"name", "A"}, {"source", "s"}});
  std::string lead_path = "/api/v1/leads/" + created.json()["id"].get<std::string>();
  auto attrs = api.Get(lead_path + "/attributes");
  EXPECT_DOCUMENTED(doc, "/api/v1/leads/{id}/attributes", "GET", attrs);
  auto notes = api.Get(lead_path + "/notes");
  EXPECT_DOCUMENTED(doc, "/api/v1/leads/{id}/notes", "GET", notes);
  auto rules = api.Get("/api/v1/scoring-rules");
  EXPECT_DOCUMENTED(doc, "/api/v1/scoring-rules", "GET", rules);
  WebhookReceiver receiver;
  auto hook = api.Post("/api/v1/webhooks", json{{"url", receiver.Url()}});
  EXPECT_DOCUMENTED(doc, "/api/v1/webhooks", "POST", hook);
  auto hooks = api.Get("/api/v1/webhooks");
  EXPECT_TRUE(hooks.json().contains("webhooks"));
  EXPECT_DOCUMENTED(doc, "/api/v1/webhooks", "GET", hooks);
}

TEST(OpenApi, StatsResponsesMatchTheSchema) {
  TestServer server;
  auto api = server.NewAccount();
  json doc = Document();
  auto empty = api.Get("/api/v1/stats");
  EXPECT_EQ(empty.status, 200);
  EXPECT_DOCUMENTED(doc, "/api/v1/stats", "GET", empty);
  ASSERT_EQ(
      api.Post("/api/v1/leads", json{{"name", "A"}, {"source", "s"}, {"city", "Paris"}}).status,
      201);
  auto full = api.Get("/api/v1/stats?days=365");
  EXPECT_EQ(full.json()["total_leads"], 1);
  EXPECT_DOCUMENTED(doc, "/api/v1/stats", "GET", full);
  auto bad = api.Get("/api/v1/stats?days=0");
  EXPECT_EQ(bad.status, 400);
  EXPECT_DOCUMENTED(doc, "/api/v1/stats", "GET", bad);
  auto anonymous = server.Anonymous().Get("/api/v1/stats");
  EXPECT_DOCUMENTED(doc, "/api/v1/stats", "GET", anonymous);
}

}  // namespace
}  // namespace klozeo::testing
