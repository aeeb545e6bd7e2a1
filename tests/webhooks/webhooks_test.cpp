// Webhooks over real HTTP (API-CONTRACT sections 3 and 10): subscriptions, signed deliveries to
// a real loopback receiver, every event type, batch grouping, retries after failures and
// timeouts, delivery resumed by a restarted server, deactivation, SSRF refusals, test pings and
// redelivery.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "core/crypto.h"
#include "service/webhook_outbox.h"
#include "support/command.h"
#include "support/test_server.h"
#include "support/webhook_receiver.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

constexpr int kWaitMs = 20000;  // generous: the machine is shared and loaded

TestServer::Options Fast(int64_t retry_base_ms = 100) {
  TestServer::Options o;
  o.webhooks.retry_base_ms = retry_base_ms;
  o.webhooks.poll_ms = 50;
  return o;
}

std::string Subscribe(const HttpClient& api, const std::string& url, json events = json::array(),
                      const std::string& secret = "") {
  json body{{"url", url}, {"events", events}};
  if (!secret.empty()) body["secret"] = secret;
  auto r = api.Post("/api/v1/webhooks", body);
  EXPECT_EQ(r.status, 201) << r.body;
  return r.json().value("id", "");
}

std::string CreateLead(const HttpClient& api, json lead) {
  auto r = api.Post("/api/v1/leads", lead);
  EXPECT_TRUE(r.status == 201 || r.status == 200) << r.body;
  return r.json().value("id", "");
}

/// The requests whose X-Klozeo-Event is `event`.
std::vector<Received> OfEvent(const std::vector<Received>& all, const std::string& event) {
  std::vector<Received> out;
  for (const auto& r : all) {
    if (r.header("x-klozeo-event") == event) out.push_back(r);
  }
  return out;
}

bool HasEvent(const WebhookReceiver& rx, const std::string& event, size_t n = 1) {
  return rx.WaitFor([&](const auto& all) { return OfEvent(all, event).size() >= n; }, kWaitMs);
}

json Deliveries(const HttpClient& api, const std::string& hook) {
  auto r = api.Get("/api/v1/webhooks/" + hook + "/deliveries");
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json()["deliveries"];
}

/// Polls the delivery log until `done` holds for it.
bool WaitForLog(const HttpClient& api, const std::string& hook,
                const std::function<bool(const json&)>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done(Deliveries(api, hook))) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// ---- subscriptions ----

