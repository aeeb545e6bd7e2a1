// Two real `klozeo serve` processes on one database (PostgreSQL as the `.pg` variants, one
// SQLite file otherwise): started together (migrations and bootstrap race), concurrent
// duplicate creates through both end as one lead, a lead created through one is listed, paged
// and exported through the other, every webhook event is delivered exactly once by one of
// them, and rate limits hold per account across processes.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/http_client.h"
#include "support/serve_process.h"
#include "support/test_server.h"
#include "support/webhook_receiver.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

constexpr const char* kKey = "multi-process-test-key-0123456789";

class TwoProcesses : public ::testing::Test {
 protected:
  // Both processes start at once on a new database: they race on migrations and on the
  // bootstrap of the `default` account.
  void Start(const std::vector<std::string>& extra_args = {}) {
    std::vector<std::string> args = {"--log-level", "warn", "--threads", "2"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<std::pair<std::string, std::string>> env = {{"KLOZEO_BOOTSTRAP_KEY", kKey}};
    // Both are started before either is waited for (from this thread: a child dies with the
    // thread that started it).
    a_ = std::make_unique<ServeProcess>(KLOZEO_BINARY, db_.url(), env, "", args, false);
    b_ = std::make_unique<ServeProcess>(KLOZEO_BINARY, db_.url(), env, "", args, false);
    a_->WaitUntilListening();
    b_->WaitUntilListening();
    ASSERT_NE(a_->port(), 0) << a_->output();
    ASSERT_NE(b_->port(), 0) << b_->output();
  }
  HttpClient A() const { return HttpClient(a_->port(), kKey); }
  HttpClient B() const { return HttpClient(b_->port(), kKey); }

  TestDatabase db_;
  std::unique_ptr<ServeProcess> a_;
  std::unique_ptr<ServeProcess> b_;
};

json Lead(const std::string& name, const std::string& email) {
  return json{{"name", name}, {"source", "multi"}, {"email", email}};
}

TEST_F(TwoProcesses, ConcurrentDuplicateCreatesThroughBothEndAsOneLead) {
  Start();
  constexpr int kClients = 24;
  std::vector<HttpResult> results(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      HttpClient api = i % 2 == 0 ? A() : B();
      results[i] = api.Post("/api/v1/leads", Lead("Race Co", "Race@Co.io"));
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> ids;
  int created = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.status == 201 || r.status == 200) << r.status << " " << r.body;
    if (r.status == 201) ++created;
    ids.insert(r.json()["id"].get<std::string>());
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(ids.size(), 1u);
  for (const HttpClient& api : {A(), B()}) {
    auto list = api.Get("/api/v1/leads?limit=100");
    ASSERT_EQ(list.status, 200) << list.body;
    EXPECT_EQ(list.json()["count"], 1);
  }
}

TEST_F(TwoProcesses, LeadsCreatedThroughOneAreListedPagedAndExportedThroughTheOther) {
  Start();
  std::vector<std::string> ids;
  for (int i = 0; i < 23; ++i) {
    auto r = A().Post("/api/v1/leads",
                      Lead("Lead " + std::to_string(i), "l" + std::to_string(i) + "@x.io"));
    ASSERT_EQ(r.status, 201) << r.body;
    ids.push_back(r.json()["id"]);
  }
  auto one = B().Get("/api/v1/leads/" + ids.front());
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json()["email"], "l0@x.io");

