// Runs compiled queries against a real in-memory SQLite database with the storage schema.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "query/cursor.h"
#include "query/fold.h"
#include "query/geo.h"
#include "query/plan.h"
#include "query/sqlite_compiler.h"
#include "storage/sqlite/connection.h"

namespace klozeo::query {
namespace {

using storage::sqlite::ReadSqliteValue;
using storage::sqlite::RegisterSqliteFunctions;
using Ids = std::vector<std::string>;
using OptText = std::optional<std::string>;
using OptNumber = std::optional<double>;

/// Binds `values` to parameters 1..n of `stmt`.
core::Status BindSqliteValues(sqlite3_stmt* stmt, std::span<const SqlValue> values) {
  for (size_t i = 0; i < values.size(); ++i) {
    int index = static_cast<int>(i + 1);
    const SqlValue& value = values[i];
    int rc = SQLITE_OK;
    if (const auto* n = std::get_if<std::int64_t>(&value)) {
      rc = sqlite3_bind_int64(stmt, index, *n);
    } else if (const auto* d = std::get_if<double>(&value)) {
      rc = sqlite3_bind_double(stmt, index, *d);
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      rc = sqlite3_bind_text64(stmt, index, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    } else {
      rc = sqlite3_bind_null(stmt, index);
    }
    if (rc != SQLITE_OK) {
      return core::Error::Internal("binding parameter " + std::to_string(index) + ": " +
                                   sqlite3_errstr(rc));
    }
  }
  return core::Ok();
}

// The listing-related part of the storage schema (storage/sql/schema.h).
constexpr const char* kSchema = R"sql(
CREATE TABLE leads (
  account_key INTEGER NOT NULL, id TEXT NOT NULL,
  name TEXT NOT NULL, source TEXT NOT NULL, description TEXT, email TEXT, phone TEXT,
  website TEXT, address TEXT, city TEXT, state TEXT, country TEXT, postal_code TEXT,
  category TEXT, source_id TEXT, logo_url TEXT, status TEXT NOT NULL DEFAULT 'new',
  name_fold TEXT NOT NULL, source_fold TEXT NOT NULL, description_fold TEXT, email_fold TEXT,
  phone_fold TEXT, website_fold TEXT, address_fold TEXT, city_fold TEXT, state_fold TEXT,
  country_fold TEXT, postal_code_fold TEXT, category_fold TEXT, source_id_fold TEXT,
  logo_url_fold TEXT, status_fold TEXT NOT NULL DEFAULT 'new',
  latitude REAL, longitude REAL, rating REAL, review_count INTEGER,
  tags TEXT NOT NULL DEFAULT '[]', tags_fold TEXT NOT NULL DEFAULT '[]',
  score REAL NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, last_interaction_at INTEGER NOT NULL,
  PRIMARY KEY (account_key, id)
) WITHOUT ROWID;
CREATE INDEX leads_created ON leads (account_key, created_at, id, status_fold, city_fold, category_fold);
CREATE INDEX leads_email ON leads (account_key, email_fold);
CREATE INDEX leads_source_id_fold ON leads (account_key, source_id_fold);
CREATE INDEX leads_name_city ON leads (account_key, name_fold, city_fold);
CREATE INDEX leads_city ON leads (account_key, city_fold);
CREATE INDEX leads_name_sort ON leads (account_key, name_fold, id);
CREATE INDEX leads_rating ON leads (account_key, rating, id);
CREATE INDEX leads_latitude ON leads (account_key, latitude);
CREATE TABLE lead_scores (
  account_key INTEGER NOT NULL, id TEXT NOT NULL, score REAL NOT NULL,
  status_fold TEXT NOT NULL, city_fold TEXT, category_fold TEXT,
  PRIMARY KEY (account_key, id)
) WITHOUT ROWID;
CREATE INDEX lead_scores_order
  ON lead_scores (account_key, score, id, status_fold, city_fold, category_fold);
CREATE INDEX leads_updated ON leads (account_key, updated_at, id, status_fold, city_fold, category_fold);
CREATE INDEX leads_review_count ON leads (account_key, review_count, id);
CREATE INDEX leads_last_interaction ON leads (account_key, last_interaction_at, id);
CREATE INDEX leads_source_id ON leads (account_key, source_id);
CREATE INDEX leads_status ON leads (account_key, status_fold, id);
CREATE TABLE lead_attributes (
  account_key INTEGER NOT NULL, lead_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,
  type TEXT NOT NULL, value TEXT NOT NULL, value_fold TEXT, value_num REAL,
  PRIMARY KEY (account_key, lead_id, name)
) WITHOUT ROWID;
CREATE INDEX lead_attributes_fold ON lead_attributes (account_key, name, value_fold);
CREATE INDEX lead_attributes_num ON lead_attributes (account_key, name, value_num);
)sql";

struct Attr {
  std::string name;
  std::string type;
  std::string json;  // the value as JSON text
};

struct Row {
  std::string id;
  std::string name;
  OptText city;
  OptText email;
  OptNumber rating;
  double score = 0;
  int64_t created_at = 0;
  OptNumber lat, lng;
  std::vector<std::string> tags;
  std::vector<Attr> attrs;
  OptText phone;
  OptText description;
  std::optional<int64_t> review_count;
};

const OptText kNoText;
const OptNumber kNoNumber;
constexpr std::int64_t kAccount = 1;

// Twelve leads of one account; see each test for what it exercises.
std::vector<Row> Leads() {
  std::vector<Row> rows(12);
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].id = (i < 9 ? "cl_0" : "cl_") + std::to_string(i + 1);
  }
  auto set = [&](int n, std::string name, OptText city, OptNumber rating, double score,
                 int64_t created_at, OptNumber lat, OptNumber lng) {
    Row& row = rows[static_cast<size_t>(n - 1)];
    row.name = std::move(name);
    row.city = std::move(city);
    row.rating = rating;
    row.score = score;
    row.created_at = created_at;
    row.lat = lat;
    row.lng = lng;
    return &row;
  };
  Row* r = set(1, "Acme", "Paris", 4.5, 80, 100, 48.8566, 2.3522);
  r->email = "john.doe@acme.com";
  r->phone = "+33 1 23 45";
  r->review_count = 10;
  r->tags = {"VIP", "b2b"};
  r->attrs = {{"industry", "text", R"("Software")"},
              {"employees", "number", "500"},
              {"active", "bool", "true"},
              {"langs", "list", R"(["FR","en"])"}};
  r = set(2, "Globex", "Z\xC3\x9CRICH", 3.0, 50, 200, 47.3769, 8.5417);  // ZÜRICH
  r->email = "info@globex.ch";
  r->review_count = 2;
  r->tags = {"b2c"};
  r->attrs = {{"industry", "text", R"("Finance")"},
              {"employees", "number", "50"},
              {"active", "bool", "false"}};
  r = set(3, "Initech", "z\xC3\xBCrich", kNoNumber, 20, 300, kNoNumber, kNoNumber);  // zürich
  r->attrs = {{"industry", "text", R"("software")"}, {"langs", "list", "[]"}};
  r = set(4, "Umbrella", kNoText, 5.0, 90, 400, 52.52, 13.405);  // Berlin
  r->tags = {"vip"};
  r->attrs = {{"employees", "number", "1000"}, {"mixed", "text", R"("abc")"}};
  r = set(5, "Hooli", "", 1.0, 10, 500, 52.4, 13.1);  // Potsdam, about 25 km from Berlin
  r->phone = "";
  r->attrs = {{"mixed", "number", "3"}};
  r->tags = {"\xC3\x89T\xC3\x89"};                                             // ÉTÉ
  r = set(6, "Stark 100%", "Berlin", kNoNumber, 70, 600, -33.8688, 151.2093);  // Sydney
  r->description = "50% off_now";
  r->attrs = {{"mixed", "bool", "true"}};
  r = set(7, "Wayne_Enterprises", "Gotham", kNoNumber, 30, 700, kNoNumber, kNoNumber);
  r->tags = {"b2b", "vip"};
  r->attrs = {{"notes", "object", R"({"a":1})"}, {"empty_obj", "object", "{}"}};
  r = set(8, "Cyberdyne", "Paris", 4.5, 60, 800, kNoNumber, kNoNumber);
  r->attrs = {{"industry", "text", R"("")"}};
  r = set(9, "Soylent", "London", 2.5, 40, 900, 51.5074, -0.1278);
  r->attrs = {{"mixed", "text", R"("ABC")"}};
  set(10, "Tyrell", "paris", kNoNumber, 55, 1000, kNoNumber, kNoNumber);
  r = set(11, "Massive Dynamic", kNoText, kNoNumber, 55, 1000, 0.05, 179.95);  // same created_at
  r->attrs = {{"industry", "text", R"("Software")"}};
  r = set(12, "Oscorp", kNoText, kNoNumber, 0, 1100, 0.0, -179.95);
  r->email = "PETER@OSCORP.COM";
  return rows;
}

