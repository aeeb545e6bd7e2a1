// The webhook part of storage::Tx on SQLite and (as the `.pg` variants) PostgreSQL: subscriptions,
// the outbox, leased claims (one holder at a time, expired leases claimed again), attempt logs,
// redelivery and cascades.
#include <gtest/gtest.h>

#include <string>

#include "app/wiring.h"
#include "core/ids.h"
#include "support/test_server.h"

namespace klozeo::storage {
namespace {

const domain::AccountKey acc1{1};  // the key the database gives the first account
const domain::AccountKey acc2{2};  // the key the database gives the second account

// The backend comes from the environment (testing::TestDatabase).
std::unique_ptr<Database> Open(const std::string& url) {
  auto db = app::OpenDatabase(url, 2);
  EXPECT_TRUE(db.ok()) << (db.ok() ? "" : db.error().message);
  return std::move(*db);
}

domain::Webhook MakeWebhook(std::vector<std::string> events, bool active = true) {
  domain::Webhook w;
  w.id = core::NewUuidV7();
  w.url = "http://example.com/hook";
  w.events = std::move(events);
  w.secret = "s3cret";
  w.active = active;
  w.created_at = w.updated_at = 1700000000;
  return w;
}

domain::WebhookEvent MakeEvent(domain::AccountKey account, const std::string& type) {
  return domain::WebhookEvent{core::NewUuidV7(), account, type,
                              R"({"event":")" + type + R"(","timestamp":1,"data":{}})", 1000};
}

class WebhookStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = Open(database_.url());
    auto tx = Begin();
    ASSERT_EQ(*tx->accounts().Insert({"acc1", "a1", "free", 1}), acc1);
    ASSERT_EQ(*tx->accounts().Insert({"acc2", "a2", "free", 1}), acc2);
    ASSERT_TRUE(tx->Commit().ok());
  }
  std::unique_ptr<Tx> Begin() {
    auto tx = db_->Begin(TxMode::kWrite);
    EXPECT_TRUE(tx.ok());
    return std::move(*tx);
  }
  testing::TestDatabase database_;
  std::unique_ptr<Database> db_;
};

TEST_F(WebhookStoreTest, CrudRoundTripsEveryField) {
  auto tx = Begin();
  auto w = MakeWebhook({"lead.created", "note.deleted"});
  ASSERT_TRUE(tx->webhooks().Insert(acc1, w).ok());
  auto got = tx->webhooks().Get(acc1, w.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->events, w.events);
  EXPECT_EQ((*got)->secret, w.secret);
  EXPECT_FALSE(tx->webhooks().Get(acc2, w.id)->has_value());
  w.active = false;
  w.events.clear();
  w.secret.reset();
  w.failing_since_ms = 42;
  ASSERT_TRUE(tx->webhooks().Update(acc1, w).ok());
  auto list = tx->webhooks().List(acc1);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_FALSE((*list)[0].active);
  EXPECT_TRUE((*list)[0].events.empty());
  EXPECT_FALSE((*list)[0].secret.has_value());
  EXPECT_EQ((*list)[0].failing_since_ms, 42);
  EXPECT_EQ(*tx->webhooks().Count(acc1), 1);
  EXPECT_EQ(tx->webhooks().Update(acc2, w).error().code, core::ErrorCode::kNotFound);
  EXPECT_TRUE(*tx->webhooks().Delete(acc1, w.id));
  EXPECT_FALSE(*tx->webhooks().Delete(acc1, w.id));
}

