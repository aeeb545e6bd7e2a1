// Upgrading a database the previous release made (schema version 7: text account ids in every
// table and index) to integer account keys. The fixtures under tests/fixtures/v7 were written by
// the release at commit c5b8177 through its own CLI and HTTP API (make_fixtures.sh there): two
// accounts, a revoked key, leads with attributes, tags and notes, a scoring rule, webhooks with
// failed deliveries and their attempts, an idempotency record. The current binary opens a copy
// (SQLite: the file; PostgreSQL, the `.pg` variant: the pg_dump loaded into a fresh database),
// migrates it at start-up, and everything must read back through the HTTP API, tenants still
// apart, and new writes must work, the dedup keys included.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/command.h"
#include "support/http_client.h"
#include "support/serve_process.h"
#include "support/test_server.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Written into the old database before the upgrade: an address and a website the previous
// release stored but did not key (dedup's backfill, schema version 12, must key them). The
// PostgreSQL dump leaves an empty search_path: the table is named with its schema there.
constexpr const char* kOldEdit =
    "UPDATE leads SET address = '650 E. 85Th St', website = 'https://www.acme.example/about' "
    "WHERE name = 'Acme Corporation'";
// The fixture's idempotency record was written on 2026-11-27, and records are kept 24 hours: it
// is dated now in the copy, so that the replay below tests the upgrade, not the fixture's age.
constexpr const char* kRefreshIdempotency[] = {
    "UPDATE idempotency_keys SET created_at_ms = CAST(strftime('%s', 'now') AS INTEGER) * 1000",
    "UPDATE public.idempotency_keys SET created_at_ms = "
    "CAST(extract(epoch FROM now()) * 1000 AS BIGINT)"};

class UpgradeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string fixtures = KLOZEO_FIXTURES;
    if (database_.is_postgres()) {
      PGconn* conn = PQconnectdb(database_.url().c_str());
      ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
      PGresult* loaded = PQexec(conn, ReadFile(fixtures + "/klozeo.pg.sql").c_str());
      EXPECT_EQ(PQresultStatus(loaded), PGRES_COMMAND_OK) << PQerrorMessage(conn);
      PQclear(loaded);
      PGresult* edited = PQexec(conn, (std::string("SET search_path = public; ") + kOldEdit + "; " +
                                       kRefreshIdempotency[1])
                                          .c_str());
      EXPECT_EQ(PQresultStatus(edited), PGRES_COMMAND_OK) << PQerrorMessage(conn);
      PQclear(edited);
      PQfinish(conn);
      url_ = database_.url();
      manifest_ = json::parse(ReadFile(fixtures + "/manifest.pg.json"));
    } else {
      const auto path = dir_.path() / "klozeo.db";
      std::filesystem::copy_file(fixtures + "/klozeo.db", path);
      sqlite3* db = nullptr;
      ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
      EXPECT_EQ(sqlite3_exec(db, kOldEdit, nullptr, nullptr, nullptr), SQLITE_OK)
          << sqlite3_errmsg(db);
      EXPECT_EQ(sqlite3_exec(db, kRefreshIdempotency[0], nullptr, nullptr, nullptr), SQLITE_OK)
          << sqlite3_errmsg(db);
      sqlite3_close(db);
      url_ = "sqlite:" + path.string();
      manifest_ = json::parse(ReadFile(fixtures + "/manifest.json"));
    }
    if (!start_server_) return;
    server_ = std::make_unique<ServeProcess>(KLOZEO_BINARY, url_);
    ASSERT_NE(server_->port(), 0) << server_->output();
  }
  /// Runs `sql` (statements without results) on the database.
  void Exec(const std::string& sql) const {
    if (database_.is_postgres()) {
      PGconn* conn = PQconnectdb(url_.c_str());
      ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
      PGresult* r = PQexec(conn, sql.c_str());
      EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(conn);
      PQclear(r);
      PQfinish(conn);
    } else {
      sqlite3* db = nullptr;
      ASSERT_EQ(sqlite3_open(url_.substr(7).c_str(), &db), SQLITE_OK);
      sqlite3_busy_timeout(db, 5000);
      EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
          << sqlite3_errmsg(db);
      sqlite3_close(db);
    }
  }
  HttpClient Client(const char* key) const {
    return HttpClient(server_->port(), manifest_[key].get<std::string>());
  }
  std::string Lead(const char* name) const { return manifest_["leads"][name]; }
  /// The first column of `sql`'s rows, read straight from the upgraded database.
  std::vector<std::string> Column(const std::string& sql) const {
    std::vector<std::string> out;
    if (database_.is_postgres()) {
      PGconn* conn = PQconnectdb(url_.c_str());
      EXPECT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
      PGresult* r = PQexec(conn, sql.c_str());
      EXPECT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQerrorMessage(conn);
      for (int i = 0; i < PQntuples(r); ++i) out.emplace_back(PQgetvalue(r, i, 0));
      PQclear(r);
      PQfinish(conn);
    } else {
      sqlite3* db = nullptr;
      sqlite3_stmt* s = nullptr;
      EXPECT_EQ(sqlite3_open_v2(url_.substr(7).c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
                SQLITE_OK);
      sqlite3_busy_timeout(db, 5000);
      EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK)
          << sqlite3_errmsg(db);
      while (sqlite3_step(s) == SQLITE_ROW) {
        out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
      }
      sqlite3_finalize(s);
      sqlite3_close(db);
    }
    return out;
  }

  bool start_server_ = true;
  TempDir dir_;
  TestDatabase database_;
  std::string url_;
  json manifest_;
  std::unique_ptr<ServeProcess> server_;
};

