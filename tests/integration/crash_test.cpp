// Crash safety and graceful stop of the real `klozeo` binary (issue #8).
//
// Crash: several clients create, update, re-post (dedup), annotate and batch-create leads while
// the server is killed with SIGKILL at a random moment; after each restart every write that was
// answered 2xx must be there, complete, and nothing half-written may exist. Every write carries
// a token and a version in several places (name, e-mail, description, tags, attributes), so a
// lead whose parts disagree was written half-way.
//
// The backend is chosen like everywhere else (TestDatabase): SQLite, and PostgreSQL in the
// `.pg` variant (a fresh database on the throwaway cluster of scripts/with-postgres.sh).
//
// Webhooks: a loopback receiver is subscribed to lead.created and leads.created before the
// first round; after the last restart every acknowledged create's event must arrive (at least
// once: repeats, recognised by X-Klozeo-Delivery, carry the same bytes), and no event may name a
// lead that was not stored (events are written in the transaction of their change).
//
// Stop: SIGTERM under load answers every request the server took (no connection is cut off
// without a response), then the process exits 0 within a bounded time.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "support/http_client.h"
#include "support/serve_process.h"
#include "support/test_server.h"
#include "support/webhook_receiver.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;
using Outcome = Attempt::Outcome;

const std::string kKey = "sk_live_c0ffee00c0ffee00c0ffee00c0ffee00";

// --- what the clients wrote ---------------------------------------------------------------

/// One lead as its client knows it. Version 0 is the create; each PUT writes the next version.
struct LeadRecord {
  std::string id;           ///< known once a create was acknowledged
  int acked_version = -1;   ///< the last acknowledged version; -1: the create was not answered
  std::set<int> attempted;  ///< every version sent, answered or not
  std::vector<std::string> acked_notes;
  bool reposted = false;  ///< a dedup re-post was sent (it must merge, never duplicate)
};

/// token ("c2-17") → record. Each client owns its own tokens, so ledgers merge without clashes.
using Ledger = std::map<std::string, LeadRecord>;

std::string Blob(const std::string& token, int version) {
  std::string unit = token + "/v" + std::to_string(version) + ";";
  std::string out;
  while (out.size() < 1500) out += unit;
  return out;
}

json Attr(const std::string& name, const std::string& type, json value) {
  return json{{"name", name}, {"type", type}, {"value", std::move(value)}};
}

json CreateBody(const std::string& token) {
  return json{{"name", "crash " + token},
              {"source", "crash"},
              {"email", token + "@crash.test"},
              {"description", "v0"},
              {"tags", {"v0"}},
              {"attributes",
               {Attr("tok", "text", token), Attr("ver", "number", 0),
                Attr("blob", "text", Blob(token, 0))}}};
}

json UpdateBody(const std::string& token, int version) {
  std::string v = "v" + std::to_string(version);
  return json{
      {"description", v},
      {"tags", {v}},
      {"attributes", {Attr("ver", "number", version), Attr("blob", "text", Blob(token, version))}}};
}

// --- the load -----------------------------------------------------------------------------

