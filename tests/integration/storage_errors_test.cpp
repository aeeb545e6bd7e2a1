// A statement the database itself refuses: the client gets the neutral answer, never the
// database's words (docs/API.md "Errors").
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <stdexcept>

#include "support/test_server.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

/// Runs `sql` on the test's database over a connection of its own.
void ExecOnDatabase(const std::string& url, const std::string& sql) {
  if (url.rfind("sqlite:", 0) == 0) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(url.substr(7).c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err != nullptr ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << msg;
    return;
  }
  PGconn* conn = PQconnectdb(url.c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PGresult* r = PQexec(conn, sql.c_str());
  std::string msg = PQresultErrorMessage(r);
  ExecStatusType status = PQresultStatus(r);
  PQclear(r);
  PQfinish(conn);
  ASSERT_EQ(status, PGRES_COMMAND_OK) << msg;
}

TEST(StorageErrors, AConstraintFailureAnswersWithoutTheDatabaseText) {
  TestServer server;
  auto api = server.NewAccount();
  auto lead = api.Post("/api/v1/leads", json{{"name", "Acme"}, {"source", "web"}});
  ASSERT_EQ(lead.status, 201) << lead.body;
  const std::string notes = "/api/v1/leads/" + lead.json()["id"].get<std::string>() + "/notes";
  // A real constraint, added behind the server's back, that refuses one note content.
  if (TestDatabase::PostgresRequested()) {
    ExecOnDatabase(server.db_url(),
                   "ALTER TABLE notes ADD CONSTRAINT leak_probe_secret CHECK (content <> 'boom')");
  } else {
    ExecOnDatabase(server.db_url(),
                   "CREATE TRIGGER leak_probe BEFORE INSERT ON notes WHEN NEW.content = 'boom' "
                   "BEGIN SELECT RAISE(ABORT, 'leak_probe_secret'); END;");
  }
  auto refused = api.Post(notes, json{{"content", "boom"}});
  EXPECT_EQ(refused.status, 409) << refused.body;
  json body = refused.json();
  EXPECT_EQ(body["code"], "conflict");
  EXPECT_EQ(body["message"], "the request conflicts with data already stored");
  for (const char* leaked :
       {"leak_probe", "secret", "constraint", "sqlite", "postgres", "notes", "CHECK", "violates"}) {
    EXPECT_EQ(refused.body.find(leaked), std::string::npos) << leaked << " in " << refused.body;
  }
  // Other notes still go through.
  EXPECT_EQ(api.Post(notes, json{{"content", "fine"}}).status, 201);
}

}  // namespace
}  // namespace klozeo::testing