  // Pages alternate between the processes: a cursor issued by one works on the other.
  std::vector<std::string> seen;
  std::string target = "/api/v1/leads?limit=5&sort=name&order=asc";
  for (int page = 0; page < 20; ++page) {
    auto r = (page % 2 == 0 ? B() : A()).Get(target);
    ASSERT_EQ(r.status, 200) << r.body;
    json body = r.json();
    for (auto& l : body["leads"]) seen.push_back(l["id"]);
    if (!body["has_more"].get<bool>()) break;
    target = "/api/v1/leads?limit=5&sort=name&order=asc&cursor=" +
             body["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()),
            std::set<std::string>(ids.begin(), ids.end()));
  EXPECT_EQ(seen.size(), ids.size());

  auto csv = B().Get("/api/v1/leads/export?format=csv");
  ASSERT_EQ(csv.status, 200) << csv.body;
  for (const auto& id : ids) EXPECT_NE(csv.body.find(id), std::string::npos) << id;
}

// Both processes run a dispatcher polling the same outbox; each claims with a lease (PostgreSQL:
// FOR UPDATE SKIP LOCKED), so every delivery reaches the receiver once.
TEST_F(TwoProcesses, EveryWebhookEventIsDeliveredExactlyOnceByOneOfThem) {
  Start({"--webhook-allow-private", "--webhook-poll-ms", "50"});
  WebhookReceiver rx;
  auto sub = A().Post("/api/v1/webhooks",
                      json{{"url", rx.Url()}, {"events", json::array({"lead.created"})}});
  ASSERT_EQ(sub.status, 201) << sub.body;
  const std::string hook = sub.json()["id"];
  constexpr int kLeads = 40;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kLeads; i += 4) {
        auto r = (i % 2 == 0 ? A() : B())
                     .Post("/api/v1/leads",
                           Lead("Hook " + std::to_string(i), "h" + std::to_string(i) + "@x.io"));
        EXPECT_EQ(r.status, 201) << r.body;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(rx.WaitForCount(kLeads, 60000)) << rx.Count();
  // Once every delivery is recorded as delivered none can be claimed again; then both
  // processes stop (their dispatchers with them), so any duplicate has been sent by now.
  json deliveries;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto all_delivered = [&] {
    auto log = B().Get("/api/v1/webhooks/" + hook + "/deliveries?limit=100");
    if (log.status != 200) return false;
    deliveries = log.json();
    if (deliveries.is_object() && deliveries.contains("deliveries")) {
      deliveries = deliveries["deliveries"];
    }
    if (!deliveries.is_array() || deliveries.size() != static_cast<size_t>(kLeads)) return false;
    for (const auto& d : deliveries) {
      if (d["state"] != "delivered") return false;
    }
    return true;
  };
  while (!all_delivered() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polls the log, not a guess
  }
  EXPECT_EQ(a_->SignalAndWait(SIGTERM), 0);
  EXPECT_EQ(b_->SignalAndWait(SIGTERM), 0);
  std::map<std::string, int> per_delivery;
  std::set<std::string> lead_ids;
  for (const auto& r : rx.Requests()) {
    EXPECT_EQ(r.header("x-klozeo-event"), "lead.created");
    ++per_delivery[r.header("x-klozeo-delivery")];
    lead_ids.insert(r.json()["data"]["id"].get<std::string>());
  }
  EXPECT_EQ(rx.Count(), static_cast<size_t>(kLeads));
  EXPECT_EQ(per_delivery.size(), static_cast<size_t>(kLeads));
  for (const auto& [id, n] : per_delivery) EXPECT_EQ(n, 1) << "delivery " << id;
  EXPECT_EQ(lead_ids.size(), static_cast<size_t>(kLeads));
  // Every delivery delivered at its first attempt.
  ASSERT_TRUE(deliveries.is_array()) << deliveries.dump();
  EXPECT_EQ(deliveries.size(), static_cast<size_t>(kLeads));
  for (const auto& d : deliveries) {
    EXPECT_EQ(d["state"], "delivered") << d.dump();
    EXPECT_EQ(d["attempts"].size(), 1u) << d.dump();
  }
}

// PostgreSQL: one budget per account shared by every process (rate_windows). SQLite: each
// process counts in memory, so N processes allow N budgets (docs/SCALING.md).
TEST_F(TwoProcesses, RateLimitsPerAccountAcrossProcesses) {
  Start({"--plan", "unlimited:requests=30,window=600"});
  int allowed = 0;
  int refused = 0;
  for (int i = 0; i < 100; ++i) {
    auto r = (i % 2 == 0 ? A() : B()).Get("/api/v1/leads?limit=1");
    if (r.status == 200) {
      ++allowed;
    } else {
      ASSERT_EQ(r.status, 429) << r.body;
      EXPECT_FALSE(r.header("retry-after").empty());
      ++refused;
    }
  }
  EXPECT_EQ(allowed + refused, 100);
  EXPECT_EQ(allowed, TestDatabase::PostgresRequested() ? 30 : 60);
}

// Budgets of 200 and more are reserved in batches (1%: here 4 at a time) by each process: the
// shared budget is never exceeded, and at most a batch per process goes unused.
TEST_F(TwoProcesses, BatchedRateLimitsNeverExceedTheSharedBudget) {
  Start({"--plan", "unlimited:requests=400,window=600"});
  int allowed = 0;
  for (int i = 0; i < 500; ++i) {
    auto r = (i % 2 == 0 ? A() : B()).Get("/api/v1/leads?limit=1");
    ASSERT_TRUE(r.status == 200 || r.status == 429) << r.status << " " << r.body;
    if (r.status == 200) ++allowed;
  }
  if (TestDatabase::PostgresRequested()) {
    EXPECT_LE(allowed, 400);
    EXPECT_GE(allowed, 400 - 2 * 3);
  } else {
    EXPECT_EQ(allowed, 500);  // two in-memory budgets of 400
  }
}

}  // namespace
}  // namespace klozeo::testing