SqlValue Text(const OptText& text) { return text ? SqlValue(*text) : SqlValue(nullptr); }
SqlValue Folded(const OptText& text) {
  return text ? SqlValue(FoldText(*text)) : SqlValue(nullptr);
}
SqlValue Number(const OptNumber& n) { return n ? SqlValue(*n) : SqlValue(nullptr); }

class TestDb {
 public:
  TestDb() {
    EXPECT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    Exec(kSchema);
    EXPECT_TRUE(RegisterSqliteFunctions(db_).ok());
  }
  ~TestDb() { sqlite3_close(db_); }
  TestDb(const TestDb&) = delete;
  TestDb& operator=(const TestDb&) = delete;

  sqlite3* handle() { return db_; }

  void Exec(const char* sql) {
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql, nullptr, nullptr, &error), SQLITE_OK) << error;
  }

  void Insert(std::int64_t account, const Row& row) {
    nlohmann::json tags = row.tags;
    nlohmann::json tags_fold = nlohmann::json::array();
    for (const std::string& tag : row.tags) tags_fold.push_back(FoldText(tag));
    std::vector<SqlValue> values = {
        account,
        row.id,
        row.name,
        std::string("web"),
        Text(row.description),
        Text(row.email),
        Text(row.phone),
        Text(row.city),
        std::string("new"),
        FoldText(row.name),
        std::string("web"),
        Folded(row.description),
        Folded(row.email),
        Folded(row.phone),
        Folded(row.city),
        std::string("new"),
        Number(row.lat),
        Number(row.lng),
        Number(row.rating),
        row.review_count ? SqlValue(*row.review_count) : SqlValue(nullptr),
        row.score,
        row.created_at,
        row.created_at,
        row.created_at,
        tags.dump(),
        tags_fold.dump()};
    Run("INSERT INTO leads (account_key, id, name, source, description, email, phone, city,"
        " status, name_fold, source_fold, description_fold, email_fold, phone_fold, city_fold,"
        " status_fold, latitude, longitude, rating, review_count, score, created_at, updated_at,"
        " last_interaction_at, tags, tags_fold)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        values);
    // Its score row (schema 24: the SQLite compiler reads scores from lead_scores).
    Run("INSERT INTO lead_scores SELECT account_key, id, score, status_fold, city_fold,"
        " category_fold FROM leads WHERE id = ?",
        {row.id});
    for (const Attr& attr : row.attrs) {
      nlohmann::json value = nlohmann::json::parse(attr.json);
      SqlValue fold = nullptr;
      SqlValue num = nullptr;
      if (attr.type == "text") fold = FoldText(value.get<std::string>());
      if (attr.type == "number") num = value.get<double>();
      if (attr.type == "bool") num = std::int64_t{value.get<bool>() ? 1 : 0};
      Run("INSERT INTO lead_attributes (account_key, lead_id, id, name, type, value, value_fold,"
          " value_num) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          {account, row.id, row.id + "_" + attr.name, attr.name, attr.type, value.dump(), fold,
           num});
    }
  }

  void Delete(std::string_view id) {
    Run("DELETE FROM leads WHERE id = ?", {std::string(id)});
    Run("DELETE FROM lead_scores WHERE id = ?", {std::string(id)});
    Run("DELETE FROM lead_attributes WHERE lead_id = ?", {std::string(id)});
  }

  // Runs a statement; returns column 0 as text and the last column as a value, per row.
  std::vector<std::pair<std::string, SqlValue>> Run(const std::string& sql,
                                                    const std::vector<SqlValue>& binds) {
    sqlite3_stmt* stmt = nullptr;
    std::vector<std::pair<std::string, SqlValue>> rows;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
    EXPECT_EQ(rc, SQLITE_OK) << sqlite3_errmsg(db_) << "\n" << sql;
    if (rc != SQLITE_OK) return rows;
    EXPECT_TRUE(BindSqliteValues(stmt, binds).ok());
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      int last = sqlite3_column_count(stmt) - 1;
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      rows.emplace_back(text ? text : "", ReadSqliteValue(stmt, last));
    }
    EXPECT_EQ(rc, SQLITE_DONE) << sqlite3_errmsg(db_) << "\n" << sql;
    sqlite3_finalize(stmt);
    return rows;
  }

  std::vector<std::pair<std::string, SqlValue>> Run(const CompiledSql& compiled) {
    return Run(compiled.sql, compiled.binds);
  }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteQuery : public ::testing::Test {
 protected:
  SqliteQuery() {
    for (const Row& row : Leads()) db_.Insert(kAccount, row);
    // Another account's lead matching nearly everything must never show up.
    Row stranger = Leads()[0];
    stranger.id = "cl_00";
    stranger.city = "paris";
    db_.Insert(2, stranger);
  }

  Ids List(std::vector<std::string> filters, Sort sort = {}) {
    ListQuery query;
    query.account_key = kAccount;
    auto parsed = ParseFilters(filters);
    EXPECT_TRUE(parsed.ok()) << parsed.error().message;
    if (!parsed.ok()) return {};
    query.filters = std::move(parsed).value();
    query.sort = std::move(sort);
    Ids ids;
    for (auto& [id, key] : db_.Run(CompileSqliteListQuery("leads.id", query))) ids.push_back(id);
    return ids;
  }

  // Every lead id except `excluded`, in the default order.
  static Ids AllBut(Ids excluded) {
    Ids ids;
    for (const Row& row : Leads()) {
      if (std::find(excluded.begin(), excluded.end(), row.id) == excluded.end()) {
        ids.push_back(row.id);
      }
    }
    return ids;
  }

  TestDb db_;
};

