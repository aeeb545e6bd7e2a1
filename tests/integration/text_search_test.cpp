// Substring search through the trigram indexes (issue 16; docs/QUERY-PERFORMANCE.md,
// "Substring search"): contains, starts_with and ends_with must return exactly what a scan
// returns, on SQLite (FTS5 trigram, driven by the planner's probes) and PostgreSQL (pg_trgm GIN,
// forced here with enable_seqscan off), over tricky text: case, accents as FoldText folds them,
// %, _ and \ in values, values shorter than three characters, multi-byte UTF-8, NULL fields,
// another account holding the same words, and rows changed after they were indexed.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "query/filter.h"
#include "query/fold.h"
#include "query/plan.h"
#include "query/postgres_compiler.h"
#include "query/sql_compiler.h"
#include "support/test_server.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

// The text fields the trigram index holds, and one it does not (a scan either way).
const std::vector<std::string> kFields = {"name",    "description", "email",    "phone",  "website",
                                          "address", "city",        "category", "country"};

// Each lead: its values by field (absent: NULL).
using Values = std::map<std::string, std::string>;

std::vector<Values> Data() {
  return {
      {{"name", "Quokka Caf\xC3\xA9 50% OFF"},
       {"email", "hello@quokka.example"},
       {"city", "Z\xC3\xBCrich"},
       {"description", "the_best a%b and back\\slash"}},
      {{"name", "QUOKKA cafe"}, {"city", "ZURICH"}, {"category", "Caf\xC3\xA9s & Bars"}},
      {{"name",
        "Stra\xC3\x9F"
        "e 12"},
       {"address", "STRASSE 12"},
       {"country", "Deutschland"}},
      {{"name", "Cafe\xCC\x81 combining"}, {"website", "https://cafe.example/menu_1"}},
      {{"name", "ab"}, {"phone", "+33 1 23 45 67 89"}, {"description", "a_b"}},
      {{"name", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE5\xBA\x97 Tokyo"},
       {"city", "\xE6\x9D\xB1\xE4\xBA\xAC"},
       {"description", "\xF0\x9F\xA6\x98 kangaroo \xF0\x9F\xA6\x98\xF0\x9F\xA6\x98"}},
      {{"name", "100%_real \"quoted\" {name} : x"}, {"email", "x_y@z.example"}},
      {{"name", "\xC4\xB0stanbul D\xC3\xB6ner"}, {"city", "\xC4\xB0STANBUL"}},
      {{"name", "plain lead"}, {"address", "1 Quokka Lane"}, {"category", "Retail"}},
      {{"name", "spaced  out  twice"}, {"description", "x"}},
  };
}

// Needles: long and short, folded differently, LIKE wildcards, FTS5 syntax, multi-byte.
const std::vector<std::string> kNeedles = {"quokka",
                                           "QUOKKA",
                                           "Quokka Caf\xC3\xA9",
                                           "caf\xC3\xA9",
                                           "CAF\xC3\x89",
                                           "cafe",
                                           "STRASSE",
                                           "stra\xC3\x9F"
                                           "e",
                                           "ss",
                                           "50%",
                                           "0% o",
                                           "%_",
                                           "_b",
                                           "a%b",
                                           "a_b",
                                           "\\sl",
                                           "ab",
                                           "a",
                                           "\xC3\xA9",
                                           "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",
                                           "\xE6\x9C\xAC",
                                           "\xF0\x9F\xA6\x98\xF0\x9F\xA6\x98",
                                           "\xF0\x9F\xA6\x98 k",
                                           "\"quoted\"",
                                           "{name} : x",
                                           "xa",
                                           "example",
                                           ".example",
                                           "zurich",
                                           "z\xC3\xBCrich",
                                           "\xC4\xB0stanbul",
                                           "istanbul",
                                           " out",
                                           "67 89",
                                           "nothing here",
                                           "rue",
                                           "deutsch",
                                           "land"};

bool Matches(const std::string& op, const std::optional<std::string>& value,
             const std::string& needle) {
  const std::string n = query::FoldText(needle);
  if (!value) return op == "not_contains";
  const std::string v = query::FoldText(*value);
  if (op == "contains") return v.find(n) != std::string::npos;
  if (op == "not_contains") return v.find(n) == std::string::npos;
  if (op == "starts_with") return v.starts_with(n);
  return v.ends_with(n);  // ends_with
}

class TextSearch : public ::testing::Test {
 protected:
  void SetUp() override {
    api_ = std::make_unique<HttpClient>(server_.NewAccount());
    other_ = std::make_unique<HttpClient>(server_.NewAccount());
    for (const Values& v : Data()) {
      json lead = {{"source", "test"}};
      for (const auto& [field, value] : v) lead[field] = value;
      server_.clock().AdvanceMillis(1000);
      auto r = api_->Post("/api/v1/leads", lead);
      ASSERT_EQ(r.status, 201) << r.body;
      ids_.push_back(r.json()["id"]);
      data_.push_back(v);
      // The other account holds the same words: a trigram hit there is never a result here.
      auto o = other_->Post("/api/v1/leads", lead);
      ASSERT_EQ(o.status, 201) << o.body;
    }
    // SQLite indexes new leads 128 at a time (storage/sql/schema.h, 12): these fillers in the
    // other account make the leads above indexed; the tests then change some (pending again).
    json fillers = json::array();
    for (int i = 0; i < 140; ++i) {
      fillers.push_back({{"name", "Filler quokka " + std::to_string(i)}, {"source", "fill"}});
    }
    auto f = other_->Post("/api/v1/leads/batch", {{"leads", fillers}});
    ASSERT_EQ(f.status, 201) << f.body;
  }

  // The ids (in the default order, oldest first) a listing returns.
  std::vector<std::string> List(const std::string& filter) {
    auto r = api_->Get("/api/v1/leads?limit=1000&sort_order=asc&filter=" + UrlEncode(filter));
    EXPECT_EQ(r.status, 200) << filter << " -> " << r.body;
    std::vector<std::string> out;
    if (r.status != 200) return out;
    const json body = r.json();  // a named copy: a range-for over a temporary's member dangles
    for (const auto& l : body["leads"]) out.push_back(l["id"]);
    return out;
  }

  std::vector<std::string> Expected(const std::string& op, const std::string& field,
                                    const std::string& needle) const {
    std::vector<std::string> out;
    for (size_t i = 0; i < data_.size(); ++i) {
      auto it = data_[i].find(field);
      std::optional<std::string> value;
      if (it != data_[i].end()) value = it->second;
      if (Matches(op, value, needle)) out.push_back(ids_[i]);
    }
    return out;
  }

  // Every operator, field and needle: the `and` filter (which the SQLite planner drives through
  // the trigram index whenever it can: this account's matches are few) and the `or` filter
  // (never steered: the LIKE over every row) both equal what FoldText and a substring test say.
  void CheckAll() {
    int steered = 0;
    for (const std::string op : {"contains", "starts_with", "ends_with", "not_contains"}) {
      for (const std::string& field : kFields) {
        for (const std::string& needle : kNeedles) {
          const std::string rest = op + "." + field + "." + needle;
          const auto expected = Expected(op, field, needle);
          EXPECT_EQ(List("and." + rest), expected) << "and." << rest;
          EXPECT_EQ(List("or." + rest), expected) << "or." << rest;
          const std::vector<std::string> text = {"and." + rest};
          auto parsed = query::ParseFilters(text);
          ASSERT_TRUE(parsed.ok()) << rest;
          steered += query::UsesTextIndex(parsed->front());
        }
      }
    }
    // Most needles are long enough: the trigram path really ran (on SQLite; PostgreSQL's
    // planner picks its own path, checked in PostgresTrigramIndexesAgree).
    EXPECT_GT(steered, 40);
  }

  // A third account of random names over `alphabet` (1 to `max_length` characters each, drawn
  // by `seed`): 300 by one batch (SQLite indexes a batch's leads at once), then 20 single creates
  // (pending); the other account holds the same batch. Items the API refuses (such as a blank
  // name) are left out of `ids` and `names`.
  struct RandomNames {
    std::vector<std::string> alphabet;
    std::mt19937 rng;
    int max_length;
    std::unique_ptr<HttpClient> client;
    std::vector<std::string> ids;
    std::vector<std::string> names;
    size_t batched = 0;

    std::string Draw() {
      std::string name;
      const int length = 1 + static_cast<int>(rng() % static_cast<unsigned>(max_length));
      for (int i = 0; i < length; ++i) name += alphabet[rng() % alphabet.size()];
      return name;
    }
  };

  void MakeRandomNames(RandomNames& out) {
    out.client = std::make_unique<HttpClient>(server_.NewAccount());
    json batch = json::array();
    std::vector<std::string> drawn;
    for (int i = 0; i < 300; ++i) {
      drawn.push_back(out.Draw());
      batch.push_back({{"name", drawn.back()}, {"source", "rand"}});
    }
    auto b = out.client->Post("/api/v1/leads/batch", {{"leads", batch}});
    ASSERT_TRUE(b.status == 201 || b.status == 207) << b.body;
    const json created = b.json()["created"];  // named: a range-for over a temporary's member
    for (const auto& c : created) {
      out.ids.push_back(c["id"]);
      out.names.push_back(drawn.at(c["index"].get<size_t>()));
    }
    ASSERT_GT(out.ids.size(), 250u) << b.body;
    out.batched = out.ids.size();
    other_->Post("/api/v1/leads/batch", {{"leads", batch}});
    for (int i = 0; i < 20; ++i) {
      std::string name = out.Draw();
      auto r = out.client->Post("/api/v1/leads", {{"name", name}, {"source", "rand"}});
      if (r.status != 201) continue;
      out.ids.push_back(r.json()["id"]);
      out.names.push_back(name);
    }
    ASSERT_GT(out.ids.size(), out.batched + 10);
  }

  // The ids a listing of `client` returns, walked by cursor in pages of `limit` (created_at,
  // then id); each id once.
  static std::set<std::string> Walk(HttpClient& client, const std::string& filter, int limit) {
    std::set<std::string> out;
    std::string cursor;
    for (int page = 0; page < 400; ++page) {
      std::string target =
          "/api/v1/leads?limit=" + std::to_string(limit) + "&filter=" + UrlEncode(filter);
      if (!cursor.empty()) target += "&cursor=" + UrlEncode(cursor);
      auto r = client.Get(target);
      EXPECT_EQ(r.status, 200) << target << " -> " << r.body;
      if (r.status != 200) break;
      const json body = r.json();
      for (const auto& l : body["leads"]) EXPECT_TRUE(out.insert(l["id"]).second) << filter;
      if (!body["has_more"].get<bool>()) break;
      cursor = body["next_cursor"];
    }
    return out;
  }

  TestServer server_;
  std::unique_ptr<HttpClient> api_;
  std::unique_ptr<HttpClient> other_;
  std::vector<std::string> ids_;
  std::vector<Values> data_;
};

TEST_F(TextSearch, TrigramAndScanAgree) {
  if (server_.db_url().rfind("sqlite:", 0) == 0) {
    // The leads above went through the FTS5 table, not only the pending queue.
    sqlite3* db = nullptr;
    ASSERT_EQ(
        sqlite3_open_v2(server_.db_url().substr(7).c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
        SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM lead_text_rows WHERE pending = 0", -1,
                                 &s, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    EXPECT_GE(sqlite3_column_int64(s, 0), 128);
    sqlite3_finalize(s);
    sqlite3_close(db);
  }
  CheckAll();
}

// The index follows writes (SQLite: the triggers on leads; PostgreSQL: its own index upkeep):
// renamed, cleared and deleted leads, and new ones.
TEST_F(TextSearch, IndexFollowsUpdatesAndDeletes) {
  auto put = [&](size_t i, json body) {
    auto r = api_->Put("/api/v1/leads/" + ids_[i], body);
    ASSERT_EQ(r.status, 200) << r.body;
    for (auto& [field, value] : body.items()) {
      if (value.is_null()) {
        data_[i].erase(field);
      } else {
        data_[i][field] = value.get<std::string>();
      }
    }
  };
  put(0, {{"name", "Wombat Bistro"}, {"email", nullptr}});
  put(1, {{"city", "Quokka Town"}});
  put(4, {{"status", "contacted"}});  // no indexed text changes
  put(8, {{"address", nullptr}, {"description", "quokka sightings daily"}});
  ASSERT_EQ(api_->Delete("/api/v1/leads/" + ids_[5]).status, 204);
  ids_.erase(ids_.begin() + 5);
  data_.erase(data_.begin() + 5);
  server_.clock().AdvanceMillis(1000);
  auto r = api_->Post("/api/v1/leads", {{"name", "Late Quokka Caf\xC3\xA9"}, {"source", "test"}});
  ASSERT_EQ(r.status, 201) << r.body;
  ids_.push_back(r.json()["id"]);
  data_.push_back({{"name", "Late Quokka Caf\xC3\xA9"}});
  CheckAll();
}

// Two-character substrings (SQLite: found through the trigram index's terms that start or end
// with the pair, plus the names that are the pair; query::UsesTrigramTerms) on random names
// over a small alphabet (multi-byte, LIKE wildcards, a quote, letters ß and İ that fold to two
// characters), some indexed, some pending, some renamed after indexing, the same names in
// another account: every pair, contains and ends_with, `and` (trigram terms on SQLite) and
// `or` (a scan), equal a substring test of the folded names; a few are paged by cursor.
TEST_F(TextSearch, TwoCharacterSubstringsMatchTheScanOnRandomNames) {
  RandomNames random{
      {"a", "b", "Z", "q", " ", "\xC3\xA9", "\xC3\x9F", "%", "_", "\"", "\xE6\x97\xA5", "\xC4\xB0"},
      std::mt19937(16),
      7};
  ASSERT_NO_FATAL_FAILURE(MakeRandomNames(random));
  const std::vector<std::string>& alphabet = random.alphabet;
  const std::vector<std::string>& ids = random.ids;
  std::vector<std::string>& names = random.names;
  HttpClient& third = *random.client;
  for (size_t i = 0; i < random.batched; i += 29) {
    std::string name = random.Draw();
    if (third.Put("/api/v1/leads/" + ids[i], {{"name", name}}).status == 200) names[i] = name;
  }
  auto walk = [&](const std::string& filter, int limit) { return Walk(third, filter, limit); };
  int pairs = 0;
  int paged = 0;
  for (const std::string& x : alphabet) {
    for (const std::string& y : alphabet) {
      const std::string needle = x + y;
      const std::vector<std::string> text = {"and.contains.name." + needle};
      pairs += query::UsesTrigramTerms(query::ParseFilters(text).value().front());
      for (const std::string op : {"contains", "ends_with"}) {
        std::set<std::string> expected;
        for (size_t i = 0; i < names.size(); ++i) {
          if (Matches(op, names[i], needle)) expected.insert(ids[i]);
        }
        const std::string rest = op + ".name." + needle;
        EXPECT_EQ(walk("and." + rest, 1000), expected) << "and." << rest;
        EXPECT_EQ(walk("or." + rest, 1000), expected) << "or." << rest;
        if (!expected.empty() && expected.size() < 12 && paged < 12) {
          ++paged;
          EXPECT_EQ(walk("and." + rest, 2), expected) << "and." << rest << " by 2";
        }
      }
    }
  }
  EXPECT_EQ(pairs, 100);  // the pairs without ß or İ (each folds to two characters)
  EXPECT_GT(paged, 5);
}

// Two-character pairs of letters and digits over names of ASCII and two-byte characters
// (PostgreSQL, schema 23: found through pg_trgm by a regular expression of the characters that
// can precede the pair, query::TrigramRegex; the non-ASCII ones are kept in lead_name_chars by a
// trigger, on creates, batches and renames, here a rename brings the only "ñ"): every pair,
// contains and ends_with, equals a substring test of the folded names; another account holds
// the same names. On PostgreSQL the probe's plan reads pg_trgm's index.
TEST_F(TextSearch, TwoCharacterPairsMatchTheScanThroughTheNamesCharacters) {
  RandomNames random{
      {"a", "B", "z", "q", "1", " ", "-", "%", "\xC3\xA9", "\xC3\xA4", "."}, std::mt19937(23), 8};
  ASSERT_NO_FATAL_FAILURE(MakeRandomNames(random));
  const std::vector<std::string>& alphabet = random.alphabet;
  const std::vector<std::string>& ids = random.ids;
  std::vector<std::string>& names = random.names;
  HttpClient& third = *random.client;
  // A character no other name holds, brought by a rename: "\xC3\xB1ab" holds "ab" after it.
  for (size_t i = 0; i < 40; i += 13) {
    const std::string name = i == 0 ? "x\xC3\xB1"
                                      "ab"
                                    : random.Draw();
    if (third.Put("/api/v1/leads/" + ids[i], {{"name", name}}).status == 200) names[i] = name;
  }
  ASSERT_EQ(names[0],
            "x\xC3\xB1"
            "ab");
  auto list = [&](const std::string& filter, int limit) { return Walk(third, filter, limit); };
  const bool pg = server_.db_url().rfind("postgres", 0) == 0;
  PGconn* conn = pg ? PQconnectdb(server_.db_url().c_str()) : nullptr;
  auto rows = [&](const std::string& sql, const std::vector<std::string>& params) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    PGresult* r = PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
    EXPECT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << sql << ": " << PQerrorMessage(conn);
    std::vector<std::string> out;
    for (int i = 0; i < PQntuples(r); ++i) out.emplace_back(PQgetvalue(r, i, 0));
    PQclear(r);
    return out;
  };
  std::string account;
  std::vector<std::string> chars;
  if (pg) {
    ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
    account = rows("SELECT account_key FROM leads WHERE id = $1", {ids[0]}).at(0);
    chars = rows("SELECT ch FROM lead_name_chars WHERE account_key = $1 ORDER BY ch", {account});
    PQclear(PQexec(conn, "SET enable_seqscan = off"));  // 600 leads: the plan is the index's
    EXPECT_EQ(chars, (std::vector<std::string>{"\xC3\xA4", "\xC3\xA9", "\xC3\xB1"}));
  }
  int by_regex = 0;
  std::vector<std::string> regexes;
  for (const std::string& x : alphabet) {
    for (const std::string& y : alphabet) {
      const std::string needle = x + y;
      for (const std::string op : {"contains", "ends_with"}) {
        std::set<std::string> expected;
        for (size_t i = 0; i < names.size(); ++i) {
          if (Matches(op, names[i], needle)) expected.insert(ids[i]);
        }
        const std::string rest = op + ".name." + needle;
        EXPECT_EQ(list("and." + rest, 1000), expected) << "and." << rest;
        if (expected.size() > 1 && expected.size() < 20) {
          EXPECT_EQ(list("and." + rest, 2), expected) << "and." << rest << " by 2";
        }
        const std::vector<std::string> text = {"and." + rest};
        const query::Filter filter = query::ParseFilters(text).value().front();
        const std::optional<std::string> regex = query::TrigramRegex(filter, chars);
        if (!pg || !regex) continue;
        ++by_regex;
        // The probe through pg_trgm finds exactly the pair's names (of both accounts' leads,
        // this account's only), by the index.
        query::ListQuery q;
        q.account_key = std::stoll(account);
        q.filters = {filter};
        query::CompiledSql probe =
            query::CompileTrigramRegexProbe(query::PostgresDialectInstance(), q, 0, 1000, *regex);
        std::vector<std::string> params = {account, *regex, "1000"};
        const auto found = rows(probe.sql, params);
        EXPECT_EQ(std::set<std::string>(found.begin(), found.end()), expected) << *regex;
        regexes.push_back(*regex);
      }
    }
  }
  if (pg) {
    EXPECT_EQ(by_regex, 50);  // the 25 pairs of a, b, z, q and 1, each contains and ends_with
    // pg_trgm's index finds a few candidates by the trigrams, not every name of the table (an
    // expression it cannot expand reads its whole index: every lead, then rechecked). Inside a
    // transaction rolled back, the sorted name index is dropped: the trigrams' is the only one.
    const long leads = std::stol(rows("SELECT count(*) FROM leads", {}).at(0));
    PQclear(PQexec(conn, "BEGIN"));
    PQclear(PQexec(conn, "DROP INDEX leads_name_sort"));
    for (const std::string& regex : regexes) {
      std::string plan;
      for (const auto& line : rows("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT id FROM "
                                   "leads WHERE name_fold ~ $1",
                                   {regex})) {
        plan += line + "\n";
      }
      const size_t at = plan.find("Bitmap Index Scan on leads_name_trgm (actual rows=");
      ASSERT_NE(at, std::string::npos) << regex << "\n" << plan;
      EXPECT_LT(std::stol(plan.substr(at + 50)), leads / 4) << regex << "\n" << plan;
    }
    PQclear(PQexec(conn, "ROLLBACK"));
    PQfinish(conn);
  }
}

// PostgreSQL: with no other way to the rows, the planner answers the listing SQL through the
// pg_trgm GIN indexes; the rows are the same as FoldText's.
TEST_F(TextSearch, PostgresTrigramIndexesAgree) {
  if (server_.db_url().rfind("postgres", 0) != 0) GTEST_SKIP() << "PostgreSQL only";
  PGconn* conn = PQconnectdb(server_.db_url().c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  auto exec = [&](const std::string& sql) {
    PGresult* r = PQexec(conn, sql.c_str());
    EXPECT_TRUE(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK)
        << sql << ": " << PQerrorMessage(conn);
    std::vector<std::string> rows;
    for (int i = 0; i < PQntuples(r); ++i) rows.emplace_back(PQgetvalue(r, i, 0));
    PQclear(r);
    return rows;
  };
  const auto indexes = exec(
      "SELECT indexname FROM pg_indexes WHERE tablename = 'leads' AND indexdef LIKE "
      "'%gin_trgm_ops%' ORDER BY indexname");
  EXPECT_EQ(indexes, (std::vector<std::string>{"leads_name_trgm"}));
  const std::string account =
      exec("SELECT account_key FROM leads WHERE id = '" + ids_.at(0) + "'").at(0);
  // Inside a transaction rolled back at the end, every other index of leads is dropped and
  // sequential scans are off: the trigram indexes are the only way left to the rows.
  exec("SET client_min_messages = warning");
  exec("BEGIN");
  for (const std::string& index : exec("SELECT indexname FROM pg_indexes WHERE tablename = "
                                       "'leads' AND indexname NOT LIKE '%_trgm'")) {
    if (index != "leads_pkey") exec("DROP INDEX " + index);
  }
  exec("ALTER TABLE leads DROP CONSTRAINT leads_pkey CASCADE");
  exec("SET LOCAL enable_seqscan = off");
  // With sequential scans priced out, every plan's estimate passes jit_above_cost: compiling
  // each query with LLVM took 0.1-0.2 s a query (about 3 minutes for the test), not the search.
  exec("SET LOCAL jit = off");
  int via_index = 0;
  for (const std::string op : {"contains", "starts_with", "ends_with"}) {
    for (const std::string& field : kFields) {
      for (const std::string& needle : kNeedles) {
        query::ListQuery q;
        q.account_key = std::stoll(account);
        const std::vector<std::string> text = {"and." + op + "." + field + "." + needle};
        q.filters = query::ParseFilters(text).value();
        q.sort = query::ParseSort("created_at", "asc").value();
        query::CompiledSql sql = query::CompilePostgresListQuery("leads.id", q);
        std::vector<std::string> params;
        for (const query::SqlValue& v : sql.binds) {
          if (const auto* s = std::get_if<std::string>(&v)) {
            params.push_back(*s);
          } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
            params.push_back(std::to_string(*i));
          } else {
            params.push_back(std::to_string(std::get<double>(v)));
          }
        }
        std::vector<const char*> values;
        for (const auto& p : params) values.push_back(p.c_str());
        auto run = [&](const std::string& statement) {
          PGresult* r = PQexecParams(conn, statement.c_str(), static_cast<int>(values.size()),
                                     nullptr, values.data(), nullptr, nullptr, 0);
          EXPECT_EQ(PQresultStatus(r), PGRES_TUPLES_OK)
              << statement << ": " << PQerrorMessage(conn);
          std::vector<std::string> rows;
          for (int i = 0; i < PQntuples(r); ++i) rows.emplace_back(PQgetvalue(r, i, 0));
          PQclear(r);
          return rows;
        };
        std::string plan;
        for (const auto& line : run("EXPLAIN " + sql.sql)) plan += line + "\n";
        via_index += plan.find("_trgm") != std::string::npos;
        EXPECT_EQ(run(sql.sql), Expected(op, field, needle))
            << op << " " << field << " " << needle << "\n"
            << plan;
      }
    }
  }
  EXPECT_GT(via_index, 60);  // the trigram indexes served most of them
  exec("ROLLBACK");
  PQfinish(conn);
}

}  // namespace
}  // namespace klozeo::testing
