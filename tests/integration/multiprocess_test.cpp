// Two real `klozeo serve` processes on one database (PostgreSQL as the `.pg` variants, one
// SQLite file otherwise): started together (migrations and bootstrap race), concurrent
// duplicate creates through both end as one lead, a lead created through one is listed, paged
// and exported through the other, and rate limits per account across processes.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/http_client.h"
#include "support/serve_process.h"
#include "support/test_server.h"

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
    std::unique_ptr<ServeProcess> a;
    std::thread starter(
        [&] { a = std::make_unique<ServeProcess>(KLOZEO_BINARY, db_.url(), args, env); });
    b_ = std::make_unique<ServeProcess>(KLOZEO_BINARY, db_.url(), args, env);
    starter.join();
    a_ = std::move(a);
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

}  // namespace
}  // namespace klozeo::testing
