// Write transactions that queue together (SQLite: they share one transaction and one COMMIT,
// each in a savepoint; docs/GROUP-COMMIT.md). Whatever the backend: a Tx whose Commit returned
// is durable and visible to another pool at once, a Tx dropped without Commit leaves nothing,
// and a later Tx sees what an earlier one wrote. Runs on SQLite and, as `.pg`, on PostgreSQL.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
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

domain::Lead NewLead(const std::string& name, const std::string& email = "") {
  domain::Lead lead;
  lead.id = core::NewLeadId();
  lead.name = name;
  lead.source = "test";
  if (!email.empty()) lead.text[domain::kEmail] = email;
  lead.created_at = lead.updated_at = lead.last_interaction_at = 1;
  return lead;
}

core::Status Insert(Tx& tx, const domain::Lead& lead) {
  return tx.leads().Insert(acc1, lead, service::LeadKeysOf(lead, dedup::PhoneNormalizer()));
}

bool Exists(Database& db, const std::string& id) {
  auto tx = db.Begin(TxMode::kRead);
  if (!tx.ok()) return false;
  auto lead = (*tx)->leads().Get(acc1, id);
  return lead.ok() && lead->has_value();
}

class GroupCommit : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = Open(database_.url());
    checker_ = Open(database_.url());  // another pool: sees only what was committed
    ASSERT_TRUE(db_ && checker_);
    auto tx = db_->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    ASSERT_EQ(*(*tx)->accounts().Insert({"acc1", "a1", "free", 1}), acc1);
    ASSERT_TRUE((*tx)->Commit().ok());
  }

  // The writer takes and commits a new lead (after a failed group, it must be usable again).
  void ExpectWriterUsable() {
    const domain::Lead after = NewLead("After");
    auto again = db_->Begin(TxMode::kWrite);
    ASSERT_TRUE(again.ok());
    ASSERT_TRUE(Insert(**again, after).ok());
    ASSERT_TRUE((*again)->Commit().ok());
    EXPECT_TRUE(Exists(*checker_, after.id));
  }

  testing::TestDatabase database_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Database> checker_;
};

// Three writers queue behind a first one that holds the writer for a while: on SQLite they
// join its transaction. The second inserts and then rolls back; the first, third and fourth
// commit. Each committed lead is visible to another pool as soon as its Commit returns; the
// rolled-back one never is.
TEST_F(GroupCommit, ARollbackInsideAGroupUndoesOnlyItsOwnWrites) {
  const domain::Lead first = NewLead("First");
  const domain::Lead dropped = NewLead("Dropped");
  const domain::Lead third = NewLead("Third");
  const domain::Lead fourth = NewLead("Fourth");
  std::atomic<int> failures{0};
  std::atomic<bool> third_seen_committed{false};
  std::vector<std::thread> threads;
  auto tx = db_->Begin(TxMode::kWrite);
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(Insert(**tx, first).ok());
  threads.emplace_back([&] {
    auto t = db_->Begin(TxMode::kWrite);
    if (!t.ok() || !Insert(**t, dropped).ok()) ++failures;
    // Dropped without Commit: rolled back.
  });
  threads.emplace_back([&] {
    auto t = db_->Begin(TxMode::kWrite);
    if (!t.ok() || !Insert(**t, third).ok() || !(*t)->Commit().ok()) {
      ++failures;
      return;
    }
    third_seen_committed = Exists(*checker_, third.id);
  });
  threads.emplace_back([&] {
    auto t = db_->Begin(TxMode::kWrite);
    if (!t.ok() || !Insert(**t, fourth).ok() || !(*t)->Commit().ok()) ++failures;
  });
  // Let the others queue behind this transaction (SQLite: for the writer).
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(Exists(*checker_, first.id));  // not committed yet
  ASSERT_TRUE((*tx)->Commit().ok());
  EXPECT_TRUE(Exists(*checker_, first.id));  // committed once Commit returned
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_TRUE(third_seen_committed.load());
  EXPECT_TRUE(Exists(*checker_, third.id));
  EXPECT_TRUE(Exists(*checker_, fourth.id));
  EXPECT_FALSE(Exists(*checker_, dropped.id));
  auto read = checker_->Begin(TxMode::kRead);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*(*read)->leads().Count(acc1, 100), 3);
}

