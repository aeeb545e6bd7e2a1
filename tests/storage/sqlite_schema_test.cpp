// What only the SQLite schema has: migration 4 backfilling the dedup key columns of existing
// rows, and the store's dedup lookups (the real statements, rendered for SQLite) each seeking an
// index. Writing and finding the keys runs on both backends in store_test.cpp.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "service/lead_service.h"
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

domain::Lead MakeLead(const std::string& id) {
  domain::Lead lead;
  lead.id = id;
  lead.name = "Acme Corporation";
  lead.source = "test";
  lead.text[domain::kEmail] = " Sales@ACME.com";
  lead.text[domain::kPhone] = "(415) 555-2671";
  lead.text[domain::kCity] = "San Francisco";
  return lead;
}

void RunSql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
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

void ExpectFound(Database& db, const std::string& id) {
  auto tx = db.Begin(TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  auto by_email = (*tx)->leads().FindIdByKey("acct", DedupKey::kEmail, "sales@acme.com");
  ASSERT_TRUE(by_email.ok());
  EXPECT_EQ(by_email->value_or(""), id);
  auto by_city =
      (*tx)->leads().FindIdByKey("acct", DedupKey::kNameCity, "acme corporation\nsan francisco");
  ASSERT_TRUE(by_city.ok());
  EXPECT_EQ(by_city->value_or(""), id);
  auto by_phone = (*tx)->leads().FindByPhoneKey("acct", "+14155552671", 10);
  ASSERT_TRUE(by_phone.ok());
  ASSERT_EQ(by_phone->size(), 1u);
  EXPECT_EQ((*by_phone)[0].first, id);
  EXPECT_EQ((*by_phone)[0].second, "Acme Corporation");
  // Another account sees nothing.
  auto foreign = (*tx)->leads().FindIdByKey("other", DedupKey::kEmail, "sales@acme.com");
  ASSERT_TRUE(foreign.ok());
  EXPECT_FALSE(foreign->has_value());
}

TEST(DedupStore, MigrationBackfillsExistingRows) {
  testing::TempDir dir;
  auto path = (dir.path() / "k.db").string();
  const std::string id = "cl_00000000-0000-7000-8000-000000000002";
  {
    auto db = Open(path);
    auto tx = db->Begin(TxMode::kWrite);
    ASSERT_TRUE((*tx)
                    ->leads()
                    .Insert("acct", MakeLead(id),
                            service::LeadKeysOf(MakeLead(id), dedup::PhoneNormalizer()))
                    .ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  // Back to the schema before migration 4, with the row already there.
  RunSql(path,
         "DROP INDEX leads_email_key; DROP INDEX leads_phone_key; DROP INDEX leads_name_city_key;"
         "ALTER TABLE leads DROP COLUMN email_key; ALTER TABLE leads DROP COLUMN phone_key;"
         "ALTER TABLE leads DROP COLUMN name_city_key;"
         "DELETE FROM schema_migrations WHERE version = 4;");
  auto db = Open(path);
  ExpectFound(*db, id);
}

// Migration 15 (issue 15): the name-token counts and match keys of leads written before it.
TEST(DedupStore, Migration15CountsTheTokensOfExistingLeads) {
  testing::TempDir dir;
  auto path = (dir.path() / "k.db").string();
  {
    auto db = Open(path);
    auto tx = db->Begin(TxMode::kWrite);
    for (const char* id :
         {"cl_00000000-0000-7000-8000-000000000003", "cl_00000000-0000-7000-8000-000000000004"}) {
      domain::Lead lead = MakeLead(id);
      lead.text[domain::kAddress] = "650 E. 85Th St";
      ASSERT_TRUE((*tx)
                      ->leads()
                      .Insert("acct", lead, service::LeadKeysOf(lead, dedup::PhoneNormalizer()))
                      .ok());
    }
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  RunSql(path,
         "DROP TABLE name_tokens; DROP TABLE lead_match_keys; DROP TABLE dedup_dismissals;"
         "DROP TABLE lead_merges; DELETE FROM schema_migrations WHERE version = 15;");
  auto db = Open(path);
  auto tx = db->Begin(TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  dedup::TokenStats stats;
  ASSERT_TRUE((*tx)->dedup().TokenStats("acct", {"acme", "corporation", "inc"}, stats).ok());
  EXPECT_EQ(stats.names, 2);
  EXPECT_EQ(stats.counts["acme"], 2);
  EXPECT_EQ(stats.counts["corporation"], 2);
  EXPECT_FALSE(stats.counts.contains("inc"));
  auto by_address = (*tx)->dedup().FindByMatchKey("acct", MatchKey::kAddress, "650 85", 10);
  ASSERT_TRUE(by_address.ok());
  EXPECT_EQ(by_address->size(), 2u);
}

TEST(DedupStore, EveryLookupUsesAnIndex) {
  testing::TempDir dir;
  auto path = (dir.path() / "k.db").string();
  { auto db = Open(path); }
  for (const char* statement : {sql::kFindByEmailKey, sql::kFindBySourceId, sql::kFindByNameCityKey,
                                sql::kFindByPhoneKey}) {
    const std::string text = RenderSql(statement, Dialect::kSqlite);
    std::string plan = QueryPlan(path, text.c_str());
    EXPECT_NE(plan.find("INDEX leads_"), std::string::npos) << text << "\n" << plan;
    EXPECT_EQ(plan.find("SCAN"), std::string::npos) << text << "\n" << plan;
  }
  // Migration 15's lookups: by primary key or the match-key index, never a scan of a table.
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