struct FilterCase {
  std::vector<std::string> filters;
  Ids expected;
};

void ExpectCases(SqliteQuery* test, const std::vector<FilterCase>& cases,
                 const std::function<Ids(std::vector<std::string>)>& list) {
  (void)test;
  for (const FilterCase& c : cases) {
    std::string label;
    for (const std::string& f : c.filters) label += f + " ";
    EXPECT_EQ(list(c.filters), c.expected) << label;
  }
}

TEST_F(SqliteQuery, MathFunctionsAreAvailable) {
  // The distance SQL needs SQLite built with SQLITE_ENABLE_MATH_FUNCTIONS (Debian's is).
  auto rows = db_.Run("SELECT 'x', sin(1) + acos(0.5) + radians(180) + pow(2, 2)", {});
  ASSERT_EQ(rows.size(), 1u);
}

TEST_F(SqliteQuery, NoFilterListsTheWholeAccountOnly) { EXPECT_EQ(List({}), AllBut({})); }

TEST_F(SqliteQuery, TextOperators) {
  const std::vector<FilterCase> cases = {
      {{"and.eq.city.Paris"}, {"cl_01", "cl_08", "cl_10"}},
      {{"and.eq.city.PARIS"}, {"cl_01", "cl_08", "cl_10"}},
      {{"and.eq.city.z\xC3\xBCrich"}, {"cl_02", "cl_03"}},
      {{"and.eq.city.Z\xC3\x9CRICH"}, {"cl_02", "cl_03"}},
      {{"and.eq.city.zu\xCC\x88rich"}, {"cl_02", "cl_03"}},  // decomposed ü
      {{"and.eq.email.john.doe@acme.com"}, {"cl_01"}},
      {{"and.eq.email.peter@oscorp.com"}, {"cl_12"}},
      {{"and.eq.city"}, {"cl_05"}},                                   // no value: equals ""
      {{"and.neq.city.paris"}, AllBut({"cl_01", "cl_08", "cl_10"})},  // NULL cities included
      {{"and.contains.email.ACME"}, {"cl_01"}},
      {{"and.contains.email.@"}, {"cl_01", "cl_02", "cl_12"}},
      {{"and.contains.name.%"}, {"cl_06"}},  // % is literal
      {{"and.contains.name._"}, {"cl_07"}},  // _ is literal
      {{"and.contains.description.% off_"}, {"cl_06"}},
      {{"and.contains.city."},
       {"cl_01", "cl_02", "cl_03", "cl_05", "cl_06", "cl_07", "cl_08", "cl_09",
        "cl_10"}},  // "" is in every non-NULL text
      {{"and.not_contains.email.acme"}, AllBut({"cl_01"})},
      {{"and.starts_with.name.STARK"}, {"cl_06"}},
      {{"and.starts_with.email.peter@"}, {"cl_12"}},
      {{"and.starts_with.name.%"}, {}},
      {{"and.ends_with.name.100%"}, {"cl_06"}},
      {{"and.ends_with.city.RICH"}, {"cl_02", "cl_03"}},
      {{"and.in.city.paris, LONDON"}, {"cl_01", "cl_08", "cl_09", "cl_10"}},
      {{"and.in.city.Z\xC3\x9CRICH,gotham"}, {"cl_02", "cl_03", "cl_07"}},
      {{"and.is_empty.city"}, {"cl_04", "cl_05", "cl_11", "cl_12"}},
      {{"and.is_not_empty.city"},
       {"cl_01", "cl_02", "cl_03", "cl_06", "cl_07", "cl_08", "cl_09", "cl_10"}},
      {{"and.is_empty.phone"}, AllBut({"cl_01"})},  // cl_05 has "" and the rest NULL
      {{"and.eq.status.NEW"}, AllBut({})},
  };
  ExpectCases(this, cases, [this](std::vector<std::string> f) { return List(std::move(f)); });
}