/// Counters shared by the clients of one round.
struct RoundStats {
  std::atomic<int> acked{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<std::string> unexpected;  ///< answers that are neither 2xx nor expected
};

/// One client's loop: runs until the server goes away (or `stop`), recording what it wrote.
void RunClient(uint16_t port, int client, int& next_token, Ledger& ledger, RoundStats& stats,
               uint32_t seed) {
  std::mt19937 rng(seed);
  auto note_unexpected = [&](const std::string& what, const Attempt& a) {
    std::lock_guard<std::mutex> lock(stats.mu);
    stats.unexpected.push_back(what + " -> " + std::to_string(a.response.status) + " " +
                               a.response.body.substr(0, 200));
  };
  auto pick_acked = [&](bool fresh_only) -> LeadRecord* {
    std::vector<LeadRecord*> candidates;
    for (auto& [token, r] : ledger) {
      if (r.acked_version < 0) continue;
      if (fresh_only && (r.attempted.size() > 1 || r.reposted)) continue;
      candidates.push_back(&r);
    }
    if (candidates.empty()) return nullptr;
    return candidates[std::uniform_int_distribution<size_t>(0, candidates.size() - 1)(rng)];
  };
  auto token_of = [&](const LeadRecord* r) {
    for (const auto& [t, rec] : ledger) {
      if (&rec == r) return t;
    }
    return std::string();
  };

  while (!stats.stop.load()) {
    int op = std::uniform_int_distribution<int>(0, 99)(rng);
    if (op < 35) {  // create
      std::string token = "c" + std::to_string(client) + "-" + std::to_string(next_token++);
      LeadRecord& r = ledger[token];
      r.attempted.insert(0);
      Attempt a = TrySend(port, kKey, "POST", "/api/v1/leads", CreateBody(token).dump());
      if (a.outcome != Outcome::kAnswered) return;
      if (a.response.status != 201) {
        note_unexpected("create " + token, a);
        continue;
      }
      r.id = a.response.json()["id"];
      r.acked_version = 0;
      ++stats.acked;
    } else if (op < 45) {  // re-post an unchanged lead: dedup must merge into it
      LeadRecord* r = pick_acked(/*fresh_only=*/true);
      if (r == nullptr) continue;
      std::string token = token_of(r);
      r->reposted = true;
      Attempt a = TrySend(port, kKey, "POST", "/api/v1/leads", CreateBody(token).dump());
      if (a.outcome != Outcome::kAnswered) return;
      if (a.response.status != 200 || a.response.json()["id"] != r->id) {
        note_unexpected("dedup re-post " + token, a);
        continue;
      }
      ++stats.acked;
    } else if (op < 70) {  // update to the next version
      LeadRecord* r = pick_acked(false);
      if (r == nullptr) continue;
      std::string token = token_of(r);
      int version = *r->attempted.rbegin() + 1;
      r->attempted.insert(version);
      Attempt a =
          TrySend(port, kKey, "PUT", "/api/v1/leads/" + r->id, UpdateBody(token, version).dump());
      if (a.outcome != Outcome::kAnswered) return;
      if (a.response.status != 200) {
        note_unexpected("update " + token, a);
        continue;
      }
      r->acked_version = version;
      ++stats.acked;
    } else if (op < 85) {  // note
      LeadRecord* r = pick_acked(false);
      if (r == nullptr) continue;
      std::string content = "note " + token_of(r) + " #" + std::to_string(r->acked_notes.size());
      Attempt a = TrySend(port, kKey, "POST", "/api/v1/leads/" + r->id + "/notes",
                          json{{"content", content}}.dump());
      if (a.outcome != Outcome::kAnswered) return;
      if (a.response.status != 201) {
        note_unexpected("note " + content, a);
        continue;
      }
      r->acked_notes.push_back(content);
      ++stats.acked;
    } else {  // batch create of 10
      std::vector<std::string> tokens;
      json leads = json::array();
      for (int i = 0; i < 10; ++i) {
        tokens.push_back("c" + std::to_string(client) + "-" + std::to_string(next_token++));
        ledger[tokens.back()].attempted.insert(0);
        leads.push_back(CreateBody(tokens.back()));
      }
      Attempt a = TrySend(port, kKey, "POST", "/api/v1/leads/batch", json{{"leads", leads}}.dump());
      if (a.outcome != Outcome::kAnswered) return;
      json answer = a.response.status == 201 ? a.response.json() : json();
      if (a.response.status != 201 || answer["created"].size() != tokens.size()) {
        note_unexpected("batch", a);
        continue;
      }
      for (const auto& created : answer["created"]) {
        LeadRecord& r = ledger[tokens.at(created["index"].get<size_t>())];
        r.id = created["id"];
        r.acked_version = 0;
      }
      ++stats.acked;
    }
  }
}

// --- the verification ---------------------------------------------------------------------

/// The value of attribute `name` of a lead as exported, or null.
json AttributeValue(const json& lead, const std::string& name) {
  for (const auto& a : lead["attributes"]) {
    if (a["name"] == name) return a["value"];
  }
  return nullptr;
}

/// The server settings the webhook check needs: loopback receivers, quick polls and retries.
const std::vector<std::pair<std::string, std::string>> kWebhookEnv = {
    {"KLOZEO_WEBHOOK_ALLOW_PRIVATE", "1"},
    {"KLOZEO_WEBHOOK_RETRY_BASE_MS", "200"},
    {"KLOZEO_WEBHOOK_POLL_MS", "100"}};

/// A delivery claimed by a killed server is claimed again once its lease (60 s, see
/// webhooks::DispatcherOptions::lease_ms) lapses: the wait for the last events covers that.
constexpr int kWebhookWaitMs = 120000;

/// What the receiver got, deduplicated by X-Klozeo-Delivery.
struct DeliveredEvents {
  std::set<std::string> lead_ids;             ///< ids named by lead.created / leads.created
  std::map<std::string, std::string> bodies;  ///< delivery id → body bytes
  size_t requests = 0, repeats = 0;
  std::vector<std::string> problems;
};

DeliveredEvents ReadDeliveries(const std::vector<Received>& got) {
  DeliveredEvents out;
  out.requests = got.size();
  for (const auto& r : got) {
    const std::string delivery = r.header("x-klozeo-delivery");
    if (delivery.empty()) {
      out.problems.push_back("a delivery without X-Klozeo-Delivery");
      continue;
    }
    auto [it, fresh] = out.bodies.emplace(delivery, r.body);
    if (!fresh) {
      ++out.repeats;
      if (it->second != r.body) out.problems.push_back("delivery " + delivery + " changed bytes");
      continue;
    }
    json event = json::parse(r.body, nullptr, false);
    if (!event.is_object() || event["event"] != r.header("x-klozeo-event")) {
      out.problems.push_back("delivery " + delivery + ": bad body " + r.body.substr(0, 200));
      continue;
    }
    if (event["event"] == "lead.created") {
      out.lead_ids.insert(event["data"]["id"].get<std::string>());
    } else if (event["event"] == "leads.created") {
      for (const auto& id : event["data"]["ids"]) out.lead_ids.insert(id.get<std::string>());
    }
  }
  return out;
}

/// Checks the stored data against what the clients were told. Returns the problems found
/// (empty: consistent). With a `receiver`, also checks the webhook deliveries (after the last
/// restart: every acknowledged create's event arrives, waiting up to kWebhookWaitMs).
std::vector<std::string> VerifyStore(uint16_t port, const Ledger& ledger,
                                     const WebhookReceiver* receiver = nullptr,
                                     DeliveredEvents* delivered = nullptr) {
  std::vector<std::string> problems;
  auto problem = [&](const std::string& p) {
    if (problems.size() < 50) problems.push_back(p);
  };
  HttpClient api(port, kKey);
  auto exported = api.Get("/api/v1/leads/export?format=json");
  if (exported.status != 200) return {"export failed: " + std::to_string(exported.status)};
  json leads = json::parse(exported.body);

  std::map<std::string, int> seen;  // token → stored leads carrying it
  std::set<std::string> stored_ids;
  for (const auto& lead : leads) {
    stored_ids.insert(lead["id"].get<std::string>());
    std::string name = lead["name"];
    if (name.rfind("crash ", 0) != 0) {
      problem("a lead nobody wrote: " + name);
      continue;
    }
    std::string token = name.substr(6);
    ++seen[token];
    auto it = ledger.find(token);
    if (it == ledger.end()) {
      problem("a lead with an unknown token: " + token);
      continue;
    }
    const LeadRecord& r = it->second;
    // All parts of the create are there together...
    if (lead["email"] != token + "@crash.test" || lead["source"] != "crash" ||
        AttributeValue(lead, "tok") != token) {
      problem(token + ": half-written create: " + lead.dump().substr(0, 300));
      continue;
    }
    // ...and all parts of one version agree.
    json ver = AttributeValue(lead, "ver");
    if (!ver.is_number()) {
      problem(token + ": no version attribute");
      continue;
    }
    int v = ver.get<int>();
    std::string vs = "v" + std::to_string(v);
    if (lead["description"] != vs || lead["tags"] != json::array({vs}) ||
        AttributeValue(lead, "blob") != Blob(token, v)) {
      problem(token + ": parts of different versions (half-written update): version " +
              std::to_string(v) + ", description " + lead["description"].dump() + ", tags " +
              lead["tags"].dump());
      continue;
    }
    if (r.attempted.count(v) == 0) problem(token + ": version " + vs + " was never sent");
    if (v < r.acked_version) {
      problem(token + ": acknowledged version " + std::to_string(r.acked_version) +
              " lost; stored " + vs);
    }
    if (r.acked_version >= 0 && lead["id"] != r.id) problem(token + ": id changed");
  }
  for (const auto& [token, count] : seen) {
    if (count > 1) problem(token + ": stored " + std::to_string(count) + " times");
  }
  for (const auto& [token, r] : ledger) {
    if (r.acked_version < 0) continue;
    if (seen.count(token) == 0) {
      problem(token + ": acknowledged create lost (id " + r.id + ")");
      continue;
    }
    if (r.acked_notes.empty()) continue;
    auto notes = api.Get("/api/v1/leads/" + r.id + "/notes");
    if (notes.status != 200) {
      problem(token + ": notes unreadable: " + std::to_string(notes.status));
      continue;
    }
    std::set<std::string> stored;
    for (const auto& n : notes.json()) stored.insert(n["content"].get<std::string>());
    for (const auto& content : r.acked_notes) {
      if (stored.count(content) == 0) problem(token + ": acknowledged note lost: " + content);
    }
  }
  if (receiver == nullptr) return problems;

  // Webhooks: every acknowledged create's event is delivered (once the outbox drains: poll).
  std::set<std::string> expected;
  for (const auto& [token, r] : ledger) {
    if (r.acked_version >= 0) expected.insert(r.id);
  }
  DeliveredEvents events;
  // Checked on each arrival, until every expected lead has arrived or the wait ends.
  receiver->WaitFor(
      [&](const std::vector<Received>& got) {
        events = ReadDeliveries(got);
        return std::includes(events.lead_ids.begin(), events.lead_ids.end(), expected.begin(),
                             expected.end());
      },
      kWebhookWaitMs);
  for (const auto& p : events.problems) problem("webhooks: " + p);
  for (const auto& [token, r] : ledger) {
    if (r.acked_version >= 0 && events.lead_ids.count(r.id) == 0) {
      problem(token + ": acknowledged create's event never delivered (id " + r.id + ")");
    }
  }
  for (const auto& id : events.lead_ids) {
    if (stored_ids.count(id) == 0) problem("an event names lead " + id + ", which is not stored");
  }
  if (delivered != nullptr) *delivered = std::move(events);
  return problems;
}

// --- backends -----------------------------------------------------------------------------

std::string Tail(const std::filesystem::path& log) {
  std::ifstream in(log);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
}

// The backend comes from the environment like every other test (TestDatabase: SQLite, or a
// fresh PostgreSQL database in the `.pg` variant).
TEST(CrashSafety, AcknowledgedWritesSurviveSigkill) {
  TempDir dir;
  TestDatabase database;
  const std::string db = database.url();
  const auto log = dir.path() / "server.log";
  std::vector<std::pair<std::string, std::string>> env = {{"KLOZEO_BOOTSTRAP_KEY", kKey},
                                                          {"KLOZEO_LOG_LEVEL", "warn"}};
  env.insert(env.end(), kWebhookEnv.begin(), kWebhookEnv.end());
  WebhookReceiver receiver;  // outlives every server: deliveries arrive across restarts
  constexpr int kClients = 4;
  constexpr int kRounds = 5;
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::vector<Ledger> ledgers(kClients);
  std::vector<int> next_token(kClients, 0);
  int total_acked = 0;

  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    ServeProcess server(KLOZEO_BINARY, db, env, log.string());
    ASSERT_NE(server.port(), 0) << server.output() << Tail(log);
    // What the previous crash left must be consistent before more load goes on top.
    Ledger all;
    for (const auto& l : ledgers) all.insert(l.begin(), l.end());
    auto problems = VerifyStore(server.port(), all);
    ASSERT_TRUE(problems.empty()) << problems.size() << " problems, first: " << problems.front();
    if (round == 0) {
      auto hook =
          HttpClient(server.port(), kKey)
              .Post("/api/v1/webhooks",
                    json{{"url", receiver.Url()}, {"events", {"lead.created", "leads.created"}}});
      ASSERT_EQ(hook.status, 201) << hook.body;
    }

    RoundStats stats;
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back(RunClient, server.port(), c, std::ref(next_token[c]),
                           std::ref(ledgers[c]), std::ref(stats), rng());
    }
    // Let the load build (however slow the machine), then kill at a random moment.
    auto started = std::chrono::steady_clock::now();
    while (stats.acked.load() < 30 &&
           std::chrono::steady_clock::now() - started < std::chrono::seconds(60)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 700)(rng)));
    EXPECT_EQ(server.SignalAndWait(SIGKILL), -SIGKILL);
    stats.stop = true;
    for (auto& t : clients) t.join();
    total_acked += stats.acked.load();
    EXPECT_GE(stats.acked.load(), 30) << "the load never built up" << Tail(log);
    EXPECT_TRUE(stats.unexpected.empty())
        << stats.unexpected.size() << " unexpected answers, first: " << stats.unexpected.front();
  }

  // The last restart: everything acknowledged is there; then a clean stop.
  ServeProcess server(KLOZEO_BINARY, db, env, log.string());
  ASSERT_NE(server.port(), 0) << server.output() << Tail(log);
  Ledger all;
  for (const auto& l : ledgers) all.insert(l.begin(), l.end());
  DeliveredEvents events;
  auto problems = VerifyStore(server.port(), all, &receiver, &events);
  EXPECT_TRUE(problems.empty()) << problems.size() << " problems, first: " << problems.front();
  RecordProperty("webhook_requests_received", static_cast<int>(events.requests));
  RecordProperty("webhook_repeated_deliveries", static_cast<int>(events.repeats));
  int acked_leads = 0, unanswered = 0;
  for (const auto& [token, r] : all) {
    acked_leads += r.acked_version >= 0 ? 1 : 0;
    unanswered += r.acked_version < *r.attempted.rbegin() ? 1 : 0;
  }
  RecordProperty("leads_with_an_unanswered_write", unanswered);
  EXPECT_GT(acked_leads, 0);
  RecordProperty("acknowledged_operations", total_acked);
  RecordProperty("acknowledged_leads", acked_leads);
  EXPECT_EQ(server.SignalAndWait(SIGTERM), 0);
}