// Many writers at once, each committing or rolling back: every committed lead is visible to
// another pool when its Commit returns, none of the rolled-back ones ever is, and a lookup
// inside a write sees every lead committed (or queued in the same group) before it: one lead
// per e-mail key, however the writes were grouped.
TEST_F(GroupCommit, ConcurrentWritesCommitExactlyWhatTheyAcknowledge) {
  constexpr int kThreads = 12;
  constexpr int kEach = 30;
  constexpr int kKeys = 7;
  std::atomic<int> failures{0};
  std::atomic<int> invisible{0};
  std::mutex mu;
  std::vector<std::string> committed;
  std::vector<std::string> rolled_back;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto tx = db_->Begin(TxMode::kWrite);
        if (!tx.ok()) {
          ++failures;
          continue;
        }
        const int n = t * kEach + i;
        if (n % 3 == 0) {  // the dedup pattern: look the key up, insert when absent
          const std::string email = "same" + std::to_string(n % kKeys) + "@example.com";
          auto found = (*tx)->leads().FindIdByKey(acc1, DedupKey::kEmail, email);
          if (!found.ok()) {
            ++failures;
            continue;
          }
          if (*found) continue;
          const domain::Lead lead = NewLead("Same", email);
          if (!Insert(**tx, lead).ok() || !(*tx)->Commit().ok()) {
            ++failures;
            continue;
          }
          if (!Exists(*checker_, lead.id)) ++invisible;
          std::lock_guard<std::mutex> lock(mu);
          committed.push_back(lead.id);
          continue;
        }
        const domain::Lead lead = NewLead("Lead " + std::to_string(n));
        if (!Insert(**tx, lead).ok()) {
          ++failures;
          continue;
        }
        if (n % 3 == 1) {
          tx->reset();  // rolled back
          std::lock_guard<std::mutex> lock(mu);
          rolled_back.push_back(lead.id);
          continue;
        }
        if (!(*tx)->Commit().ok()) {
          ++failures;
          continue;
        }
        if (!Exists(*checker_, lead.id)) ++invisible;
        std::lock_guard<std::mutex> lock(mu);
        committed.push_back(lead.id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(invisible.load(), 0);
  for (const auto& id : rolled_back) EXPECT_FALSE(Exists(*checker_, id)) << id;
  auto read = checker_->Begin(TxMode::kRead);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*(*read)->leads().Count(acc1, 10000), static_cast<int64_t>(committed.size()));
  std::set<std::string> emails;
  for (int k = 0; k < kKeys; ++k) {
    auto found = (*read)->leads().FindIdByKey(acc1, DedupKey::kEmail,
                                              "same" + std::to_string(k) + "@example.com");
    ASSERT_TRUE(found.ok());
    EXPECT_TRUE(found->has_value()) << k;
  }
  // kThreads * kEach / 3 dedup attempts over kKeys keys: exactly kKeys leads carry them.
  const int plain = kThreads * kEach - (kThreads * kEach + 2) / 3 - (kThreads * kEach + 1) / 3;
  EXPECT_EQ(static_cast<int>(committed.size()), kKeys + plain);
}