TEST_F(WebhookStoreTest, EnqueueFansOutToActiveSubscribersOnly) {
  auto tx = Begin();
  auto all = MakeWebhook({});
  auto created_only = MakeWebhook({"lead.created"});
  auto inactive = MakeWebhook({}, false);
  auto other_account = MakeWebhook({});
  ASSERT_TRUE(tx->webhooks().Insert(acc1, all).ok());
  ASSERT_TRUE(tx->webhooks().Insert(acc1, created_only).ok());
  ASSERT_TRUE(tx->webhooks().Insert(acc1, inactive).ok());
  ASSERT_TRUE(tx->webhooks().Insert(acc2, other_account).ok());
  EXPECT_EQ(*tx->webhooks().EnqueueEvent(MakeEvent(acc1, "lead.created"), 0), 2);
  EXPECT_EQ(*tx->webhooks().EnqueueEvent(MakeEvent(acc1, "lead.updated"), 0), 1);
  // "leads.created" must not match a subscription to "lead.created" (substring).
  EXPECT_EQ(*tx->webhooks().EnqueueEvent(MakeEvent(acc1, "leads.created"), 0), 1);
  EXPECT_EQ(tx->webhooks().ListDeliveries(acc1, created_only.id, 10)->size(), 1u);
  EXPECT_EQ(tx->webhooks().ListDeliveries(acc1, all.id, 10)->size(), 3u);
  EXPECT_TRUE(tx->webhooks().ListDeliveries(acc1, inactive.id, 10)->empty());
  EXPECT_TRUE(tx->webhooks().ListDeliveries(acc2, all.id, 10)->empty());
}

TEST_F(WebhookStoreTest, AnEventRolledBackWithItsChangeLeavesNoDelivery) {
  auto w = MakeWebhook({});
  {
    auto tx = Begin();
    ASSERT_TRUE(tx->webhooks().Insert(acc1, w).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  {
    auto tx = Begin();
    ASSERT_EQ(*tx->webhooks().EnqueueEvent(MakeEvent(acc1, "lead.created"), 0), 1);
    // Destroyed without Commit: rolled back with the change it belonged to.
  }
  auto tx = Begin();
  EXPECT_TRUE(tx->webhooks().ListDeliveries(acc1, w.id, 10)->empty());
  EXPECT_TRUE(tx->webhooks().ClaimDeliveries("A", 10, 100, 10)->empty());
}

TEST_F(WebhookStoreTest, ClaimsAreLeasedRecordedAndReclaimedAfterExpiry) {
  auto w = MakeWebhook({});
  {
    auto tx = Begin();
    ASSERT_TRUE(tx->webhooks().Insert(acc1, w).ok());
    ASSERT_EQ(*tx->webhooks().EnqueueEvent(MakeEvent(acc1, "lead.created"), 100), 1);
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Begin();
  EXPECT_TRUE(tx->webhooks().ClaimDeliveries("A", 99, 1000, 10)->empty());  // not due yet
  auto jobs = tx->webhooks().ClaimDeliveries("A", 100, 1000, 10);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  const auto& job = (*jobs)[0];
  EXPECT_EQ(job.url, w.url);
  EXPECT_EQ(job.secret, w.secret);
  EXPECT_NE(job.body.find("lead.created"), std::string::npos);
  EXPECT_TRUE(tx->webhooks().ClaimDeliveries("B", 500, 1500, 10)->empty());  // held by A
  auto again = tx->webhooks().ClaimDeliveries("B", 1000, 2000, 10);          // A's lease ran out
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].delivery_id, job.delivery_id);

  domain::AttemptRecord r{acc1, w.id, job.delivery_id, {}, domain::DeliveryState::kPending};
  r.attempt.attempt = 1;
  r.attempt.started_at_ms = 1100;
  r.attempt.duration_ms = 7;
  r.attempt.status_code = 500;
  r.attempt.error = "HTTP 500";
  r.attempt.next_retry_ms = 5000;
  EXPECT_FALSE(*tx->webhooks().RecordAttempt("A", r));  // A lost the claim
  EXPECT_TRUE(*tx->webhooks().RecordAttempt("B", r));
  EXPECT_EQ((*tx->webhooks().Get(acc1, w.id))->failing_since_ms, 1100);
  EXPECT_TRUE(tx->webhooks().ClaimDeliveries("A", 4999, 9000, 10)->empty());
  auto retry = tx->webhooks().ClaimDeliveries("A", 5000, 9000, 10);
  ASSERT_EQ(retry->size(), 1u);
  EXPECT_EQ((*retry)[0].attempts, 1);
  r.attempt = {};
  r.attempt.attempt = 2;
  r.attempt.started_at_ms = 5001;
  r.attempt.status_code = 204;
  r.attempt.success = true;
  r.new_state = domain::DeliveryState::kDelivered;
  EXPECT_TRUE(*tx->webhooks().RecordAttempt("A", r));
  auto hook = *tx->webhooks().Get(acc1, w.id);
  EXPECT_FALSE(hook->failing_since_ms.has_value());
  EXPECT_EQ(hook->last_success_ms, 5001);
  auto d = *tx->webhooks().GetDelivery(acc1, w.id, job.delivery_id);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->state, domain::DeliveryState::kDelivered);
  EXPECT_EQ(d->attempts, 2);
  ASSERT_EQ(d->attempt_log.size(), 2u);
  EXPECT_EQ(d->attempt_log[0].status_code, 500);
  EXPECT_EQ(d->attempt_log[0].next_retry_ms, 5000);
  EXPECT_TRUE(d->attempt_log[1].success);
  EXPECT_TRUE(tx->webhooks().ClaimDeliveries("A", 99999, 100000, 10)->empty());

  // Redelivery: same id, pending again, next attempt numbered 3.
  EXPECT_FALSE(*tx->webhooks().Redeliver(acc2, w.id, job.delivery_id, 6000));
  EXPECT_TRUE(*tx->webhooks().Redeliver(acc1, w.id, job.delivery_id, 6000));
  auto redo = tx->webhooks().ClaimDeliveries("C", 6000, 7000, 10);
  ASSERT_EQ(redo->size(), 1u);
  EXPECT_EQ((*redo)[0].delivery_id, job.delivery_id);
  EXPECT_EQ((*redo)[0].attempts, 2);
  // Released: due again, claimable by anyone.
  ASSERT_TRUE(tx->webhooks().ReleaseDelivery("C", job.delivery_id, 6500).ok());
  EXPECT_EQ(tx->webhooks().ClaimDeliveries("D", 6500, 7000, 10)->size(), 1u);
}