TEST_F(UpgradeTest, EverythingReadsBackAndNewWritesWork) {
  HttpClient acme = Client("acme_key");
  HttpClient globex = Client("globex_key");

  // Leads, with their fields, tags, attributes and scores.
  auto leads = acme.Get("/api/v1/leads?limit=50");
  ASSERT_EQ(leads.status, 200) << leads.body;
  ASSERT_EQ(leads.json()["count"], 3);
  auto lead = acme.Get("/api/v1/leads/" + Lead("acme_corp"));
  ASSERT_EQ(lead.status, 200) << lead.body;
  json l = lead.json();
  EXPECT_EQ(l["name"], "Acme Corporation");
  EXPECT_EQ(l["email"], "Sales@Acme.com");
  EXPECT_EQ(l["tags"], json({"b2b", "Hot"}));
  EXPECT_EQ(l["score"], 10.0);  // the rule "rating >= 4" scored it at creation
  ASSERT_EQ(l["attributes"].size(), 3u) << l.dump();
  std::map<std::string, json> attributes;
  for (const auto& a : l["attributes"]) attributes[a["name"]] = a["value"];
  EXPECT_EQ(attributes["industry"], "Software");
  EXPECT_EQ(attributes["employees"], 250);
  EXPECT_EQ(attributes["langs"], json({"C++", "Go"}));
  EXPECT_EQ(acme.Get("/api/v1/leads/" + Lead("umbrella")).json()["status"], "contacted");
  // Filters run over the migrated fold columns and indexes.
  auto hot = acme.Get("/api/v1/leads?filter=and.array_contains.tags.hot");
  ASSERT_EQ(hot.json()["count"], 1) << hot.body;
  EXPECT_EQ(hot.json()["leads"][0]["id"], Lead("acme_corp"));
  auto in_austin = acme.Get("/api/v1/leads?filter=and.eq.city.austin");
  ASSERT_EQ(in_austin.json()["count"], 1) << in_austin.body;
  EXPECT_EQ(in_austin.json()["leads"][0]["id"], Lead("initech"));

  // Every later version is applied after the upgrade (8: integer keys, 9: dedup's tables, 10:
  // the list indexes, 11-12: the trigram indexes, 13: the dedup backfill, 14: PostgreSQL's list
  // indexes, 16: trigram rows written by the store, 20: the trigram index merged, 21:
  // PostgreSQL's list-element and city indexes, 22: the trigram index's term list, 23:
  // PostgreSQL's walked entries and name characters, 24: scores in lead_scores, 25: nothing (24
  // on PostgreSQL before a release); PostgreSQL's release also recorded its own 1001), and the list
  // indexes exist on the integer key.
  EXPECT_EQ(Column("SELECT version FROM schema_migrations WHERE version BETWEEN 8 AND 999 "
                   "ORDER BY version"),
            (std::vector<std::string>{"8", "9", "10", "11", "12", "13", "14", "16", "20", "21",
                                      "22", "23", "24", "25"}));
  // 13 backfilled dedup's word counts and match keys from the migrated leads, per account.
  auto count = [&](const std::string& account, const std::string& token) {
    return Column(
        "SELECT t.n FROM name_tokens t JOIN accounts a ON a.account_key = "
        "t.account_key WHERE a.name = '" +
        account + "' AND t.token = '" + token + "'");
  };
  EXPECT_EQ(count("acme", ""), (std::vector<std::string>{"3"}));
  EXPECT_EQ(count("acme", "corporation"), (std::vector<std::string>{"1"}));
  EXPECT_EQ(count("acme", "globex"), (std::vector<std::string>{}));
  EXPECT_EQ(count("globex", ""), (std::vector<std::string>{"1"}));
  EXPECT_EQ(count("globex", "globex"), (std::vector<std::string>{"1"}));
  auto key = [&](const char* name, const char* kind) {
    return Column("SELECT key FROM lead_match_keys WHERE lead_id = '" + Lead(name) +
                  "' AND kind = '" + kind + "'");
  };
  EXPECT_EQ(key("acme_corp", "address"), (std::vector<std::string>{"650 85"}));
  EXPECT_EQ(key("acme_corp", "domain"), (std::vector<std::string>{"acme.example"}));
  // Its rarest word: both counted once, the longer one.
  EXPECT_EQ(key("acme_corp", "city_word"),
            (std::vector<std::string>{"san francisco\ncorporation"}));
  EXPECT_EQ(key("umbrella", "city_word"), (std::vector<std::string>{"\numbrella"}));
  EXPECT_EQ(Column(database_.is_postgres()
                       ? "SELECT replace(indexname, 'lead_scores_order', 'leads_score') FROM "
                         "pg_indexes WHERE indexname IN ('lead_scores_order', 'leads_updated', "
                         "'leads_last_interaction', 'lead_attributes_num') AND indexdef LIKE "
                         "'%(account_key, %' ORDER BY 1"
                       : "SELECT replace(name, 'lead_scores_order', 'leads_score') FROM "
                         "sqlite_master WHERE name IN ('lead_scores_order', 'leads_updated', "
                         "'leads_last_interaction', 'lead_attributes_num') AND sql LIKE "
                         "'%(account_key, %' ORDER BY 1"),
            (std::vector<std::string>{"lead_attributes_num", "leads_last_interaction",
                                      "leads_score", "leads_updated"}));
  // Both keep scores in lead_scores (schema 24): filled from the
  // upgraded leads, with their facets, and leads_score is gone.
  EXPECT_EQ(Column("SELECT count(*) FROM leads l JOIN lead_scores s ON s.account_key = "
                   "l.account_key AND s.id = l.id AND s.score = l.score AND s.status_fold = "
                   "l.status_fold AND s.city_fold IS NOT DISTINCT FROM l.city_fold AND "
                   "s.category_fold IS NOT DISTINCT FROM l.category_fold"),
            Column("SELECT count(*) FROM leads"));
  EXPECT_EQ(Column(database_.is_postgres()
                       ? "SELECT count(*) FROM pg_indexes WHERE indexname = 'leads_score'"
                       : "SELECT count(*) FROM sqlite_master WHERE name = 'leads_score'"),
            (std::vector<std::string>{"0"}));
  // A score-sorted list and an attribute comparison: on SQLite the planner names these indexes
  // (INDEXED BY: an unindexed filter walks the sort's index, a selective attribute comparison
  // seeks lead_attributes_num), which fails the query if the upgrade left one out.
  const std::string by_score =
      "/api/v1/leads?filter=and.neq.status.lost&sort_by=score"
      "&sort_order=desc&limit=2";
  auto best = acme.Get(by_score);
  ASSERT_EQ(best.status, 200) << best.body;
  ASSERT_EQ(best.json()["leads"].size(), 2u) << best.body;
  EXPECT_EQ(best.json()["leads"][0]["id"], Lead("acme_corp"));
  EXPECT_EQ(best.json()["leads"][0]["score"], 10.0);
  EXPECT_EQ(best.json()["leads"][1]["score"], 0.0);
  auto next = acme.Get(by_score + "&cursor=" + best.json()["next_cursor"].get<std::string>());
  ASSERT_EQ(next.status, 200) << next.body;
  ASSERT_EQ(next.json()["leads"].size(), 1u) << next.body;
  EXPECT_NE(next.json()["leads"][0]["id"], best.json()["leads"][1]["id"]);
  auto big =
      acme.Get("/api/v1/leads?filter=and.gt.attr:employees.100&sort_by=score&sort_order=desc");
  ASSERT_EQ(big.status, 200) << big.body;
  ASSERT_EQ(big.json()["count"], 1) << big.body;
  EXPECT_EQ(big.json()["leads"][0]["id"], Lead("acme_corp"));
  auto small = acme.Get("/api/v1/leads?filter=and.lt.attr:employees.100");
  ASSERT_EQ(small.status, 200) << small.body;
  EXPECT_EQ(small.json()["count"], 0) << small.body;
  EXPECT_EQ(globex.Get("/api/v1/leads?filter=and.gt.attr:employees.100").json()["count"], 0);
  // 12 indexed the rows already there: substring search finds them through the trigrams
  // (SQLite: lead_text; an upgraded lead missing from it would not be found), in this account
  // only.
  auto corp = acme.Get("/api/v1/leads?filter=and.contains.name.CORPOR");
  ASSERT_EQ(corp.status, 200) << corp.body;
  ASSERT_EQ(corp.json()["count"], 1) << corp.body;
  EXPECT_EQ(corp.json()["leads"][0]["id"], Lead("acme_corp"));
  auto mail = acme.Get("/api/v1/leads?filter=and.ends_with.email.acme.com&sort_by=name");
  ASSERT_EQ(mail.status, 200) << mail.body;
  ASSERT_EQ(mail.json()["count"], 1) << mail.body;
  EXPECT_EQ(mail.json()["leads"][0]["id"], Lead("acme_corp"));
  if (!database_.is_postgres()) {
    EXPECT_EQ(Column("SELECT count(*) FROM lead_text_rows"), (std::vector<std::string>{"4"}));
    // 20 merged what 12 built into one segment, and FTS5 merges a level at 8 segments.
    EXPECT_EQ(Column("SELECT count(DISTINCT segid) FROM lead_text_idx"),
              (std::vector<std::string>{"1"}));
    EXPECT_EQ(Column("SELECT v FROM lead_text_config WHERE k = 'automerge'"),
              (std::vector<std::string>{"8"}));
  }

  // Notes, rules, webhooks, deliveries with their attempt logs.
  auto notes = acme.Get("/api/v1/leads/" + Lead("acme_corp") + "/notes");
  ASSERT_EQ(notes.status, 200);
  ASSERT_EQ(notes.json().size(), 2u);
  EXPECT_EQ(notes.json()[0]["content"], "Called, wants a demo");
  auto rules = acme.Get("/api/v1/scoring-rules");
  ASSERT_EQ(rules.json().size(), 1u);
  EXPECT_EQ(rules.json()[0]["id"], manifest_["rule"]);
  auto hooks = acme.Get("/api/v1/webhooks");
  ASSERT_EQ(hooks.json().size(), 2u) << hooks.body;
  const std::string hook = manifest_["webhook"];
  auto deliveries = acme.Get("/api/v1/webhooks/" + hook + "/deliveries");
  ASSERT_EQ(deliveries.status, 200) << deliveries.body;
  ASSERT_EQ(deliveries.json()["deliveries"].size(), 3u) << deliveries.body;
  const json delivered = deliveries.json();  // named: a range-for over a member of a
                                             // temporary would read a destroyed object
  for (const auto& d : delivered["deliveries"]) {
    EXPECT_EQ(d["event"], "lead.created");
    ASSERT_FALSE(d["attempts"].empty()) << d.dump();
    EXPECT_EQ(d["attempts"][0]["attempt"], 1);
    EXPECT_NE(d["attempts"][0]["error"].get<std::string>().find("port 9"), std::string::npos);
  }

  // Tenants stay apart; the revoked key stays revoked.
  auto theirs = globex.Get("/api/v1/leads");
  ASSERT_EQ(theirs.json()["count"], 1);
  EXPECT_EQ(theirs.json()["leads"][0]["id"], Lead("globex"));
  EXPECT_EQ(globex.Get("/api/v1/leads/" + Lead("acme_corp")).status, 404);
  EXPECT_EQ(acme.Get("/api/v1/leads/" + Lead("globex")).status, 404);
  EXPECT_EQ(globex.Get("/api/v1/webhooks/" + hook).status, 404);
  EXPECT_EQ(Client("revoked_key").Get("/api/v1/leads").status, 401);

  // The idempotency record replays the first answer.
  auto replay = acme.Send("POST", "/api/v1/leads",
                          R"({"name":"Umbrella","source":"web","email":"info@umbrella.example",)"
                          R"("status":"contacted"})",
                          {{"Idempotency-Key", "fixture-create-1"}});
  ASSERT_EQ(replay.status, 201) << replay.body;
  EXPECT_EQ(replay.json()["id"], Lead("umbrella"));

  // New writes: dedup finds the migrated lead by its e-mail key (not globex's, same e-mail).
  auto again = acme.Post("/api/v1/leads",
                         {{"name", "ACME Corp"}, {"source", "web"}, {"email", "sales@acme.com"}});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json()["id"], Lead("acme_corp"));
  // Dedup's tables (version 9, applied after the upgrade) work for migrated leads, per account.
  const std::string nd = "/api/v1/leads/" + Lead("acme_corp") + "/not-duplicate";
  EXPECT_EQ(acme.Post(nd, {{"of", Lead("initech")}}).status, 200);
  EXPECT_EQ(globex.Post(nd, {{"of", Lead("initech")}}).status, 404);
  auto history = acme.Get("/api/v1/leads/" + Lead("acme_corp") + "/merges");
  ASSERT_EQ(history.status, 200) << history.body;
  EXPECT_TRUE(history.json()["merges"].is_array());
  EXPECT_EQ(acme.Get("/api/v1/leads/" + Lead("acme_corp") + "/duplicates").status, 200);
  EXPECT_EQ(globex.Get("/api/v1/leads/" + Lead("acme_corp") + "/merges").status, 404);
  auto fresh = acme.Post("/api/v1/leads", {{"name", "Hooli"}, {"source", "web"}, {"rating", 5}});
  ASSERT_EQ(fresh.status, 201) << fresh.body;
  const std::string fresh_id = fresh.json()["id"];
  EXPECT_EQ(acme.Get("/api/v1/leads/" + fresh_id).json()["score"], 10.0);
  // 16: the store, not an insert trigger, files a new lead for substring search.
  auto hooli = acme.Get("/api/v1/leads?filter=and.contains.name.OOL");
  ASSERT_EQ(hooli.json()["count"], 1) << hooli.body;
  EXPECT_EQ(hooli.json()["leads"][0]["id"], fresh_id);
  if (!database_.is_postgres()) {
    EXPECT_EQ(Column("SELECT count(*) FROM sqlite_master WHERE name = 'lead_text_insert'"),
              (std::vector<std::string>{"0"}));
  }
  EXPECT_EQ(acme.Post("/api/v1/leads/" + Lead("initech") + "/notes", {{"content", "new"}}).status,
            201);
  EXPECT_EQ(acme.Get("/api/v1/leads").json()["count"], 4);
  EXPECT_EQ(globex.Get("/api/v1/leads").json()["count"], 1);
  // The new lead's event went to the migrated subscription.
  EXPECT_EQ(acme.Get("/api/v1/webhooks/" + hook + "/deliveries").json()["deliveries"].size(), 4u);
  EXPECT_EQ(acme.Delete("/api/v1/leads/" + Lead("umbrella")).status, 204);
  // The backfilled keys are found: the same street address is a hint, the same website's domain
  // too, in this account only.
  auto at_address =
      acme.Post("/api/v1/leads",
                {{"name", "Pied Piper"}, {"source", "web"}, {"address", "650 East 85th Street"}});
  ASSERT_EQ(at_address.status, 201) << at_address.body;
  EXPECT_EQ(at_address.json()["potential_duplicate_id"], Lead("acme_corp"));
  auto same_site = globex.Post(
      "/api/v1/leads", {{"name", "Pied Piper"}, {"source", "web"}, {"website", "acme.example"}});
  ASSERT_EQ(same_site.status, 201) << same_site.body;
  EXPECT_TRUE(same_site.json()["potential_duplicate_id"].is_null()) << same_site.body;
  EXPECT_EQ(acme.Delete("/api/v1/leads/" + at_address.json()["id"].get<std::string>()).status, 204);
  EXPECT_EQ(globex.Delete("/api/v1/leads/" + same_site.json()["id"].get<std::string>()).status,
            204);

  // A new account gets the next key and its own, empty data.
  auto created = RunCommand(KLOZEO_BINARY, "accounts create --name initrode --db '" + url_ + "'");
  ASSERT_EQ(created.exit_code, 0) << created.out;
  HttpClient initrode(server_->port(), LastLine(created.out));
  EXPECT_EQ(initrode.Get("/api/v1/leads").json()["count"], 0);
  EXPECT_EQ(
      initrode
          .Post("/api/v1/leads",
                {{"name", "Acme Corporation"}, {"source", "web"}, {"email", "sales@acme.com"}})
          .status,
      201);
  EXPECT_EQ(acme.Get("/api/v1/leads").json()["count"], 3);
}