TEST_F(SqliteQuery, NumberOperators) {
  const std::vector<FilterCase> cases = {
      {{"and.eq.rating.4.5"}, {"cl_01", "cl_08"}},
      {{"and.eq.rating.5"}, {"cl_04"}},
      {{"and.neq.rating.4.5"}, AllBut({"cl_01", "cl_08"})},  // NULL ratings included
      {{"and.gt.rating.4"}, {"cl_01", "cl_04", "cl_08"}},
      {{"and.gte.rating.4.5"}, {"cl_01", "cl_04", "cl_08"}},
      {{"and.lt.rating.3"}, {"cl_05", "cl_09"}},
      {{"and.lte.rating.3"}, {"cl_02", "cl_05", "cl_09"}},
      {{"and.gt.score.54.9"}, {"cl_01", "cl_04", "cl_06", "cl_08", "cl_10", "cl_11"}},
      {{"and.eq.review_count.10"}, {"cl_01"}},
      {{"and.eq.review_count.1e+1"}, {"cl_01"}},
      {{"and.lte.created_at.300"}, {"cl_01", "cl_02", "cl_03"}},
      {{"and.gt.created_at.1e+21"}, {}},
      {{"and.lt.latitude.0"}, {"cl_06"}},
  };
  ExpectCases(this, cases, [this](std::vector<std::string> f) { return List(std::move(f)); });
}

TEST_F(SqliteQuery, TagOperators) {
  const std::vector<FilterCase> cases = {
      {{"and.array_contains.tags.vip"}, {"cl_01", "cl_04", "cl_07"}},
      {{"and.array_contains.tags.VIP"}, {"cl_01", "cl_04", "cl_07"}},
      {{"and.array_contains.tags.\xC3\xA9t\xC3\xA9"}, {"cl_05"}},  // "été" matches "ÉTÉ"
      {{"and.array_contains.tags.vi"}, {}},                        // whole elements only
      {{"and.array_not_contains.tags.vip"}, AllBut({"cl_01", "cl_04", "cl_07"})},
      {{"and.array_empty.tags"}, {"cl_03", "cl_06", "cl_08", "cl_09", "cl_10", "cl_11", "cl_12"}},
      {{"and.array_not_empty.tags"}, {"cl_01", "cl_02", "cl_04", "cl_05", "cl_07"}},
  };
  ExpectCases(this, cases, [this](std::vector<std::string> f) { return List(std::move(f)); });
}

TEST_F(SqliteQuery, LocationOperators) {
  const std::vector<FilterCase> cases = {
      {{"and.within_radius.location.52.52,13.405,50"}, {"cl_04", "cl_05"}},
      {{"and.within_radius.location.52.52,13.405,10"}, {"cl_04"}},
      // Across the ±180° meridian: 0.05,179.95 and 0,-179.95 are both near 0,180.
      {{"and.within_radius.location.0,180,20"}, {"cl_11", "cl_12"}},
      {{"and.within_radius.location.0,-180,20"}, {"cl_11", "cl_12"}},
      {{"and.within_radius.location.0,179.95,1"}, {}},
      // Near a pole, the box has no longitude bound.
      {{"and.within_radius.location.89.9,0,20000"},
       {"cl_01", "cl_02", "cl_04", "cl_05", "cl_06", "cl_09", "cl_11", "cl_12"}},
      {{"and.is_set.location"},
       {"cl_01", "cl_02", "cl_04", "cl_05", "cl_06", "cl_09", "cl_11", "cl_12"}},
      {{"and.is_not_set.location"}, {"cl_03", "cl_07", "cl_08", "cl_10"}},
  };
  ExpectCases(this, cases, [this](std::vector<std::string> f) { return List(std::move(f)); });
}

TEST_F(SqliteQuery, WithinRadiusAgreesWithGreatCircleKm) {
  // For several circles, SQL's answer equals a brute-force check with the C++ formula.
  const std::vector<GeoCircle> circles = {{48.8566, 2.3522, 900}, {48.8566, 2.3522, 878.5},
                                          {51.5, 0, 400},         {-33.8, 151.2, 10},
                                          {10, 170, 2000},        {0, 0, 20037}};
  for (const GeoCircle& c : circles) {
    Ids expected;
    for (const Row& row : Leads()) {
      if (row.lat && row.lng && GreatCircleKm(*row.lat, *row.lng, c.lat, c.lng) <= c.km) {
        expected.push_back(row.id);
      }
    }
    std::string filter = "and.within_radius.location." + std::to_string(c.lat) + "," +
                         std::to_string(c.lng) + "," + std::to_string(c.km);
    EXPECT_EQ(List({filter}), expected) << filter;
  }
  EXPECT_NEAR(GreatCircleKm(48.8566, 2.3522, 52.52, 13.405), 877.5, 1.0);  // Paris–Berlin
}