TEST_F(WebhookStoreTest, InactiveWebhooksAreNotClaimedExceptPings) {
  auto w = MakeWebhook({});
  auto tx = Begin();
  ASSERT_TRUE(tx->webhooks().Insert(acc1, w).ok());
  ASSERT_EQ(*tx->webhooks().EnqueueEvent(MakeEvent(acc1, "lead.created"), 0), 1);
  w.active = false;
  ASSERT_TRUE(tx->webhooks().Update(acc1, w).ok());
  auto ping = tx->webhooks().EnqueueDelivery(MakeEvent(acc1, "ping"), w.id, 0);
  ASSERT_TRUE(ping.ok());
  EXPECT_EQ(tx->webhooks().EnqueueDelivery(MakeEvent(acc2, "ping"), w.id, 0).error().code,
            core::ErrorCode::kNotFound);
  auto jobs = tx->webhooks().ClaimDeliveries("A", 10, 100, 10);
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].delivery_id, *ping);
  EXPECT_EQ((*jobs)[0].event_type, "ping");
}

TEST_F(WebhookStoreTest, DeletingAWebhookDeletesItsDeliveriesAndAttempts) {
  auto w = MakeWebhook({});
  auto tx = Begin();
  ASSERT_TRUE(tx->webhooks().Insert(acc1, w).ok());
  ASSERT_EQ(*tx->webhooks().EnqueueEvent(MakeEvent(acc1, "lead.created"), 0), 1);
  auto jobs = *tx->webhooks().ClaimDeliveries("A", 10, 100, 10);
  domain::AttemptRecord r{acc1, w.id, jobs[0].delivery_id, {}, domain::DeliveryState::kFailed};
  r.attempt.attempt = 1;
  ASSERT_TRUE(*tx->webhooks().RecordAttempt("A", r));
  ASSERT_TRUE(*tx->webhooks().Delete(acc1, w.id));
  ASSERT_TRUE(tx->webhooks().Insert(acc1, w).ok());  // same id again: nothing left behind
  EXPECT_TRUE(tx->webhooks().ListDeliveries(acc1, w.id, 10)->empty());
}

}  // namespace
}  // namespace klozeo::storage