// Dedup's backfill (schema 13) commits its progress batch by batch: a server killed half-way
// through it resumes where it stopped at its next start, and ends with the same word counts and
// match keys as a backfill that ran without a break.
class UpgradeBackfillTest : public UpgradeTest {
 protected:
  void SetUp() override {
    start_server_ = false;
    UpgradeTest::SetUp();
  }
  /// Every row of both tables the backfill fills, as text, in a stable order.
  std::vector<std::string> DedupState() const {
    std::vector<std::string> out = Column(
        "SELECT account_key || '|' || token || '|' || n FROM name_tokens ORDER BY account_key, "
        "token");
    for (auto& row : Column("SELECT account_key || '|' || lead_id || '|' || kind || '|' || key "
                            "FROM lead_match_keys ORDER BY account_key, lead_id, kind, key")) {
      out.push_back(std::move(row));
    }
    return out;
  }
};

TEST_F(UpgradeBackfillTest, ResumesWhereAKilledServerStoppedAndEndsTheSame) {
  // 600 more leads in the old database, copies of one with other names, cities and addresses.
  const std::string table = database_.is_postgres() ? "public.leads" : "leads";
  std::string sql =
      "CREATE TEMP TABLE seed AS SELECT * FROM " + table + " WHERE name = 'Acme Corporation';";
  const char* words[] = {"North", "Harbor", "Bakery", "Clinic", "Studio", "Garage", "Market"};
  for (int i = 0; i < 600; ++i) {
    const std::string n = std::to_string(i);
    const std::string name = std::string(words[i % 7]) + " " + words[(i / 7) % 7] + " W" + n;
    sql += "UPDATE seed SET id = 'cl_backfill_" + n + "', name = '" + name + "', name_fold = '" +
           name + "', city = " + (i % 3 == 0 ? "NULL" : "'City " + std::to_string(i % 5) + "'") +
           ", address = '" + std::to_string(100 + i) +
           " Main St', website = " + (i % 4 == 0 ? "'https://shop" + n + ".example'" : "NULL") +
           "; INSERT INTO " + table + " SELECT * FROM seed;";
  }
  Exec(sql);

  // Two leads per transaction: the backfill takes hundreds of them; kill the server once it has
  // committed some, in either phase.
  const std::string log = (dir_.path() / "server.log").string();
  auto first = std::make_unique<ServeProcess>(
      KLOZEO_BINARY, url_,
      std::vector<std::pair<std::string, std::string>>{{"KLOZEO_DEDUP_BACKFILL_BATCH", "2"}}, log,
      std::vector<std::string>{}, /*wait_listening=*/false);
  std::vector<std::string> progress;
  const std::string exists = database_.is_postgres()
                                 ? "SELECT tablename FROM pg_tables WHERE tablename = "
                                   "'dedup_backfill'"
                                 : "SELECT name FROM sqlite_master WHERE name = 'dedup_backfill'";
  for (int i = 0; i < 3000; ++i) {
    // The table appears when the migration commits; the backfill's batches follow.
    if (Column(exists).empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    progress = Column(
        "SELECT phase || ':' || after_id FROM dedup_backfill WHERE after_id <> '' OR phase = 1");
    if (!progress.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_FALSE(progress.empty()) << ReadFile(log);
  EXPECT_EQ(first->SignalAndWait(SIGKILL), -SIGKILL);
  // Killed half-way: its committed progress is there.
  const auto stopped_at = Column("SELECT phase || ':' || after_id FROM dedup_backfill");
  ASSERT_EQ(stopped_at.size(), 1u) << "the backfill ended before the kill";
  const auto partial = DedupState();
  EXPECT_FALSE(partial.empty());

  // The next start resumes it and finishes before listening.
  {
    ServeProcess second(KLOZEO_BINARY, url_);
    ASSERT_NE(second.port(), 0) << second.output();
    EXPECT_EQ(Column("SELECT phase FROM dedup_backfill"), std::vector<std::string>{});
    EXPECT_EQ(second.SignalAndWait(SIGTERM), 0);
  }
  const auto resumed = DedupState();
  // 603 leads in acme's account (3 + 600), each copy with its address key.
  EXPECT_EQ(Column("SELECT t.n FROM name_tokens t JOIN accounts a ON a.account_key = "
                   "t.account_key WHERE a.name = 'acme' AND t.token = ''"),
            std::vector<std::string>{"603"});
  EXPECT_EQ(Column("SELECT count(*) FROM lead_match_keys WHERE kind = 'address' AND lead_id LIKE "
                   "'cl_backfill_%'"),
            std::vector<std::string>{"600"});

  // The same backfill from the start, without a break, on the same leads.
  Exec(
      "DELETE FROM name_tokens; DELETE FROM lead_match_keys; INSERT INTO dedup_backfill "
      "(singleton, phase, after_account, after_id) VALUES (1, 0, -1, '')");
  {
    ServeProcess third(KLOZEO_BINARY, url_);
    ASSERT_NE(third.port(), 0) << third.output();
    EXPECT_EQ(third.SignalAndWait(SIGTERM), 0);
  }
  EXPECT_EQ(resumed, DedupState());
  EXPECT_NE(partial, resumed);
}

}  // namespace
}  // namespace klozeo::testing
