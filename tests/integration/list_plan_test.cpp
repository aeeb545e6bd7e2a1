// The list plans of issue 16 on both backends (docs/QUERY-PERFORMANCE.md): the attr: sort that
// walks the attribute value indexes (on PostgreSQL through lead_attributes_sort, schema 14),
// rating sorted DESC NULLS LAST (PostgreSQL: leads_rating_desc), a substring too short for the
// trigrams found through its field's index (SQLite), and a rare filter steered to its index
// (PostgreSQL too). Pages of every size, walked with cursors, must equal the order the API
// defines (computed here), and on PostgreSQL the planner must be able to use the new indexes.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "query/filter.h"
#include "query/plan.h"
#include "query/postgres_compiler.h"
#include "query/sort.h"
#include "support/test_server.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

struct Lead {
  std::string id;
  int block = 2;         // attr:size's sort block: 0 number or bool, 1 text, 2 none
  double number = 0;     // block 0
  bool is_bool = false;  // block 0: a bool (1 / 0), which comparisons never match
  std::string text;      // block 1 (folded)
  bool has_rating = false;
  double rating = 0;
  std::string name;
};

class ListPlans : public ::testing::Test {
 protected:
  void SetUp() override {
    api_ = std::make_unique<HttpClient>(server_.NewAccount());
    for (int i = 0; i < 40; ++i) {
      Lead l;
      l.name = (i % 3 == 0 ? "Zq shop " : "Plain shop ") + std::to_string(i);
      json lead = {{"name", l.name}, {"source", "test"}};
      json attr = {{"name", "size"}};
      switch (i % 5) {
        case 0:  // numbers, with ties and negatives
          l.block = 0;
          l.number = (i % 7) - 2;
          attr["type"] = "number";
          attr["value"] = l.number;
          break;
        case 1:  // bools sort as 1 / 0 among the numbers
          l.block = 0;
          l.number = i % 2 == 0 ? 1 : 0;
          l.is_bool = true;
          attr["type"] = "bool";
          attr["value"] = i % 2 == 0;
          break;
        case 2:
          l.block = 1;
          l.text = std::string("t") + static_cast<char>('a' + i % 4);
          attr["type"] = "text";
          attr["value"] = i % 4 == 0 ? "T" + l.text.substr(1) : l.text;  // folded when sorted
          break;
        case 3:  // a list has no sort value
          attr["type"] = "list";
          attr["value"] = {"x"};
          break;
        default:
          break;  // no attribute
      }
      if (attr.contains("type")) lead["attributes"] = json::array({attr});
      if (i % 4 != 0) {
        l.has_rating = true;
        l.rating = (i * 7) % 5;
        lead["rating"] = l.rating;
      }
      server_.clock().AdvanceMillis(1000);
      auto r = api_->Post("/api/v1/leads", lead);
      ASSERT_EQ(r.status, 201) << r.body;
      l.id = r.json()["id"];
      leads_.push_back(l);
    }
  }

  // Every page of `query` (limit `limit`) walked by cursor: the ids in order.
  std::vector<std::string> Walk(const std::string& query, int limit) {
    std::vector<std::string> ids;
    std::string cursor;
    for (int page = 0; page < 100; ++page) {
      std::string target = "/api/v1/leads?limit=" + std::to_string(limit) + query;
      if (!cursor.empty()) target += "&cursor=" + UrlEncode(cursor);
      auto r = api_->Get(target);
      EXPECT_EQ(r.status, 200) << target << " -> " << r.body;
      if (r.status != 200) break;
      const json body = r.json();
      for (const auto& l : body["leads"]) ids.push_back(l["id"]);
      if (!body["has_more"].get<bool>()) break;
      cursor = body["next_cursor"];
    }
    return ids;
  }

