// Dispatcher passes driven one at a time (Dispatcher::RunOnce) instead of waiting for its
// thread: what is due is sent once, a retry becomes due on the schedule's time, and nothing is
// sent twice.
#include <gtest/gtest.h>

#include "service/webhook_outbox.h"
#include "support/test_server.h"
#include "support/webhook_receiver.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

/// A server whose dispatcher thread is stopped: the test runs every pass itself.
TestServer::Options Manual(int64_t retry_base_ms) {
  TestServer::Options o;
  o.webhooks.retry_base_ms = retry_base_ms;
  return o;
}

std::string Subscribe(const HttpClient& api, const std::string& url) {
  auto r = api.Post("/api/v1/webhooks", json{{"url", url}, {"events", json{"lead.created"}}});
  EXPECT_EQ(r.status, 201) << r.body;
  return r.json().value("id", "");
}

int Pass(TestServer& server, int64_t ahead_ms = 0) {
  auto attempts = server.dispatcher().RunOnce(service::WallMillis() + ahead_ms);
  EXPECT_TRUE(attempts.ok()) << attempts.error().message;
  return attempts.ok() ? *attempts : -1;
}

TEST(Dispatcher, APassSendsWhatIsDueOnceAndTheNextFindsNothing) {
  TestServer server(Manual(5000));
  server.dispatcher().Stop();
  auto api = server.NewAccount();
  WebhookReceiver rx;
  const std::string hook = Subscribe(api, rx.Url());
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(
        api.Post("/api/v1/leads", json{{"name", "L" + std::to_string(i)}, {"source", "s"}}).status,
        201);
  }
  EXPECT_EQ(rx.Count(), 0u) << "nothing is sent without a pass";
  EXPECT_EQ(Pass(server), 3);
  EXPECT_EQ(rx.Count(), 3u);
  EXPECT_EQ(Pass(server), 0);
  EXPECT_EQ(Pass(server, 24 * 3600 * 1000), 0) << "delivered is final";
  EXPECT_EQ(rx.Count(), 3u);
  auto log = api.Get("/api/v1/webhooks/" + hook + "/deliveries").json()["deliveries"];
  ASSERT_EQ(log.size(), 3u);
  for (const auto& d : log) EXPECT_EQ(d["state"], "delivered");
}

TEST(Dispatcher, AFailedAttemptIsRetriedWhenTheScheduleSaysAndNotBefore) {
  TestServer server(Manual(60000));  // the first retry 48 to 72 s after the failure
  server.dispatcher().Stop();
  auto api = server.NewAccount();
  WebhookReceiver rx;
  rx.Plan({{500, 0}});
  const std::string hook = Subscribe(api, rx.Url());
  ASSERT_EQ(api.Post("/api/v1/leads", json{{"name", "A"}, {"source", "s"}}).status, 201);

  EXPECT_EQ(Pass(server), 1);
  EXPECT_EQ(Pass(server), 0) << "the retry is not due yet";
  EXPECT_EQ(Pass(server, 30000), 0) << "nor 30 s later";
  EXPECT_EQ(Pass(server, 80000), 1) << "but 80 s later";
  auto all = rx.Requests();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].header("x-klozeo-delivery"), all[1].header("x-klozeo-delivery"));
  auto log = api.Get("/api/v1/webhooks/" + hook + "/deliveries").json()["deliveries"];
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["state"], "delivered");
  ASSERT_EQ(log[0]["attempts"].size(), 2u);
  EXPECT_EQ(log[0]["attempts"][0]["status_code"], 500);
  EXPECT_EQ(log[0]["attempts"][1]["success"], true);
}

}  // namespace
}  // namespace klozeo::testing