TEST_F(SqliteQuery, DistanceSqlMatchesGreatCircleKm) {
  SqliteDialect dialect;
  SqlBuilder builder(dialect);
  builder.Append("SELECT 'x', ");
  dialect.AppendDistanceKm(builder, "51.5074", "-0.1278", 40.7128, -74.0060);
  CompiledSql sql = std::move(builder).Finish();
  auto rows = db_.Run(sql);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NEAR(std::get<double>(rows[0].second), GreatCircleKm(51.5074, -0.1278, 40.7128, -74.0060),
              1e-6);
}

TEST_F(SqliteQuery, AttributeOperators) {
  const Ids kIndustrySoftware = {"cl_01", "cl_03", "cl_11"};
  const std::vector<FilterCase> cases = {
      // text attributes
      {{"and.eq.attr:industry.SOFTWARE"}, kIndustrySoftware},
      {{"and.neq.attr:industry.software"}, AllBut(kIndustrySoftware)},  // absent matches
      {{"and.contains.attr:industry.SOFT"}, kIndustrySoftware},
      {{"and.starts_with.attr:industry.fin"}, {"cl_02"}},
      {{"and.ends_with.attr:industry.WARE"}, kIndustrySoftware},
      {{"and.not_contains.attr:industry.soft"}, AllBut(kIndustrySoftware)},
      {{"and.is_empty.attr:industry"}, AllBut({"cl_01", "cl_02", "cl_03", "cl_11"})},
      {{"and.is_not_empty.attr:industry"}, {"cl_01", "cl_02", "cl_03", "cl_11"}},
      {{"and.gt.attr:industry.0"}, {}},  // text never compares numerically
      {{"and.eq.attr:nothing.x"}, {}},
      // number attributes
      {{"and.gt.attr:employees.100"}, {"cl_01", "cl_04"}},
      {{"and.lte.attr:employees.500"}, {"cl_01", "cl_02"}},
      {{"and.eq.attr:employees.500"}, {"cl_01"}},
      {{"and.eq.attr:employees.500.0"}, {"cl_01"}},
      {{"and.neq.attr:employees.500"}, AllBut({"cl_01"})},
      {{"and.is_not_empty.attr:employees"}, {"cl_01", "cl_02", "cl_04"}},
      // bool attributes
      {{"and.eq.attr:active.true"}, {"cl_01"}},
      {{"and.eq.attr:active.FALSE"}, {"cl_02"}},
      {{"and.neq.attr:active.true"}, AllBut({"cl_01"})},
      {{"and.gt.attr:active.0"}, {}},  // bools are not numbers
      {{"and.is_not_empty.attr:active"}, {"cl_01", "cl_02"}},
      // list attributes
      {{"and.array_contains.attr:langs.fr"}, {"cl_01"}},
      {{"and.array_contains.attr:langs.EN"}, {"cl_01"}},
      {{"and.array_contains.attr:langs.de"}, {}},
      {{"and.array_not_contains.attr:langs.fr"}, AllBut({"cl_01"})},
      {{"and.array_not_empty.attr:langs"}, {"cl_01"}},
      {{"and.array_empty.attr:langs"}, AllBut({"cl_01"})},
      {{"and.array_contains.attr:industry.software"}, {}},  // not a list
      {{"and.is_empty.attr:langs"}, AllBut({"cl_01"})},
      // object attributes
      {{"and.is_not_empty.attr:notes"}, {"cl_07"}},
      {{"and.is_not_empty.attr:empty_obj"}, {}},
      {{"and.is_empty.attr:empty_obj"}, AllBut({})},
  };
  ExpectCases(this, cases, [this](std::vector<std::string> f) { return List(std::move(f)); });
}

TEST_F(SqliteQuery, CombinesAndWithAtLeastOneOr) {
  const std::vector<FilterCase> cases = {
      {{"and.eq.city.paris", "or.eq.rating.4.5", "or.eq.name.tyrell"}, {"cl_01", "cl_08", "cl_10"}},
      {{"or.eq.city.london", "or.eq.city.gotham"}, {"cl_07", "cl_09"}},
      {{"and.eq.city.paris", "or.eq.name.Acme", "or.eq.name.TYRELL"}, {"cl_01", "cl_10"}},
      {{"and.gt.rating.1", "and.lt.rating.5"}, {"cl_01", "cl_02", "cl_08", "cl_09"}},
      {{"or.is_empty.city", "or.array_contains.tags.b2b"},
       {"cl_01", "cl_04", "cl_05", "cl_07", "cl_11", "cl_12"}},
      {{"and.eq.city.paris", "and.eq.city.london"}, {}},
  };
  ExpectCases(this, cases, [this](std::vector<std::string> f) { return List(std::move(f)); });
}

