// What only SQLite checks: the store's dedup lookups (the real statements, rendered for SQLite)
// each seeking an index. Writing and finding the keys runs on both backends in store_test.cpp;
// refused schemas in schema_test.cpp; the upgrade from the previous release in upgrade_test.cpp.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "storage/sql/dialect.h"
#include "storage/sql/statements.h"
#include "storage/sqlite/sqlite_store.h"
#include "support/test_server.h"

namespace klozeo::storage::sqlite {
namespace {

std::unique_ptr<Database> Open(const std::string& path) {
  Options options;
  options.path = path;
  options.pool_size = 2;
  auto db = OpenDatabase(options);
  EXPECT_TRUE(db.ok()) << (db.ok() ? "" : db.error().message);
  return std::move(*db);
}

std::string QueryPlan(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string plan;
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, (std::string("EXPLAIN QUERY PLAN ") + sql).c_str(), -1, &stmt,
                               nullptr),
            SQLITE_OK);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
    plan += "\n";
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return plan;
}

std::string Scalar(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::string out;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

// Version 20 merges the trigram index into one segment and has FTS5 merge a level at 8
// segments (storage/sql/schema.h): a database from before it (several segments, the default of
// 4, as version 12's build and later flushes leave it) comes out merged, its rows still found.
TEST(SqliteSchema, TheTrigramIndexIsMergedOnceAndMergesAtEightSegments) {
  testing::TempDir dir;
  auto path = (dir.path() / "k.db").string();
  { auto db = Open(path); }
  EXPECT_EQ(Scalar(path, "SELECT v FROM lead_text_config WHERE k = 'automerge'"), "8");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  // Back to the state before version 20: three transactions, three segments.
  for (const char* sql : {"INSERT INTO lead_text (lead_text, rank) VALUES ('automerge', 4)",
                          "DELETE FROM schema_migrations WHERE version = 20",
                          "INSERT INTO lead_text (rowid, name) VALUES (1, 'south shore academy')",
                          "INSERT INTO lead_text (rowid, name) VALUES (2, 'south loop')",
                          "INSERT INTO lead_text (rowid, name) VALUES (3, 'mckay elementary')"}) {
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  }
  sqlite3_close(db);
  ASSERT_EQ(Scalar(path, "SELECT count(DISTINCT segid) FROM lead_text_idx"), "3");
  { auto reopened = Open(path); }
  EXPECT_EQ(Scalar(path, "SELECT count(DISTINCT segid) FROM lead_text_idx"), "1");
  EXPECT_EQ(Scalar(path, "SELECT v FROM lead_text_config WHERE k = 'automerge'"), "8");
  EXPECT_EQ(Scalar(path, "SELECT count(*) FROM schema_migrations WHERE version = 20"), "1");
  EXPECT_EQ(Scalar(path,
                   "SELECT group_concat(rowid) FROM lead_text WHERE lead_text MATCH "
                   "'\"south\"'"),
            "1,2");
}

TEST(DedupStore, EveryLookupUsesAnIndex) {
  testing::TempDir dir;
  auto path = (dir.path() / "k.db").string();
  { auto db = Open(path); }
  for (const char* statement : {sql::kFindByEmailKey, sql::kFindBySourceId, sql::kFindByNameCityKey,
                                sql::kFindDedupByPhone}) {
    const std::string text = RenderSql(statement, Dialect::kSqlite);
    std::string plan = QueryPlan(path, text.c_str());
    EXPECT_NE(plan.find("INDEX leads_"), std::string::npos) << text << "\n" << plan;
    EXPECT_EQ(plan.find("SCAN"), std::string::npos) << text << "\n" << plan;
  }
  // Migration 9's (dedup) lookups: by primary key or the match-key index, never a scan of a table.
  for (const char* statement : {sql::kFindDedupByPhone, sql::kFindByMatchKey, sql::kTokenCounts,
                                sql::kListDismissed, sql::kListMerges, sql::kLeadName}) {
    const std::string text = RenderSql(statement, Dialect::kSqlite);
    std::string plan = QueryPlan(path, text.c_str());
    EXPECT_NE(plan.find("SEARCH"), std::string::npos) << text << "\n" << plan;
    for (const char* table : {"SCAN leads", "SCAN name_tokens", "SCAN lead_match_keys",
                              "SCAN lead_merges", "SCAN dedup_dismissals"}) {
      EXPECT_EQ(plan.find(table), std::string::npos) << text << "\n" << plan;
    }
  }
}

}  // namespace
}  // namespace klozeo::storage::sqlite