// A write that shares its group's fate (ShareFate: a bulk insert spared its savepoint) and then
// fails takes every write of its commit down with it, and each of those is told so: nothing is
// acknowledged that is not stored. The first writer holds the writer while a second (a plain
// commit) and a third (ShareFate, insert, dropped) queue behind it. Whatever their order, a
// Commit that returned OK is visible and one that failed left nothing; the dropped lead never
// exists. On SQLite the first writer shares the group with the third, so its Commit fails; on
// PostgreSQL every transaction stands alone and only the third's work is undone.
TEST_F(GroupCommit, AFailedWriteThatSharedTheGroupsFateFailsTheWholeGroup) {
  const domain::Lead first = NewLead("First");
  const domain::Lead second = NewLead("Second");
  const domain::Lead bulk = NewLead("Bulk");
  std::atomic<int> second_committed{-1};  // 1 committed, 0 Commit failed
  std::atomic<int> unexpected{0};
  auto tx = db_->Begin(TxMode::kWrite);
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(Insert(**tx, first).ok());
  std::thread second_writer([&] {
    auto t = db_->Begin(TxMode::kWrite);
    if (!t.ok() || !Insert(**t, second).ok()) {
      ++unexpected;
      return;
    }
    second_committed = (*t)->Commit().ok() ? 1 : 0;
  });
  std::thread bulk_writer([&] {
    auto t = db_->Begin(TxMode::kWrite);
    if (!t.ok() || !(*t)->ShareFate().ok() || !Insert(**t, bulk).ok()) ++unexpected;
    // Dropped without Commit, as a bulk insert that failed half-way would be.
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const bool first_committed = (*tx)->Commit().ok();
  second_writer.join();
  bulk_writer.join();
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_EQ(Exists(*checker_, first.id), first_committed);
  ASSERT_NE(second_committed.load(), -1);
  EXPECT_EQ(Exists(*checker_, second.id), second_committed.load() == 1);
  EXPECT_FALSE(Exists(*checker_, bulk.id));
  if (db_->Dialect() == "sqlite") {
    EXPECT_FALSE(first_committed);
  } else {
    EXPECT_TRUE(first_committed);
    EXPECT_EQ(second_committed.load(), 1);
  }
  // The writer is usable again afterwards.
  ExpectWriterUsable();
}

// A bulk write that shares its group's fate and commits is stored with the rest of its group.
TEST_F(GroupCommit, AWriteThatSharedTheGroupsFateCommitsWithItsGroup) {
  const domain::Lead first = NewLead("First");
  const domain::Lead bulk = NewLead("Bulk");
  std::atomic<bool> bulk_ok{false};
  auto tx = db_->Begin(TxMode::kWrite);
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(Insert(**tx, first).ok());
  std::thread bulk_writer([&] {
    auto t = db_->Begin(TxMode::kWrite);
    bulk_ok = t.ok() && (*t)->ShareFate().ok() && Insert(**t, bulk).ok() && (*t)->Commit().ok();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE((*tx)->Commit().ok());
  bulk_writer.join();
  EXPECT_TRUE(bulk_ok.load());
  EXPECT_TRUE(Exists(*checker_, first.id));
  EXPECT_TRUE(Exists(*checker_, bulk.id));
}

// A lead whose two attributes share an id breaks the attributes' primary key in the
// multi-row INSERT that stores them.
domain::Lead WithClashingAttributes(const std::string& name) {
  domain::Lead lead = NewLead(name);
  for (const char* attribute : {"a", "b"}) {
    lead.attributes.push_back({"3f2b8c1e-0000-4000-8000-000000000001", attribute,
                               domain::AttributeType::kText, nlohmann::json("x")});
  }
  return lead;
}

// A single write that fails inside a group (its multi-row attribute INSERT breaks a
// constraint) undoes its own work alone: on SQLite its savepoint guards it.
TEST_F(GroupCommit, ASingleWriteFailingInAMultiRowInsertLeavesItsGroup) {
  const domain::Lead first = NewLead("First");
  const domain::Lead clash = WithClashingAttributes("Clash");
  std::atomic<int> insert_failed{-1};
  auto tx = db_->Begin(TxMode::kWrite);
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(Insert(**tx, first).ok());
  std::thread second([&] {
    auto t = db_->Begin(TxMode::kWrite);
    insert_failed = t.ok() && !Insert(**t, clash).ok() ? 1 : 0;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE((*tx)->Commit().ok());
  second.join();
  EXPECT_EQ(insert_failed.load(), 1);
  EXPECT_TRUE(Exists(*checker_, first.id));
  EXPECT_FALSE(Exists(*checker_, clash.id));
}

// A bulk write past ShareFate whose multi-row INSERT breaks a constraint fails, stores none
// of its leads, and leaves the writer usable.
TEST_F(GroupCommit, ABulkWriteBreakingAConstraintStoresNothing) {
  std::vector<domain::Lead> leads;
  for (int i = 0; i < 5; ++i) leads.push_back(NewLead("Bulk " + std::to_string(i)));
  leads.push_back(WithClashingAttributes("Clash"));
  std::vector<dedup::LeadKeys> keys;
  for (const auto& lead : leads)
    keys.push_back(service::LeadKeysOf(lead, dedup::PhoneNormalizer()));
  {
    auto tx = db_->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->ShareFate().ok());
    EXPECT_FALSE((*tx)->leads().InsertMany(acc1, leads, keys).ok());
  }
  for (const auto& lead : leads) EXPECT_FALSE(Exists(*checker_, lead.id)) << lead.name;
  ExpectWriterUsable();
}

// Database::Write (SQLite: the thread holding the writer runs the queued works back to back)
// beside plain write Tx, many at once: a work that returns OK is committed and visible to
// another pool when Write returns; a work that fails (an error, or an exception) leaves nothing
// and is answered with its error, without touching the works grouped with it; the dedup
// pattern inside a work sees every write queued before it (one lead per e-mail key).
TEST_F(GroupCommit, WritesRunByTheWriterCommitExactlyWhatTheyAcknowledge) {
  constexpr int kThreads = 12;
  constexpr int kEach = 30;
  constexpr int kKeys = 5;
  std::atomic<int> failures{0};
  std::atomic<int> invisible{0};
  std::atomic<int> wrong_error{0};
  std::mutex mu;
  std::vector<std::string> committed;
  std::vector<std::string> failed;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const int n = t * kEach + i;
        const domain::Lead lead = NewLead("Lead " + std::to_string(n));
        if (n % 5 == 4) {  // a plain Tx among the works
          auto tx = db_->Begin(TxMode::kWrite);
          if (!tx.ok() || !Insert(**tx, lead).ok() || !(*tx)->Commit().ok()) {
            ++failures;
            continue;
          }
          if (!Exists(*checker_, lead.id)) ++invisible;
          std::lock_guard<std::mutex> lock(mu);
          committed.push_back(lead.id);
          continue;
        }
        if (n % 5 == 0) {  // the dedup pattern: look the key up, insert when absent
          const std::string email = "same" + std::to_string(n / 5 % kKeys) + "@example.com";
          const domain::Lead same = NewLead("Same", email);
          bool inserted = false;
          core::Status written = db_->Write([&](Tx& tx) -> core::Status {
            KLOZEO_ASSIGN_OR_RETURN(auto found,
                                    tx.leads().FindIdByKey(acc1, DedupKey::kEmail, email));
            if (found) return core::Ok();
            inserted = true;
            return Insert(tx, same);
          });
          if (!written.ok()) {
            ++failures;
            continue;
          }
          if (!inserted) continue;
          if (!Exists(*checker_, same.id)) ++invisible;
          std::lock_guard<std::mutex> lock(mu);
          committed.push_back(same.id);
          continue;
        }
        // n % 5: 1 commits, 2 fails with an error after its insert, 3 throws after it.
        const int kind = n % 5;
        core::Status written = db_->Write([&](Tx& tx) -> core::Status {
          KLOZEO_TRY(Insert(tx, lead));
          if (kind == 2) return core::Error::Conflict("refused after the insert");
          if (kind == 3) throw std::runtime_error("thrown after the insert");
          return core::Ok();
        });
        if (kind == 1) {
          if (!written.ok()) {
            ++failures;
            continue;
          }
          if (!Exists(*checker_, lead.id)) ++invisible;
          std::lock_guard<std::mutex> lock(mu);
          committed.push_back(lead.id);
          continue;
        }
        const core::ErrorCode expected =
            kind == 2 ? core::ErrorCode::kConflict : core::ErrorCode::kInternal;
        if (written.ok() || written.error().code != expected) ++wrong_error;
        std::lock_guard<std::mutex> lock(mu);
        failed.push_back(lead.id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(invisible.load(), 0);
  EXPECT_EQ(wrong_error.load(), 0);
  for (const auto& id : failed) EXPECT_FALSE(Exists(*checker_, id)) << id;
  auto read = checker_->Begin(TxMode::kRead);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*(*read)->leads().Count(acc1, 10000), static_cast<int64_t>(committed.size()));
  for (int k = 0; k < kKeys; ++k) {
    auto found = (*read)->leads().FindIdByKey(acc1, DedupKey::kEmail,
                                              "same" + std::to_string(k) + "@example.com");
    ASSERT_TRUE(found.ok());
    EXPECT_TRUE(found->has_value()) << k;
  }
  // Every fifth write is a dedup attempt over kKeys keys, two in five fail: the rest commit.
  constexpr int kTotal = kThreads * kEach;
  EXPECT_EQ(static_cast<int>(committed.size()), kKeys + kTotal / 5 * 2);
  EXPECT_EQ(static_cast<int>(failed.size()), kTotal / 5 * 2);
  ExpectWriterUsable();
}

// The answers of many async works (the two mixed-writes tests below): each work's answer is
// recorded once per call, a success checked against another pool (its write committed), a
// failure expected to be the works' Conflict.
struct AsyncAnswers {
  Database& checker;
  std::mutex mu;
  std::condition_variable all_answered;
  int answers = 0;
  int twice = 0;
  int invisible = 0;
  int failures = 0;
  int wrong_error = 0;
  std::vector<std::string> committed;
  std::vector<std::string> failed;

  // `id` empty: a success that wrote nothing (a dedup work that found its key).
  void Record(const std::string& id, const core::Status& written, bool expect_ok,
              const std::shared_ptr<std::atomic<int>>& calls) {
    const bool visible = written.ok() && !id.empty() && Exists(checker, id);
    std::lock_guard<std::mutex> lock(mu);
    if (calls->fetch_add(1) > 0) ++twice;
    ++answers;
    if (expect_ok) {
      if (!written.ok()) {
        ++failures;
      } else if (!id.empty()) {
        if (!visible) ++invisible;
        committed.push_back(id);
      }
    } else {
      if (written.ok() || written.error().code != core::ErrorCode::kConflict) ++wrong_error;
      failed.push_back(id);
    }
    all_answered.notify_all();
  }

  // Waits for `total` answers (30 s at most), then a moment for a late second one, and checks
  // each was answered once, as expected, and no failed work's lead exists.
  void ExpectAllAnsweredOnce(int total) {
    {
      std::unique_lock<std::mutex> lock(mu);
      ASSERT_TRUE(
          all_answered.wait_for(lock, std::chrono::seconds(30), [&] { return answers >= total; }));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a late second answer shows
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(answers, total);
    EXPECT_EQ(twice, 0);
    EXPECT_EQ(failures, 0);
    EXPECT_EQ(invisible, 0);
    EXPECT_EQ(wrong_error, 0);
    for (const auto& id : failed) EXPECT_FALSE(Exists(checker, id)) << id;
  }

  // Queues on `db` the insert of a new lead named `name` that, when `fails`, is refused (a
  // Conflict) after its insert; its answer is recorded here.
  void QueueInsert(Database& db, const std::string& name, bool fails,
                   std::shared_ptr<std::atomic<int>> calls, Rerun rerun) {
    auto lead = std::make_shared<domain::Lead>(NewLead(name));
    db.WriteAsync(
        [lead, fails](Tx& tx) -> core::Status {
          KLOZEO_TRY(Insert(tx, *lead));
          if (fails) return core::Error::Conflict("refused after the insert");
          return core::Ok();
        },
        [this, lead, fails, calls](core::Status written) {
          Record(lead->id, written, !fails, calls);
        },
        rerun);
  }

  // The account holds exactly the leads answered as committed, `committed_count` of them, and
  // `failed_count` works failed. Call after ExpectAllAnsweredOnce, holding `mu`.
  void ExpectStored(int committed_count, int failed_count) {
    auto read = checker.Begin(TxMode::kRead);
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(*(*read)->leads().Count(acc1, 10000), static_cast<int64_t>(committed.size()));
    EXPECT_EQ(static_cast<int>(committed.size()), committed_count);
    EXPECT_EQ(static_cast<int>(failed.size()), failed_count);
  }
};

// WriteAsync from many threads, mixed with Write and Tx writes: every work is answered exactly
// once, an answer of success comes only once its write is visible to another pool (committed),
// failed works leave nothing, and the dedup pattern stays race-free (one lead per key).
TEST_F(GroupCommit, AsyncWritesAreAnsweredOnceTheirCommitRan) {
  constexpr int kThreads = 8;
  constexpr int kEach = 40;
  constexpr int kKeys = 4;
  AsyncAnswers log{*checker_};
  std::atomic<int> dedup_inserts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const int n = t * kEach + i;
        auto calls = std::make_shared<std::atomic<int>>(0);
        if (n % 4 == 3) {  // a synchronous Write among them
          const domain::Lead lead = NewLead("Sync " + std::to_string(n));
          core::Status written = db_->Write([&](Tx& tx) { return Insert(tx, lead); });
          log.Record(lead.id, written, true, calls);
          continue;
        }
        if (n % 4 == 0) {  // the dedup pattern
          const std::string email = "async" + std::to_string(n / 4 % kKeys) + "@example.com";
          auto same = std::make_shared<domain::Lead>(NewLead("Same", email));
          auto inserted = std::make_shared<bool>(false);
          db_->WriteAsync(
              [&, same, inserted, email](Tx& tx) -> core::Status {
                KLOZEO_ASSIGN_OR_RETURN(auto found,
                                        tx.leads().FindIdByKey(acc1, DedupKey::kEmail, email));
                if (found) return core::Ok();
                *inserted = true;
                ++dedup_inserts;
                return Insert(tx, *same);
              },
              [&, same, inserted, calls](core::Status written) {
                log.Record(*inserted ? same->id : std::string(), written, true, calls);
              });
          continue;
        }
        // 1: commits; 2: fails after its insert.
        log.QueueInsert(*db_, "Async " + std::to_string(n), n % 4 == 2, calls, Rerun::kNo);
      }
    });
  }
  for (auto& t : threads) t.join();
  constexpr int kTotal = kThreads * kEach;
  log.ExpectAllAnsweredOnce(kTotal);
  std::lock_guard<std::mutex> lock(log.mu);
  EXPECT_EQ(dedup_inserts.load(), kKeys);  // each key inserted once: every lookup saw the others
  log.ExpectStored(kKeys + kTotal / 4 * 2, kTotal / 4);
  ExpectWriterUsable();
}

// Works that may run again (Rerun::kYes; SQLite runs them without a savepoint and, when one
// fails after writing, rolls the group back and runs the others again) mixed with works that
// may not, from many threads: every work is answered once, a success only once its last run's
// write is committed, a failure leaves nothing, a work that may not run again runs exactly
// once, and the dedup pattern inserts each key once (every run sees the writes queued before).
TEST_F(GroupCommit, WorksThatMayRunAgainCommitOnlyTheirLastRun) {
  constexpr int kThreads = 8;
  constexpr int kEach = 40;
  constexpr int kKeys = 4;
  AsyncAnswers log{*checker_};
  int ran_again = 0;  // runs of kNo works beyond their first
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const int n = t * kEach + i;
        auto calls = std::make_shared<std::atomic<int>>(0);
        if (n % 4 == 0) {  // the dedup pattern; `inserted` is set afresh by every run
          const std::string email = "again" + std::to_string(n / 4 % kKeys) + "@example.com";
          auto same = std::make_shared<domain::Lead>(NewLead("Same", email));
          auto inserted = std::make_shared<bool>(false);
          db_->WriteAsync(
              [&, same, inserted, email](Tx& tx) -> core::Status {
                *inserted = false;
                KLOZEO_ASSIGN_OR_RETURN(auto found,
                                        tx.leads().FindIdByKey(acc1, DedupKey::kEmail, email));
                if (found) return core::Ok();
                *inserted = true;
                return Insert(tx, *same);
              },
              [&, same, inserted, calls](core::Status written) {
                log.Record(*inserted ? same->id : std::string(), written, true, calls);
              },
              Rerun::kYes);
          continue;
        }
        if (n % 4 == 3) {  // may not run again: counts its runs
          auto lead = std::make_shared<domain::Lead>(NewLead("Once " + std::to_string(n)));
          auto runs = std::make_shared<int>(0);
          db_->WriteAsync(
              [&, lead, runs](Tx& tx) -> core::Status {
                if (++*runs > 1) {
                  std::lock_guard<std::mutex> lock(log.mu);
                  ++ran_again;
                }
                return Insert(tx, *lead);
              },
              [&, lead, calls](core::Status written) {
                log.Record(lead->id, written, true, calls);
              });
          continue;
        }
        // 1: commits; 2: fails after its insert, which is then undone with its group's.
        log.QueueInsert(*db_, "Again " + std::to_string(n), n % 4 == 2, calls, Rerun::kYes);
      }
    });
  }
  for (auto& t : threads) t.join();
  constexpr int kTotal = kThreads * kEach;
  log.ExpectAllAnsweredOnce(kTotal);
  std::lock_guard<std::mutex> lock(log.mu);
  EXPECT_EQ(ran_again, 0);
  // Each key once, and nothing but what was answered as written.
  log.ExpectStored(kKeys + kTotal / 4 * 2, kTotal / 4);
  ExpectWriterUsable();
}

