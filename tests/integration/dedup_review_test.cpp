// Dedup review over real HTTP (issue 15, docs/DEDUP.md): hints from the token-aware name match
// and the address, GET /leads/{id}/duplicates, explicit merges, not-duplicate, merge history.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "support/expect_error.h"
#include "support/test_server.h"
#include "support/webhook_receiver.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

std::string Create(const HttpClient& api, json lead, int status = 201) {
  if (!lead.contains("source")) lead["source"] = "test";
  auto r = api.Post("/api/v1/leads", lead);
  EXPECT_EQ(r.status, status) << r.body;
  return r.json().value("id", "");
}

json Duplicates(const HttpClient& api, const std::string& id) {
  auto r = api.Get("/api/v1/leads/" + id + "/duplicates");
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json();
}

json Merges(const HttpClient& api, const std::string& id) {
  auto r = api.Get("/api/v1/leads/" + id + "/merges");
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json();
}

json FindChange(const json& changes, const std::string& field) {
  for (const auto& c : changes) {
    if (c["field"] == field) return c;
  }
  return json();
}

// The first wrong merge: same phone, a shared common word. Now a hint, not a merge.
TEST(DedupReview, SameSwitchboardDifferentSiteIsAHintNotAMerge) {
  TestServer server;
  auto api = server.NewAccount();
  const std::string loop = Create(api, {{"name", "South Loop"}, {"phone", "773-535-8250"}});
  auto r = api.Post(
      "/api/v1/leads",
      json{{"name", "South Shore Academy"}, {"phone", "(773) 535 8250"}, {"source", "test"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json()["potential_duplicate_id"], loop);
  EXPECT_NE(r.json()["id"], loop);
  // The same site written differently still merges.
  auto same = api.Post("/api/v1/leads",
                       json{{"name", "SOUTH LOOP."}, {"phone", "7735358250"}, {"source", "test"}});
  ASSERT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(same.json()["id"], loop);
}

TEST(DedupReview, AddressDecidesBetweenSitesSharingAPhone) {
  TestServer server;
  auto api = server.NewAccount();
  const std::string a =
      Create(api, {{"name", "Altgeld"}, {"phone", "773-535-3250"}, {"address", "1340 W. 71St"}});
  // Same phone and name, another street address: two sites of one school, a hint.
  auto other = api.Post("/api/v1/leads", json{{"name", "Altgeld"},
                                              {"phone", "773-535-3250"},
                                              {"address", "7007 S. Loomis"},
                                              {"source", "test"}});
  ASSERT_EQ(other.status, 201) << other.body;
  EXPECT_EQ(other.json()["potential_duplicate_id"], a);
  // Same phone and address, a name that shares only part of the name: merged (0.46 > 0.30).
  auto same = api.Post("/api/v1/leads", json{{"name", "Altgeld Elementary"},
                                             {"phone", "7735353250"},
                                             {"address", "1340 West 71st Street"},
                                             {"source", "test"}});
  ASSERT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(same.json()["id"], a);
  // Another phone at the same address: a hint.
  auto hint =
      api.Post("/api/v1/leads",
               json{{"name", "Kids Place"}, {"address", "1340 W 71ST ST"}, {"source", "test"}});
  ASSERT_EQ(hint.status, 201) << hint.body;
  EXPECT_EQ(hint.json()["potential_duplicate_id"], a);
}

// The similar-name hint: a name more than 90% similar in the same city (or where either lead
// has no city) is a hint, found by the name's rarest word; another city or another branch
// marker is not.
TEST(DedupReview, SimilarNameInTheSameCityIsAHint) {
  TestServer server;
  auto api = server.NewAccount();
  const std::string park = Create(
      api,
      {{"name", "Albany Park Community Center"}, {"phone", "773-509-5657"}, {"city", "60625"}});
  Create(api, {{"name", "Lincoln Park Zoo"}, {"city", "60625"}});
  // Another phone, another spelling: not a merge, a hint to the right lead (it shares the
  // stored lead's rarest word, which the stored lead is filed under).
  auto similar = api.Post("/api/v1/leads", json{{"name", "Albany Park Community Centre"},
                                                {"phone", "773-583-5111"},
                                                {"city", "60625"},
                                                {"source", "test"}});
  ASSERT_EQ(similar.status, 201) << similar.body;
  EXPECT_EQ(similar.json()["potential_duplicate_id"], park);
  const std::string similar_id = similar.json()["id"];
  json d = Duplicates(api, similar_id);
  ASSERT_GE(d["count"].get<int>(), 1) << d;
  EXPECT_EQ(d["duplicates"][0]["id"], park);
  EXPECT_EQ(d["duplicates"][0]["tier"], "similar_name_hint");
  EXPECT_GT(d["duplicates"][0]["similarity"].get<double>(), 0.9);
  // A lead without a city is compared with the leads without one.
  const std::string bare = Create(api, {{"name", "Quokka Learning Academy"}});
  auto bare_similar =
      api.Post("/api/v1/leads", json{{"name", "Quokka Learning Acadmy"}, {"source", "test"}});
  ASSERT_EQ(bare_similar.status, 201) << bare_similar.body;
  EXPECT_EQ(bare_similar.json()["potential_duplicate_id"], bare);
  // Another city, or a branch marker that differs: no hint.
  auto elsewhere = api.Post(
      "/api/v1/leads",
      json{{"name", "Albany Park Community Centre"}, {"city", "60640"}, {"source", "test"}});
  ASSERT_EQ(elsewhere.status, 201) << elsewhere.body;
  EXPECT_TRUE(elsewhere.json()["potential_duplicate_id"].is_null()) << elsewhere.body;
  const std::string east = Create(api, {{"name", "Mary Crane Center East"}, {"city", "60618"}});
  auto west =
      api.Post("/api/v1/leads",
               json{{"name", "Mary Crane Center West"}, {"city", "60618"}, {"source", "test"}});
  ASSERT_EQ(west.status, 201) << west.body;
  EXPECT_TRUE(west.json()["potential_duplicate_id"].is_null()) << west.body;
  // Named: a range-for over a member of a temporary would read freed memory.
  const json candidates = Duplicates(api, east);
  for (const auto& c : candidates["duplicates"]) EXPECT_NE(c["tier"], "similar_name_hint");
}

// A phone shared by an organisation's sites in other cities hints nothing; in the same city (or
// without a city) a weaker name is a hint.
TEST(DedupReview, SamePhoneInAnotherCityIsNotAHint) {
  TestServer server;
  auto api = server.NewAccount();
  const std::string office = Create(
      api, {{"name", "Erie Neighborhood House"}, {"phone", "312-432-2213"}, {"city", "60622"}});
  auto away = api.Post("/api/v1/leads", json{{"name", "Erie House Family Care Garriga"},
                                             {"phone", "312-432-2213"},
                                             {"city", "60639"},
                                             {"source", "test"}});
  ASSERT_EQ(away.status, 201) << away.body;
  EXPECT_TRUE(away.json()["potential_duplicate_id"].is_null()) << away.body;
  auto here = api.Post("/api/v1/leads", json{{"name", "Erie House Family Care Sepulveda"},
                                             {"phone", "312-432-2213"},
                                             {"city", "60622"},
                                             {"source", "test"}});
  ASSERT_EQ(here.status, 201) << here.body;
  EXPECT_EQ(here.json()["potential_duplicate_id"], office);
}

// Phones that differ by a typing slip lower the similar-name hint's bar; a phone of the same
// exchange (all but its last four digits) with a similar name is a hint; a phone of neither
// kind gives no hint for the same names.
TEST(DedupReview, PhoneSlipAndSameExchangeAreHints) {
  TestServer server;
  // Two accounts with the same leads: the same new name with a phone one digit off, or far off.
  auto setup = [&](const HttpClient& api) {
    for (const char* name : {"Parents Association", "Tenants Association", "Lincoln Park Zoo"}) {
      Create(api, {{"name", name}, {"city", "60623"}});
    }
    return Create(api, {{"name", "Marcy Newberry Association Fosco Abla Center"},
                        {"phone", "773-761-2300"},
                        {"city", "60623"}});
  };
  auto far_api = server.NewAccount();
  setup(far_api);
  auto far = far_api.Post("/api/v1/leads", json{{"name", "Marcy-Newberry Center"},
                                                {"phone", "773-555-0142"},
                                                {"city", "60623"},
                                                {"source", "test"}});
  ASSERT_EQ(far.status, 201) << far.body;
  EXPECT_TRUE(far.json()["potential_duplicate_id"].is_null()) << far.body;
  auto api = server.NewAccount();
  const std::string marcy = setup(api);
  auto slip = api.Post("/api/v1/leads", json{{"name", "Marcy-Newberry Center"},
                                             {"phone", "773-762-2300"},
                                             {"city", "60623"},
                                             {"source", "test"}});
  ASSERT_EQ(slip.status, 201) << slip.body;
  EXPECT_EQ(slip.json()["potential_duplicate_id"], marcy) << slip.body;
  const json slip_duplicates = Duplicates(api, slip.json()["id"]);
  ASSERT_GE(slip_duplicates["count"].get<int>(), 1) << slip_duplicates;
  EXPECT_EQ(slip_duplicates["duplicates"][0]["id"], marcy);
  EXPECT_EQ(slip_duplicates["duplicates"][0]["tier"], "similar_name_hint");

  const std::string college = Create(api, {{"name", "Malcolm X College Child Development Center"},
                                           {"phone", "312-850-7000"},
                                           {"city", "60612"}});
  auto other_exchange = api.Post("/api/v1/leads", json{{"name", "Malcolm X College Child Lab"},
                                                       {"phone", "312-851-7176"},
                                                       {"city", "60612"},
                                                       {"source", "test"}});
  ASSERT_EQ(other_exchange.status, 201) << other_exchange.body;
  EXPECT_TRUE(other_exchange.json()["potential_duplicate_id"].is_null()) << other_exchange.body;
  auto same_exchange = api.Post("/api/v1/leads", json{{"name", "Malcolm X College Child Lab"},
                                                      {"phone", "312-850-7176"},
                                                      {"city", "60612"},
                                                      {"source", "test"}});
  ASSERT_EQ(same_exchange.status, 201) << same_exchange.body;
  EXPECT_EQ(same_exchange.json()["potential_duplicate_id"], college) << same_exchange.body;
  const json exchange_duplicates = Duplicates(api, same_exchange.json()["id"]);
  ASSERT_GE(exchange_duplicates["count"].get<int>(), 1) << exchange_duplicates;
  EXPECT_EQ(exchange_duplicates["duplicates"][0]["id"], college);
  EXPECT_EQ(exchange_duplicates["duplicates"][0]["tier"], "phone_exchange_hint");
  // In another city, the same exchange hints nothing.
  auto elsewhere = api.Post("/api/v1/leads", json{{"name", "Malcolm X College Child Lab"},
                                                  {"phone", "312-850-7177"},
                                                  {"city", "60640"},
                                                  {"source", "test"}});
  ASSERT_EQ(elsewhere.status, 201) << elsewhere.body;
  EXPECT_TRUE(elsewhere.json()["potential_duplicate_id"].is_null()) << elsewhere.body;
}

TEST(DedupReview, DuplicatesListsCandidatesWithTheirReasons) {
  TestServer server;
  auto api = server.NewAccount();
  const std::string a = Create(api, {{"name", "Acme Bakery"},
                                     {"address", "12 Main Street"},
                                     {"website", "https://www.acme-bakery.com/"},
                                     {"city", "Paris"}});
  const std::string b = Create(api, {{"name", "Acme Bakery Ltd"},
                                     {"address", "12 Main St."},
                                     {"website", "http://acme-bakery.com/shop"}});
  const std::string unrelated = Create(api, {{"name", "Zenith"}, {"city", "Paris"}});
  json d = Duplicates(api, b);
  EXPECT_EQ(d["lead_id"], b);
  ASSERT_EQ(d["count"], 1) << d;
  const json& c = d["duplicates"][0];
  EXPECT_EQ(c["id"], a);
  EXPECT_EQ(c["tier"], "address_hint");
  EXPECT_EQ(c["agreeing"], json({"address", "website"}));
  EXPECT_GT(c["similarity"].get<double>(), 0.5);
  EXPECT_EQ(c["lead"]["name"], "Acme Bakery");
  EXPECT_EQ(Duplicates(api, unrelated)["count"], 0);
  ExpectError(api.Get("/api/v1/leads/cl_00000000-0000-7000-8000-000000000000/duplicates"), 404,
              "not_found");
}

TEST(DedupReview, NotDuplicateSuppressesTheCandidateBothWays) {
  TestServer server;
  auto api = server.NewAccount();
  const std::string a = Create(api, {{"name", "Acme Bakery"}, {"address", "12 Main Street"}});
  const std::string b = Create(api, {{"name", "Crumbs"}, {"address", "12 Main St"}});
  const std::string c = Create(api, {{"name", "Acme Bakery"}, {"address", "12 Main St"}});
  EXPECT_EQ(Duplicates(api, b)["count"], 2);
  auto r = api.Post("/api/v1/leads/" + b + "/not-duplicate", json{{"of", a}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["not_duplicate_of"], a);
  // Idempotent.
  EXPECT_EQ(api.Post("/api/v1/leads/" + b + "/not-duplicate", json{{"of", a}}).status, 200);
  json left = Duplicates(api, b);
  ASSERT_EQ(left["count"], 1) << left;
  EXPECT_EQ(left["duplicates"][0]["id"], c);
  // A named copy: a range-for over a member of a temporary would read a destroyed object.
  const json of_a = Duplicates(api, a);
  for (const auto& d : of_a["duplicates"]) EXPECT_NE(d["id"], b);
}

TEST(DedupReview, MergeTakesTheLastTouchAndCarriesAttributesAndNotes) {
  TestServer server;
  auto api = server.NewAccount();
  const std::string target =
      Create(api, {{"name", "Acme"},
                   {"email", "info@acme.test"},
                   {"city", "Paris"},
                   {"attributes", {{{"name", "size"}, {"type", "number"}, {"value", 10}}}}});
  ASSERT_EQ(api.Post("/api/v1/leads/" + target + "/notes", json{{"content", "target note"}}).status,
            201);
  ASSERT_EQ(api.Put("/api/v1/leads/" + target, json{{"status", "qualified"}}).status, 200);
  server.clock().AdvanceMillis(60 * 1000);
  const std::string source =
      Create(api, {{"name", "Acme Corporation"},
                   {"phone", "+33 1 23 45 67 89"},
                   {"city", "Lyon"},
                   {"attributes",
                    {{{"name", "size"}, {"type", "number"}, {"value", 25}},
                     {{"name", "tier"}, {"type", "text"}, {"value", "gold"}}}}});
  ASSERT_EQ(api.Post("/api/v1/leads/" + source + "/notes", json{{"content", "source note"}}).status,
            201);
  server.clock().AdvanceMillis(60 * 1000);
  auto r = api.Post("/api/v1/leads/" + target + "/merge", json{{"from", {source}}});
  ASSERT_EQ(r.status, 200) << r.body;
  json lead = r.json();
  EXPECT_EQ(lead["id"], target);
  EXPECT_EQ(lead["name"], "Acme Corporation");  // the source was touched last
  EXPECT_EQ(lead["city"], "Lyon");
  EXPECT_EQ(lead["email"], "info@acme.test");  // only the target had one
  EXPECT_EQ(lead["phone"], "+33 1 23 45 67 89");
  EXPECT_EQ(lead["status"], "qualified");  // the source's default status is not a value
  EXPECT_EQ(api.Get("/api/v1/leads/" + target).json()["name"], "Acme Corporation");
  auto attrs = api.Get("/api/v1/leads/" + target + "/attributes").json();
  std::map<std::string, json> by_name;
  for (const auto& a : attrs) by_name[a["name"]] = a["value"];
  EXPECT_EQ(by_name["size"], 25);
  EXPECT_EQ(by_name["tier"], "gold");
  auto notes = api.Get("/api/v1/leads/" + target + "/notes").json();
  ASSERT_EQ(notes.size(), 2u) << notes;
  ExpectError(api.Get("/api/v1/leads/" + source), 404, "not_found");
  EXPECT_EQ(api.Get("/api/v1/leads").json()["count"], 1);

  json history = Merges(api, target);
  ASSERT_EQ(history["count"], 1) << history;
  const json& m = history["merges"][0];
  EXPECT_EQ(m["kind"], "explicit");
  EXPECT_EQ(m["source_lead_id"], source);
  EXPECT_EQ(m["lead_id"], target);
  EXPECT_EQ(m["merged_at"], 1700000120);
  json name = FindChange(m["changes"], "name");
  EXPECT_EQ(name["old"], "Acme");
  EXPECT_EQ(name["new"], "Acme Corporation");
  json size = FindChange(m["changes"], "attributes.size");
  EXPECT_EQ(size["old"], 10);
  EXPECT_EQ(size["new"], 25);
  EXPECT_TRUE(FindChange(m["changes"], "email").is_null()) << "unchanged fields are not listed";
}

TEST(DedupReview, PreferTargetKeepsTheTargetsValues) {
  TestServer server;
  auto api = server.NewAccount();
  const std::string target = Create(api, {{"name", "Acme"}, {"city", "Paris"}});
  server.clock().AdvanceMillis(60 * 1000);
  const std::string source =
      Create(api, {{"name", "Acme Corporation"}, {"city", "Lyon"}, {"email", "a@acme.test"}});
  auto r = api.Post("/api/v1/leads/" + target + "/merge",
                    json{{"from", {source}}, {"prefer", "target"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["name"], "Acme");
  EXPECT_EQ(r.json()["city"], "Paris");
  EXPECT_EQ(r.json()["email"], "a@acme.test");  // filled a gap
}

TEST(DedupReview, AutomaticMergesAreRecordedToo) {
  TestServer server;
  auto api = server.NewAccount();
  const std::string id = Create(api, {{"name", "Acme"}, {"email", "sales@acme.test"}});
  server.clock().AdvanceMillis(1000);
  Create(api, {{"name", "Acme Inc"}, {"email", "SALES@acme.test"}, {"city", "Berlin"}}, 200);
  json history = Merges(api, id);
  ASSERT_EQ(history["count"], 1) << history;
  const json& m = history["merges"][0];
  EXPECT_EQ(m["kind"], "automatic");
  EXPECT_EQ(m["tier"], "email");
  EXPECT_TRUE(m["source_lead_id"].is_null());
  EXPECT_EQ(FindChange(m["changes"], "name")["old"], "Acme");
  EXPECT_EQ(FindChange(m["changes"], "name")["new"], "Acme Inc");
  EXPECT_TRUE(FindChange(m["changes"], "city")["old"].is_null());
  EXPECT_EQ(FindChange(m["changes"], "city")["new"], "Berlin");
  // A later explicit merge carries the merged lead's history over to the survivor.
  const std::string other = Create(api, {{"name", "Globex"}});
  ASSERT_EQ(api.Post("/api/v1/leads/" + other + "/merge", json{{"from", {id}}}).status, 200);
  json moved = Merges(api, other);
  ASSERT_EQ(moved["count"], 2) << moved;
  EXPECT_EQ(moved["merges"][0]["kind"], "explicit");
  EXPECT_EQ(moved["merges"][1]["kind"], "automatic");
}

TEST(DedupReview, BadRequestsNameTheProblem) {
  TestServer server;
  auto api = server.NewAccount();
  const std::string id = Create(api, {{"name", "Acme"}});
  const std::string other = Create(api, {{"name", "Globex"}});
  const std::string merge = "/api/v1/leads/" + id + "/merge";
  ExpectError(api.Post(merge, json{{"from", {id}}}), 400, "bad_request", "into itself");
  ExpectError(api.Post(merge, json{{"from", {other, id}}}), 400, "bad_request", "into itself");
  ExpectError(api.Post(merge, json::object()), 400, "bad_request", "'from'");
  ExpectError(api.Post(merge, json{{"from", other}}), 400, "bad_request", "'from'");
  ExpectError(api.Post(merge, json{{"from", json::array()}}), 400, "bad_request", "'from'");
  ExpectError(api.Post(merge, json{{"from", {1, 2}}}), 400, "bad_request", "'from'");
  ExpectError(api.Post(merge, json{{"from", {other}}, {"prefer", "newest"}}), 400, "bad_request",
              "'prefer'");
  ExpectError(api.Post(merge, json{{"from", {other}}, {"force", true}}), 400, "bad_request",
              "'force'");
  ExpectError(api.Post(merge, json::array()), 400, "bad_request", "object");
  ExpectError(api.Send("POST", merge, "{not json"), 400, "bad_request");
  ExpectError(api.Post(merge, json{{"from", {"cl_00000000-0000-7000-8000-000000000000"}}}), 404,
              "not_found", "'from'");
  const std::string nd = "/api/v1/leads/" + id + "/not-duplicate";
  ExpectError(api.Post(nd, json::object()), 400, "bad_request", "'of'");
  ExpectError(api.Post(nd, json{{"of", 5}}), 400, "bad_request", "'of'");
  ExpectError(api.Post(nd, json{{"of", id}}), 400, "bad_request", "another lead");
  ExpectError(api.Post(nd, json{{"of", "cl_nope"}}), 404, "not_found");
  // Nothing was merged by any of them.
  EXPECT_EQ(api.Get("/api/v1/leads").json()["count"], 2);
}

TEST(DedupReview, AnotherAccountsLeadsAreNotFound) {
  TestServer server;
  auto alice = server.NewAccount();
  auto bob = server.NewAccount();
  const std::string mine = Create(alice, {{"name", "Acme"}, {"address", "1 Main St"}});
  const std::string theirs = Create(bob, {{"name", "Acme"}, {"address", "1 Main St"}});
  ExpectError(alice.Post("/api/v1/leads/" + mine + "/merge", json{{"from", {theirs}}}), 404,
              "not_found");
  ExpectError(alice.Post("/api/v1/leads/" + theirs + "/merge", json{{"from", {mine}}}), 404,
              "not_found");
  ExpectError(alice.Post("/api/v1/leads/" + mine + "/not-duplicate", json{{"of", theirs}}), 404,
              "not_found");
  ExpectError(alice.Get("/api/v1/leads/" + theirs + "/duplicates"), 404, "not_found");
  ExpectError(alice.Get("/api/v1/leads/" + theirs + "/merges"), 404, "not_found");
  // Same address in both accounts: never a candidate across them.
  EXPECT_EQ(Duplicates(alice, mine)["count"], 0);
  EXPECT_EQ(bob.Get("/api/v1/leads/" + theirs).status, 200);
  EXPECT_EQ(alice.Get("/api/v1/leads/" + mine).status, 200);
}

TEST(DedupReview, ConcurrentMergesOfTheSameLeadsMergeOnce) {
  TestServer server({.threads = 4});
  auto api = server.NewAccount();
  const std::string target = Create(api, {{"name", "Target"}});
  std::vector<std::string> sources;
  for (int i = 0; i < 3; ++i) {
    sources.push_back(Create(api, {{"name", "Source " + std::to_string(i)}}));
    ASSERT_EQ(api.Post("/api/v1/leads/" + sources.back() + "/notes",
                       json{{"content", "note " + std::to_string(i)}})
                  .status,
              201);
  }
  std::atomic<int> ok{0}, not_found{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      // Half merge into the target; the others try the reverse (the target into a source).
      auto r = t % 2 == 0
                   ? api.Post("/api/v1/leads/" + target + "/merge", json{{"from", sources}})
                   : api.Post("/api/v1/leads/" + sources[0] + "/merge", json{{"from", {target}}});
      (r.status == 200 ? ok : r.status == 404 ? not_found : other)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(other, 0);
  EXPECT_EQ(ok, 1);  // either direction, but only one: the others find a lead gone
  EXPECT_EQ(not_found, 7);
  // Whatever won, the leads ended as one, holding every note once.
  json list = api.Get("/api/v1/leads").json();
  EXPECT_LE(list["count"].get<int>(), 3);
  int notes = 0;
  for (const auto& lead : list["leads"]) {
    notes += static_cast<int>(
        api.Get("/api/v1/leads/" + lead["id"].get<std::string>() + "/notes").json().size());
  }
  EXPECT_EQ(notes, 3);
}

TEST(DedupReview, MergeSendsUpdatedAndDeletedWithMergedInto) {
  TestServer server;
  auto api = server.NewAccount();
  WebhookReceiver rx;
  ASSERT_EQ(api.Post("/api/v1/webhooks",
                     json{{"url", rx.Url()}, {"events", {"lead.updated", "lead.deleted"}}})
                .status,
            201);
  const std::string target = Create(api, {{"name", "Acme"}});
  const std::string source = Create(api, {{"name", "Acme Corp"}});
  ASSERT_EQ(api.Post("/api/v1/leads/" + target + "/merge", json{{"from", {source}}}).status, 200);
  ASSERT_TRUE(rx.WaitForCount(2));
  json deleted, updated;
  for (const auto& got : rx.Requests()) {
    json body = got.json();
    if (body["event"] == "lead.deleted") deleted = body["data"];
    if (body["event"] == "lead.updated") updated = body["data"];
  }
  EXPECT_EQ(deleted["id"], source);
  EXPECT_EQ(deleted["merged_into"], target);
  EXPECT_EQ(updated["id"], target);
  EXPECT_EQ(updated["name"], "Acme Corp");
}

}  // namespace
}  // namespace klozeo::testing
