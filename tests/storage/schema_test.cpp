// Schemas the migration runner (storage/sql/schema.h) refuses, on SQLite and (as `.pg`) on
// PostgreSQL: older than the previous release's, or recorded by an unreleased build. The upgrade
// from the previous release itself is upgrade_test's.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <string>

#include "app/wiring.h"
#include "support/test_server.h"

namespace klozeo::storage {
namespace {

class SchemaTest : public ::testing::Test {
 protected:
  /// A database whose schema_migrations records `versions` (and nothing else).
  void Record(const std::string& versions) {
    std::string sql =
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL);";
    size_t at = 0;
    for (size_t comma; at <= versions.size(); at = comma + 1) {
      comma = std::min(versions.find(',', at), versions.size());
      sql += "INSERT INTO schema_migrations VALUES (" + versions.substr(at, comma - at) + ", 0);";
    }
    if (database_.is_postgres()) {
      PGconn* conn = PQconnectdb(database_.url().c_str());
      ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
      PGresult* r = PQexec(conn, sql.c_str());
      EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(conn);
      PQclear(r);
      PQfinish(conn);
      return;
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(database_.url().substr(7).c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  /// The error opening the database gives ("" when it opens).
  std::string OpenError() const {
    auto db = app::OpenDatabase(database_.url(), 2);
    return db.ok() ? "" : db.error().ForLog();
  }
  /// The versions the previous release recorded (SQLite 1-7; PostgreSQL 1-6 and 1001).
  std::string Previous() const {
    return database_.is_postgres() ? "1,2,3,4,5,6,1001" : "1,2,3,4,5,6,7";
  }
  testing::TestDatabase database_;
};

// Only the previous release's databases are upgraded: an older one is refused, naming its
// version, rather than half-upgraded.
TEST_F(SchemaTest, OlderThanThePreviousReleaseIsRefused) {
  Record("1,2");
  EXPECT_NE(OpenError().find("version 2 is too old"), std::string::npos) << OpenError();
}

// A database an unreleased build wrote (main's dedup migration 15 or its list indexes 1600,
// keyed by text account_id, before integer keys) is refused with a clear error.
TEST_F(SchemaTest, AnUnreleasedBuildsDatabaseIsRefused) {
  Record(Previous() + ",1600");
  EXPECT_NE(OpenError().find("version 1600 was written by an unreleased build"), std::string::npos)
      << OpenError();
}

TEST_F(SchemaTest, AnUnreleasedDedupMigrationIsRefused) {
  Record(Previous() + ",15");
  EXPECT_NE(OpenError().find("version 15 was written by an unreleased build"), std::string::npos)
      << OpenError();
}

}  // namespace
}  // namespace klozeo::storage