TEST(Webhooks, CreateListGetUpdateDeleteAndTheSecretIsWriteOnly) {
  TestServer server;
  auto api = server.NewAccount();
  auto r = api.Post("/api/v1/webhooks", json{{"url", "https://example.com/hooks/klozeo"},
                                             {"events", {"lead.created", "lead.updated"}},
                                             {"secret", "optional-signing-secret"}});
  ASSERT_EQ(r.status, 201) << r.body;
  json w = r.json();
  EXPECT_EQ(w["url"], "https://example.com/hooks/klozeo");
  EXPECT_EQ(w["events"], json({"lead.created", "lead.updated"}));
  EXPECT_EQ(w["active"], true);
  EXPECT_TRUE(w["created_at"].is_number_integer());
  EXPECT_FALSE(w.contains("secret"));
  EXPECT_EQ(w["has_secret"], true);
  const std::string id = w["id"];

  auto list = api.Get("/api/v1/webhooks");
  ASSERT_EQ(list.status, 200);
  ASSERT_TRUE(list.json().is_array());
  ASSERT_EQ(list.json().size(), 1u);
  EXPECT_EQ(list.body.find("optional-signing-secret"), std::string::npos);

  auto put = api.Put("/api/v1/webhooks/" + id, json{{"active", false}, {"events", json::array()}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.json()["active"], false);
  EXPECT_EQ(put.json()["events"], json::array());
  EXPECT_EQ(api.Get("/api/v1/webhooks/" + id).json()["active"], false);

  auto other = server.NewAccount();
  EXPECT_EQ(other.Get("/api/v1/webhooks/" + id).status, 404);
  EXPECT_EQ(other.Delete("/api/v1/webhooks/" + id).status, 404);
  EXPECT_EQ(other.Get("/api/v1/webhooks").json().size(), 0u);

  EXPECT_EQ(api.Delete("/api/v1/webhooks/" + id).status, 204);
  EXPECT_EQ(api.Get("/api/v1/webhooks/" + id).status, 404);
  EXPECT_EQ(api.Delete("/api/v1/webhooks/" + id).status, 404);
  EXPECT_EQ(api.Get("/api/v1/webhooks/not-a-uuid").status, 404);
}

TEST(Webhooks, BadSubscriptionsAre400NamingTheProblem) {
  TestServer server;
  auto api = server.NewAccount();
  struct Case {
    json body;
    std::string says;
  } cases[] = {
      {json{{"events", {"lead.created"}}}, "url"},
      {json{{"url", "ftp://example.com/x"}}, "http or https"},
      {json{{"url", "example.com/x"}}, "absolute"},
      {json{{"url", 42}}, "url"},
      {json{{"url", "https://example.com/x"}, {"events", {"lead.exploded"}}}, "lead.exploded"},
      {json{{"url", "https://example.com/x"}, {"events", "lead.created"}}, "events"},
      {json{{"url", "https://example.com/x"}, {"secret", 7}}, "secret"},
      {json{{"url", "https://example.com/x"}, {"active", "yes"}}, "active"},
      {json{{"url", "http://exa mple.com/"}}, "spaces"},
  };
  for (const auto& c : cases) {
    auto r = api.Post("/api/v1/webhooks", c.body);
    EXPECT_EQ(r.status, 400) << c.body.dump() << " -> " << r.body;
    EXPECT_EQ(r.json()["code"], "bad_request");
    EXPECT_NE(r.json()["message"].get<std::string>().find(c.says), std::string::npos) << r.body;
  }
}

TEST(Webhooks, SdkCompatEnvelopesTheListWithIsoTimestamps) {
  TestServer::Options o;
  o.sdk_compat = true;
  TestServer server(o);
  auto api = server.NewAccount();
  Subscribe(api, "https://example.com/h");
  auto r = api.Get("/api/v1/webhooks");
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(r.json().contains("webhooks"));
  const std::string created = r.json()["webhooks"][0]["created_at"];
  EXPECT_EQ(created, "2023-11-14T22:13:20Z");  // the ManualClock's start
}

// ---- delivery ----

TEST(Webhooks, DeliveryIsSignedAndCarriesTheHeaders) {
  TestServer server(Fast());
  auto api = server.NewAccount();
  WebhookReceiver rx;
  Subscribe(api, rx.Url(), json::array(), "your-secret");
  const std::string id = CreateLead(api, json{{"name", "Acme"}, {"source", "website"}});
  ASSERT_TRUE(HasEvent(rx, "lead.created"));
  const Received got = OfEvent(rx.Requests(), "lead.created")[0];
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.target, "/hook");
  EXPECT_EQ(got.header("content-type"), "application/json");
  EXPECT_EQ(got.header("x-klozeo-event"), "lead.created");
  EXPECT_EQ(got.header("x-klozeo-delivery").size(), 36u);
  EXPECT_EQ(got.header("x-klozeo-timestamp"), "1700000000");
  json body = got.json();
  EXPECT_EQ(body["event"], "lead.created");
  EXPECT_EQ(body["timestamp"], 1700000000);
  EXPECT_EQ(body["data"]["id"], id);
  EXPECT_EQ(body["data"]["name"], "Acme");
  const std::string sig = got.header("x-klozeo-signature");
  EXPECT_TRUE(core::ConstantTimeEquals(sig, core::HmacSha256Hex("your-secret", got.body)));
  EXPECT_FALSE(core::ConstantTimeEquals(sig, core::HmacSha256Hex("another", got.body)));
}

