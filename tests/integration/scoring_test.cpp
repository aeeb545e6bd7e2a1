// Scoring rules and lead scores over real HTTP against the real server and a temp SQLite file.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "core/ids.h"
#include "service/lead_service.h"
#include "support/expect_error.h"
#include "support/test_server.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

constexpr int64_t kStart = 1700000000;  // TestServer's clock, in seconds
constexpr int64_t kDayMs = 86'400'000;
const std::string kRules = "/api/v1/scoring-rules";

json CreateRule(const HttpClient& api, const json& body) {
  auto r = api.Post(kRules, body);
  EXPECT_EQ(r.status, 201) << body.dump() << " -> " << r.body;
  return json::parse(r.body, nullptr, false);
}

std::string CreateLead(const HttpClient& api, const json& body) {
  auto r = api.Post("/api/v1/leads", body);
  EXPECT_EQ(r.status, 201) << r.body;
  return r.json()["id"];
}

json GetLead(const HttpClient& api, const std::string& id) {
  auto r = api.Get("/api/v1/leads/" + id);
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json();
}

double StoredScore(const HttpClient& api, const std::string& id) {
  return GetLead(api, id)["score"].get<double>();
}

json Explain(const HttpClient& api, const std::string& id) {
  auto r = api.Get("/api/v1/leads/" + id + "/score");
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json();
}

// `n` leads of `api`'s account written straight through the store in one transaction (fast),
// named "Lead i" and rated i % 5; their ids (empty if the write failed).
std::vector<std::string> SeedThroughStore(TestServer& server, const HttpClient& api, int n) {
  auto who = server.services().accounts().Authenticate(api.key());
  auto tx = server.services().db().Begin(storage::TxMode::kWrite);
  if (!who.ok() || !tx.ok()) return {};
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) {
    domain::Lead lead;
    lead.id = core::NewLeadId();
    lead.name = "Lead " + std::to_string(i);
    lead.source = "seed";
    lead.rating = i % 5;
    lead.created_at = lead.updated_at = lead.last_interaction_at = kStart;
    auto keys = service::LeadKeysOf(lead, dedup::PhoneNormalizer());
    if (!(*tx)->leads().Insert(who->account_key, lead, keys).ok()) return {};
    ids.push_back(lead.id);
  }
  if (!(*tx)->Commit().ok()) return {};
  return ids;
}

json BatchRescore(const HttpClient& api) {
  auto r = api.Send("POST", "/api/v1/leads/score/batch", "");
  EXPECT_EQ(r.status, 200) << r.body.substr(0, 500);
  EXPECT_EQ(r.header("content-type"), "application/json");
  return r.json();
}

// ---- rules: CRUD, validation, limits, list modes ----