// --- graceful stop ------------------------------------------------------------------------

TEST(GracefulStop, SigtermUnderLoadAnswersEveryRequestTakenAndExitsZero) {
  TempDir dir;
  const std::string db = "sqlite:" + (dir.path() / "stop.db").string();
  const auto log = dir.path() / "server.log";
  const std::vector<std::pair<std::string, std::string>> env = {{"KLOZEO_BOOTSTRAP_KEY", kKey},
                                                                {"KLOZEO_LOG_LEVEL", "warn"}};
  std::vector<std::string> created_ids;
  std::mutex mu;
  std::atomic<int> answered{0}, refused{0};
  std::vector<std::string> failures;
  {
    ServeProcess server(KLOZEO_BINARY, db, env, log.string());
    ASSERT_NE(server.port(), 0) << server.output() << Tail(log);
    const uint16_t port = server.port();
    // Some data, so list and export requests take a while.
    HttpClient api(port, kKey);
    json seed = json::array();
    for (int i = 0; i < 500; ++i) seed.push_back(CreateBody("seed-" + std::to_string(i)));
    ASSERT_EQ(api.Post("/api/v1/leads/batch", json{{"leads", seed}}).status, 201);

    std::atomic<bool> go{true};
    std::vector<std::thread> clients;
    for (int c = 0; c < 6; ++c) {
      clients.emplace_back([&, c] {
        for (int i = 0; go.load(); ++i) {
          Attempt a;
          switch ((c + i) % 3) {
            case 0:
              a = TrySend(port, kKey, "POST", "/api/v1/leads",
                          CreateBody("stop-" + std::to_string(c) + "-" + std::to_string(i)).dump());
              break;
            case 1:
              a = TrySend(port, kKey, "GET", "/api/v1/leads?limit=100");
              break;
            default:
              a = TrySend(port, kKey, "GET", "/api/v1/leads/export?format=csv");
          }
          std::lock_guard<std::mutex> lock(mu);
          if (a.outcome == Outcome::kRefused) {  // the listener is closed: the stop began
            ++refused;
            return;
          }
          if (a.outcome == Outcome::kCutOff) {
            failures.push_back("cut off without a response: " + a.error);
            return;
          }
          ++answered;
          if (a.response.status / 100 != 2) {
            failures.push_back("answered " + std::to_string(a.response.status) + ": " +
                               a.response.body.substr(0, 200));
          } else if ((c + i) % 3 == 0) {
            created_ids.push_back(a.response.json()["id"]);
          }
        }
      });
    }
    auto started = std::chrono::steady_clock::now();
    while (answered.load() < 60 &&
           std::chrono::steady_clock::now() - started < std::chrono::seconds(60)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    auto term_at = std::chrono::steady_clock::now();
    kill(server.pid(), SIGTERM);
    int code = server.WaitMillis(30000);
    auto took = std::chrono::steady_clock::now() - term_at;
    go = false;
    for (auto& t : clients) t.join();
    EXPECT_EQ(code, 0) << Tail(log);
    RecordProperty(
        "stop_ms",
        static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
    RecordProperty("answered", answered.load());
    // The server cuts off what is left after its 10 s grace period; exiting well within that
    // bound is the promise (generous for a loaded machine).
    EXPECT_LT(took, std::chrono::seconds(15));
    EXPECT_GE(answered.load(), 60);
    EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures.front();
  }
  // Every create that was answered 201 during the stop is stored.
  ServeProcess again(KLOZEO_BINARY, db, env, log.string());
  ASSERT_NE(again.port(), 0) << Tail(log);
  HttpClient api(again.port(), kKey);
  for (const auto& id : created_ids) EXPECT_EQ(api.Get("/api/v1/leads/" + id).status, 200) << id;
}

}  // namespace
}  // namespace klozeo::testing