TEST(Webhooks, SignatureVerifiesWithTheReferencePythonExample) {
  if (!std::filesystem::exists("/usr/bin/python3")) {
    GTEST_SKIP() << "SKIPPED LOUDLY: /usr/bin/python3 is not installed";
  }
  TestServer server(Fast());
  auto api = server.NewAccount();
  WebhookReceiver rx;
  Subscribe(api, rx.Url(), json::array(), "your-secret");
  CreateLead(api, json{{"name", "Zoë & \"Ünïcode\" <b>"}, {"source", "website"}});
  ASSERT_TRUE(HasEvent(rx, "lead.created"));
  const Received got = rx.Requests()[0];
  TempDir dir;
  auto body_path = dir.path() / "body.bin";
  std::ofstream(body_path, std::ios::binary) << got.body;
  auto script_path = dir.path() / "verify.py";
  // The reference's example, verbatim, applied to the raw bytes and header received.
  std::ofstream(script_path) << R"(import hmac, hashlib, sys

def verify_webhook(payload_bytes: bytes, signature_header: str, secret: str) -> bool:
    expected = hmac.new(secret.encode(), payload_bytes, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature_header)

body = open(sys.argv[1], "rb").read()
print("valid" if verify_webhook(body, sys.argv[2], "your-secret") else "invalid")
print("valid" if verify_webhook(body + b" ", sys.argv[2], "your-secret") else "invalid")
)";
  auto run = RunCommand("/usr/bin/python3", script_path.string() + " " + body_path.string() + " " +
                                                got.header("x-klozeo-signature"));
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, "valid\ninvalid\n");
}