// A work that may run again fails after writing while its group holds others that already ran
// (SQLite: written without a savepoint): the group is rolled back and those run again; each
// that succeeds is committed once, the failed one leaves nothing. The first work waits until
// the others are queued (SQLite), so that the four form one group.
TEST_F(GroupCommit, AFailedWorkThatMayRunAgainIsUndoneAndTheOthersRunAgain) {
  std::mutex mu;
  std::condition_variable cv;
  // Elsewhere WriteAsync runs the work before it returns: nothing to wait for.
  bool all_queued = db_->Dialect() != "sqlite";
  int answered = 0;
  std::vector<int> runs(4, 0);
  std::vector<core::Status> outcomes(4, core::Ok());
  std::vector<domain::Lead> leads;
  for (int i = 0; i < 4; ++i) leads.push_back(NewLead("Queued " + std::to_string(i)));
  for (int i = 0; i < 4; ++i) {
    db_->WriteAsync(
        [&, i](Tx& tx) -> core::Status {
          {
            std::unique_lock<std::mutex> lock(mu);
            ++runs[i];
            cv.wait(lock, [&] { return all_queued; });
          }
          KLOZEO_TRY(Insert(tx, leads[i]));
          if (i == 2) return core::Error::Conflict("refused after the insert");
          return core::Ok();
        },
        [&, i](core::Status written) {
          std::lock_guard<std::mutex> lock(mu);
          outcomes[i] = std::move(written);
          ++answered;
          cv.notify_all();
        },
        Rerun::kYes);
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    all_queued = true;
  }
  cv.notify_all();
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return answered == 4; }));
  }
  for (int i = 0; i < 4; ++i) {
    if (i == 2) {
      ASSERT_FALSE(outcomes[i].ok());
      EXPECT_EQ(outcomes[i].error().code, core::ErrorCode::kConflict);
      EXPECT_FALSE(Exists(*checker_, leads[i].id));
    } else {
      EXPECT_TRUE(outcomes[i].ok()) << i;
      EXPECT_TRUE(Exists(*checker_, leads[i].id)) << i;
    }
  }
  auto read = checker_->Begin(TxMode::kRead);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*(*read)->leads().Count(acc1, 100), 3);
  // On SQLite the two that ran before the failed one, in its group and without a savepoint, ran
  // once more; elsewhere (one transaction each) every work ran once.
  std::lock_guard<std::mutex> lock(mu);
  const bool sqlite = db_->Dialect() == "sqlite";
  EXPECT_EQ(runs[0], sqlite ? 2 : 1);
  EXPECT_EQ(runs[1], sqlite ? 2 : 1);
  EXPECT_EQ(runs[2], 1);
  EXPECT_EQ(runs[3], 1);
  ExpectWriterUsable();
}

// A work that fails: Write returns its error, nothing of it is stored, and the writer takes
// other writes (a Tx, a Write) at once.
TEST_F(GroupCommit, AFailingWriteLeavesTheWriterUsable) {
  const domain::Lead lead = NewLead("Refused");
  core::Status written = db_->Write([&](Tx& tx) -> core::Status {
    KLOZEO_TRY(Insert(tx, lead));
    return core::Error::BadRequest("no");
  });
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code, core::ErrorCode::kBadRequest);
  EXPECT_FALSE(Exists(*checker_, lead.id));
  ExpectWriterUsable();
  const domain::Lead kept = NewLead("Kept");
  ASSERT_TRUE(db_->Write([&](Tx& tx) { return Insert(tx, kept); }).ok());
  EXPECT_TRUE(Exists(*checker_, kept.id));
}

}  // namespace
}  // namespace klozeo::storage