  // attr:size order: numbers (and bools) then text, NULLs last; descending: text, numbers.
  std::vector<std::string> AttributeOrder(bool ascending, bool (*keep)(const Lead&)) const {
    std::vector<Lead> rows;
    for (const Lead& l : leads_) {
      if (keep(l)) rows.push_back(l);
    }
    auto rank = [&](const Lead& l) { return l.block == 2 ? 2 : ascending ? l.block : 1 - l.block; };
    std::sort(rows.begin(), rows.end(), [&](const Lead& a, const Lead& b) {
      if (rank(a) != rank(b)) return rank(a) < rank(b);
      auto key = [](const Lead& l) { return std::tie(l.number, l.text, l.id); };
      return ascending ? key(a) < key(b) : key(b) < key(a);
    });
    std::vector<std::string> out;
    for (const Lead& l : rows) out.push_back(l.id);
    return out;
  }

  TestServer server_;
  std::unique_ptr<HttpClient> api_;
  std::vector<Lead> leads_;
};

TEST_F(ListPlans, AttributeSortPagesInEverySizeAndDirection) {
  for (bool ascending : {true, false}) {
    const std::string sort =
        std::string("&sort_by=attr:size&sort_order=") + (ascending ? "asc" : "desc");
    const auto all = AttributeOrder(ascending, [](const Lead&) { return true; });
    const auto numbers = AttributeOrder(
        ascending, [](const Lead& l) { return l.block == 0 && !l.is_bool && l.number >= 1; });
    // Ranges that no bool passes bound the walk of the sort key alone on PostgreSQL (they are
    // not tested again on each lead).
    const auto range = AttributeOrder(ascending, [](const Lead& l) {
      return l.block == 0 && !l.is_bool && l.number > 1 && l.number <= 3;
    });
    const auto negative = AttributeOrder(
        ascending, [](const Lead& l) { return l.block == 0 && !l.is_bool && l.number < -0.5; });
    for (int limit : {1, 3, 7, 1000}) {
      EXPECT_EQ(Walk(sort, limit), all) << sort << " limit " << limit;
      EXPECT_EQ(Walk(sort + "&filter=" + UrlEncode("and.gte.attr:size.1"), limit), numbers)
          << sort << " gte 1, limit " << limit;
      EXPECT_EQ(Walk(sort + "&filter=" + UrlEncode("and.gt.attr:size.1") +
                         "&filter=" + UrlEncode("and.lte.attr:size.3"),
                     limit),
                range)
          << sort << " gt 1, lte 3, limit " << limit;
      EXPECT_EQ(Walk(sort + "&filter=" + UrlEncode("and.lt.attr:size.-0.5"), limit), negative)
          << sort << " lt -0.5, limit " << limit;
    }
  }
}

TEST_F(ListPlans, RatingDescendingKeepsNullsLastAcrossPages) {
  std::vector<Lead> rows = leads_;
  std::sort(rows.begin(), rows.end(), [](const Lead& a, const Lead& b) {
    if (a.has_rating != b.has_rating) return a.has_rating;
    return std::tie(a.rating, a.id) > std::tie(b.rating, b.id);
  });
  std::vector<std::string> expected;
  for (const Lead& l : rows) expected.push_back(l.id);
  for (int limit : {1, 4, 1000}) {
    EXPECT_EQ(Walk("&sort_by=rating&sort_order=desc", limit), expected) << limit;
  }
}

TEST_F(ListPlans, ShortSubstringsFindExactlyTheirRows) {
  // "zq" (2 characters: no trigram) matches a third of the names; "q " a third too, "zz"
  // nothing: on SQLite found by reading name's sorted index, in every case the same rows.
  for (const std::string& needle : {std::string("zq"), std::string("p 3"), std::string("zz")}) {
    std::vector<std::string> expected;
    for (const Lead& l : leads_) {
      std::string folded = l.name;
      std::transform(folded.begin(), folded.end(), folded.begin(), ::tolower);
      if (folded.find(needle) != std::string::npos) expected.push_back(l.id);
    }
    for (int limit : {2, 1000}) {
      EXPECT_EQ(Walk("&filter=" + UrlEncode("and.contains.name." + needle), limit), expected)
          << needle << " limit " << limit;
    }
  }
}