TEST_F(SqliteQuery, SortsWithNullsLastInBothDirections) {
  auto sort = [](std::string_view field, std::string_view order) {
    return ParseSort(field, order).value();
  };
  EXPECT_EQ(List({}, sort("rating", "asc")),
            (Ids{"cl_05", "cl_09", "cl_02", "cl_01", "cl_08", "cl_04", "cl_03", "cl_06", "cl_07",
                 "cl_10", "cl_11", "cl_12"}));
  EXPECT_EQ(List({}, sort("rating", "desc")),
            (Ids{"cl_04", "cl_08", "cl_01", "cl_02", "cl_09", "cl_05", "cl_12", "cl_11", "cl_10",
                 "cl_07", "cl_06", "cl_03"}));
  EXPECT_EQ(List({}, sort("city", "asc")),  // case-insensitive: by the folded value
            (Ids{"cl_05", "cl_06", "cl_07", "cl_09", "cl_01", "cl_08", "cl_10", "cl_02", "cl_03",
                 "cl_04", "cl_11", "cl_12"}));
  EXPECT_EQ(List({}, sort("city", "DESC")),
            (Ids{"cl_03", "cl_02", "cl_10", "cl_08", "cl_01", "cl_09", "cl_07", "cl_06", "cl_05",
                 "cl_12", "cl_11", "cl_04"}));
  EXPECT_EQ(List({}, sort("created_at", "desc")),
            (Ids{"cl_12", "cl_11", "cl_10", "cl_09", "cl_08", "cl_07", "cl_06", "cl_05", "cl_04",
                 "cl_03", "cl_02", "cl_01"}));
  EXPECT_EQ(List({}, sort("attr:employees", "asc")),
            (Ids{"cl_02", "cl_01", "cl_04", "cl_03", "cl_05", "cl_06", "cl_07", "cl_08", "cl_09",
                 "cl_10", "cl_11", "cl_12"}));
  EXPECT_EQ(List({}, sort("attr:industry", "desc")),
            (Ids{"cl_11", "cl_03", "cl_01", "cl_02", "cl_08", "cl_12", "cl_10", "cl_09", "cl_07",
                 "cl_06", "cl_05", "cl_04"}));
  // Numbers (and bools) sort before text, as SQLite compares values of different types.
  EXPECT_EQ(List({"and.is_not_empty.attr:mixed"}, sort("attr:mixed", "asc")),
            (Ids{"cl_06", "cl_05", "cl_04", "cl_09"}));
  EXPECT_EQ(List({}, sort("attr:mixed", "desc")),
            (Ids{"cl_09", "cl_04", "cl_05", "cl_06", "cl_12", "cl_11", "cl_10", "cl_08", "cl_07",
                 "cl_03", "cl_02", "cl_01"}));
  EXPECT_EQ(List({"and.is_not_empty.attr:active"}, sort("attr:active", "asc")),
            (Ids{"cl_02", "cl_01"}));
  EXPECT_EQ(List({"and.is_set.location"}, sort("latitude", "asc")),
            (Ids{"cl_06", "cl_12", "cl_11", "cl_02", "cl_01", "cl_09", "cl_05", "cl_04"}));
}

// Pages through a listing with limit-sized pages and encoded cursors.
struct Paged {
  Ids ids;
  int pages = 0;
};

Paged PageThrough(TestDb& db, const ListQuery& base, int limit,
                  const std::function<void(int page)>& between_pages = nullptr) {
  constexpr std::string_view kSecret = "paging-secret";
  Paged result;
  std::optional<std::string> cursor_text;
  while (true) {
    ListQuery query = base;
    query.limit = limit;
    if (cursor_text) {
      auto cursor = DecodeCursor(*cursor_text, kSecret, base.sort);
      EXPECT_TRUE(cursor.ok());
      if (!cursor.ok()) break;
      query.after = *cursor;
    }
    auto rows = db.Run(CompileSqliteListQuery("leads.id", query));
    bool has_more = rows.size() > static_cast<size_t>(limit);
    if (has_more) rows.pop_back();
    ++result.pages;
    for (const auto& row : rows) result.ids.push_back(row.first);
    if (!has_more || result.pages > 100) break;
    cursor_text =
        EncodeCursor(CursorAfter(base.sort, rows.back().second, rows.back().first), kSecret);
    if (between_pages) between_pages(result.pages);
  }
  return result;
}

TEST_F(SqliteQuery, PagingYieldsEveryRowExactlyOnce) {
  const std::vector<std::pair<std::string, std::string>> sorts = {
      {"created_at", "asc"},    {"created_at", "desc"},    {"rating", "asc"},
      {"rating", "desc"},       {"city", "asc"},           {"city", "desc"},
      {"name", "asc"},          {"score", "desc"},         {"email", "asc"},
      {"review_count", "desc"}, {"attr:employees", "asc"}, {"attr:employees", "desc"},
      {"attr:industry", "asc"}, {"attr:industry", "desc"}, {"attr:langs", "asc"},
      {"attr:mixed", "asc"},    {"attr:mixed", "desc"}};
  const std::vector<std::vector<std::string>> filter_sets = {
      {}, {"or.is_empty.city", "or.gt.rating.2"}, {"and.neq.attr:industry.finance"}};
  for (const auto& [field, order] : sorts) {
    for (const auto& filters : filter_sets) {
      ListQuery base;
      base.account_key = kAccount;
      base.filters = ParseFilters(filters).value();
      base.sort = ParseSort(field, order).value();
      Ids all = List(filters, base.sort);
      for (int limit : {1, 2, 3, 5, 11, 12, 13}) {
        Paged paged = PageThrough(db_, base, limit);
        EXPECT_EQ(paged.ids, all) << field << " " << order << " limit " << limit;
        int full_pages = static_cast<int>(all.size()) / limit;
        EXPECT_LE(paged.pages, full_pages + 1);
        if (base.sort.field.kind == FieldKind::kAttribute) {
          // The attribute sort's own plan (value indexes, block by block) pages the same.
          ListQuery blocks = base;
          blocks.access = Access::kAttributeSort;
          Paged walked = PageThrough(db_, blocks, limit);
          EXPECT_EQ(walked.ids, all) << field << " " << order << " blocks, limit " << limit;
          EXPECT_LE(walked.pages, full_pages + 1);
        }
      }
    }
  }
}

