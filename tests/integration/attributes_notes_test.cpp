// Attributes and notes over real HTTP, in both list modes.
#include <gtest/gtest.h>

#include "support/test_server.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

std::string NewLead(const HttpClient& api) {
  auto r = api.Post("/api/v1/leads", json{{"name", "Acme"}, {"source", "web"}});
  EXPECT_EQ(r.status, 201) << r.body;
  return r.json()["id"];
}

TEST(AttributesApi, FiveTypesCreateListUpdateDelete) {
  TestServer server;
  auto api = server.NewAccount();
  std::string lead = NewLead(api);
  const std::string base = "/api/v1/leads/" + lead + "/attributes";
  std::vector<json> attrs = {
      {{"name", "industry"}, {"type", "text"}, {"value", "Software"}},
      {{"name", "employees"}, {"type", "number"}, {"value", 500}},
      {{"name", "verified"}, {"type", "bool"}, {"value", true}},
      {{"name", "products"}, {"type", "list"}, {"value", {"CRM", "ERP"}}},
      {{"name", "social"}, {"type", "object"}, {"value", {{"linkedin", "https://l.in/x"}}}},
  };
  std::vector<std::string> ids;
  for (const auto& a : attrs) {
    auto r = api.Post(base, a);
    ASSERT_EQ(r.status, 201) << r.body;
    json got = r.json();
    EXPECT_EQ(got["name"], a["name"]);
    EXPECT_EQ(got["type"], a["type"]);
    EXPECT_EQ(got["value"], a["value"]);
    ids.push_back(got["id"]);
  }
  auto list = api.Get(base);
  ASSERT_EQ(list.status, 200);
  json arr = list.json();
  ASSERT_TRUE(arr.is_array()) << "bare array by default";
  ASSERT_EQ(arr.size(), 5u);
  for (size_t i = 0; i < attrs.size(); ++i) EXPECT_EQ(arr[i]["name"], attrs[i]["name"]);

  // Both update forms: the wrapper and the bare value.
  auto u1 = api.Put(base + "/" + ids[0], json{{"value", "Mediterranean"}});
  ASSERT_EQ(u1.status, 200) << u1.body;
  EXPECT_EQ(u1.json()["value"], "Mediterranean");
  auto u2 = api.Put(base + "/" + ids[1], json(750));
  ASSERT_EQ(u2.status, 200) << u2.body;
  EXPECT_EQ(u2.json()["value"], 750);
  auto u3 = api.Put(base + "/" + ids[4], json{{"value", {{"x", 1}}}});
  EXPECT_EQ(u3.json()["value"], json({{"x", 1}}));
  // An object holding only "value" is the wrapper; a wrong type for the attribute is 400.
  EXPECT_EQ(api.Put(base + "/" + ids[2], json{{"value", "yes"}}).status, 400);
  EXPECT_EQ(api.Put(base + "/" + ids[3], json{{"value", {1, 2}}}).status, 400);

  // The lead shows the attributes inline.
  json lead_json = api.Get("/api/v1/leads/" + lead).json();
  EXPECT_EQ(lead_json["attributes"].size(), 5u);
  EXPECT_EQ(lead_json["attributes"][1]["value"], 750);

  EXPECT_EQ(api.Delete(base + "/" + ids[2]).status, 204);
  EXPECT_EQ(api.Get(base).json().size(), 4u);
  EXPECT_EQ(api.Delete(base + "/" + ids[2]).status, 404);
  EXPECT_EQ(api.Put(base + "/not-a-uuid", json{{"value", 1}}).status, 404);
}

TEST(AttributesApi, NameIsUniquePerLeadAndCreateReplaces) {
  TestServer server;
  auto api = server.NewAccount();
  std::string lead = NewLead(api);
  const std::string base = "/api/v1/leads/" + lead + "/attributes";
  std::string id =
      api.Post(base, json{{"name", "tier"}, {"type", "text"}, {"value", "gold"}}).json()["id"];
  auto r = api.Post(base, json{{"name", "tier"}, {"type", "number"}, {"value", 3}});
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(r.json()["id"], id) << "replacing keeps the attribute's id";
  json list = api.Get(base).json();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["type"], "number");
  EXPECT_EQ(list[0]["value"], 3);
  // Inline attributes on PUT /leads are upserted by name too.
  api.Put("/api/v1/leads/" + lead, json{{"attributes",
                                         {{{"name", "tier"}, {"type", "bool"}, {"value", false}},
                                          {{"name", "extra"}, {"type", "text"}, {"value", "x"}}}}});
  list = api.Get(base).json();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["id"], id);
  EXPECT_EQ(list[0]["value"], false);
}