// Attribute filters PostgreSQL writes on the sort key and the list items (schema 21): the rows are
// the API's on both backends, in order, page by page. With pages of 1 the list filter's probe
// reaches the cap (8 lists of 40 leads: sqrt(2 x 40) = 8), so it is checked per lead while the
// sort index is walked; with pages of 3 it drives, through the ids its probe read.
TEST_F(ListPlans, AttributeFiltersFindExactlyTheirRows) {
  auto expect = [&](const std::string& filter, bool (*keep)(size_t, const Lead&)) {
    std::vector<std::string> want;  // default order: created_at, one second apart
    for (size_t i = 0; i < leads_.size(); ++i) {
      if (keep(i, leads_[i])) want.push_back(leads_[i].id);
    }
    for (int limit : {1, 3, 1000}) {
      EXPECT_EQ(Walk("&filter=" + UrlEncode(filter), limit), want) << filter << " limit " << limit;
      auto desc = Walk("&sort_by=category&filter=" + UrlEncode(filter), limit);  // no sort index
      std::sort(desc.begin(), desc.end());
      std::vector<std::string> sorted = want;
      std::sort(sorted.begin(), sorted.end());
      EXPECT_EQ(desc, sorted) << filter << " by category, limit " << limit;
    }
  };
  auto is_list = [](size_t i, const Lead&) { return i % 5 == 3; };
  expect("and.array_contains.attr:size.X", is_list);
  expect("and.array_not_empty.attr:size", is_list);
  expect("and.array_contains.attr:size.y", [](size_t, const Lead&) { return false; });
  expect("and.array_not_contains.attr:size.x", [](size_t i, const Lead&) { return i % 5 != 3; });
  expect("and.gt.attr:size.1.5",
         [](size_t, const Lead& l) { return l.block == 0 && !l.is_bool && l.number > 1.5; });
  expect("and.lt.attr:size.-0.5",
         [](size_t, const Lead& l) { return l.block == 0 && !l.is_bool && l.number < -0.5; });
  expect("and.gte.attr:size.0",
         [](size_t, const Lead& l) { return l.block == 0 && !l.is_bool && l.number >= 0; });
  expect("and.eq.attr:size.TB", [](size_t, const Lead& l) { return l.text == "tb"; });
  expect("and.neq.attr:size.tb", [](size_t, const Lead& l) { return l.text != "tb"; });
  expect("and.starts_with.attr:size.T", [](size_t, const Lead& l) { return l.block == 1; });
  expect("and.eq.attr:size.1",
         [](size_t, const Lead& l) { return l.block == 0 && !l.is_bool && l.number == 1; });
}

// Integer columns compared with fractional values (PostgreSQL binds the integer bound with the
// same matches: query::SqlDialect::NeedsIntegerBounds): the rows are those of the comparison.
TEST_F(ListPlans, FractionalBoundsOnIntegerColumnsMatchAsNumbers) {
  std::vector<std::pair<int, std::string>> counted;
  for (int reviews : {0, 4, 5, 6}) {
    auto r = api_->Post("/api/v1/leads", json{{"name", "Counted " + std::to_string(reviews)},
                                              {"source", "test"},
                                              {"review_count", reviews}});
    ASSERT_EQ(r.status, 201) << r.body;
    counted.emplace_back(reviews, r.json()["id"]);
  }
  auto expect = [&](const std::string& op, double v, bool (*keep)(int, double)) {
    std::vector<std::string> want;
    for (const auto& [reviews, id] : counted) {
      if (keep(reviews, v)) want.push_back(id);
    }
    std::sort(want.begin(), want.end());
    char value[32];
    std::snprintf(value, sizeof value, "%g", v);
    std::vector<std::string> got = Walk(
        "&sort_by=review_count&filter=" + UrlEncode("and." + op + ".review_count." + value), 2);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want) << op << " " << value;
  };
  for (double v : {4.5, -4.5, 5.0, 4.999}) {
    expect("gt", v, [](int r, double x) { return r > x; });
    expect("gte", v, [](int r, double x) { return r >= x; });
    expect("lt", v, [](int r, double x) { return r < x; });
    expect("lte", v, [](int r, double x) { return r <= x; });
    expect("eq", v, [](int r, double x) { return r == x; });
  }
}

