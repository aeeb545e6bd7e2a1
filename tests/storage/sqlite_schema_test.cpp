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