TEST(Webhooks, EveryEventTypeWithItsPayload) {
  TestServer server(Fast());
  auto api = server.NewAccount();
  WebhookReceiver rx;
  const std::string hook = Subscribe(api, rx.Url());
  ASSERT_EQ(
      api.Post("/api/v1/scoring-rules", json{{"name", "r"}, {"expression", "rating * 10"}}).status,
      201);

  const std::string lead = CreateLead(
      api, json{{"name", "Acme"}, {"source", "web"}, {"email", "a@acme.io"}, {"rating", 4}});
  ASSERT_EQ(api.Put("/api/v1/leads/" + lead, json{{"city", "Paris"}}).status, 200);
  // A merge is an update of the existing lead.
  EXPECT_EQ(CreateLead(api, json{{"name", "Acme"},
                                 {"source", "web"},
                                 {"email", "A@acme.io"},
                                 {"phone", "+33 1 23 45 67 89"}}),
            lead);
  ASSERT_EQ(api.Post("/api/v1/leads/" + lead + "/score", json::object()).status, 200);
  auto note = api.Post("/api/v1/leads/" + lead + "/notes", json{{"content", "first"}});
  ASSERT_EQ(note.status, 201);
  const std::string note_id = note.json()["id"];
  ASSERT_EQ(api.Put("/api/v1/notes/" + note_id, json{{"content", "second"}}).status, 200);
  ASSERT_EQ(api.Delete("/api/v1/notes/" + note_id).status, 204);
  json items = json::array();
  items.push_back(json{{"name", "B1"}, {"source", "x"}});
  items.push_back(json{{"name", "B2"}, {"source", "x"}});
  items.push_back(json{{"source", "missing name"}});
  auto batch = api.Post("/api/v1/leads/batch", json{{"leads", items}});
  ASSERT_EQ(batch.status, 207) << batch.body;
  std::vector<std::string> batch_ids;
  const json batch_body = batch.json();
  for (const auto& c : batch_body["created"]) batch_ids.push_back(c["id"]);
  ASSERT_EQ(batch_ids.size(), 2u) << batch.body;
  ASSERT_EQ(api.Send("PUT", "/api/v1/leads/batch",
                     json{{"ids", {batch_ids[0], batch_ids[1], "cl_unknown"}},
                          {"data", {{"source", "LinkedIn"}}}}
                         .dump())
                .status,
            200);
  ASSERT_EQ(api.Post("/api/v1/leads/score/batch", json::object()).status, 200);
  ASSERT_EQ(api.Send("DELETE", "/api/v1/leads/batch", json{{"ids", batch_ids}}.dump()).status, 200);
  ASSERT_EQ(api.Delete("/api/v1/leads/" + lead).status, 204);

  const char* kAll[] = {"lead.created", "lead.updated",  "lead.scored",   "note.created",
                        "note.updated", "note.deleted",  "leads.created", "leads.updated",
                        "leads.scored", "leads.deleted", "lead.deleted"};
  for (const char* e : kAll) ASSERT_TRUE(HasEvent(rx, e)) << e;
  auto all = rx.Requests();
  auto data = [&](const std::string& e, size_t i = 0) {
    return OfEvent(all, e).at(i).json()["data"];
  };

  EXPECT_EQ(data("lead.created")["email"], "a@acme.io");
  EXPECT_EQ(data("lead.created")["score"], 40);
  ASSERT_TRUE(HasEvent(rx, "lead.updated", 2));
  all = rx.Requests();
  std::set<std::string> updated_cities, updated_phones;
  for (const auto& r : OfEvent(all, "lead.updated")) {
    json d = r.json()["data"];
    EXPECT_EQ(d["id"], lead);
    if (d["phone"].is_string()) updated_phones.insert(d["phone"]);
  }
  EXPECT_EQ(updated_phones.size(), 1u) << "the merge's lead.updated carries the merged phone";
  EXPECT_EQ(data("lead.scored")["id"], lead);
  EXPECT_EQ(data("lead.scored")["score"], 40);
  EXPECT_EQ(data("note.created")["content"], "first");
  EXPECT_EQ(data("note.created")["lead_id"], lead);
  EXPECT_EQ(data("note.updated")["content"], "second");
  EXPECT_EQ(data("note.deleted")["id"], note_id);
  EXPECT_EQ(data("note.deleted")["content"], "second");
  // One grouped event per batch operation, successful items only.
  EXPECT_EQ(OfEvent(all, "leads.created").size(), 1u);
  EXPECT_EQ(data("leads.created"), json({{"ids", batch_ids}, {"count", 2}}));
  EXPECT_EQ(data("leads.updated"), json({{"ids", batch_ids}, {"count", 2}}));
  EXPECT_EQ(data("leads.deleted"), json({{"ids", batch_ids}, {"count", 2}}));
  json scored = data("leads.scored");
  EXPECT_EQ(scored["count"], 3);
  ASSERT_EQ(scored["leads"].size(), 3u);
  for (const auto& l : scored["leads"]) {
    EXPECT_TRUE(l["id"].is_string());
    EXPECT_TRUE(l["score"].is_number());
  }
  // The deleted lead as it was.
  json deleted = data("lead.deleted");
  EXPECT_EQ(deleted["id"], lead);
  EXPECT_EQ(deleted["name"], "Acme");
  EXPECT_EQ(deleted["city"], "Paris");
  // Each event once (nothing failed, so nothing was retried).
  std::set<std::string> delivery_ids;
  for (const auto& r : all) delivery_ids.insert(r.header("x-klozeo-delivery"));
  EXPECT_EQ(delivery_ids.size(), all.size());
}

