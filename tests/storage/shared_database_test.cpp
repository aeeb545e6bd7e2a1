// Several server processes on one database, at the storage level: each "process" is its own
// storage::Database (its own connection pool) opened on the same database. Runs on SQLite and,
// as the `.pg` variants, on PostgreSQL.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "app/wiring.h"
#include "core/ids.h"
#include "service/lead_service.h"
#include "support/test_server.h"

namespace klozeo::storage {
namespace {

const domain::AccountKey acc1{1};  // the key the database gives the first account

std::unique_ptr<Database> Open(const std::string& url) {
  auto db = app::OpenDatabase(url, 4);
  EXPECT_TRUE(db.ok()) << (db.ok() ? "" : db.error().message);
  return db.ok() ? std::move(*db) : nullptr;
}

class SharedDatabase : public ::testing::Test {
 protected:
  void SetUp() override {
    first_ = Open(database_.url());
    second_ = Open(database_.url());  // migrations already applied: a no-op
    ASSERT_TRUE(first_ && second_);
    auto tx = first_->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    ASSERT_EQ(*(*tx)->accounts().Insert({"acc1", "a1", "free", 1}), acc1);
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  Database& db(int i) { return i % 2 == 0 ? *first_ : *second_; }

  testing::TestDatabase database_;
  std::unique_ptr<Database> first_;
  std::unique_ptr<Database> second_;
};

// The dedup pattern of POST /leads (look the key up, insert when absent, in one write
// transaction) from 8 threads over two pools ends with one lead per key.
TEST_F(SharedDatabase, CheckThenInsertInAWriteTxIsSerialisedPerAccount) {
  constexpr int kThreads = 8;
  constexpr int kKeys = 5;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kKeys; ++k) {
        auto tx = db(t).Begin(TxMode::kWrite);
        if (!tx.ok()) {
          ++failures;
          continue;
        }
        std::string email = "dup" + std::to_string(k) + "@example.com";
        auto found = (*tx)->leads().FindIdByKey(acc1, DedupKey::kEmail, email);
        if (!found.ok()) {
          ++failures;
          continue;
        }
        if (*found) continue;  // rolled back on destruction
        domain::Lead lead;
        lead.id = "cl_" + core::NewUuidV7();
        lead.name = "Dup " + std::to_string(k);
        lead.source = "test";
        lead.text[domain::kEmail] = email;
        lead.created_at = lead.updated_at = lead.last_interaction_at = 1;
        if (!(*tx)
                 ->leads()
                 .Insert(acc1, lead, service::LeadKeysOf(lead, dedup::PhoneNormalizer()))
                 .ok() ||
            !(*tx)->Commit().ok())
          ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto tx = first_->Begin(TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ(*(*tx)->leads().Count(acc1, 1000), kKeys);
}

// Dispatchers in two processes claiming the same outbox at once: every delivery is claimed by
// exactly one of them.
TEST_F(SharedDatabase, ConcurrentClaimsTakeEachDeliveryOnce) {
  constexpr int kEvents = 60;
  {
    auto tx = first_->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    domain::Webhook w;
    w.id = core::NewUuidV7();
    w.url = "http://127.0.0.1:9/hook";
    w.created_at = w.updated_at = 1;
    ASSERT_TRUE((*tx)->webhooks().Insert(acc1, w).ok());
    for (int i = 0; i < kEvents; ++i) {
      domain::WebhookEvent e{core::NewUuidV7(), acc1, "lead.created", "{}", 1};
      ASSERT_EQ(*(*tx)->webhooks().EnqueueEvent(e, 10 + i), 1);
    }
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  std::mutex mu;
  std::vector<std::string> claimed;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      std::string worker = "worker" + std::to_string(t);
      while (true) {
        auto tx = db(t).Begin(TxMode::kWrite);
        if (!tx.ok()) {
          ++failures;
          return;
        }
        auto jobs = (*tx)->webhooks().ClaimDeliveries(worker, 1000, 1000000, 3);
        if (!jobs.ok() || !(*tx)->Commit().ok()) {
          ++failures;
          return;
        }
        if (jobs->empty()) return;
        std::lock_guard<std::mutex> lock(mu);
        for (const auto& j : *jobs) claimed.push_back(j.delivery_id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  std::set<std::string> unique(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kEvents));
  EXPECT_EQ(unique.size(), static_cast<size_t>(kEvents));
}

// U+0000 in text: SQLite stores it; PostgreSQL text cannot, so the store refuses it with a
// BadRequest (a 400 naming the problem) instead of cutting the value short.
TEST_F(SharedDatabase, TextWithNulIsKeptOrRefusedNeverTruncated) {
  domain::Lead lead;
  lead.id = "cl_" + core::NewUuidV7();
  lead.name = std::string("a\0b", 3);
  lead.source = "test";
  lead.created_at = lead.updated_at = lead.last_interaction_at = 1;
  auto tx = first_->Begin(TxMode::kWrite);
  ASSERT_TRUE(tx.ok());
  core::Status inserted =
      (*tx)->leads().Insert(acc1, lead, service::LeadKeysOf(lead, dedup::PhoneNormalizer()));
  if (testing::TestDatabase::PostgresRequested()) {
    ASSERT_FALSE(inserted.ok());
    EXPECT_EQ(inserted.error().code, core::ErrorCode::kBadRequest);
    EXPECT_NE(inserted.error().message.find("U+0000"), std::string::npos);
    // The bulk path (COPY) refuses it the same way.
    tx->reset();  // rolled back: its account lock is free
    domain::Lead other = lead;
    other.id = "cl_" + core::NewUuidV7();
    auto keys = service::LeadKeysOf(lead, dedup::PhoneNormalizer());
    auto bulk = first_->Begin(TxMode::kWrite);
    ASSERT_TRUE(bulk.ok());
    inserted = (*bulk)->leads().InsertMany(acc1, {lead, other}, {keys, keys});
    ASSERT_FALSE(inserted.ok());
    EXPECT_EQ(inserted.error().code, core::ErrorCode::kBadRequest);
    return;
  }
  ASSERT_TRUE(inserted.ok());
  ASSERT_TRUE((*tx)->Commit().ok());
  auto read = first_->Begin(TxMode::kRead);
  auto got = (*read)->leads().Get(acc1, lead.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->name, lead.name);
}

}  // namespace
}  // namespace klozeo::storage