// Plan steering (query/plan.h) only rewrites which index may serve a condition or the order:
// every access path yields exactly the rows and order of the unsteered query, page by page.
TEST_F(SqliteQuery, SteeringNeverChangesResults) {
  const std::vector<std::pair<std::string, std::string>> sorts = {
      {"created_at", "asc"}, {"score", "desc"},
      {"rating", "asc"},     {"rating", "desc"},
      {"name", "asc"},       {"city", "desc"},
      {"email", "asc"},      {"attr:employees", "desc"},
      {"attr:mixed", "asc"}, {"attr:industry", "desc"}};
  const std::vector<std::vector<std::string>> filter_sets = {
      {"and.eq.city.paris"},
      {"and.gte.score.40"},
      {"and.gte.score.40", "and.eq.city.paris"},
      {"and.gt.rating.2", "and.lt.created_at.900"},
      {"and.starts_with.name.s", "or.eq.city.berlin", "or.gt.rating.4"},
      {"and.starts_with.name.wayne_"},
      {"and.starts_with.city.z\xC3\xBC"},
      {"and.in.city.paris,london", "and.neq.attr:industry.finance"},
      {"and.eq.attr:industry.software", "and.gte.rating.1"},
      {"and.gt.attr:employees.40", "and.lte.score.80"},
      {"and.starts_with.attr:industry.soft"},
      {"and.eq.attr:active.true"},
      {"and.eq.attr:mixed.3"},
      {"and.within_radius.location.52.52,13.405,30", "and.gte.created_at.100"},
      {"and.eq.email.peter@oscorp.com"},
      {"and.gte.review_count.2", "and.lte.review_count.10"},
      {"and.gte.attr:employees.40", "and.lte.attr:employees.600", "and.eq.attr:industry.software"},
      {"and.gt.attr:mixed.1"},
      {"and.eq.attr:mixed.b", "or.gt.rating.2", "or.is_empty.city"},
      {"and.is_empty.attr:industry"},
      {"and.contains.name.ay"},
      {"and.ends_with.city.is", "and.gte.score.10"},
      {"and.contains.email.o", "and.contains.name.e"},
      // Walks of the sort index that check filters on their own index before reading a row.
      {"and.eq.city.paris", "and.eq.attr:industry.software", "and.array_contains.tags.vip"},
      {"and.eq.rating.4.5", "and.in.status.new,won", "and.lt.score.90"},
      {"and.in.city.paris,berlin", "and.eq.name.cyberdyne", "or.gt.rating.4", "or.is_empty.email"},
      // `or` groups checked on the walk (eq/in on indexed fields, the sort field itself).
      {"or.eq.city.paris", "or.in.city.london,gotham"},
      {"or.eq.city.berlin", "or.gt.rating.4", "and.gte.score.20"},
      {"and.eq.attr:industry.software", "or.eq.city.paris", "or.eq.attr:industry.finance"},
      // Comparisons a bool (0 or 1) passes keep the type check when they drive.
      {"and.gt.attr:mixed.0.5"},
      {"and.lt.attr:mixed.5", "and.gte.attr:mixed.0"},
      // Any operator on a column the walked index carries (status, city, category; created_at
      // and score sorts): tested on the walked entry.
      {"and.neq.city.paris", "and.in.status.new,won"},
      {"and.is_empty.city", "or.eq.status.won", "or.starts_with.city.ber"},
      {"and.contains.city.ar", "and.is_empty.category"},
      {"and.not_contains.status.ne", "and.gte.score.20", "and.array_contains.tags.vip"},
  };
  for (const auto& [field, order] : sorts) {
    for (const auto& filters : filter_sets) {
      ListQuery base;
      base.account_key = kAccount;
      base.filters = ParseFilters(filters).value();
      base.sort = ParseSort(field, order).value();
      const Ids expected = List(filters, base.sort);
      std::vector<ListQuery> steered;
      ListQuery walk = base;
      walk.access = Access::kSortIndex;
      steered.push_back(walk);
      ListQuery scan = base;
      scan.access = Access::kScan;
      steered.push_back(scan);
      if (base.sort.field.kind == FieldKind::kAttribute) {
        ListQuery blocks = base;
        blocks.access = Access::kAttributeSort;
        steered.push_back(blocks);
      }
      for (size_t i = 0; i < base.filters.size(); ++i) {
        if (!IsIndexable(base.filters[i])) continue;
        ListQuery drive = base;
        drive.access = Access::kFilterIndex;
        drive.drive = i;
        steered.push_back(drive);
        if ((base.filters[i].field.kind == FieldKind::kAttribute ||
             base.filters[i].op == Op::kWithinRadius) &&
            HasSortIndex(base)) {
          ListQuery set = walk;  // the walk looks its entries up in the filter's set of ids
          set.walk_set = i;
          steered.push_back(set);
        }
        // The probe counts at least what the filter alone matches (it may overcount: it reads
        // only the index), and at most the cap.
        ListQuery alone = base;
        alone.filters.clear();
        for (size_t j : SameIndexFilters(base, i)) alone.filters.push_back(base.filters[j]);
        const auto matching =
            static_cast<int64_t>(db_.Run(CompileSqliteListQuery("leads.id", alone)).size());
        if (ProbeReadsIds(base.filters[i])) {
          // It reads the ids instead (each match once), which the query may carry.
          auto read = db_.Run(CompileCountProbe(SqliteDialectInstance(), base, i, 1000));
          EXPECT_EQ(static_cast<int64_t>(read.size()), matching) << filters[i];
          EXPECT_EQ(db_.Run(CompileCountProbe(SqliteDialectInstance(), base, i, 1)).size(),
                    std::min<size_t>(read.size(), 1))
              << filters[i];
          ListQuery with_ids = drive;
          with_ids.drive_ids.emplace();
          for (const auto& [id, value] : read) with_ids.drive_ids->push_back(id);
          steered.push_back(with_ids);
          continue;
        }
        auto counted = db_.Run(CompileCountProbe(SqliteDialectInstance(), base, i, 1000));
        ASSERT_EQ(counted.size(), 1u);
        ASSERT_TRUE(std::holds_alternative<int64_t>(counted[0].second));
        EXPECT_GE(std::get<int64_t>(counted[0].second), matching) << filters[i];
        auto capped = db_.Run(CompileCountProbe(SqliteDialectInstance(), base, i, 1));
        EXPECT_EQ(capped[0].second, SqlValue(std::min<int64_t>(matching, 1))) << filters[i];
      }
      for (const ListQuery& q : steered) {
        std::string label = field + " " + order + " access " +
                            std::to_string(static_cast<int>(q.access)) + " drive " +
                            std::to_string(q.drive) + ":";
        for (const std::string& f : filters) label += " " + f;
        Ids ids;
        for (auto& [id, key] : db_.Run(CompileSqliteListQuery("leads.id", q))) ids.push_back(id);
        EXPECT_EQ(ids, expected) << label;
        for (int limit : {1, 2, 5}) {
          EXPECT_EQ(PageThrough(db_, q, limit).ids, expected) << label << " limit " << limit;
        }
      }
    }
  }
}