TEST(Webhooks, SubscriptionsFilterEventsAndRolledBackChangesSendNothing) {
  TestServer server(Fast());
  auto api = server.NewAccount();
  auto other = server.NewAccount();
  WebhookReceiver rx;
  const std::string hook = Subscribe(api, rx.Url(), json{"lead.deleted", "leads.created"});
  // Not subscribed: lead.created. A batch whose every item fails stores nothing: no event.
  const std::string id = CreateLead(api, json{{"name", "A"}, {"source", "s"}});
  json bad = json::array();
  bad.push_back(json{{"source", "no name"}});
  EXPECT_EQ(api.Post("/api/v1/leads/batch", json{{"leads", bad}}).status, 207);
  CreateLead(other, json{{"name", "Other account"}, {"source", "s"}});
  ASSERT_EQ(api.Delete("/api/v1/leads/" + id).status, 204);
  ASSERT_TRUE(HasEvent(rx, "lead.deleted"));
  // A delivery is queued in the transaction of its change, so once the last change's delivery
  // is recorded, the log lists every delivery this webhook will ever get for these changes.
  ASSERT_TRUE(WaitForLog(
      api, hook, [](const json& log) { return !log.empty() && log[0]["state"] == "delivered"; }));
  EXPECT_EQ(Deliveries(api, hook).size(), 1u);
  auto all = rx.Requests();
  ASSERT_EQ(all.size(), 1u) << all.back().body;
  EXPECT_EQ(all[0].header("x-klozeo-event"), "lead.deleted");
}

TEST(Webhooks, RetriesAfterFailuresAndATimeoutWithTheSameDeliveryId) {
  TestServer server(Fast(100));
  auto api = server.NewAccount();
  WebhookReceiver rx;
  rx.Plan({{500, 0}, {200, 6500}, {204, 0}});  // an error, a stall past 5 s, then success
  const std::string hook = Subscribe(api, rx.Url());
  CreateLead(api, json{{"name", "A"}, {"source", "s"}});
  ASSERT_TRUE(rx.WaitForCount(3, 40000));
  auto all = rx.Requests();
  EXPECT_EQ(all[0].header("x-klozeo-delivery"), all[1].header("x-klozeo-delivery"));
  EXPECT_EQ(all[0].header("x-klozeo-delivery"), all[2].header("x-klozeo-delivery"));
  EXPECT_EQ(all[0].body, all[2].body);  // the exact same bytes on every retry
  ASSERT_TRUE(WaitForLog(api, hook, [](const json& log) {
    return log.size() == 1 && log[0]["state"] == "delivered";
  }));
  json d = Deliveries(api, hook)[0];
  EXPECT_EQ(d["event"], "lead.created");
  EXPECT_EQ(d["id"], all[0].header("x-klozeo-delivery"));
  EXPECT_EQ(d["attempt_count"], 3);
  ASSERT_EQ(d["attempts"].size(), 3u);
  EXPECT_EQ(d["attempts"][0]["status_code"], 500);
  EXPECT_EQ(d["attempts"][0]["error"], "HTTP 500");
  EXPECT_TRUE(d["attempts"][0]["next_retry_at"].is_number_integer());
  EXPECT_EQ(d["attempts"][1]["status_code"], nullptr);
  EXPECT_NE(d["attempts"][1]["error"].get<std::string>().find("timed out"), std::string::npos);
  EXPECT_GE(d["attempts"][1]["duration_ms"].get<int64_t>(), 4900);
  EXPECT_EQ(d["attempts"][2]["status_code"], 204);
  EXPECT_EQ(d["attempts"][2]["success"], true);
  EXPECT_EQ(d["attempts"][2]["next_retry_at"], nullptr);
  EXPECT_EQ(d["next_attempt_at"], nullptr);
}