TEST(ScoringRulesApi, CreateGetListUpdateDelete) {
  TestServer server;
  auto api = server.NewAccount();
  // The reference's example body.
  json created = CreateRule(
      api, {{"name", "High rating bonus"}, {"expression", "rating * 10"}, {"weight", 1.0}});
  std::string id = created["id"];
  EXPECT_TRUE(core::IsUuid(id)) << "rule ids are plain UUIDs: " << id;
  EXPECT_EQ(created["name"], "High rating bonus");
  EXPECT_EQ(created["expression"], "rating * 10");
  EXPECT_EQ(created["weight"], 1.0);
  EXPECT_EQ(created["priority"], 0) << "priority is always emitted";
  EXPECT_EQ(created["created_at"], kStart);
  EXPECT_EQ(created["updated_at"], kStart);
  EXPECT_TRUE(created["created_at"].is_number_integer());

  auto got = api.Get(kRules + "/" + id);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.json(), created);

  auto list = api.Get(kRules);
  ASSERT_EQ(list.status, 200);
  ASSERT_TRUE(list.json().is_array()) << "bare array by default: " << list.body;
  ASSERT_EQ(list.json().size(), 1u);
  EXPECT_EQ(list.json()[0], created);

  // The reference's update body: a partial update answering the full rule.
  server.clock().AdvanceMillis(60'000);
  auto updated = api.Put(kRules + "/" + id, json{{"expression", "rating * 15"}, {"weight", 1.5}});
  ASSERT_EQ(updated.status, 200) << updated.body;
  json u = updated.json();
  EXPECT_EQ(u["id"], id);
  EXPECT_EQ(u["name"], "High rating bonus");
  EXPECT_EQ(u["expression"], "rating * 15");
  EXPECT_EQ(u["weight"], 1.5);
  EXPECT_EQ(u["priority"], 0);
  EXPECT_EQ(u["created_at"], kStart);
  EXPECT_EQ(u["updated_at"], kStart + 60);
  EXPECT_EQ(api.Get(kRules + "/" + id).json(), u);

  // Sending back what was read changes nothing (read-only fields are ignored).
  server.clock().AdvanceMillis(60'000);
  auto same = api.Put(kRules + "/" + id, u);
  ASSERT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(same.json()["updated_at"], kStart + 60);

  // `priority` alone (what the SDKs send), and as an integral float.
  auto prio = api.Put(kRules + "/" + id, json{{"priority", 3.0}});
  ASSERT_EQ(prio.status, 200) << prio.body;
  EXPECT_EQ(prio.json()["priority"], 3);
  EXPECT_TRUE(prio.json()["priority"].is_number_integer());

  EXPECT_EQ(api.Delete(kRules + "/" + id).status, 204);
  ExpectError(api.Get(kRules + "/" + id), 404, "not_found");
  ExpectError(api.Delete(kRules + "/" + id), 404, "not_found");
  ExpectError(api.Put(kRules + "/" + id, json{{"weight", 2}}), 404, "not_found");
  EXPECT_EQ(api.Get(kRules).json(), json::array());
}

TEST(ScoringRulesApi, MalformedAndForeignIdsAreNotFound) {
  TestServer server;
  auto api = server.NewAccount();
  auto other = server.NewAccount();
  std::string id = CreateRule(api, {{"name", "r"}, {"expression", "1"}})["id"];
  for (const std::string& bad :
       std::vector<std::string>{"nope", "cl_" + core::NewUuidV7(), id + "x"}) {
    ExpectError(api.Get(kRules + "/" + bad), 404, "not_found");
    ExpectError(api.Put(kRules + "/" + bad, json{{"weight", 2}}), 404, "not_found");
    ExpectError(api.Delete(kRules + "/" + bad), 404, "not_found");
  }
  ExpectError(other.Get(kRules + "/" + id), 404, "not_found");
  ExpectError(other.Put(kRules + "/" + id, json{{"weight", 2}}), 404, "not_found");
  ExpectError(other.Delete(kRules + "/" + id), 404, "not_found");
  EXPECT_EQ(other.Get(kRules).json(), json::array());
  // The owner's rule is intact.
  auto mine = api.Get(kRules + "/" + id);
  ASSERT_EQ(mine.status, 200);
  EXPECT_EQ(mine.json()["weight"], 1.0);
  ExpectError(server.Anonymous().Get(kRules), 401, "unauthorized");
}

TEST(ScoringRulesApi, InvalidBodiesAre400NamingTheProblem) {
  TestServer server;
  auto api = server.NewAccount();
  const std::pair<json, std::string> cases[] = {
      {json{{"expression", "1"}}, "name"},
      {json{{"name", ""}, {"expression", "1"}}, "name"},
      {json{{"name", "   "}, {"expression", "1"}}, "name"},
      {json{{"name", 5}, {"expression", "1"}}, "name"},
      {json{{"name", "r"}}, "expression"},
      {json{{"name", "r"}, {"expression", 5}}, "expression"},
      {json{{"name", "r"}, {"expression", ""}}, "expression"},
      {json{{"name", "r"}, {"expression", "1"}, {"weight", "2"}}, "weight"},
      {json{{"name", "r"}, {"expression", "1"}, {"priority", 1.5}}, "priority"},
      {json{{"name", "r"}, {"expression", "1"}, {"priority", "1"}}, "priority"},
      {json::array({1}), "object"},
  };
  for (const auto& [body, part] : cases) {
    SCOPED_TRACE(body.dump());
    ExpectError(api.Post(kRules, body), 400, "bad_request", part);
  }
  ExpectError(api.Send("POST", kRules, "{nope"), 400, "bad_request", "JSON");
  EXPECT_EQ(api.Get(kRules).json().size(), 0u) << "nothing was created";
}

TEST(ScoringRulesApi, BadExpressionsAre400WithTheColumn) {
  TestServer server;
  auto api = server.NewAccount();
  // The messages documented in docs/SCORING.md.
  const std::pair<std::string, std::string> cases[] = {
      {"review_count > 100 ? 30", "expected ':' after '?' at column 24"},
      {"1+foo", "unknown field 'foo' at column 3"},
      {"rating = 4", "unexpected '=' (use '==' to compare) at column 8"},
      {"(1 + 2",
       "expected ')' to close the '(' at column 1 but found end of expression at column 7"},
      {"len(1, 2)", "len() takes 1 argument, not 2 at column 1"},
      {"'abc", "unterminated string starting at column 1"},
      {std::string(5000, '1'), "expression is too long: 5000 bytes (the limit is 4096)"},
      {std::string(100, '(') + "1" + std::string(100, ')'), "nested too deeply"},
  };
  for (const auto& [expression, message] : cases) {
    SCOPED_TRACE(expression.substr(0, 40));
    ExpectError(api.Post(kRules, json{{"name", "r"}, {"expression", expression}}), 400,
                "bad_request", message);
  }
  // On update, too, and the stored rule stays as it was.
  json rule = CreateRule(api, {{"name", "r"}, {"expression", "rating * 20"}});
  std::string url = kRules + "/" + rule["id"].get<std::string>();
  ExpectError(api.Put(url, json{{"expression", "review_count > 100 ? 30"}}), 400, "bad_request",
              "at column 24");
  ExpectError(api.Put(url, json{{"name", ""}}), 400, "bad_request", "name");
  EXPECT_EQ(api.Get(url).json(), rule);
}

TEST(ScoringRulesApi, AtMostOneHundredRulesPerAccount) {
  TestServer server;
  auto api = server.NewAccount();
  auto other = server.NewAccount();
  std::string first;
  for (int i = 0; i < 100; ++i) {
    json r = CreateRule(api, {{"name", "rule " + std::to_string(i)}, {"expression", "1"}});
    if (i == 0) first = r["id"];
  }
  ExpectError(api.Post(kRules, json{{"name", "one too many"}, {"expression", "1"}}), 400,
              "bad_request", "100");
  EXPECT_EQ(api.Get(kRules).json().size(), 100u);
  CreateRule(other, {{"name", "another account"}, {"expression", "1"}});
  EXPECT_EQ(api.Delete(kRules + "/" + first).status, 204);
  CreateRule(api, {{"name", "fits again"}, {"expression", "1"}});
}

TEST(ScoringRulesApi, ListIsOrderedByPriorityThenCreation) {
  TestServer server;
  auto api = server.NewAccount();
  CreateRule(api, {{"name", "b"}, {"expression", "1"}, {"priority", 5}});
  server.clock().AdvanceMillis(1000);
  CreateRule(api, {{"name", "c"}, {"expression", "1"}});
  server.clock().AdvanceMillis(1000);
  CreateRule(api, {{"name", "a"}, {"expression", "1"}, {"priority", -2}, {"weight", nullptr}});
  server.clock().AdvanceMillis(1000);
  CreateRule(api, {{"name", "d"}, {"expression", "1"}, {"priority", 0}, {"weight", 2}});
  json list = api.Get(kRules).json();
  std::vector<std::string> names;
  for (const auto& r : list) names.push_back(r["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "c", "d", "b"}));
  EXPECT_EQ(list[0]["weight"], 1.0) << "null weight is the default";
  EXPECT_EQ(list[2]["weight"], 2.0);
}

TEST(ScoringRulesApi, SdkCompatEnvelopesTheList) {
  TestServer::Options options;
  options.sdk_compat = true;
  TestServer server(options);
  auto api = server.NewAccount();
  json created = CreateRule(api, {{"name", "r"}, {"expression", "rating * 20"}, {"priority", 1}});
  auto list = api.Get(kRules);
  ASSERT_EQ(list.status, 200);
  json body = list.json();
  ASSERT_TRUE(body.is_object()) << body;
  ASSERT_TRUE(body["rules"].is_array());
  ASSERT_EQ(body["rules"].size(), 1u);
  EXPECT_EQ(body["rules"][0], created);
  // Single objects are not enveloped.
  EXPECT_EQ(api.Get(kRules + "/" + created["id"].get<std::string>()).json(), created);
}

// ---- scores ----

// The sample lead of docs/SCORING.md's worked examples.
json SampleLead() {
  return json{{"name", "Acme Bakery"},
              {"source", "maps"},
              {"email", "contact@acme.fr"},
              {"city", "Paris"},
              {"postal_code", "75001"},
              {"rating", 4.5},
              {"review_count", 120},
              {"tags", {"vip", "b2b"}},
              {"attributes",
               {{{"name", "employees"}, {"type", "number"}, {"value", 800}},
                {{"name", "size"}, {"type", "text"}, {"value", "21"}}}}};
}

TEST(ScoresApi, DocumentedExamplesScoreAsDocumented) {
  TestServer server;
  auto api = server.NewAccount();
  // docs/SCORING.md "Worked examples": expression -> value on the sample lead, on an empty one.
  struct Example {
    std::string expression;
    std::optional<double> sample;  // nullopt: an evaluation error (contributes 0)
    std::optional<double> empty;
  };
  const std::vector<Example> examples = {
      {"rating * 20", 90, 0},
      {"review_count > 100 ? 30 : 0", 30, 0},
      {"(rating * 10) + (review_count > 50 ? 20 : 0)", 65, 0},
      {"attr_employees > 500 ? 40 : 20", 40, 20},
      {"(email != nil ? 30 : 0) + (phone != nil ? 30 : 0)", 30, 0},
      {"days_since(last_interaction_at) < 7 ? 20 : 0", 20, std::nullopt},
      {"\"vip\" in tags", 1, 0},
      {"city == \"Paris\"", 1, 0},
      {"city == \"PARIS\"", 1, 0},
      {"attr_size * 2", 42, 0},
      {"postal_code == 75001", 1, 0},
      {"days_since(created_at)", 40, std::nullopt},
      {"name * 2", std::nullopt, std::nullopt},
  };
  std::map<std::string, const Example*> by_id;
  for (const auto& e : examples) {
    json rule = CreateRule(api, {{"name", e.expression}, {"expression", e.expression}});
    by_id[rule["id"]] = &e;
  }
  // created 40 days ago, last contacted 3 days ago (a PUT bumps last_interaction_at).
  std::string sample = CreateLead(api, SampleLead());
  std::string empty = CreateLead(api, json{{"name", "Nobody"}, {"source", "test"}});
  server.clock().AdvanceMillis(37 * kDayMs);
  ASSERT_EQ(api.Put("/api/v1/leads/" + sample, json::object()).status, 200);
  server.clock().AdvanceMillis(3 * kDayMs);

  json explained = Explain(api, sample);
  EXPECT_EQ(explained["id"], sample);
  EXPECT_EQ(explained["evaluated_at"], kStart + 40 * 86'400);
  ASSERT_EQ(explained["rules"].size(), examples.size());
  double sum = 0;
  for (const auto& r : explained["rules"]) {
    const Example& e = *by_id.at(r["id"].get<std::string>());
    SCOPED_TRACE(e.expression);
    EXPECT_EQ(r["expression"], e.expression);
    if (e.sample) {
      ASSERT_TRUE(r["value"].is_number()) << r;
      EXPECT_DOUBLE_EQ(r["value"].get<double>(), *e.sample);
      EXPECT_TRUE(r["error"].is_null());
      sum += *e.sample;
    } else {
      EXPECT_TRUE(r["value"].is_null()) << r;
      EXPECT_EQ(r["contribution"], 0.0);
      EXPECT_EQ(r["error"], "cannot use text as a number in '*' at column 6");
    }
  }
  EXPECT_DOUBLE_EQ(explained["total"].get<double>(), sum);
  EXPECT_EQ(explained["score"], 100.0) << "the sum is over 100";

  // The empty lead (created 40 days ago; only the rows that do not depend on time).
  json empty_explained = Explain(api, empty);
  for (const auto& r : empty_explained["rules"]) {
    const Example& e = *by_id.at(r["id"].get<std::string>());
    if (!e.empty) continue;
    SCOPED_TRACE(e.expression);
    ASSERT_TRUE(r["value"].is_number()) << r;
    EXPECT_DOUBLE_EQ(r["value"].get<double>(), *e.empty);
  }
}

TEST(ScoresApi, ReferenceRuleExampleWithWeightAndClamping) {
  TestServer server;
  auto api = server.NewAccount();
  json rule = CreateRule(
      api, {{"name", "High rating bonus"}, {"expression", "rating * 10"}, {"weight", 1.0}});
  std::string lead = CreateLead(api, json{{"name", "Acme"}, {"source", "web"}, {"rating", 4.5}});
  EXPECT_EQ(StoredScore(api, lead), 45.0);
  // 4.5 * 15 * 1.5 = 101.25, clamped to 100.
  api.Put(kRules + "/" + rule["id"].get<std::string>(),
          json{{"expression", "rating * 15"}, {"weight", 1.5}});
  auto r = api.Send("POST", "/api/v1/leads/" + lead + "/score", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), (json{{"id", lead}, {"score", 100.0}}));
  json explained = Explain(api, lead);
  EXPECT_DOUBLE_EQ(explained["total"].get<double>(), 101.25) << "before clamping";
  EXPECT_EQ(explained["score"], 100.0);
  EXPECT_EQ(explained["stored_score"], 100.0);
  EXPECT_DOUBLE_EQ(explained["rules"][0]["value"].get<double>(), 67.5);
  EXPECT_DOUBLE_EQ(explained["rules"][0]["contribution"].get<double>(), 101.25);
  EXPECT_EQ(explained["rules"][0]["weight"], 1.5);
}

TEST(ScoresApi, WeightsClampingAtZeroAndRounding) {
  TestServer server;
  auto api = server.NewAccount();
  std::string lead = CreateLead(api, json{{"name", "Acme"}, {"source", "web"}, {"rating", 1}});
  EXPECT_EQ(StoredScore(api, lead), 0.0) << "no rules: 0";
  std::string a =
      CreateRule(api, {{"name", "a"}, {"expression", "rating * 10"}, {"weight", 2}})["id"];
  std::string b =
      CreateRule(api, {{"name", "b"}, {"expression", "rating * 5"}, {"weight", -1}})["id"];
  auto rescore = [&] {
    auto r = api.Send("POST", "/api/v1/leads/" + lead + "/score", "");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["score"].get<double>();
  };
  EXPECT_EQ(rescore(), 15.0) << "20 - 5";
  api.Put(kRules + "/" + b, json{{"weight", -10}});
  EXPECT_EQ(rescore(), 0.0) << "20 - 50 clamps at 0";
  EXPECT_DOUBLE_EQ(Explain(api, lead)["total"].get<double>(), -30);
  api.Delete(kRules + "/" + b);
  api.Put(kRules + "/" + a, json{{"expression", "rating / 3"}, {"weight", 1}});
  EXPECT_EQ(rescore(), 0.33) << "1/3 rounded to two decimals";
  api.Put(kRules + "/" + a, json{{"expression", "2 / 3"}});
  EXPECT_EQ(rescore(), 0.67);
  EXPECT_EQ(StoredScore(api, lead), 0.67);
  api.Put(kRules + "/" + a, json{{"expression", "\"vip\" in tags"}, {"weight", 12.5}});
  EXPECT_EQ(rescore(), 0.0);
  api.Put("/api/v1/leads/" + lead, json{{"tags", {"VIP"}}});
  EXPECT_EQ(StoredScore(api, lead), 12.5) << "a boolean counts 1, times the weight";
}

TEST(ScoresApi, LeadsAreScoredOnCreateAndOnPut) {
  TestServer server;
  auto api = server.NewAccount();
  CreateRule(api, {{"name", "rating"}, {"expression", "rating * 10"}});
  CreateRule(api,
             {{"name", "reviews"}, {"expression", "review_count > 100 ? 30 : 0"}, {"weight", 0.5}});
  std::string id = CreateLead(
      api, json{{"name", "Acme"}, {"source", "web"}, {"rating", 4.5}, {"review_count", 120}});
  EXPECT_EQ(StoredScore(api, id), 60.0) << "45 + 30 * 0.5";
  auto put = api.Put("/api/v1/leads/" + id, json{{"rating", 2}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.json()["score"], 35.0) << "the PUT response carries the new score";
  EXPECT_EQ(StoredScore(api, id), 35.0);
  api.Put("/api/v1/leads/" + id, json{{"review_count", nullptr}});
  EXPECT_EQ(StoredScore(api, id), 20.0);
  // A score sent by the client is ignored.
  api.Put("/api/v1/leads/" + id, json{{"score", 99}});
  EXPECT_EQ(StoredScore(api, id), 20.0);
  std::string other =
      CreateLead(api, json{{"name", "B"}, {"source", "web"}, {"rating", 1}, {"score", 99}});
  EXPECT_EQ(StoredScore(api, other), 10.0);
  // Leads listed carry their stored scores.
  json page = api.Get("/api/v1/leads").json();
  std::map<std::string, double> listed;
  for (const auto& l : page["leads"]) listed[l["id"]] = l["score"];
  EXPECT_EQ(listed[id], 20.0);
  EXPECT_EQ(listed[other], 10.0);
}

TEST(ScoresApi, StoredScoresFilterAndSort) {
  TestServer server;
  auto api = server.NewAccount();
  CreateRule(api, {{"name", "rating"}, {"expression", "rating * 10"}});
  std::map<std::string, std::string> ids;
  for (const auto& [name, rating] : std::vector<std::pair<std::string, double>>{
           {"low", 1}, {"high", 4.5}, {"mid", 3}, {"none", -1}}) {
    json body{{"name", name}, {"source", "web"}};
    if (rating >= 0) body["rating"] = rating;
    ids[name] = CreateLead(api, body);
  }
  auto page = api.Get("/api/v1/leads?filter=and.gte.score.30&sort_by=score&sort_order=DESC");
  ASSERT_EQ(page.status, 200) << page.body;
  json body = page.json();
  std::vector<std::string> names;
  for (const auto& l : body["leads"]) names.push_back(l["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"high", "mid"}));
  page = api.Get("/api/v1/leads?sort_by=score");
  ASSERT_EQ(page.status, 200) << page.body;
  body = page.json();
  names.clear();
  for (const auto& l : body["leads"]) names.push_back(l["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"none", "low", "mid", "high"}));
  EXPECT_EQ(body["leads"][0]["score"], 0.0);
}

// Scores live in lead_scores with the lead's status, city and category (SQLite's schema 24,
// PostgreSQL's 25): a score sort with those filters reads that copy, which must follow lead
// updates, rescores and deletes.
TEST(ScoresApi, TheScoreOrderFollowsUpdatesRescoresAndDeletes) {
  TestServer server;
  auto api = server.NewAccount();
  json rule = CreateRule(api, {{"name", "rating"}, {"expression", "rating * 10"}});
  std::string a = CreateLead(api, json{{"name", "A"},
                                       {"source", "web"},
                                       {"rating", 4},
                                       {"city", "Paris"},
                                       {"category", "Retail"}});
  std::string b =
      CreateLead(api, json{{"name", "B"}, {"source", "web"}, {"rating", 2}, {"city", "Oslo"}});
  std::string c = CreateLead(
      api, json{{"name", "C"}, {"source", "web"}, {"rating", 3}, {"status", "contacted"}});
  auto names = [&](const std::string& query) {
    auto r = api.Get("/api/v1/leads?" + query + "&sort_by=score&sort_order=DESC");
    EXPECT_EQ(r.status, 200) << query << " -> " << r.body;
    const json body = r.json();  // named: a range-for over a temporary's member would dangle
    std::vector<std::string> out;
    for (const auto& l : body["leads"]) out.push_back(l["name"]);
    return out;
  };
  EXPECT_EQ(names("filter=and.eq.status.new"), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(names("filter=and.eq.category.retail"), (std::vector<std::string>{"A"}));
  // B moves to Paris and to "contacted": every facet filter sees the move.
  ASSERT_EQ(api.Put("/api/v1/leads/" + b, json{{"status", "contacted"}, {"city", "paris"}}).status,
            200);
  EXPECT_EQ(names("filter=and.eq.status.contacted"), (std::vector<std::string>{"C", "B"}));
  EXPECT_EQ(names("filter=and.eq.status.new"), (std::vector<std::string>{"A"}));
  EXPECT_EQ(names("filter=and.eq.city.PARIS"), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(names("filter=or.eq.city.paris&filter=or.eq.city.oslo"),
            (std::vector<std::string>{"A", "B"}));
  // A rescore reverses the order, and score ranges read the new scores.
  ASSERT_EQ(api.Put(kRules + "/" + rule["id"].get<std::string>(),
                    json{{"name", "rating"}, {"expression", "100 - rating * 10"}})
                .status,
            200);
  BatchRescore(api);
  EXPECT_EQ(names(""), (std::vector<std::string>{"B", "C", "A"}));
  EXPECT_EQ(names("filter=and.gte.score.70"), (std::vector<std::string>{"B", "C"}));
  EXPECT_EQ(names("filter=and.eq.city.paris"), (std::vector<std::string>{"B", "A"}));
  EXPECT_EQ(StoredScore(api, a), 60.0);
  // A deleted lead leaves the order and the statistics.
  ASSERT_EQ(api.Delete("/api/v1/leads/" + a).status, 204);
  EXPECT_EQ(names(""), (std::vector<std::string>{"B", "C"}));
  EXPECT_EQ(names("filter=and.lt.score.70"), (std::vector<std::string>{}));
  auto stats = api.Get("/api/v1/stats");
  ASSERT_EQ(stats.status, 200) << stats.body;
  EXPECT_EQ(stats.json()["total_leads"], 2) << stats.body;
}

TEST(ScoresApi, AttributeChangesRescoreTheLead) {
  TestServer server;
  auto api = server.NewAccount();
  CreateRule(api, {{"name", "size"},
                   {"expression", "attr_employees != nil ? (attr_employees > 500 ? 40 : 20) : 5"}});
  std::string id = CreateLead(api, json{{"name", "Acme"}, {"source", "web"}});
  EXPECT_EQ(StoredScore(api, id), 5.0);
  const std::string base = "/api/v1/leads/" + id + "/attributes";
  auto created = api.Post(base, json{{"name", "employees"}, {"type", "number"}, {"value", 800}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(StoredScore(api, id), 40.0) << "after POST attribute";
  std::string attr = created.json()["id"];
  ASSERT_EQ(api.Put(base + "/" + attr, json{{"value", 100}}).status, 200);
  EXPECT_EQ(StoredScore(api, id), 20.0) << "after PUT attribute";
  ASSERT_EQ(api.Delete(base + "/" + attr).status, 204);
  EXPECT_EQ(StoredScore(api, id), 5.0) << "after DELETE attribute";
  // Inline attributes on PUT /leads, and on create.
  api.Put("/api/v1/leads/" + id,
          json{{"attributes", {{{"name", "employees"}, {"type", "number"}, {"value", 501}}}}});
  EXPECT_EQ(StoredScore(api, id), 40.0);
  std::string second = CreateLead(
      api, json{{"name", "B"},
                {"source", "web"},
                {"attributes", {{{"name", "employees"}, {"type", "number"}, {"value", 3}}}}});
  EXPECT_EQ(StoredScore(api, second), 20.0);
}

TEST(ScoresApi, RuleChangesApplyOnExplicitRecalculation) {
  TestServer server;
  auto api = server.NewAccount();
  std::string rule = CreateRule(api, {{"name", "r"}, {"expression", "rating * 10"}})["id"];
  std::string a = CreateLead(api, json{{"name", "A"}, {"source", "web"}, {"rating", 1}});
  std::string b = CreateLead(api, json{{"name", "B"}, {"source", "web"}, {"rating", 3}});
  EXPECT_EQ(StoredScore(api, a), 10.0);
  EXPECT_EQ(StoredScore(api, b), 30.0);

  api.Put(kRules + "/" + rule, json{{"expression", "rating * 20"}});
  EXPECT_EQ(StoredScore(api, a), 10.0) << "a rule change alone does not rescore";
  json explained = Explain(api, a);
  EXPECT_EQ(explained["stored_score"], 10.0);
  EXPECT_EQ(explained["score"], 20.0) << "explain shows what the current rules give";
  EXPECT_EQ(StoredScore(api, a), 10.0) << "explain stores nothing";

  auto single = api.Send("POST", "/api/v1/leads/" + a + "/score", "");
  ASSERT_EQ(single.status, 200) << single.body;
  EXPECT_EQ(single.json(), (json{{"id", a}, {"score", 20.0}}));
  EXPECT_EQ(StoredScore(api, a), 20.0);
  EXPECT_EQ(StoredScore(api, b), 30.0) << "only the one lead";

  CreateRule(api, {{"name", "bonus"}, {"expression", "5"}});
  json batch = BatchRescore(api);
  EXPECT_EQ(batch["count"], 2);
  ASSERT_EQ(batch["leads"].size(), 2u);
  std::map<std::string, double> scores;
  for (const auto& l : batch["leads"]) {
    EXPECT_EQ(l.size(), 2u) << l;
    scores[l["id"]] = l["score"];
  }
  EXPECT_EQ(scores, (std::map<std::string, double>{{a, 25.0}, {b, 65.0}}));
  EXPECT_EQ(StoredScore(api, a), 25.0);
  EXPECT_EQ(StoredScore(api, b), 65.0);

  // Deleting every rule and recalculating brings scores back to 0.
  for (const auto& r : api.Get(kRules).json()) {
    api.Delete(kRules + "/" + r["id"].get<std::string>());
  }
  BatchRescore(api);
  EXPECT_EQ(StoredScore(api, a), 0.0);
}

TEST(ScoresApi, BatchRecalculationCoversEveryLeadAcrossChunks) {
  TestServer server;
  auto api = server.NewAccount();
  auto other = server.NewAccount();
  std::string other_lead = CreateLead(other, json{{"name", "O"}, {"source", "web"}, {"rating", 4}});
  // More leads than three chunks hold, written straight through the store (fast).
  const int n = 2345;
  std::vector<std::string> seeded = SeedThroughStore(server, api, n);
  ASSERT_EQ(seeded.size(), static_cast<size_t>(n));
  const std::set<std::string> ids(seeded.begin(), seeded.end());
  CreateRule(api, {{"name", "r"}, {"expression", "rating * 10"}});
  json batch = BatchRescore(api);
  EXPECT_EQ(batch["count"], n);
  ASSERT_EQ(batch["leads"].size(), static_cast<size_t>(n));
  std::set<std::string> seen;
  std::map<double, int> histogram;
  for (const auto& l : batch["leads"]) {
    seen.insert(l["id"].get<std::string>());
    histogram[l["score"].get<double>()]++;
  }
  EXPECT_EQ(seen, ids) << "every lead once, no other account's";
  EXPECT_EQ(histogram,
            (std::map<double, int>{{0, 469}, {10, 469}, {20, 469}, {30, 469}, {40, 469}}));
  // Stored, as the listing shows.
  std::string some = *ids.begin();
  EXPECT_EQ(StoredScore(api, some), batch["leads"][0]["score"].get<double>());
  EXPECT_EQ(StoredScore(other, other_lead), 0.0) << "another account's lead is untouched";
  // The other account's batch sees only its own lead.
  json theirs = BatchRescore(other);
  EXPECT_EQ(theirs["count"], 1);
  EXPECT_EQ(theirs["leads"], (json::array({json{{"id", other_lead}, {"score", 0.0}}})));
}

// A whole-account rescore while the same leads are updated: every update keeps all its fields,
// and every stored score is the rules' score of the lead as stored (a rescore that read a lead
// in one transaction and wrote its score in another would leave the pre-update score; one that
// rewrote whole rows would undo the updates).
TEST(ScoresApi, BatchRecalculationLosesNoConcurrentUpdate) {
  TestServer server;
  auto api = server.NewAccount();
  const int n = 6000;
  std::vector<std::string> ids = SeedThroughStore(server, api, n);
  ASSERT_EQ(ids.size(), static_cast<size_t>(n));
  std::sort(ids.begin(), ids.end());
  CreateRule(api, {{"name", "r"}, {"expression", "rating * 10"}});
  // Several rescores in a row, with updates spread over the account (ids in order, so they
  // land both ahead of and behind the rescore's scan): rescores run back to back until at least
  // 30 updates have been made while one ran (at most 30 rounds), and updates until they stop.
  constexpr int kMaxRounds = 30;
  std::atomic<bool> done{false};
  std::atomic<int> during{0};
  int rounds = 0;
  int complete = 0;
  std::thread rescorer([&] {
    HttpClient client(server.port(), api.key());
    while (rounds < kMaxRounds && (rounds < 2 || during.load() < 30)) {
      json batch = BatchRescore(client);
      ++rounds;
      if (batch["count"] == n) ++complete;
    }
    done = true;
  });
  struct Written {
    double rating;
    std::string name;
  };
  std::map<std::string, Written> written;
  for (size_t k = 0; !done; ++k) {
    const std::string& id = ids[(k * 997) % ids.size()];
    Written w{static_cast<double>((k * 7) % 11) / 2, "Renamed " + std::to_string(k)};
    auto r = api.Put("/api/v1/leads/" + id, json{{"rating", w.rating}, {"name", w.name}});
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) break;  // (the rescorer is joined below either way)
    written[id] = w;
    ++during;
  }
  rescorer.join();
  EXPECT_EQ(complete, rounds) << "every rescore listed every lead";
  EXPECT_GE(during.load(), 30) << "updates ran while the rescores did";
  // Every lead, as the listing shows it.
  std::map<std::string, json> stored;
  std::string cursor;
  while (true) {
    auto page = api.Get("/api/v1/leads?limit=1000" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(page.status, 200) << page.body;
    json body = page.json();
    for (const auto& l : body["leads"]) stored[l["id"].get<std::string>()] = l;
    if (!body["has_more"].get<bool>()) break;
    cursor = body["next_cursor"].get<std::string>();
  }
  ASSERT_EQ(stored.size(), static_cast<size_t>(n));
  int wrong = 0;
  for (const auto& [id, lead] : stored) {
    const double rating = lead["rating"].get<double>();
    const double want = std::min(100.0, rating * 10);
    if (lead["score"].get<double>() != want && ++wrong <= 5) {
      ADD_FAILURE() << id << " has rating " << rating << " but score " << lead["score"];
    }
  }
  EXPECT_EQ(wrong, 0) << "leads whose stored score is not their rating's";
  for (const auto& [id, w] : written) {
    EXPECT_EQ(stored[id]["rating"].get<double>(), w.rating) << id;
    EXPECT_EQ(stored[id]["name"], w.name) << id;
  }
}

TEST(ScoresApi, ExplainShowsEveryRuleAndErrors) {
  TestServer server;
  auto api = server.NewAccount();
  std::string id = CreateLead(api, json{{"name", "Acme"}, {"source", "web"}, {"rating", 4}});
  json empty = Explain(api, id);
  EXPECT_EQ(empty["rules"], json::array());
  EXPECT_EQ(empty["total"], 0.0);
  EXPECT_EQ(empty["score"], 0.0);

  CreateRule(api, {{"name", "broken"}, {"expression", "name * 2"}, {"priority", 1}});
  CreateRule(api, {{"name", "rating"}, {"expression", "rating * 5"}, {"weight", 2}});
  json e = Explain(api, id);
  ASSERT_EQ(e["rules"].size(), 2u);
  json first = e["rules"][0];
  EXPECT_EQ(first["name"], "rating") << "evaluation order: priority first";
  EXPECT_EQ(first["value"], 20.0);
  EXPECT_EQ(first["weight"], 2.0);
  EXPECT_EQ(first["contribution"], 40.0);
  EXPECT_TRUE(first["error"].is_null());
  for (const char* key :
       {"id", "name", "expression", "weight", "priority", "value", "contribution", "error"}) {
    EXPECT_TRUE(first.contains(key)) << key;
  }
  json second = e["rules"][1];
  EXPECT_EQ(second["name"], "broken");
  EXPECT_TRUE(second["value"].is_null());
  EXPECT_EQ(second["contribution"], 0.0);
  EXPECT_EQ(second["error"], "cannot use text as a number in '*' at column 6");
  EXPECT_EQ(e["total"], 40.0);
  EXPECT_EQ(e["score"], 40.0);
  EXPECT_EQ(e["stored_score"], 0.0) << "scored on create, before the rules existed";
}

TEST(ScoresApi, ScoreEndpointsCheckOwnershipAndIds) {
  TestServer server;
  auto api = server.NewAccount();
  auto other = server.NewAccount();
  CreateRule(api, {{"name", "r"}, {"expression", "rating * 10"}});
  std::string id = CreateLead(api, json{{"name", "Acme"}, {"source", "web"}, {"rating", 4}});
  for (const std::string& bad : std::vector<std::string>{id, "cl_nope", "nope"}) {
    ExpectError(other.Send("POST", "/api/v1/leads/" + bad + "/score", ""), 404, "not_found");
    ExpectError(other.Get("/api/v1/leads/" + bad + "/score"), 404, "not_found");
  }
  ExpectError(api.Send("POST", "/api/v1/leads/cl_" + core::NewUuidV7() + "/score", ""), 404,
              "not_found");
  // `score/batch` is never read as a lead id.
  auto wrong_method = api.Get("/api/v1/leads/score/batch");
  EXPECT_EQ(wrong_method.status, 405) << wrong_method.body;
  // A body sent to the recalculation endpoints is ignored.
  auto with_body = api.Post("/api/v1/leads/" + id + "/score", json{{"score", 1}});
  ASSERT_EQ(with_body.status, 200) << with_body.body;
  EXPECT_EQ(with_body.json()["score"], 40.0);
  EXPECT_EQ(api.Post("/api/v1/leads/score/batch", json::object()).status, 200);
}

}  // namespace
}  // namespace klozeo::testing
