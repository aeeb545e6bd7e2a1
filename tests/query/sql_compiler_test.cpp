#include "query/sqlite_compiler.h"

#include "query/plan.h"
#include "query/postgres_compiler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace klozeo::query {
namespace {

using Binds = std::vector<SqlValue>;

ListQuery Query(std::vector<std::string> filter_texts, Sort sort = {},
                std::optional<Cursor> after = std::nullopt, std::optional<int> limit = 50) {
  ListQuery query;
  query.account_key = 7;
  query.filters = ParseFilters(filter_texts).value();
  query.sort = std::move(sort);
  query.after = std::move(after);
  query.limit = limit;
  return query;
}

TEST(SqliteCompiler, DefaultListing) {
  CompiledSql sql = CompileSqliteListQuery("leads.id", Query({}));
  EXPECT_EQ(sql.sql,
            "SELECT leads.id, leads.created_at AS sort_key FROM leads WHERE leads.account_key = ?"
            " ORDER BY sort_key ASC, leads.id ASC LIMIT ?");
  EXPECT_EQ(sql.binds, (Binds{std::int64_t{7}, std::int64_t{51}}));
}

TEST(SqliteCompiler, TextEqualityUsesTheFoldedColumn) {
  CompiledSql sql = CompileSqliteListQuery("*", Query({"and.eq.city.Z\xC3\x9CRICH"}));
  EXPECT_EQ(sql.sql,
            "SELECT *, leads.created_at AS sort_key FROM leads WHERE leads.account_key = ?"
            " AND leads.city_fold = ? ORDER BY sort_key ASC, leads.id ASC LIMIT ?");
  EXPECT_EQ(sql.binds, (Binds{std::int64_t{7}, std::string("z\xC3\xBCrich"), std::int64_t{51}}));
}

TEST(SqliteCompiler, AndFiltersThenOneOrGroup) {
  CompiledSql sql = CompileSqliteListQuery(
      "leads.id",
      Query({"or.gt.rating.4", "and.eq.city.Paris", "or.neq.status.new", "and.is_set.location"},
            Sort{}, std::nullopt, std::nullopt));
  EXPECT_EQ(sql.sql,
            "SELECT leads.id, leads.created_at AS sort_key FROM leads WHERE leads.account_key = ?"
            " AND leads.city_fold = ?"
            " AND (leads.latitude IS NOT NULL AND leads.longitude IS NOT NULL)"
            " AND (leads.rating > ? OR (leads.status_fold IS NULL OR NOT (leads.status_fold = ?)))"
            " ORDER BY sort_key ASC, leads.id ASC");
  EXPECT_EQ(sql.binds, (Binds{std::int64_t{7}, std::string("paris"), 4.0, std::string("new")}));
}

TEST(SqliteCompiler, LikePatternsEscapeWildcards) {
  CompiledSql sql = CompileSqliteListQuery(
      "leads.id",
      Query({"and.contains.name.50%_Off\\", "and.starts_with.name.A_", "and.ends_with.name.%"}));
  EXPECT_NE(sql.sql.find("leads.name_fold LIKE ? ESCAPE '\\'"), std::string::npos);
  EXPECT_EQ(sql.binds[1], SqlValue(std::string("%50\\%\\_off\\\\%")));
  EXPECT_EQ(sql.binds[2], SqlValue(std::string("a\\_%")));
  // starts_with is also the range [prefix, prefix with its last code point + 1), unescaped.
  EXPECT_EQ(sql.binds[3], SqlValue(std::string("a_")));
  EXPECT_EQ(sql.binds[4], SqlValue(std::string("a`")));
  EXPECT_EQ(sql.binds[5], SqlValue(std::string("%\\%")));
}

TEST(SqliteCompiler, StartsWithRangeEndsAfterTheLastCodePoint) {
  CompiledSql sql = CompileSqliteListQuery("leads.id", Query({"and.starts_with.city.Z\xC3\xA9"}));
  EXPECT_NE(sql.sql.find("leads.city_fold LIKE ? ESCAPE '\\' AND leads.city_fold >= ? AND "
                         "leads.city_fold < ?"),
            std::string::npos);
  EXPECT_EQ(sql.binds[2], SqlValue(std::string("z\xC3\xA9")));
  EXPECT_EQ(sql.binds[3], SqlValue(std::string("z\xC3\xAA")));
}

TEST(SqliteCompiler, InListBindsEachFoldedItem) {
  CompiledSql sql = CompileSqliteListQuery("leads.id", Query({"and.in.city.Paris,LONDON"}));
  EXPECT_NE(sql.sql.find("leads.city_fold IN (?, ?)"), std::string::npos);
  EXPECT_EQ(sql.binds[1], SqlValue(std::string("paris")));
  EXPECT_EQ(sql.binds[2], SqlValue(std::string("london")));
}

TEST(SqliteCompiler, KeysetOnANeverNullFieldIsARowValue) {
  Sort sort;
  Cursor after = CursorAfter(sort, std::int64_t{100}, "cl_a");
  CompiledSql sql = CompileSqliteListQuery("leads.id", Query({}, sort, after));
  EXPECT_EQ(sql.sql,
            "SELECT leads.id, leads.created_at AS sort_key FROM leads WHERE leads.account_key = ?"
            " AND (leads.created_at, leads.id) > (?, ?)"
            " ORDER BY sort_key ASC, leads.id ASC LIMIT ?");
  EXPECT_EQ(sql.binds,
            (Binds{std::int64_t{7}, std::int64_t{100}, std::string("cl_a"), std::int64_t{51}}));
}

TEST(SqliteCompiler, KeysetOnANullableFieldKeepsNullsLast) {
  Sort sort = ParseSort("rating", "desc").value();
  CompiledSql sql =
      CompileSqliteListQuery("leads.id", Query({}, sort, CursorAfter(sort, 4.5, "cl_a"), 10));
  EXPECT_EQ(sql.sql,
            "SELECT leads.id, leads.rating AS sort_key FROM leads WHERE leads.account_key = ?"
            " AND (leads.rating < ? OR (leads.rating = ? AND leads.id < ?) OR leads.rating IS NULL)"
            " ORDER BY sort_key DESC NULLS LAST, leads.id DESC LIMIT ?");
  EXPECT_EQ(sql.binds, (Binds{std::int64_t{7}, 4.5, 4.5, std::string("cl_a"), std::int64_t{11}}));

  CompiledSql in_nulls =
      CompileSqliteListQuery("leads.id", Query({}, sort, CursorAfter(sort, nullptr, "cl_b"), 10));
  EXPECT_NE(in_nulls.sql.find(" AND (leads.rating IS NULL AND leads.id < ?)"), std::string::npos);
}

TEST(SqliteCompiler, APositiveFilterOnTheSortFieldMakesTheKeysetSeekable) {
  // rating >= 4 excludes NULL ratings, so the page needs no NULLS LAST and the keyset is a
  // row-value comparison that seeks the (account_key, rating, id) index.
  Sort sort = ParseSort("rating", "desc").value();
  CompiledSql sql = CompileSqliteListQuery(
      "leads.id",
      Query({"and.eq.city.Paris", "and.gte.rating.4"}, sort, CursorAfter(sort, 4.5, "cl_a"), 10));
  EXPECT_EQ(sql.sql,
            "SELECT leads.id, leads.rating AS sort_key FROM leads WHERE leads.account_key = ?"
            " AND leads.city_fold = ? AND leads.rating >= ? AND (leads.rating, leads.id) < (?, ?)"
            " ORDER BY sort_key DESC, leads.id DESC LIMIT ?");
  // An `or` filter, a negative one, or one on another field proves nothing.
  for (const char* f : {"or.gte.rating.4", "and.neq.rating.4", "and.gte.review_count.4"}) {
    CompiledSql other =
        CompileSqliteListQuery("leads.id", Query({f}, sort, CursorAfter(sort, 4.5, "cl_a"), 10));
    EXPECT_NE(other.sql.find("NULLS LAST"), std::string::npos) << f;
    EXPECT_NE(other.sql.find("leads.rating IS NULL)"), std::string::npos) << f;
  }
}

TEST(SqliteCompiler, AttributeSortIsACorrelatedSubquery) {
  Sort sort = ParseSort("attr:employees", "asc").value();
  CompiledSql sql = CompileSqliteListQuery("leads.id", Query({}, sort));
  EXPECT_EQ(sql.sql,
            "SELECT leads.id, (SELECT COALESCE(a.value_num, a.value_fold) FROM lead_attributes a"
            " WHERE a.account_key = leads.account_key AND a.lead_id = leads.id AND a.name = ?)"
            " AS sort_key FROM leads WHERE leads.account_key = ?"
            " ORDER BY sort_key ASC NULLS LAST, leads.id ASC LIMIT ?");
  EXPECT_EQ(sql.binds, (Binds{std::string("employees"), std::int64_t{7}, std::int64_t{51}}));
}

TEST(SqliteCompiler, AttributeFilters) {
  CompiledSql eq = CompileSqliteListQuery("leads.id", Query({"and.eq.attr:active.TRUE"}));
  EXPECT_NE(eq.sql.find("EXISTS (SELECT 1 FROM lead_attributes a WHERE a.account_key = "
                        "leads.account_key AND a.lead_id = leads.id AND a.name = ? AND "
                        "(a.value_fold = ? OR (a.type = 'bool' AND a.value_num = ?)))"),
            std::string::npos)
      << eq.sql;
  EXPECT_EQ(eq.binds[1], SqlValue(std::string("active")));
  EXPECT_EQ(eq.binds[2], SqlValue(std::string("true")));
  EXPECT_EQ(eq.binds[3], SqlValue(std::int64_t{1}));

  CompiledSql neq = CompileSqliteListQuery("leads.id", Query({"and.neq.attr:n.5"}));
  EXPECT_NE(neq.sql.find("NOT EXISTS (SELECT 1 FROM lead_attributes a"), std::string::npos);
  EXPECT_NE(neq.sql.find("(a.value_fold = ? OR (a.type = 'number' AND a.value_num = ?))"),
            std::string::npos);

  CompiledSql list = CompileSqliteListQuery("leads.id", Query({"and.array_contains.attr:l.FR"}));
  EXPECT_NE(list.sql.find("a.type = 'list' AND EXISTS (SELECT 1 FROM json_each(a.value) AS j"
                          " WHERE klozeo_fold(j.value) = ?)"),
            std::string::npos)
      << list.sql;
}

TEST(SqliteCompiler, TagsUseTheFoldedArray) {
  CompiledSql sql = CompileSqliteListQuery(
      "leads.id", Query({"and.array_not_contains.tags.VIP", "and.array_empty.tags"}));
  EXPECT_NE(sql.sql.find(" AND NOT EXISTS (SELECT 1 FROM json_each(leads.tags_fold) AS j WHERE "
                         "j.value = ?) AND NOT EXISTS (SELECT 1 FROM json_each(leads.tags_fold))"),
            std::string::npos)
      << sql.sql;
  EXPECT_EQ(sql.binds[1], SqlValue(std::string("vip")));
}

TEST(SqliteCompiler, WithinRadiusHasABoundingBoxAndAnExactCheck) {
  CompiledSql sql =
      CompileSqliteListQuery("leads.id", Query({"and.within_radius.location.52.52,13.405,50"}));
  EXPECT_NE(sql.sql.find("(leads.latitude BETWEEN ? AND ? AND leads.longitude BETWEEN ? AND ? AND "
                         "(12742.0176 * asin(min(1.0, sqrt(pow(sin((radians(leads.latitude) - ?)"),
            std::string::npos)
      << sql.sql;
  EXPECT_NE(sql.sql.find(" <= ?)"), std::string::npos);
  // account, 4 box bounds, 3 centre terms, km, limit
  ASSERT_EQ(sql.binds.size(), 10u);
  EXPECT_NEAR(std::get<double>(sql.binds[1]), 52.52 - 50 / 111.195, 1e-3);
  EXPECT_EQ(std::get<double>(sql.binds[8]), 50.0);
}

// The builder numbers placeholders strictly left to right: a numbered dialect sees $1..$n.
class NumberedDialect final : public SqlDialect {
 public:
  std::string Placeholder(size_t index) const override { return "$" + std::to_string(index); }
  void AppendJsonArrayHas(SqlBuilder& out, std::string_view array_expr, bool,
                          std::string element) const override {
    out.Append(std::string("has(") + std::string(array_expr) + ", ");
    out.Bind(std::move(element));
    out.Append(")");
  }
  void AppendIdIn(SqlBuilder& out, std::string_view id_expr,
                  const std::vector<std::string>& ids) const override {
    out.Append(std::string(id_expr) + " IN ids(");
    out.Bind(std::to_string(ids.size()));
    out.Append(")");
  }
  void AppendJsonHasMembers(SqlBuilder& out, std::string_view json_expr) const override {
    out.Append("members(" + std::string(json_expr) + ")");
  }
  void AppendDistanceKm(SqlBuilder& out, std::string_view, std::string_view, double lat,
                        double lng) const override {
    out.Append("dist(");
    out.Bind(lat);
    out.Append(", ");
    out.Bind(lng);
    out.Append(", ");
    out.Bind(0.0);  // as many binds as the SQLite dialect
    out.Append(")");
  }
};

TEST(SqlCompiler, PlaceholdersMatchBindsForEveryShapeOfQuery) {
  const std::vector<std::string> filters = {
      "and.eq.city.a",
      "or.neq.city.a",
      "and.contains.name.a",
      "and.not_contains.name.a",
      "and.starts_with.name.a",
      "and.ends_with.name.a",
      "and.in.city.a,b,c",
      "and.gt.rating.1",
      "and.gte.rating.1",
      "and.lt.rating.1",
      "or.lte.rating.1",
      "and.eq.rating.1",
      "and.neq.rating.1",
      "and.is_empty.city",
      "and.is_not_empty.city",
      "and.array_contains.tags.a",
      "and.array_not_contains.tags.a",
      "and.array_empty.tags",
      "and.array_not_empty.tags",
      "and.within_radius.location.0,0,10",
      "and.is_set.location",
      "and.is_not_set.location",
      "and.eq.attr:x.1",
      "and.neq.attr:x.true",
      "and.contains.attr:x.a",
      "or.not_contains.attr:x.a",
      "and.gt.attr:x.1",
      "and.is_empty.attr:x",
      "and.is_not_empty.attr:x",
      "and.array_contains.attr:x.a",
      "and.array_not_contains.attr:x.a",
      "and.array_empty.attr:x",
      "and.array_not_empty.attr:x",
  };
  std::vector<Sort> sorts = {Sort{}, ParseSort("city", "desc").value(),
                             ParseSort("attr:x", "asc").value(), ParseSort("name", "desc").value()};
  NumberedDialect numbered;
  for (const Sort& sort : sorts) {
    for (SqlValue last : {SqlValue(nullptr), SqlValue(std::string("v"))}) {
      ListQuery query = Query(filters, sort, CursorAfter(sort, last, "cl_z"));
      CompiledSql sqlite = CompileSqliteListQuery("leads.id", query);
      EXPECT_EQ(static_cast<size_t>(std::count(sqlite.sql.begin(), sqlite.sql.end(), '?')),
                sqlite.binds.size());
      CompiledSql pg = CompileListQuery(numbered, "leads.id", query);
      ASSERT_EQ(pg.binds.size(), sqlite.binds.size());
      size_t position = 0;
      for (size_t i = 1; i <= pg.binds.size(); ++i) {
        std::string placeholder = "$" + std::to_string(i);
        size_t found = pg.sql.find(placeholder, position);
        ASSERT_NE(found, std::string::npos) << placeholder;
        position = found + placeholder.size();
      }
    }
  }
}

Sort SortBy(const char* field, const char* order) { return ParseSort(field, order).value(); }

TEST(Plan, ARareIndexedFilterDrivesTheQuery) {
  ListQuery q = Query({"and.eq.status.new", "and.eq.city.reykjavik", "and.gte.score.10"},
                      SortBy("score", "desc"));
  EXPECT_EQ(ProbeCandidates(q), (std::vector<size_t>{0, 1, 2}));
  ChooseAccess(q, {{0, kProbeCap}, {1, 120}, {2, kProbeCap}});
  EXPECT_EQ(q.access, Access::kFilterIndex);
  EXPECT_EQ(q.drive, 1u);
  CompiledSql sql = CompileSqliteListQuery("leads.id", q);
  EXPECT_NE(sql.sql.find("FROM leads INDEXED BY leads_city WHERE"), std::string::npos) << sql.sql;
  // SQLite reads the score off the lead's lead_scores row (schema 24), through no index.
  const std::string score =
      "(SELECT sc.score FROM lead_scores sc WHERE sc.account_key = leads.account_key AND "
      "sc.id = leads.id)";
  EXPECT_NE(sql.sql.find("(+" + score + ") >= ?"), std::string::npos) << sql.sql;
  EXPECT_NE(sql.sql.find("ORDER BY (+" + score + ") DESC"), std::string::npos) << sql.sql;
}

TEST(Plan, ATwoSidedRangeIsProbedAndSoughtAsOne) {
  ListQuery q = Query({"and.gte.review_count.500", "and.lte.review_count.505"});
  EXPECT_EQ(ProbeCandidates(q), (std::vector<size_t>{0}));
  EXPECT_EQ(SameIndexFilters(q, 0), (std::vector<size_t>{0, 1}));
  CompiledSql probe = CompileCountProbe(SqliteDialectInstance(), q, 0, 10);
  EXPECT_NE(probe.sql.find("leads.review_count >= ? AND leads.review_count <= ?"),
            std::string::npos)
      << probe.sql;
  ChooseAccess(q, {{0, 900}});
  CompiledSql sql = CompileSqliteListQuery("leads.id", q);
  EXPECT_NE(sql.sql.find("INDEXED BY leads_review_count WHERE leads.account_key = ? AND "
                         "leads.review_count >= ? AND leads.review_count <= ?"),
            std::string::npos)
      << sql.sql;
}

TEST(Plan, TheProbeCapGrowsWithTheAccount) {
  EXPECT_EQ(ProbeCap(0, 50), kProbeCap);  // unknown size
  EXPECT_EQ(ProbeCap(20'000, 50), 1009);  // sqrt(51 x 20,000)
  EXPECT_EQ(ProbeCap(100, 50), 71);
  EXPECT_EQ(ProbeCap(1'000'000, 50), 7141);
  EXPECT_EQ(ProbeCap(100'000'000, 50), kProbeCap);
  // A filter matching 4,000 of 20,000 leads: walking the sort index reads about 255 rows, so
  // it is walked; at the fixed cap it would have been sought and its 4,000 rows sorted.
  ListQuery small = Query({"and.eq.city.paris"}, SortBy("rating", "desc"));
  ChooseAccess(small, {{0, 1009}}, ProbeCap(20'000, 50));
  EXPECT_EQ(small.access, Access::kSortIndex);
  ListQuery large = Query({"and.eq.city.paris", "and.gte.rating.1"}, SortBy("rating", "desc"));
  ChooseAccess(large, {{0, 4000}, {1, kProbeCap}}, ProbeCap(1'000'000, 50));
  EXPECT_EQ(large.access, Access::kFilterIndex);
}

TEST(Plan, ALoneCheckedFilterWalksDownToAThirdOfTheCap) {
  const int64_t cap = ProbeCap(1'000'000, 50);
  // Checked on leads_city during the walk: 51 x N / 2,600 index entries, not 2,600 rows.
  ListQuery city = Query({"and.eq.city.reykjavik"}, SortBy("score", "desc"));
  ChooseAccess(city, {{0, 2600}}, cap);
  EXPECT_EQ(city.access, Access::kSortIndex);
  ChooseAccess(city, {{0, cap / kCheckedWalkShare - 1}}, cap);
  EXPECT_EQ(city.access, Access::kFilterIndex);
  // With another filter the walk could read far more entries: the filter drives.
  ListQuery two = Query({"and.eq.city.reykjavik", "and.gte.score.90"}, SortBy("score", "desc"));
  ChooseAccess(two, {{0, 2600}, {1, cap}}, cap);
  EXPECT_EQ(two.access, Access::kFilterIndex);
  // A filter no index checks (a range) drives as before.
  ListQuery range = Query({"and.gt.review_count.5000"}, SortBy("score", "desc"));
  ChooseAccess(range, {{0, 2600}}, cap);
  EXPECT_EQ(range.access, Access::kFilterIndex);
  // An attribute comparison is tested on the lead's attribute rows during the walk, before the
  // lead's row is read, down to half the cap.
  ListQuery attr = Query({"and.gt.attr:employees.9500"}, SortBy("created_at", "asc"));
  ChooseAccess(attr, {{0, 4520}}, cap);
  EXPECT_EQ(attr.access, Access::kSortIndex);
  // Its 4,520 lead ids are one set, built once from the value index, which the walk looks
  // each entry up in (ListQuery::walk_set).
  EXPECT_EQ(attr.walk_set, std::optional<size_t>(0));
  CompiledSql sql = CompileSqliteListQuery("leads.id", attr);
  EXPECT_NE(sql.sql.find("INDEXED BY leads_created WHERE leads.account_key = ? AND leads.id IN "
                         "(SELECT a.lead_id FROM lead_attributes a INDEXED BY lead_attributes_num "
                         "WHERE a.account_key = ? AND a.name = ? AND a.value_num > ?)) w CROSS "
                         "JOIN leads"),
            std::string::npos)
      << sql.sql;
  // Without the set (a walk chosen with other filters), each lead's attribute rows are read.
  attr.walk_set.reset();
  sql = CompileSqliteListQuery("leads.id", attr);
  EXPECT_NE(sql.sql.find("INDEXED BY leads_created WHERE leads.account_key = ? AND EXISTS (SELECT "
                         "1 FROM lead_attributes a WHERE a.account_key = leads.account_key AND "
                         "a.lead_id = leads.id AND a.name = ? AND a.type = 'number' AND "
                         "a.value_num > ?)) w CROSS JOIN leads"),
            std::string::npos)
      << sql.sql;
  ChooseAccess(attr, {{0, cap / kAttributeWalkShare - 1}}, cap);
  EXPECT_EQ(attr.access, Access::kFilterIndex);
  EXPECT_EQ(attr.walk_set, std::nullopt);
  // A rare prefix of the sort field: its range of the sort index is walked in order (the page
  // stops after its rows), not read whole and sorted.
  ListQuery prefix = Query({"and.starts_with.name.golden h"}, SortBy("name", "asc"));
  ChooseAccess(prefix, {{0, 1674}}, cap);
  EXPECT_EQ(prefix.access, Access::kSortIndex);
  sql = CompileSqliteListQuery("leads.id", prefix);
  EXPECT_NE(sql.sql.find("INDEXED BY leads_name_sort WHERE leads.account_key = ? AND "
                         "leads.name_fold LIKE ? ESCAPE '\\' AND leads.name_fold >= ? AND "
                         "leads.name_fold < ?"),
            std::string::npos)
      << sql.sql;
  // Sorted by another field, the same filter drives.
  ListQuery other = Query({"and.starts_with.name.golden h"}, SortBy("score", "desc"));
  ChooseAccess(other, {{0, 1674}}, cap);
  EXPECT_EQ(other.access, Access::kFilterIndex);
  // A radius whose latitude band holds 2,464 leads: walked, the band's ids one set; the
  // distance is tested on the row.
  ListQuery radius =
      Query({"and.within_radius.location.64.147,-21.942,25"}, SortBy("score", "desc"));
  ChooseAccess(radius, {{0, 2464}}, cap);
  EXPECT_EQ(radius.access, Access::kSortIndex);
  EXPECT_EQ(radius.walk_set, std::optional<size_t>(0));
  sql = CompileSqliteListQuery("leads.id", radius);
  EXPECT_NE(sql.sql.find("FROM lead_scores AS leads INDEXED BY lead_scores_order WHERE "
                         "leads.account_key = ? AND leads.id IN "
                         "(SELECT x.id FROM leads x INDEXED BY leads_latitude WHERE "
                         "x.account_key = ? AND x.latitude BETWEEN ? AND ?)) w CROSS JOIN leads"),
            std::string::npos)
      << sql.sql;
  EXPECT_NE(sql.sql.find("<= ?)"), std::string::npos) << sql.sql;  // the distance, on the row
  ChooseAccess(radius, {{0, cap / kCheckedWalkShare - 1}}, cap);
  EXPECT_EQ(radius.access, Access::kFilterIndex);
}

TEST(Plan, AnOrGroupOfEqualitiesIsCheckedOnTheWalk) {
  // leads_score carries city_fold: the group is tested on the walked entry.
  ListQuery entry = Query({"or.eq.city.lisbon", "or.eq.city.porto"}, SortBy("score", "desc"));
  ChooseAccess(entry, {});
  EXPECT_EQ(entry.access, Access::kSortIndex);
  CompiledSql sql = CompileSqliteListQuery("leads.id", entry);
  EXPECT_NE(sql.sql.find(" AND (leads.city_fold = ? OR leads.city_fold = ?)) w CROSS JOIN"),
            std::string::npos)
      << sql.sql;
  // leads_rating does not: each member is a seek of leads_city.
  ListQuery q = Query({"or.eq.city.lisbon", "or.eq.city.porto"}, SortBy("rating", "desc"));
  ChooseAccess(q, {});
  EXPECT_EQ(q.access, Access::kSortIndex);
  sql = CompileSqliteListQuery("leads.id", q);
  EXPECT_NE(sql.sql.find(" AND (EXISTS (SELECT 1 FROM leads x INDEXED BY leads_city WHERE "
                         "x.account_key = leads.account_key AND x.city_fold = ? AND x.id = "
                         "leads.id) OR EXISTS (SELECT 1 FROM leads x INDEXED BY leads_city"),
            std::string::npos)
      << sql.sql;
  EXPECT_EQ(sql.sql.find("+leads.city_fold"), std::string::npos) << sql.sql;
  // One member no index checks (tags): the whole group is tested on the row.
  ListQuery tags = Query({"or.eq.city.lisbon", "or.array_contains.tags.vip", "and.eq.status.new"},
                         SortBy("score", "desc"));
  ChooseAccess(tags, {{2, kProbeCap}});
  sql = CompileSqliteListQuery("leads.id", tags);
  EXPECT_NE(sql.sql.find("AND ((+leads.city_fold) = ? OR EXISTS (SELECT 1 FROM json_each"),
            std::string::npos)
      << sql.sql;
}

TEST(Plan, CommonFiltersWalkTheSortIndex) {
  ListQuery q = Query({"and.eq.city.paris", "and.gte.score.10"}, SortBy("score", "desc"));
  ChooseAccess(q, {{0, kProbeCap}, {1, kProbeCap}});
  EXPECT_EQ(q.access, Access::kSortIndex);
  CompiledSql sql = CompileSqliteListQuery("leads.id", q);
  // SQLite walks the score's order in lead_scores (schema 24), under the alias `leads`.
  EXPECT_NE(sql.sql.find("leads.score AS sort_value FROM lead_scores AS leads INDEXED BY "
                         "lead_scores_order WHERE"),
            std::string::npos)
      << sql.sql;
  // The city is read off the walked entry (lead_scores_order carries city_fold), before the row.
  EXPECT_NE(sql.sql.find("WHERE leads.account_key = ? AND leads.city_fold = ? AND"),
            std::string::npos)
      << sql.sql;
  EXPECT_EQ(sql.sql.find("leads_city"), std::string::npos) << sql.sql;
  // By rating (its index carries no city), the city is checked on its own index (a seek by
  // value and id) before the row is read.
  ListQuery rated = Query({"and.eq.city.paris", "and.gte.rating.1"}, SortBy("rating", "desc"));
  ChooseAccess(rated, {{0, kProbeCap}, {1, kProbeCap}});
  EXPECT_EQ(rated.access, Access::kSortIndex);
  EXPECT_NE(CompileSqliteListQuery("leads.id", rated)
                .sql.find("EXISTS (SELECT 1 FROM leads x INDEXED BY leads_city WHERE "
                          "x.account_key = leads.account_key AND x.city_fold = ? AND "
                          "x.id = leads.id)"),
            std::string::npos)
      << CompileSqliteListQuery("leads.id", rated).sql;
  // The range on the sort field stays seekable: the walk starts there.
  EXPECT_NE(sql.sql.find("leads.score >= ?"), std::string::npos) << sql.sql;
  // A filter no index can check is tested on the row, through no index.
  ListQuery tags =
      Query({"and.array_contains.tags.vip", "and.gte.rating.2"}, SortBy("score", "desc"));
  ChooseAccess(tags, {{1, kProbeCap}});
  EXPECT_EQ(tags.access, Access::kSortIndex);
  sql = CompileSqliteListQuery("leads.id", tags);
  // The walk of lead_scores reads that table only; each entry's lead is joined after it.
  EXPECT_NE(sql.sql.find("FROM lead_scores AS leads INDEXED BY lead_scores_order WHERE"),
            std::string::npos)
      << sql.sql;
  EXPECT_NE(sql.sql.find(") w CROSS JOIN leads WHERE"), std::string::npos) << sql.sql;
  EXPECT_NE(sql.sql.find("(+leads.rating) >= ?"), std::string::npos) << sql.sql;
}

TEST(Plan, UnindexedFiltersWalkTheSortIndexUnlessASubstringMayBeRare) {
  ListQuery q = Query({"and.eq.category.retail"}, SortBy("score", "desc"));
  EXPECT_TRUE(ProbeCandidates(q).empty());
  ChooseAccess(q, {});
  EXPECT_EQ(q.access, Access::kSortIndex);
  // A field without a sorted index nor trigrams: no estimate; the engine decides.
  ListQuery country = Query({"and.contains.country.land"}, SortBy("score", "desc"));
  EXPECT_TRUE(ProbeCandidates(country).empty());
  ChooseAccess(country, {});
  EXPECT_EQ(country.access, Access::kAuto);
}

TEST(Plan, AShortSubstringIsProbedAndFoundInItsFieldsSortedIndex) {
  // Two characters: no trigram to look up, but name's sorted index holds the folded name, so
  // the LIKE is tested there (reading the index, not the rows).
  ListQuery word = Query({"and.contains.name.zq"}, SortBy("score", "desc"));
  EXPECT_EQ(ProbeCandidates(word), (std::vector<size_t>{0}));
  EXPECT_EQ(IndexFor(word.filters[0]), "leads_name_sort");
  CompiledSql probe = CompileCountProbe(SqliteDialectInstance(), word, 0, 10);
  EXPECT_NE(probe.sql.find("FROM leads INDEXED BY leads_name_sort WHERE leads.account_key = ? "
                           "AND leads.name_fold LIKE ?"),
            std::string::npos)
      << probe.sql;
  ChooseAccess(word, {{0, 3}});
  EXPECT_EQ(word.access, Access::kFilterIndex);
  CompiledSql sql = CompileSqliteListQuery("leads.id", word);
  // In a subquery the index covers, so only the matches read their row.
  EXPECT_NE(sql.sql.find("leads.id IN (SELECT leads.id FROM leads INDEXED BY leads_name_sort WHERE "
                         "leads.account_key = ? AND leads.name_fold LIKE ?"),
            std::string::npos)
      << sql.sql;
  EXPECT_EQ(sql.sql.find("FROM leads INDEXED BY leads_name_sort WHERE leads.account_key = ? AND "
                         "leads.id IN"),
            std::string::npos)
      << sql.sql;
  // The probe read the ids (a rare value's probe reads the whole index): the query reads
  // those leads, not the index again.
  EXPECT_TRUE(ProbeReadsIds(word.filters[0]));
  EXPECT_EQ(probe.sql.find("SELECT leads.id FROM leads INDEXED BY leads_name_sort"), 0u)
      << probe.sql;
  word.drive_ids = std::vector<std::string>{"cl_1", "cl_\"2"};
  sql = CompileSqliteListQuery("leads.id", word);
  EXPECT_NE(sql.sql.find("leads.id IN (SELECT value FROM json_each(?))"), std::string::npos)
      << sql.sql;
  EXPECT_EQ(sql.sql.find("leads_name_sort"), std::string::npos) << sql.sql;
  EXPECT_NE(std::find(sql.binds.begin(), sql.binds.end(),
                      SqlValue(std::string("[\"cl_1\",\"cl_\\\"2\"]"))),
            sql.binds.end());
  word.drive_ids.reset();
  // A common one walks the sort index and finds a page early.
  ChooseAccess(word, {{0, kProbeCap}});
  EXPECT_EQ(word.access, Access::kSortIndex);
  // ends_with too, and on the other fields with a sorted index.
  EXPECT_EQ(ProbeCandidates(Query({"and.ends_with.name.q"})), (std::vector<size_t>{0}));
  EXPECT_EQ(IndexFor(Query({"and.contains.email.acme"}).filters[0]), "leads_email");
  EXPECT_EQ(IndexFor(Query({"and.contains.city.ri"}).filters[0]), "leads_city");
  // PostgreSQL reads the ids in one pass too (whatever its planner picks), then only those.
  EXPECT_EQ(ProbeCandidates(word), (std::vector<size_t>{0}));
  CompiledSql pg_probe = CompileCountProbe(PostgresDialectInstance(), word, 0, 10);
  EXPECT_EQ(pg_probe.sql.find("SELECT leads.id FROM leads WHERE leads.account_key = $1 AND "
                              "(leads.name_fold || '') LIKE $2"),
            0u)
      << pg_probe.sql;
}

// kScoreSlot: the score as the statement has it at hand (the joined or walked lead_scores row),
// else a lookup of the lead's row per returned row, or NULL where the caller reads the page's
// scores itself (ListQuery::score_later, CompiledSql::score_later).
TEST(Plan, TheScoreSlotIsWrittenAsTheStatementHasTheScore) {
  const std::string list = "leads.id, " + std::string(kScoreSlot) + " AS s";
  const std::string lookup =
      "leads.id, (SELECT sc.score FROM lead_scores sc WHERE sc.account_key = leads.account_key "
      "AND sc.id = leads.id) AS s, ";
  for (bool later : {false, true}) {
    SCOPED_TRACE(later);
    // Not sorted nor filtered by score: a lookup (both engines), or NULL.
    ListQuery plain = Query({"and.eq.city.paris"}, SortBy("name", "asc"));
    plain.score_later = later;
    for (const CompiledSql& sql :
         {CompileSqliteListQuery(list, plain), CompilePostgresListQuery(list, plain)}) {
      EXPECT_EQ(sql.sql.find(later ? "SELECT leads.id, NULL AS s, " : "SELECT " + lookup), 0u)
          << sql.sql;
      EXPECT_EQ(sql.score_later, later);
      EXPECT_EQ(sql.sql.find(kScoreSlot), std::string::npos) << sql.sql;
    }
    // PostgreSQL, sorted by score: the joined row's.
    ListQuery by_score = Query({"and.eq.city.paris"}, SortBy("score", "desc"));
    by_score.score_later = later;
    CompiledSql pg = CompilePostgresListQuery(list, by_score);
    EXPECT_EQ(pg.sql.find("SELECT leads.id, ls.score AS s, "), 0u) << pg.sql;
    EXPECT_FALSE(pg.score_later);
    // SQLite walks lead_scores_order: the walked entry's.
    ListQuery walked = Query({}, SortBy("score", "desc"));
    walked.score_later = later;
    CompiledSql sqlite = CompileSqliteListQuery(list, walked);
    EXPECT_EQ(sqlite.sql.find("SELECT leads.id, w.walk_score AS s, w.sort_value AS sort_key FROM "
                              "(SELECT leads.id AS walk_id, leads.score AS walk_score, "),
              0u)
        << sqlite.sql;
    EXPECT_FALSE(sqlite.score_later);
    // Sorted by an attribute: a lookup, or NULL.
    ListQuery attribute = Query({}, SortBy("attr:employees", "desc"));
    attribute.access = Access::kAttributeSort;
    attribute.score_later = later;
    CompiledSql by_attribute = CompileSqliteListQuery(list, attribute);
    EXPECT_NE(by_attribute.sql.find(later ? "SELECT leads.id, NULL AS s, " : "SELECT " + lookup),
              std::string::npos)
        << by_attribute.sql;
    EXPECT_EQ(by_attribute.score_later, later);
  }
  // A select list without the slot is written as given.
  ListQuery q = Query({}, SortBy("score", "desc"));
  q.score_later = true;
  EXPECT_FALSE(CompileSqliteListQuery("leads.id", q).score_later);
  EXPECT_FALSE(CompilePostgresListQuery("leads.id", Query({})).score_later);
}

TEST(Plan, PostgresIsSteeredToRareFiltersAndAttributeSortsOnly) {
  const SqlDialect& pg = PostgresDialectInstance();
  ListQuery rare = Query({"and.eq.review_count.1234"}, SortBy("score", "desc"));
  EXPECT_EQ(ProbeCandidates(rare), (std::vector<size_t>{0}));
  ChooseAccess(rare, {{0, 40}}, kProbeCap, pg);
  EXPECT_EQ(rare.access, Access::kFilterIndex);
  // The order is written so that the score's index cannot serve it: PostgreSQL seeks
  // review_count's index and sorts the few matches, their scores joined from lead_scores
  // (schema 24).
  CompiledSql sql = CompilePostgresListQuery("leads.id", rare);
  EXPECT_NE(sql.sql.find("leads.review_count = $2"), std::string::npos) << sql.sql;
  EXPECT_NE(sql.sql.find("ORDER BY (ls.score + 0) DESC"), std::string::npos) << sql.sql;
  // Common filters: its statistics decide (no sort-index walk forced).
  ListQuery common = Query({"and.eq.city.paris"}, SortBy("score", "desc"));
  ChooseAccess(common, {{0, kProbeCap}}, kProbeCap, pg);
  EXPECT_EQ(common.access, Access::kAuto);
  // Through a join of lead_scores, whose order the planner may walk: the city on its copy
  // (tested on the walked entry) and on the lead's (a rare one is sought in leads_city), the
  // keyset on the walked (score, id).
  common.after = Cursor{"score", SortDirection::kDesc, 50.0, "cl_x"};
  sql = CompilePostgresListQuery("leads.id", common);
  EXPECT_NE(sql.sql.find(" FROM leads JOIN (SELECT account_key, id AS lead_id, score, "
                         "status_fold, city_fold, category_fold FROM lead_scores) ls ON "
                         "ls.account_key = leads.account_key AND ls.lead_id = leads.id WHERE "
                         "leads.account_key = $1 AND ls.city_fold = $2 AND leads.city_fold = $3"),
            std::string::npos)
      << sql.sql;
  EXPECT_NE(sql.sql.find("(ls.score, ls.lead_id) < ($4, $5)"), std::string::npos) << sql.sql;
  EXPECT_NE(sql.sql.find("ORDER BY sort_key DESC, leads.id DESC"), std::string::npos) << sql.sql;
  // A status (few values) only on the copy: walked; a score range on the joined score.
  ListQuery status = Query({"and.eq.status.new", "and.gte.score.40"}, SortBy("score", "desc"));
  sql = CompilePostgresListQuery("leads.id", status);
  EXPECT_NE(sql.sql.find("leads.account_key = $1 AND ls.status_fold = $2 AND ls.score >= $3"),
            std::string::npos)
      << sql.sql;
  EXPECT_EQ(sql.sql.find("leads.status_fold"), std::string::npos) << sql.sql;
  // Not sorted by the score, a score filter is on the joined score too (no lookup per lead).
  ListQuery range = Query({"and.gte.score.90"});
  sql = CompilePostgresListQuery("leads.id", range);
  EXPECT_NE(sql.sql.find("JOIN (SELECT account_key, id AS lead_id"), std::string::npos) << sql.sql;
  EXPECT_NE(sql.sql.find("AND ls.score >= $2"), std::string::npos) << sql.sql;
  // A rare word: the probe and the driving filter are the LIKE itself (pg_trgm serves it).
  ListQuery word = Query({"and.contains.name.quokka"}, SortBy("score", "desc"));
  EXPECT_EQ(ProbeCandidates(word), (std::vector<size_t>{0}));
  CompiledSql probe = CompileCountProbe(pg, word, 0, 10);
  EXPECT_EQ(probe.sql.find("lead_text"), std::string::npos) << probe.sql;
  EXPECT_NE(probe.sql.find("FROM leads WHERE leads.account_key = $1 AND leads.name_fold LIKE $2"),
            std::string::npos)
      << probe.sql;
  ChooseAccess(word, {{0, 5}}, kProbeCap, pg);
  EXPECT_EQ(word.access, Access::kFilterIndex);
  sql = CompilePostgresListQuery("leads.id", word);
  EXPECT_EQ(sql.sql.find("lead_text"), std::string::npos) << sql.sql;
  EXPECT_NE(sql.sql.find("leads.name_fold LIKE $2"), std::string::npos) << sql.sql;
  // An attr: sort walks the one value_sort index: values, then the leads without one.
  ListQuery attr = Query({}, SortBy("attr:employees", "desc"));
  ChooseAccess(attr, {}, kProbeCap, pg);
  EXPECT_EQ(attr.access, Access::kAttributeSort);
  sql = CompilePostgresListQuery("leads.id", attr);
  EXPECT_NE(sql.sql.find("SELECT a.lead_id AS sort_lead, a.value_sort AS sort_value FROM "
                         "lead_attributes a WHERE"),
            std::string::npos)
      << sql.sql;
  EXPECT_EQ(sql.sql.find("value_num IS NULL"), std::string::npos) << sql.sql;
  EXPECT_NE(sql.sql.find("ORDER BY s.sort_value DESC, s.sort_lead DESC"), std::string::npos)
      << sql.sql;
  EXPECT_NE(sql.sql.find("ORDER BY leads.id DESC LIMIT $7) b3"), std::string::npos) << sql.sql;
}

// PostgreSQL casts a bigint column to float8 to compare it with a float8 value, and then no
// index serves the filter: the integer columns get the integer bound with the same matches.
TEST(PostgresCompiler, IntegerColumnsGetIntegerBounds) {
  struct Case {
    std::string filter, sql;
    SqlValue bind;
  };
  for (const Case& c : std::vector<Case>{
           {"and.gte.review_count.500", "leads.review_count >= $2", SqlValue(std::int64_t{500})},
           {"and.gt.review_count.4.5", "leads.review_count > $2", SqlValue(std::int64_t{4})},
           {"and.gte.review_count.4.5", "leads.review_count >= $2", SqlValue(std::int64_t{5})},
           {"and.lt.review_count.-4.5", "leads.review_count < $2", SqlValue(std::int64_t{-4})},
           {"and.lte.review_count.-4.5", "leads.review_count <= $2", SqlValue(std::int64_t{-5})},
           {"and.eq.created_at.1700000000", "leads.created_at = $2",
            SqlValue(std::int64_t{1700000000})},
           // Too large to be an exact integer in a double: compared as written.
           {"and.gt.updated_at.1e300", "leads.updated_at > $2", SqlValue(1e300)},
           // Not an integer column.
           {"and.gt.rating.4.5", "leads.rating > $2", SqlValue(4.5)},
       }) {
    CompiledSql sql = CompilePostgresListQuery("leads.id", Query({c.filter}));
    EXPECT_NE(sql.sql.find(c.sql), std::string::npos) << c.filter << ": " << sql.sql;
    ASSERT_GE(sql.binds.size(), 2u) << c.filter;
    EXPECT_EQ(sql.binds[1], c.bind) << c.filter;
    // SQLite compares an INTEGER column with a REAL through its index: unchanged.
    CompiledSql lite = CompileSqliteListQuery("leads.id", Query({c.filter}));
    ASSERT_GE(lite.binds.size(), 2u) << c.filter;
    EXPECT_TRUE(std::holds_alternative<double>(lite.binds[1])) << c.filter;
  }
  // An integer column never equals 4.5.
  CompiledSql none = CompilePostgresListQuery("leads.id", Query({"and.eq.review_count.4.5"}));
  EXPECT_NE(none.sql.find("WHERE leads.account_key = $1 AND 1 = 0"), std::string::npos) << none.sql;
}

// PostgreSQL derives a LIKE prefix's range on a "C" column by itself (and estimates it from its
// histogram): the explicit copy SQLite needs would count the range twice in the estimate.
TEST(PostgresCompiler, StartsWithIsTheLikeAlone) {
  CompiledSql pg =
      CompilePostgresListQuery("leads.id", Query({"and.starts_with.attr:industry.Soft"}));
  // On the text's sort key ("1" + the folded text): a range of lead_attributes_sort.
  EXPECT_NE(pg.sql.find("(a.value_sort LIKE $3 ESCAPE"), std::string::npos) << pg.sql;
  EXPECT_EQ(pg.binds.at(2), SqlValue(std::string("1soft%")));
  EXPECT_EQ(pg.sql.find("a.value_sort >="), std::string::npos) << pg.sql;
  CompiledSql name = CompilePostgresListQuery("leads.id", Query({"and.starts_with.name.Soft"}));
  EXPECT_NE(name.sql.find("leads.name_fold LIKE $2 ESCAPE"), std::string::npos) << name.sql;
  EXPECT_EQ(name.sql.find("leads.name_fold >="), std::string::npos) << name.sql;
  CompiledSql lite =
      CompileSqliteListQuery("leads.id", Query({"and.starts_with.attr:industry.Soft"}));
  EXPECT_NE(lite.sql.find("a.value_fold >= ?"), std::string::npos) << lite.sql;
}

TEST(Plan, ARareSubstringDrivesThroughTheTrigramIndex) {
  ListQuery q = Query({"and.contains.name.Quokka \"Bar\"", "and.eq.category.retail"},
                      SortBy("score", "desc"));
  EXPECT_EQ(ProbeCandidates(q), (std::vector<size_t>{0}));
  CompiledSql probe = CompileCountProbe(SqliteDialectInstance(), q, 0, 10);
  EXPECT_NE(probe.sql.find("FROM lead_text CROSS JOIN lead_text_rows r ON r.rid = "
                           "lead_text.rowid WHERE lead_text MATCH ? AND r.account_key = ?"),
            std::string::npos)
      << probe.sql;
  EXPECT_EQ(probe.binds.at(0), SqlValue(std::string("{name} : \"quokka \"\"bar\"\"\"")));
  ChooseAccess(q, {{0, 12}});
  EXPECT_EQ(q.access, Access::kFilterIndex);
  CompiledSql sql = CompileSqliteListQuery("leads.id", q);
  EXPECT_EQ(sql.sql.find("INDEXED BY"), std::string::npos) << sql.sql;
  // The trigram candidates, then the LIKE on the row decides.
  EXPECT_NE(sql.sql.find("leads.id IN (SELECT r.lead_id FROM lead_text CROSS JOIN"),
            std::string::npos)
      << sql.sql;
  EXPECT_NE(sql.sql.find(") AND leads.name_fold LIKE ?"), std::string::npos) << sql.sql;
  // A common word walks the sort index.
  ChooseAccess(q, {{0, kProbeCap}});
  EXPECT_EQ(q.access, Access::kSortIndex);
  // starts_with on name seeks its sorted index; ends_with the trigrams; email has none.
  EXPECT_EQ(IndexFor(Query({"and.starts_with.name.quo"}).filters[0]), "leads_name_sort");
  EXPECT_EQ(IndexFor(Query({"and.ends_with.name.quo"}).filters[0]), kTextIndexTable);
}

TEST(Plan, AscendingNullableSortsHaveNoIndexUnlessAFilterExcludesNull) {
  EXPECT_FALSE(HasSortIndex(Query({}, SortBy("rating", "asc"))));
  EXPECT_TRUE(HasSortIndex(Query({}, SortBy("rating", "desc"))));
  EXPECT_TRUE(HasSortIndex(Query({"and.gt.rating.2"}, SortBy("rating", "asc"))));
  EXPECT_TRUE(HasSortIndex(Query({}, SortBy("status", "desc"))));
  EXPECT_FALSE(HasSortIndex(Query({}, SortBy("category", "desc"))));
  EXPECT_FALSE(HasSortIndex(Query({}, SortBy("attr:employees", "desc"))));
  ListQuery q = Query({"and.gte.review_count.5"}, SortBy("rating", "asc"));
  ChooseAccess(q, {{0, kProbeCap}});
  EXPECT_EQ(q.access, Access::kAuto);
}

TEST(Plan, AnAttributeFilterDrivesThroughItsValueIndex) {
  ListQuery q = Query({"and.gt.attr:employees.9500"}, SortBy("score", "desc"));
  ChooseAccess(q, {{0, 10}});
  CompiledSql sql = CompileSqliteListQuery("leads.id", q);
  EXPECT_NE(sql.sql.find("leads.id IN (SELECT a.lead_id FROM lead_attributes a INDEXED BY "
                         "lead_attributes_num WHERE a.account_key = ?"),
            std::string::npos)
      << sql.sql;
  // No bool (0 or 1) passes "> 9500": the type check is implied, the index covers the subquery.
  EXPECT_NE(sql.sql.find("AND a.name = ? AND a.value_num > ?)"), std::string::npos) << sql.sql;
  ListQuery low = Query({"and.gte.attr:employees.0", "and.lt.attr:employees.3"});
  ChooseAccess(low, {{0, 10}});
  sql = CompileSqliteListQuery("leads.id", low);
  EXPECT_NE(sql.sql.find("a.type = 'number' AND a.value_num >= ?"), std::string::npos) << sql.sql;
  // A value that reads as a number or a bool also matches those types: no single index.
  EXPECT_FALSE(IsIndexable(Query({"and.eq.attr:employees.10"}).filters[0]));
  EXPECT_FALSE(IsIndexable(Query({"and.eq.attr:verified.true"}).filters[0]));
  EXPECT_TRUE(IsIndexable(Query({"and.eq.attr:industry.retail"}).filters[0]));
  EXPECT_FALSE(IsIndexable(Query({"or.eq.city.paris"}).filters[0]));
}

}  // namespace
}  // namespace klozeo::query

namespace klozeo::query {
namespace {

// PostgreSQL (schema 21): attribute conditions on the columns its indexes hold with the lead
// (value_sort, value_items), containment bound as a jsonb constant its statistics can estimate,
// and a list's element as a per-lead check; SQLite's SQL is what it was.
TEST(PostgresCompiler, AttributeConditionsReadTheIndexedKeys) {
  auto pg = [](const std::string& filter) {
    return CompilePostgresListQuery("leads.id", Query({filter}));
  };
  auto lite = [](const std::string& filter) {
    return CompileSqliteListQuery("leads.id", Query({filter}));
  };
  // Text eq: the text's sort key; a value that reads as a number or a bool keeps the OR.
  CompiledSql eq = pg("and.eq.attr:industry.Software");
  EXPECT_NE(eq.sql.find("AND (a.value_sort = $3))"), std::string::npos) << eq.sql;
  EXPECT_EQ(eq.binds.at(2), SqlValue(std::string("1software")));
  EXPECT_NE(pg("and.eq.attr:industry.42").sql.find("a.value_fold = $3 OR (a.type = 'number'"),
            std::string::npos);
  EXPECT_NE(pg("and.eq.attr:verified.true").sql.find("a.type = 'bool'"), std::string::npos);
  EXPECT_NE(lite("and.eq.attr:industry.Software").sql.find("(a.value_fold = ?)"),
            std::string::npos);
  // A comparison neither 0 nor 1 passes: the numbers' key range. Otherwise the typed value.
  CompiledSql gt = pg("and.gt.attr:employees.9500");
  EXPECT_NE(gt.sql.find("a.value_sort > $3 AND a.value_sort < '1'"), std::string::npos) << gt.sql;
  EXPECT_EQ(gt.binds.at(2), SqlValue(AttributeSortKeyForNumber(9500)));
  CompiledSql lt = pg("and.lt.attr:employees.-3");
  EXPECT_NE(lt.sql.find("a.value_sort < $3)"), std::string::npos) << lt.sql;
  EXPECT_EQ(lt.sql.find("< '1'"), std::string::npos) << lt.sql;
  EXPECT_NE(pg("and.gte.attr:employees.0.5").sql.find("a.type = 'number' AND a.value_num >= $3"),
            std::string::npos);
  EXPECT_NE(lite("and.gt.attr:employees.9500").sql.find("a.type = 'number' AND a.value_num > ?"),
            std::string::npos);
  // Lists: the items column alone, the element a jsonb constant, the EXISTS kept per lead.
  CompiledSql has = pg("and.array_contains.attr:channels.WhatsApp");
  EXPECT_NE(has.sql.find("a.value_items @> CAST($3 AS jsonb) OFFSET 0)"), std::string::npos)
      << has.sql;
  EXPECT_EQ(has.sql.find("a.type"), std::string::npos) << has.sql;
  EXPECT_EQ(has.binds.at(2), SqlValue(std::string("[\"whatsapp\"]")));
  CompiledSql any = pg("and.array_not_empty.attr:channels");
  EXPECT_NE(any.sql.find("COALESCE(jsonb_array_length(a.value_items), 0) > 0)"), std::string::npos)
      << any.sql;
  EXPECT_EQ(any.sql.find("OFFSET 0"), std::string::npos) << any.sql;
  EXPECT_FALSE(ProbedForPostgres(Query({"and.array_not_empty.attr:channels"}).filters[0]));
  // Negations are NOT EXISTS of the same condition, left to the planner.
  CompiledSql none = pg("and.array_not_contains.attr:channels.sms");
  EXPECT_NE(none.sql.find("NOT EXISTS ("), std::string::npos) << none.sql;
  EXPECT_EQ(none.sql.find("OFFSET 0"), std::string::npos) << none.sql;
  CompiledSql lite_has = lite("and.array_contains.attr:channels.WhatsApp");
  EXPECT_NE(lite_has.sql.find("a.type = 'list' AND"), std::string::npos) << lite_has.sql;
  EXPECT_EQ(lite_has.sql.find("OFFSET"), std::string::npos) << lite_has.sql;
  // Tags: a jsonb constant (quotes and backslashes escaped as JSON).
  CompiledSql tag = pg("and.array_contains.tags.Say \"hi\"");
  EXPECT_NE(tag.sql.find("leads.tags_fold @> CAST($2 AS jsonb)"), std::string::npos) << tag.sql;
  EXPECT_EQ(tag.binds.at(1), SqlValue(std::string("[\"say \\\"hi\\\"\"]")));
}

// The list filter is probed on PostgreSQL (its ids read off the lists), drives when rare or when
// no index yields the order, and is otherwise left as the per-lead check.
TEST(Plan, PostgresProbesAListsElement) {
  const SqlDialect& pg = PostgresDialectInstance();
  ListQuery q = Query({"and.array_contains.attr:channels.sms"});
  EXPECT_TRUE(ProbedForPostgres(q.filters[0]));
  EXPECT_TRUE(ProbeReadsIds(q.filters[0], pg));
  EXPECT_FALSE(ProbeReadsIds(q.filters[0], SqliteDialectInstance()));
  EXPECT_TRUE(ProbeCandidates(q).empty());  // SQLite does not probe it
  CompiledSql probe = CompileCountProbe(pg, q, 0, 100);
  EXPECT_EQ(probe.sql,
            "SELECT a.lead_id FROM lead_attributes a WHERE a.account_key = $1 AND a.name = $2 "
            "AND a.value_items @> CAST($3 AS jsonb) LIMIT $4");
  ChooseAccess(q, {{0, 40}}, 100, pg);
  EXPECT_EQ(q.access, Access::kFilterIndex);
  q.drive_ids = std::vector<std::string>{"cl_1"};
  CompiledSql driven = CompilePostgresListQuery("leads.id", q);
  EXPECT_NE(driven.sql.find("leads.id IN (SELECT jsonb_array_elements_text("), std::string::npos)
      << driven.sql;
  ListQuery common = Query({"and.array_contains.attr:channels.sms"});
  ChooseAccess(common, {{0, 100}}, 100, pg);
  EXPECT_EQ(common.access, Access::kAuto);
  ListQuery unsorted = Query({"and.array_contains.attr:channels.sms"}, SortBy("category", "asc"));
  ChooseAccess(unsorted, {{0, 100}}, 100, pg);
  EXPECT_EQ(unsorted.access, Access::kFilterIndex);
}

// A substring the trigrams cannot look up is written through no index on PostgreSQL, so pg_trgm's
// index is not read whole for it.
TEST(PostgresCompiler, ShortSubstringsUseNoTrigramIndex) {
  CompiledSql probe =
      CompileCountProbe(PostgresDialectInstance(), Query({"and.contains.name.zq"}), 0, 10);
  EXPECT_EQ(probe.sql.find("SELECT leads.id FROM leads WHERE leads.account_key = $1 AND "
                           "(leads.name_fold || '') LIKE $2"),
            0u)
      << probe.sql;
  CompiledSql longer = CompilePostgresListQuery("leads.id", Query({"and.contains.name.zqx"}));
  EXPECT_NE(longer.sql.find("AND leads.name_fold LIKE $2"), std::string::npos) << longer.sql;
  CompiledSql lite =
      CompileCountProbe(SqliteDialectInstance(), Query({"and.contains.name.zq"}), 0, 10);
  EXPECT_NE(lite.sql.find("leads.name_fold LIKE ?"), std::string::npos) << lite.sql;
}

// PostgreSQL, schema 23: a two-character pair of ASCII letters or digits is matched by a regular
// expression pg_trgm looks up: the pair at the start or after any character the names hold.
TEST(Plan, PostgresTrigramRegexOfAPair) {
  auto filter = [](const std::string& text) { return Query({text}).filters[0]; };
  EXPECT_EQ(TrigramRegex(filter("and.contains.name.ZQ"), {}), "(^|[\\x01-\\x7f])zq");
  EXPECT_EQ(TrigramRegex(filter("and.ends_with.name.a1"), {"\xC3\xA9", "\xC3\xA4"}),
            "(^|[\\x01-\\x7f\xC3\xA9\xC3\xA4])a1$");
  // Not a pair of letters or digits (pg_trgm indexes words), not a pair, not `and`, not name.
  EXPECT_EQ(TrigramRegex(filter("and.contains.name.a-"), {}), std::nullopt);
  EXPECT_EQ(TrigramRegex(filter("and.contains.name.\xC3\xA9"
                                "a"),
                         {}),
            std::nullopt);
  EXPECT_EQ(TrigramRegex(filter("and.contains.name.abc"), {}), std::nullopt);
  EXPECT_EQ(TrigramRegex(filter("or.contains.name.ab"), {}), std::nullopt);
  EXPECT_EQ(TrigramRegex(filter("and.contains.city.ab"), {}), std::nullopt);
  EXPECT_EQ(TrigramRegex(filter("and.starts_with.name.ab"), {}), std::nullopt);
  // A character at or above U+0800 (pg_trgm cannot expand it), or too many characters.
  EXPECT_EQ(TrigramRegex(filter("and.contains.name.ab"), {"\xE6\x97\xA5"}), std::nullopt);
  std::vector<std::string> many;
  for (int i = 0; i <= static_cast<int>(kMaxRegexChars); ++i) {
    const int cp = 0x100 + i;
    many.push_back({static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))});
  }
  EXPECT_EQ(TrigramRegex(filter("and.contains.name.ab"), many), std::nullopt);
  many.pop_back();
  EXPECT_NE(TrigramRegex(filter("and.contains.name.ab"), many), std::nullopt);
  ListQuery q = Query({"and.contains.name.zq"}, SortBy("score", "desc"));
  CompiledSql probe = CompileTrigramRegexProbe(PostgresDialectInstance(), q, 0, 10, "(^|[a])zq");
  EXPECT_EQ(probe.sql,
            "SELECT leads.id FROM leads WHERE leads.account_key = $1 AND leads.name_fold ~ $2 "
            "LIMIT $3");
  EXPECT_EQ(probe.binds, (Binds{std::int64_t{7}, std::string("(^|[a])zq"), std::int64_t{10}}));
  // Its ids drive the query; the LIKE on the row still decides.
  q.access = Access::kFilterIndex;
  q.drive = 0;
  q.drive_ids = std::vector<std::string>{"l1"};
  CompiledSql sql = CompilePostgresListQuery("leads.id", q);
  EXPECT_NE(sql.sql.find("leads.id IN (SELECT jsonb_array_elements_text(CAST($2 AS jsonb))) AND "
                         "(leads.name_fold || '') LIKE $3"),
            std::string::npos)
      << sql.sql;
}

// PostgreSQL: a lone attribute comparison matching between half the cap and the cap walks the
// sort index, its lead ids one hashed set (an expression, so not pulled up into a join).
TEST(Plan, PostgresWalksALoneAttributeComparisonAsASet) {
  const SqlDialect& pg = PostgresDialectInstance();
  const int64_t cap = 7141;
  ListQuery attr = Query({"and.gt.attr:employees.9500"}, SortBy("created_at", "asc"));
  EXPECT_TRUE(WalkedAsSetOnPostgres(attr.filters[0]));
  ChooseAccess(attr, {{0, 4520}}, cap, pg);
  EXPECT_EQ(attr.access, Access::kSortIndex);
  EXPECT_EQ(attr.walk_set, std::optional<size_t>(0));
  CompiledSql sql = CompilePostgresListQuery("leads.id", attr);
  EXPECT_NE(sql.sql.find("FROM leads WHERE leads.account_key = $1 AND (leads.id IN (SELECT "
                         "a.lead_id FROM lead_attributes a WHERE a.account_key = $2 AND a.name = "
                         "$3 AND a.value_sort > $4 AND a.value_sort < '1')) IS TRUE) w CROSS "
                         "JOIN leads"),
            std::string::npos)
      << sql.sql;
  // Rarer: it drives (its leads read by key and sorted); common: PostgreSQL decides.
  ChooseAccess(attr, {{0, cap / kAttributeWalkShare - 1}}, cap, pg);
  EXPECT_EQ(attr.access, Access::kFilterIndex);
  ChooseAccess(attr, {{0, cap}}, cap, pg);
  EXPECT_EQ(attr.access, Access::kAuto);
  // Not with another filter, nor for an eq (checked index-only per lead already).
  ListQuery two = Query({"and.gt.attr:employees.9500", "and.eq.status.new"});
  ChooseAccess(two, {{0, 4520}}, cap, pg);
  EXPECT_EQ(two.access, Access::kFilterIndex);
  EXPECT_FALSE(WalkedAsSetOnPostgres(Query({"and.eq.attr:industry.retail"}).filters[0]));
  // SQLite's walk is unchanged: the set is a plain IN.
  ChooseAccess(attr, {{0, 4520}}, cap);
  EXPECT_EQ(CompileSqliteListQuery("leads.id", attr).sql.find("IS TRUE"), std::string::npos);
}

// PostgreSQL: an attr: sort with a range on the sorted attribute bounds the walk of value_sort
// alone and does not test the range again on each lead (its estimate would be counted twice:
// 20,563 leads estimated at 2, the range then sorted whole); a range that may hold bools does.
TEST(PostgresCompiler, AttributeSortRangeBoundsTheWalkOnce) {
  ListQuery q = Query({"and.gte.attr:employees.100", "and.lte.attr:employees.120"},
                      SortBy("attr:employees", "desc"));
  q.access = Access::kAttributeSort;
  CompiledSql sql = CompilePostgresListQuery("leads.id", q);
  EXPECT_NE(sql.sql.find("a.value_sort IS NOT NULL AND a.value_sort >= $3 AND a.value_sort <= $4 "
                         "AND a.value_sort < '1') s CROSS JOIN leads WHERE leads.account_key = $5 "
                         "AND leads.id = s.sort_lead ORDER BY"),
            std::string::npos)
      << sql.sql;
  EXPECT_EQ(sql.sql.find("value_num"), std::string::npos) << sql.sql;
  ListQuery bools = Query({"and.lte.attr:employees.120"}, SortBy("attr:employees", "desc"));
  bools.access = Access::kAttributeSort;
  sql = CompilePostgresListQuery("leads.id", bools);
  EXPECT_NE(sql.sql.find("AND leads.id = s.sort_lead AND EXISTS"), std::string::npos) << sql.sql;
  // SQLite: unchanged (value_num bounds, the filters tested on each lead).
  CompiledSql lite = CompileSqliteListQuery("leads.id", q);
  EXPECT_NE(lite.sql.find("a.value_num >= ?"), std::string::npos) << lite.sql;
  EXPECT_NE(lite.sql.find("AND leads.id = s.sort_lead AND EXISTS"), std::string::npos) << lite.sql;
}

}  // namespace
}  // namespace klozeo::query
