// The SQLite store's write path (storage/sqlite/sqlite_store.cpp): write transactions queue for
// the one writer connection; migrations apply by their own version, whatever order they arrive.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core/ids.h"
#include "query/plan.h"
#include "service/lead_service.h"
#include "storage/sqlite/sqlite_store.h"
#include "support/test_server.h"

namespace klozeo::storage::sqlite {
namespace {

const domain::AccountKey acct{1};  // the key the database gives the first account

std::unique_ptr<Database> Open(const std::string& path) {
  Options options;
  options.path = path;
  options.pool_size = 4;
  auto db = OpenDatabase(options);
  EXPECT_TRUE(db.ok()) << (db.ok() ? "" : db.error().message);
  return std::move(*db);
}

std::vector<std::string> Column(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::vector<std::string> out;
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

void RunSql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

TEST(SqliteWriter, ConcurrentWriteTransactionsAllCommit) {
  testing::TempDir dir;
  auto path = (dir.path() / "w.db").string();
  auto db = Open(path);
  constexpr int kThreads = 6;
  constexpr int kLeadsEach = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kLeadsEach; ++i) {
        auto tx = db->Begin(TxMode::kWrite);
        if (!tx.ok()) {
          ++failures;
          continue;
        }
        domain::Lead lead;
        lead.id = core::NewLeadId();
        lead.name = "Lead " + lead.id;
        lead.source = "test";
        if (!(*tx)
                 ->leads()
                 .Insert(acct, lead, service::LeadKeysOf(lead, dedup::PhoneNormalizer()))
                 .ok() ||
            !(*tx)->Commit().ok())
          ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto tx = db->Begin(TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ(*(*tx)->leads().Count(acct, 1'000'000), kThreads * kLeadsEach);
}

TEST(SqliteWriter, AnUncommittedWriteRollsBackAndFreesTheWriter) {
  testing::TempDir dir;
  auto path = (dir.path() / "w.db").string();
  auto db = Open(path);
  {
    auto tx = db->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    domain::Lead lead;
    lead.id = core::NewLeadId();
    lead.name = "Dropped";
    lead.source = "test";
    ASSERT_TRUE((*tx)
                    ->leads()
                    .Insert(acct, lead, service::LeadKeysOf(lead, dedup::PhoneNormalizer()))
                    .ok());
  }  // destroyed without Commit
  auto tx = db->Begin(TxMode::kWrite);
  ASSERT_TRUE(tx.ok()) << tx.error().message;
  EXPECT_EQ(*(*tx)->leads().Count(acct, 10), 0);
}

// The trigram index: a single lead is left pending (indexed with others every 128th); a batch
// indexes the pending leads, then writes its own rows indexed under rowids of their own.
TEST(SqliteWriter, ABatchIndexesThePendingLeadsAndItsOwn) {
  testing::TempDir dir;
  auto path = (dir.path() / "t.db").string();
  auto db = Open(path);
  auto lead = [](std::string name) {
    domain::Lead l;
    l.id = core::NewLeadId();
    l.name = std::move(name);
    l.source = "test";
    return l;
  };
  auto keys = [](const domain::Lead& l) {
    return service::LeadKeysOf(l, dedup::PhoneNormalizer());
  };
  for (const char* name : {"Single One", "Single Two", "Single Three"}) {
    auto tx = db->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->leads().Insert(acct, lead(name), keys(lead(name))).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  EXPECT_EQ(Column(path, "SELECT count(*) FROM lead_text_rows WHERE pending = 1"),
            std::vector<std::string>{"3"});
  std::vector<domain::Lead> batch;
  std::vector<dedup::LeadKeys> batch_keys;
  for (const char* name : {"Batch Alpha", "Batch Beta", "Batch Gamma", "Batch Delta"}) {
    batch.push_back(lead(name));
    batch_keys.push_back(keys(batch.back()));
  }
  {
    auto tx = db->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->ShareFate().ok());
    ASSERT_TRUE((*tx)->leads().InsertMany(acct, batch, batch_keys).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  EXPECT_EQ(Column(path,
                   "SELECT count(*) || '/' || count(DISTINCT rid) || '/' || sum(pending) "
                   "FROM lead_text_rows"),
            std::vector<std::string>{"7/7/0"});
  auto found = [&](const char* term) {
    std::string sql =
        "SELECT l.name FROM lead_text_rows r JOIN leads l ON l.account_key = r.account_key AND "
        "l.id = r.lead_id WHERE r.rid IN (SELECT rowid FROM lead_text WHERE lead_text MATCH '" +
        std::string(term) + "') ORDER BY l.name";
    return Column(path, sql.c_str());
  };
  EXPECT_EQ(found("ngle"), (std::vector<std::string>{"Single One", "Single Three", "Single Two"}));
  EXPECT_EQ(found("atch"),
            (std::vector<std::string>{"Batch Alpha", "Batch Beta", "Batch Delta", "Batch Gamma"}));
  EXPECT_EQ(found("gamm"), std::vector<std::string>{"Batch Gamma"});
}

// Single leads: the 128th row (its rid a multiple of 128) indexes every pending one, itself
// included, and the creates between index nothing (InsertLeads checks the new rid first).
TEST(SqliteWriter, EveryHundredTwentyEighthSingleLeadIndexesThePendingOnes) {
  testing::TempDir dir;
  auto path = (dir.path() / "t.db").string();
  auto db = Open(path);
  auto insert = [&](const std::string& name) {
    domain::Lead l;
    l.id = core::NewLeadId();
    l.name = name;
    l.source = "test";
    auto tx = db->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(
        (*tx)->leads().Insert(acct, l, service::LeadKeysOf(l, dedup::PhoneNormalizer())).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  };
  auto pending = [&] {
    return Column(path, "SELECT count(*) || '/' || sum(pending) FROM lead_text_rows");
  };
  for (int i = 1; i <= 127; ++i) insert("Pending Name " + std::to_string(i));
  EXPECT_EQ(pending(), std::vector<std::string>{"127/127"});
  auto indexed = [&] {
    return Column(path, "SELECT count(*) FROM lead_text WHERE lead_text MATCH 'ndin'");
  };
  EXPECT_EQ(indexed(), std::vector<std::string>{"0"});
  insert("Pending Name 128");
  EXPECT_EQ(pending(), std::vector<std::string>{"128/0"});
  insert("Pending Name 129");
  EXPECT_EQ(pending(), std::vector<std::string>{"129/1"});
  EXPECT_EQ(indexed(), std::vector<std::string>{"128"});
}

// The list planner names indexes to SQLite (INDEXED BY); a missing one would fail the query.
TEST(SqliteWriter, EveryIndexThePlannerNamesExists) {
  testing::TempDir dir;
  auto path = (dir.path() / "p.db").string();
  { auto db = Open(path); }
  for (std::string_view name : query::PlanIndexNames()) {
    // The score's index is lead_scores' own on SQLite (schema 24; sql_compiler.cpp FromIndex).
    if (name == "leads_score") name = "lead_scores_order";
    std::string sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND name = '" +
                      std::string(name) + "'";
    EXPECT_FALSE(Column(path, sql.c_str()).empty()) << name;
  }
}

TEST(SqliteWriter, ACurrentSchemaOpensUnchanged) {
  testing::TempDir dir;
  auto path = (dir.path() / "m.db").string();
  { auto db = Open(path); }
  // A version this build does not know (another branch's later migration) stops nothing, and
  // nothing is applied twice.
  RunSql(path, "INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0);");
  { auto db = Open(path); }
  EXPECT_EQ(Column(path, "SELECT version FROM schema_migrations ORDER BY version"),
            (std::vector<std::string>{"8", "9", "10", "11", "12", "13", "14", "16", "20", "21",
                                      "22", "23", "24", "25", "99"}));
  EXPECT_EQ(Column(path, "SELECT count(*) FROM sqlite_master WHERE name = 'leads_created'"),
            (std::vector<std::string>{"1"}));
}

}  // namespace
}  // namespace klozeo::storage::sqlite