TEST(Webhooks, ARestartedServerResumesRetriesAndLosesNothing) {
  WebhookReceiver rx;
  rx.SetDefault({503, 0});
  std::string hook, key;
  TestDatabase shared;  // the SQLite file or PostgreSQL database both servers run on
  auto options = Fast(3000);
  options.db_url = shared.url();
  std::set<std::string> first_ids;
  {
    TestServer first(options);
    auto api = first.NewAccount();
    key = api.key();
    hook = Subscribe(api, rx.Url());
    for (int i = 0; i < 5; ++i)
      CreateLead(api, json{{"name", "L" + std::to_string(i)}, {"source", "s"}});
    ASSERT_TRUE(rx.WaitForCount(5));
    for (const auto& r : rx.Requests()) first_ids.insert(r.header("x-klozeo-delivery"));
    // The receiver answering is not the attempt being recorded: wait until every first attempt
    // is in the log (a stop releases unrecorded claims, and their 503 would not be logged).
    ASSERT_TRUE(WaitForLog(api, hook, [](const json& log) {
      if (log.size() != 5) return false;
      for (const auto& d : log) {
        if (d["attempts"].empty()) return false;
      }
      return true;
    }));
    first.Stop();  // mid-retry: every delivery is waiting for its second attempt
  }
  ASSERT_EQ(first_ids.size(), 5u);
  rx.SetDefault({200, 0});
  TestServer second(options);
  HttpClient api(second.port(), key);
  ASSERT_TRUE(rx.WaitFor(
      [&](const std::vector<Received>& all) {
        std::set<std::string> ok;
        for (size_t i = 5; i < all.size(); ++i) ok.insert(all[i].header("x-klozeo-delivery"));
        return ok == first_ids;
      },
      30000));
  ASSERT_TRUE(WaitForLog(api, hook, [](const json& log) {
    if (log.size() != 5) return false;
    for (const auto& d : log) {
      if (d["state"] != "delivered") return false;
    }
    return true;
  }));
  const json log = Deliveries(api, hook);
  for (const auto& d : log) {
    EXPECT_EQ(d["attempts"][0]["status_code"], 503);
    EXPECT_EQ(d["attempts"].back()["success"], true);
  }
}

TEST(Webhooks, ClaimsOfACrashedDispatcherAreTakenOverWhenTheirLeaseExpires) {
  TestServer server(Fast());
  auto api = server.NewAccount();
  WebhookReceiver rx;
  const std::string hook = Subscribe(api, rx.Url());
  // Stand-in for another process that claimed the delivery and died without a word: the real
  // dispatcher is stopped while the claim is taken with a short lease, then started again.
  server.dispatcher().Stop();
  CreateLead(api, json{{"name", "A"}, {"source", "s"}});
  auto& db = server.services().db();
  const int64_t now = service::WallMillis();
  {
    auto tx = db.Begin(storage::TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    auto claimed = (*tx)->ClaimWebhookDeliveries("crashed-worker", now, now + 1500, 10);
    ASSERT_TRUE(claimed.ok());
    ASSERT_EQ(claimed->size(), 1u);
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  // `now` was read before the claim: the lease ends no earlier than this.
  const auto lease_end = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500) -
                         std::chrono::milliseconds(service::WallMillis() - now);
  ASSERT_TRUE(server.dispatcher().Start().ok());
  ASSERT_TRUE(HasEvent(rx, "lead.created"));
  EXPECT_GE(rx.Requests()[0].at, lease_end) << "sent while the crashed worker's lease held";
  ASSERT_TRUE(WaitForLog(api, hook, [](const json& log) {
    return log.size() == 1 && log[0]["state"] == "delivered" && log[0]["attempts"].size() == 1;
  }));
}

TEST(Webhooks, TwoServersSharingADatabaseDeliverEachEventOnce) {
  TempDir dir;
  auto options = Fast();
  options.db_path = (dir.path() / "shared.db").string();
  TestServer a(options);
  TestServer b(options);
  auto api_a = a.NewAccount();
  HttpClient api_b(b.port(), api_a.key());
  WebhookReceiver rx;
  const std::string hook = Subscribe(api_a, rx.Url(), json{"lead.created"});
  constexpr int kLeads = 40;
  for (int i = 0; i < kLeads; ++i) {
    CreateLead(i % 2 ? api_a : api_b, json{{"name", "L" + std::to_string(i)}, {"source", "s"}});
  }
  ASSERT_TRUE(rx.WaitForCount(kLeads));
  // Every delivery recorded as delivered (none can be claimed again), then both dispatchers
  // stopped: nothing more can be sent, so any duplicate has been sent already.
  ASSERT_TRUE(WaitForLog(api_a, hook, [&](const json& log) {
    if (log.size() != static_cast<size_t>(kLeads)) return false;
    for (const auto& d : log) {
      if (d["state"] != "delivered") return false;
    }
    return true;
  }));
  a.dispatcher().Stop();
  b.dispatcher().Stop();
  auto all = rx.Requests();
  std::set<std::string> ids, names;
  for (const auto& r : all) {
    ids.insert(r.header("x-klozeo-delivery"));
    names.insert(r.json()["data"]["name"].get<std::string>());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kLeads));
  EXPECT_EQ(ids.size(), static_cast<size_t>(kLeads));
  EXPECT_EQ(names.size(), static_cast<size_t>(kLeads));
}