TEST(AttributesApi, InvalidAttributesAre400) {
  TestServer server;
  auto api = server.NewAccount();
  const std::string base = "/api/v1/leads/" + NewLead(api) + "/attributes";
  for (const json& bad : {json{{"type", "text"}, {"value", "v"}},
                          json{{"name", "has space"}, {"type", "text"}, {"value", "v"}},
                          json{{"name", std::string(65, 'a')}, {"type", "text"}, {"value", "v"}},
                          json{{"name", "n"}, {"type", "date"}, {"value", "v"}},
                          json{{"name", "n"}, {"type", "text"}},
                          json{{"name", "n"}, {"type", "number"}, {"value", "5"}},
                          json{{"name", "n"}, {"type", "list"}, {"value", "a"}},
                          json{{"name", "n"}, {"type", "object"}, {"value", {1}}}}) {
    auto r = api.Post(base, bad);
    EXPECT_EQ(r.status, 400) << bad.dump() << " -> " << r.body;
  }
  EXPECT_EQ(api.Get(base).json().size(), 0u);
}

TEST(NotesApi, CreateListUpdateDeleteWithOwnership) {
  TestServer server;
  auto api = server.NewAccount();
  auto other = server.NewAccount();
  std::string lead = NewLead(api);
  auto created = api.Post("/api/v1/leads/" + lead + "/notes",
                          json{{"content", "Spoke with CEO, very interested in Pro plan."}});
  ASSERT_EQ(created.status, 201) << created.body;
  json note = created.json();
  std::string id = note["id"];
  EXPECT_EQ(id.rfind("note_", 0), 0u);
  EXPECT_EQ(note["lead_id"], lead);
  EXPECT_EQ(note["created_at"], 1700000000);
  EXPECT_EQ(note["updated_at"], 1700000000);

  server.clock().AdvanceMillis(5000);
  auto updated =
      api.Put("/api/v1/notes/" + id, json{{"content", "Follow-up completed. Deal closed."}});
  ASSERT_EQ(updated.status, 200);
  EXPECT_EQ(updated.json()["content"], "Follow-up completed. Deal closed.");
  EXPECT_EQ(updated.json()["updated_at"], 1700000005);
  EXPECT_EQ(updated.json()["created_at"], 1700000000);

  json list = api.Get("/api/v1/leads/" + lead + "/notes").json();
  ASSERT_TRUE(list.is_array());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["content"], "Follow-up completed. Deal closed.");

  // Another account cannot see, change or delete it.
  EXPECT_EQ(other.Put("/api/v1/notes/" + id, json{{"content", "x"}}).status, 404);
  EXPECT_EQ(other.Delete("/api/v1/notes/" + id).status, 404);
  EXPECT_EQ(other.Get("/api/v1/leads/" + lead + "/notes").status, 404);

  EXPECT_EQ(api.Put("/api/v1/notes/" + id, json{{"content", ""}}).status, 400);
  EXPECT_EQ(api.Put("/api/v1/notes/" + id, json{{"content", 3}}).status, 400);
  EXPECT_EQ(api.Post("/api/v1/leads/" + lead + "/notes", json::object()).status, 400);
  EXPECT_EQ(api.Delete("/api/v1/notes/" + id).status, 204);
  EXPECT_EQ(api.Delete("/api/v1/notes/" + id).status, 404);
  EXPECT_EQ(api.Delete("/api/v1/notes/note_bad").status, 404);
  EXPECT_EQ(api.Get("/api/v1/leads/" + lead + "/notes").json().size(), 0u);
}

TEST(SdkCompat, ListsAreEnveloped) {
  TestServer server({.sdk_compat = true});
  auto api = server.NewAccount();
  std::string lead = NewLead(api);
  api.Post("/api/v1/leads/" + lead + "/attributes",
           json{{"name", "a"}, {"type", "text"}, {"value", "v"}});
  api.Post("/api/v1/leads/" + lead + "/notes", json{{"content", "c"}});
  json attrs = api.Get("/api/v1/leads/" + lead + "/attributes").json();
  ASSERT_TRUE(attrs.is_object());
  ASSERT_EQ(attrs["attributes"].size(), 1u);
  EXPECT_EQ(attrs["attributes"][0]["name"], "a");
  json notes = api.Get("/api/v1/leads/" + lead + "/notes").json();
  ASSERT_TRUE(notes.is_object());
  ASSERT_EQ(notes["notes"].size(), 1u);
  EXPECT_EQ(notes["notes"][0]["content"], "c");
}

}  // namespace
}  // namespace klozeo::testing