// PostgreSQL's planner, free to choose, can serve these orders from the new indexes (with
// sorting and sequential scans off, any other plan costs more), and the steered rare filter
// leaves the score index out.
TEST_F(ListPlans, PostgresCanUseTheListIndexes) {
  if (server_.db_url().rfind("postgres", 0) != 0) GTEST_SKIP() << "PostgreSQL only";
  PGconn* conn = PQconnectdb(server_.db_url().c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  auto exec = [&](const std::string& sql, const std::vector<query::SqlValue>& binds = {}) {
    std::vector<std::string> params;
    for (const query::SqlValue& v : binds) {
      if (const auto* s = std::get_if<std::string>(&v)) {
        params.push_back(*s);
      } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
        params.push_back(std::to_string(*i));
      } else {
        char number[32];  // "3", not "3.000000": a bigint column's parameter must parse
        std::snprintf(number, sizeof number, "%.17g", std::get<double>(v));
        params.push_back(number);
      }
    }
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    PGresult* r = PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
    EXPECT_TRUE(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK)
        << sql << ": " << PQerrorMessage(conn);
    std::string out;
    for (int i = 0; i < PQntuples(r); ++i) out += std::string(PQgetvalue(r, i, 0)) + "\n";
    PQclear(r);
    return out;
  };
  const std::string account =
      exec("SELECT account_key FROM leads WHERE id = '" + leads_[0].id + "'");
  auto plan = [&](const std::string& sort, const std::string& order,
                  const std::vector<std::string>& filters, query::Access access) {
    query::ListQuery q;
    q.account_key = std::stoll(account);
    q.filters = query::ParseFilters(filters).value();
    q.sort = query::ParseSort(sort, order).value();
    q.limit = 10;
    q.access = access;
    query::CompiledSql sql = query::CompilePostgresListQuery("leads.id", q);
    return exec("EXPLAIN " + sql.sql, sql.binds);
  };
  // With statistics (schema 23's wider score index would otherwise tie with review_count's on
  // 40 rows of default estimates).
  exec("ANALYZE leads");
  exec("ANALYZE lead_scores");
  exec("SET enable_seqscan = off");
  exec("SET enable_sort = off");
  EXPECT_NE(plan("rating", "desc", {}, query::Access::kAuto).find("leads_rating_desc"),
            std::string::npos);
  const std::string attr = plan("attr:size", "desc", {}, query::Access::kAttributeSort);
  EXPECT_NE(attr.find("lead_attributes_sort"), std::string::npos) << attr;
  exec("RESET enable_sort");
  // A rare review_count, sorted by score: steered, the score's order (lead_scores_order, schema
  // 25: the score is joined from lead_scores) cannot serve the order.
  const std::string rare =
      plan("score", "desc", {"and.eq.review_count.3"}, query::Access::kFilterIndex);
  EXPECT_EQ(rare.find("lead_scores_order"), std::string::npos) << rare;
  EXPECT_NE(rare.find("Sort Key: ((lead_scores.score + '0'::double precision)) DESC"),
            std::string::npos)
      << rare;
  // Unsteered (kAuto), with sorting off, the score's order serves it: the steering is what kept
  // it out above.
  exec("SET enable_sort = off");
  const std::string free = plan("score", "desc", {"and.eq.review_count.3"}, query::Access::kAuto);
  EXPECT_NE(free.find("lead_scores_order"), std::string::npos) << free;
  PQfinish(conn);
}

}  // namespace
}  // namespace klozeo::testing