TEST_F(SqliteQuery, PagingStaysCorrectWhileRowsChange) {
  ListQuery base;
  base.account_key = kAccount;
  Row early = Leads()[0];
  early.id = "cl_20";
  early.created_at = 50;  // sorts before rows already seen: must not appear
  Row late = Leads()[0];
  late.id = "cl_21";
  late.created_at = 5000;  // sorts after: must appear once
  Paged paged = PageThrough(db_, base, 3, [&](int page) {
    if (page == 1) {
      db_.Insert(kAccount, early);
      db_.Insert(kAccount, late);
      db_.Delete("cl_05");
      db_.Delete("cl_02");  // already seen: no effect on later pages
    }
  });
  EXPECT_EQ(paged.ids, (Ids{"cl_01", "cl_02", "cl_03", "cl_04", "cl_06", "cl_07", "cl_08", "cl_09",
                            "cl_10", "cl_11", "cl_12", "cl_21"}));
}

std::string QueryPlan(TestDb& db, const CompiledSql& compiled) {
  std::string plan;
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db.handle(), ("EXPLAIN QUERY PLAN " + compiled.sql).c_str(), -1,
                               &stmt, nullptr),
            SQLITE_OK)
      << compiled.sql;
  EXPECT_TRUE(BindSqliteValues(stmt, compiled.binds).ok());
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
    plan += "\n";
  }
  sqlite3_finalize(stmt);
  return plan;
}

// A walk of the sort index checks eq filters on their own indexes (covering seeks) before the
// lead's row is read, keeps the walk's order (no sort step) and seeks the cursor.
TEST_F(SqliteQuery, CheckedWalkReadsTheIndexesBeforeTheRow) {
  ListQuery query;
  query.account_key = kAccount;
  const std::vector<std::string> filters = {"and.eq.city.paris", "and.eq.status.new",
                                            "and.eq.attr:industry.software",
                                            "and.array_contains.tags.vip"};
  query.filters = ParseFilters(filters).value();
  query.sort = ParseSort("updated_at", "desc").value();
  query.after = CursorAfter(query.sort, std::int64_t{900}, "cl_09");
  query.limit = 10;
  query.access = Access::kSortIndex;
  const std::string plan = QueryPlan(db_, CompileSqliteListQuery("leads.id", query));
  EXPECT_NE(plan.find("COVERING INDEX leads_updated (account_key=? AND (updated_at,id)<(?,?))"),
            std::string::npos)
      << plan;
  // City and status are read off the walked entry (leads_updated carries them: OnWalkedEntry).
  EXPECT_EQ(plan.find("leads_city"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("leads_status"), std::string::npos) << plan;
  EXPECT_NE(plan.find("COVERING INDEX lead_attributes_fold (account_key=? AND name=? AND "
                      "value_fold=? AND lead_id=?)"),
            std::string::npos)
      << plan;
  EXPECT_NE(plan.find("SEARCH leads USING PRIMARY KEY (account_key=? AND id=?)"), std::string::npos)
      << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
  Ids ids;
  for (auto& [id, key] : db_.Run(CompileSqliteListQuery("leads.id", query))) ids.push_back(id);
  EXPECT_EQ(ids, Ids{"cl_01"});
  // A sort index that carries neither (rating): each is a seek of its own index.
  ListQuery by_rating = query;
  by_rating.sort = ParseSort("rating", "desc").value();
  by_rating.after.reset();
  const std::string seeks = QueryPlan(db_, CompileSqliteListQuery("leads.id", by_rating));
  EXPECT_NE(seeks.find("COVERING INDEX leads_rating"), std::string::npos) << seeks;
  EXPECT_NE(seeks.find("COVERING INDEX leads_city (account_key=? AND city_fold=? AND id=?)"),
            std::string::npos)
      << seeks;
  EXPECT_NE(seeks.find("COVERING INDEX leads_status (account_key=? AND status_fold=? AND id=?)"),
            std::string::npos)
      << seeks;
  EXPECT_EQ(seeks.find("TEMP B-TREE"), std::string::npos) << seeks;
}

TEST_F(SqliteQuery, DefaultPageSeeksTheCreatedIndex) {
  ListQuery query;
  query.account_key = kAccount;
  query.after = CursorAfter(query.sort, std::int64_t{500}, "cl_05");
  query.limit = 10;
  CompiledSql compiled = CompileSqliteListQuery("leads.id", query);
  std::string plan;
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db_.handle(), ("EXPLAIN QUERY PLAN " + compiled.sql).c_str(), -1,
                               &stmt, nullptr),
            SQLITE_OK);
  ASSERT_TRUE(BindSqliteValues(stmt, compiled.binds).ok());
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
    plan += "\n";
  }
  sqlite3_finalize(stmt);
  EXPECT_NE(plan.find("leads_created"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
}

}  // namespace
}  // namespace klozeo::query
