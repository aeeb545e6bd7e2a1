// The dedup key columns of the SQLite store (migration 4): kept on write, backfilled on
// migration, and looked up through indexes.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

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
  auto by_email = (*tx)->FindLeadIdByKey("acct", DedupKey::kEmail, "sales@acme.com");
  ASSERT_TRUE(by_email.ok());
  EXPECT_EQ(by_email->value_or(""), id);
  auto by_city =
      (*tx)->FindLeadIdByKey("acct", DedupKey::kNameCity, "acme corporation\nsan francisco");
  ASSERT_TRUE(by_city.ok());
  EXPECT_EQ(by_city->value_or(""), id);
  auto by_phone = (*tx)->FindLeadsByPhoneKey("acct", "+14155552671", 10);
  ASSERT_TRUE(by_phone.ok());
  ASSERT_EQ(by_phone->size(), 1u);
  EXPECT_EQ((*by_phone)[0].first, id);
  EXPECT_EQ((*by_phone)[0].second, "Acme Corporation");
  // Another account sees nothing.
  auto foreign = (*tx)->FindLeadIdByKey("other", DedupKey::kEmail, "sales@acme.com");
  ASSERT_TRUE(foreign.ok());
  EXPECT_FALSE(foreign->has_value());
}

TEST(DedupStore, KeysAreWrittenAndFound) {
  testing::TempDir dir;
  auto path = (dir.path() / "k.db").string();
  auto db = Open(path);
  const std::string id = "cl_00000000-0000-7000-8000-000000000001";
  {
    auto tx = db->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->InsertLead("acct", MakeLead(id)).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  ExpectFound(*db, id);
  // An update recomputes the keys.
  {
    auto tx = db->Begin(TxMode::kWrite);
    auto lead = MakeLead(id);
    lead.text[domain::kEmail] = "new@acme.com";
    ASSERT_TRUE((*tx)->UpdateLead("acct", lead).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  auto tx = db->Begin(TxMode::kRead);
  EXPECT_FALSE((*tx)->FindLeadIdByKey("acct", DedupKey::kEmail, "sales@acme.com")->has_value());
  EXPECT_EQ((*tx)->FindLeadIdByKey("acct", DedupKey::kEmail, "new@acme.com")->value_or(""), id);
}

TEST(DedupStore, MigrationBackfillsExistingRows) {
  testing::TempDir dir;
  auto path = (dir.path() / "k.db").string();
  const std::string id = "cl_00000000-0000-7000-8000-000000000002";
  {
    auto db = Open(path);
    auto tx = db->Begin(TxMode::kWrite);
    ASSERT_TRUE((*tx)->InsertLead("acct", MakeLead(id)).ok());
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

TEST(DedupStore, EveryLookupUsesAnIndex) {
  testing::TempDir dir;
  auto path = (dir.path() / "k.db").string();
  { auto db = Open(path); }
  // The statements of storage/sqlite/dedup_store.cpp.
  const char* lookups[] = {
      "SELECT id FROM leads INDEXED BY leads_email_key WHERE account_id = 'a' AND email_key = 'k' "
      "ORDER BY id LIMIT 1",
      "SELECT id FROM leads INDEXED BY leads_source_id_fold WHERE account_id = 'a' AND "
      "source_id_fold = 'k' AND source_id = 'k' ORDER BY id LIMIT 1",
      "SELECT id FROM leads INDEXED BY leads_name_city_key WHERE account_id = 'a' AND "
      "name_city_key = 'k' ORDER BY id LIMIT 1",
      "SELECT id, name FROM leads INDEXED BY leads_phone_key WHERE account_id = 'a' AND phone_key "
      "= 'k' ORDER BY id LIMIT 9",
  };
  for (const char* sql : lookups) {
    std::string plan = QueryPlan(path, sql);
    EXPECT_NE(plan.find("INDEX leads_"), std::string::npos) << sql << "\n" << plan;
    EXPECT_EQ(plan.find("SCAN"), std::string::npos) << sql << "\n" << plan;
  }
}

}  // namespace
}  // namespace klozeo::storage::sqlite