TEST(Webhooks, ASubscriptionFailingForThreeDaysIsDeactivated) {
  TestServer server(Fast(100));
  auto api = server.NewAccount();
  WebhookReceiver rx;
  rx.SetDefault({500, 0});
  const std::string hook = Subscribe(api, rx.Url());
  CreateLead(api, json{{"name", "A"}, {"source", "s"}});
  ASSERT_TRUE(rx.WaitForCount(1));
  // Still active after failures within the window.
  ASSERT_TRUE(rx.WaitForCount(2));
  EXPECT_EQ(api.Get("/api/v1/webhooks/" + hook).json()["active"], true);
  server.clock().AdvanceMillis(int64_t{3} * 24 * 3600 * 1000 + 60000);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
  while (api.Get("/api/v1/webhooks/" + hook).json()["active"] == true &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(api.Get("/api/v1/webhooks/" + hook).json()["active"], false);
  // Inactive: new events are not queued for it, pending retries stop. Passes driven by hand,
  // a day ahead so any scheduled retry would be due, send nothing.
  server.dispatcher().Stop();
  const size_t seen = rx.Count();
  CreateLead(api, json{{"name", "B"}, {"source", "s"}});
  auto attempts = server.dispatcher().RunOnce(service::WallMillis() + 24 * 3600 * 1000);
  ASSERT_TRUE(attempts.ok()) << attempts.error().message;
  EXPECT_EQ(*attempts, 0);
  EXPECT_EQ(rx.Count(), seen);
  ASSERT_TRUE(server.dispatcher().Start().ok());
  // Reactivated: delivered again once the receiver recovers.
  rx.SetDefault({200, 0});
  ASSERT_EQ(api.Put("/api/v1/webhooks/" + hook, json{{"active", true}}).status, 200);
  CreateLead(api, json{{"name", "C"}, {"source", "s"}});
  ASSERT_TRUE(rx.WaitFor(
      [](const std::vector<Received>& all) {
        for (const auto& r : all) {
          if (r.json()["data"]["name"] == "C") return true;
        }
        return false;
      },
      kWaitMs));
}

TEST(Webhooks, PrivateAddressesAreRefusedByDefault) {
  auto options = Fast();
  options.webhooks.allow_private = false;
  TestServer server(options);
  auto api = server.NewAccount();
  for (const char* url : {"http://127.0.0.1:8080/hook", "http://10.1.2.3/hook",
                          "http://169.254.169.254/latest/meta-data/", "http://192.168.1.1/",
                          "http://0.0.0.0:80/", "http://[::1]:8080/", "http://[::ffff:127.0.0.1]/",
                          "http://[fd00::1]/", "http://[fe80::1]/", "https://172.16.0.1/"}) {
    auto r = api.Post("/api/v1/webhooks", json{{"url", url}});
    EXPECT_EQ(r.status, 400) << url << " -> " << r.body;
    EXPECT_NE(r.json()["message"].get<std::string>().find("--webhook-allow-private"),
              std::string::npos)
        << r.body;
  }
  // A hostname is judged on the address it resolves to when delivering.
  WebhookReceiver rx;
  const std::string hook =
      Subscribe(api, "http://localhost:" + std::to_string(rx.port()) + "/hook");
  ASSERT_FALSE(hook.empty());
  CreateLead(api, json{{"name", "A"}, {"source", "s"}});
  ASSERT_TRUE(WaitForLog(
      api, hook, [](const json& log) { return log.size() == 1 && !log[0]["attempts"].empty(); }));
  json attempt = Deliveries(api, hook)[0]["attempts"][0];
  const std::string error = attempt["error"];
  EXPECT_NE(error.find("refused"), std::string::npos) << error;
  EXPECT_NE(error.find("loopback"), std::string::npos) << error;
  EXPECT_EQ(attempt["status_code"], nullptr);
  EXPECT_EQ(rx.Count(), 0u);
  // A rename through PUT is checked as well.
  EXPECT_EQ(api.Put("/api/v1/webhooks/" + hook, json{{"url", "http://10.0.0.1/"}}).status, 400);
}

TEST(Webhooks, TheAllowFlagLetsPrivateAddressesThrough) {
  TestServer server(Fast());  // tests run with --webhook-allow-private
  auto api = server.NewAccount();
  WebhookReceiver rx;
  Subscribe(api, "http://localhost:" + std::to_string(rx.port()) + "/hook");
  EXPECT_EQ(api.Post("/api/v1/webhooks", json{{"url", "http://10.1.2.3/hook"}}).status, 201);
  CreateLead(api, json{{"name", "A"}, {"source", "s"}});
  ASSERT_TRUE(HasEvent(rx, "lead.created"));
}

TEST(Webhooks, TestPingAndRedeliveryKeepTheDeliveryId) {
  TestServer server(Fast());
  auto api = server.NewAccount();
  WebhookReceiver rx;
  const std::string hook = Subscribe(api, rx.Url(), json{"lead.created"}, "s");
  auto ping = api.Post("/api/v1/webhooks/" + hook + "/test", json::object());
  ASSERT_EQ(ping.status, 202) << ping.body;
  const std::string delivery = ping.json()["id"];
  EXPECT_EQ(ping.json()["event"], "ping");
  ASSERT_TRUE(HasEvent(rx, "ping"));
  auto first = OfEvent(rx.Requests(), "ping")[0];
  EXPECT_EQ(first.header("x-klozeo-delivery"), delivery);
  EXPECT_EQ(first.json()["data"]["webhook_id"], hook);
  EXPECT_EQ(first.header("x-klozeo-signature"), core::HmacSha256Hex("s", first.body));
  ASSERT_TRUE(WaitForLog(api, hook, [](const json& log) {
    return log.size() == 1 && log[0]["state"] == "delivered";
  }));

  auto again =
      api.Post("/api/v1/webhooks/" + hook + "/deliveries/" + delivery + "/redeliver", json{});
  ASSERT_EQ(again.status, 202) << again.body;
  ASSERT_TRUE(HasEvent(rx, "ping", 2));
  auto second = OfEvent(rx.Requests(), "ping")[1];
  EXPECT_EQ(second.header("x-klozeo-delivery"), delivery);
  EXPECT_EQ(second.body, first.body);
  ASSERT_TRUE(WaitForLog(api, hook, [](const json& log) {
    return log.size() == 1 && log[0]["attempts"].size() == 2 && log[0]["state"] == "delivered";
  }));

  auto other = server.NewAccount();
  EXPECT_EQ(other.Post("/api/v1/webhooks/" + hook + "/test", json{}).status, 404);
  EXPECT_EQ(
      other.Post("/api/v1/webhooks/" + hook + "/deliveries/" + delivery + "/redeliver", json{})
          .status,
      404);
  EXPECT_EQ(other.Get("/api/v1/webhooks/" + hook + "/deliveries").status, 404);
  EXPECT_EQ(
      api.Post("/api/v1/webhooks/" + hook + "/deliveries/" + std::string(36, '0') + "/redeliver",
               json{})
          .status,
      404);
  EXPECT_EQ(api.Get("/api/v1/webhooks/" + hook + "/deliveries?limit=0").status, 400);
}

}  // namespace
}  // namespace klozeo::testing
