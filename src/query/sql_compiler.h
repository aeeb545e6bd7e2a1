#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "query/cursor.h"
#include "query/filter.h"
#include "query/sort.h"
#include "query/sql_value.h"

namespace klozeo::query {

/// SQL text with placeholders, and the values to bind to them in order (1-based).
struct CompiledSql {
  std::string sql;
  std::vector<SqlValue> binds;
  /// Set when the select list's kScoreSlot was written as NULL (ListQuery::score_later): the
  /// caller reads the rows' scores itself.
  bool score_later = false;
};

/// Where a select list handed to CompileListQuery holds the lead's score (not SQL: a list that
/// keeps it fails to prepare). The compiler writes the score as its statement has it at hand:
/// the joined lead_scores row's column (`ls.score`, PostgreSQL's score lists), the walked
/// lead_scores entry's (SQLite's score walks), or else a lookup of the lead's lead_scores row
/// per returned row (NULL with ListQuery::score_later).
inline constexpr std::string_view kScoreSlot = "<score>";

class SqlDialect;

/// Accumulates SQL text and bind values strictly left to right, so each placeholder's number
/// is its position in `binds`.
class SqlBuilder {
 public:
  explicit SqlBuilder(const SqlDialect& dialect) : dialect_(dialect) {}

  /// Appends SQL text verbatim (never client input).
  void Append(std::string_view sql) { sql_ += sql; }
  /// Appends a placeholder and records the value bound to it.
  void Bind(SqlValue value);
  /// The finished statement.
  CompiledSql Finish() &&;

 private:
  const SqlDialect& dialect_;
  std::string sql_;
  std::vector<SqlValue> binds_;
};

/// The few pieces of SQL that differ between SQLite and PostgreSQL. Everything else the
/// compiler writes in SQL both accept. JSON documents are the `tags_fold` column (an array
/// of folded strings) and `lead_attributes.value` (the attribute's JSON text).
class SqlDialect {
 public:
  virtual ~SqlDialect() = default;
  /// The placeholder for bind number `index` (1-based): "?" or "$<index>".
  virtual std::string Placeholder(size_t index) const = 0;
  /// Appends a condition: the JSON array of strings `array_expr` has an element equal to
  /// `element` (already folded). With `fold_elements` the stored elements are folded first
  /// (list attributes are stored as given; tags_fold is folded already).
  virtual void AppendJsonArrayHas(SqlBuilder& out, std::string_view array_expr, bool fold_elements,
                                  std::string element) const = 0;
  /// Appends a condition: `id_expr` is one of `ids` (bound as one JSON array).
  virtual void AppendIdIn(SqlBuilder& out, std::string_view id_expr,
                          const std::vector<std::string>& ids) const = 0;
  /// Appends a condition: the JSON array or object `json_expr` has at least one member.
  virtual void AppendJsonHasMembers(SqlBuilder& out, std::string_view json_expr) const = 0;
  /// Appends a REAL expression: the great-circle distance in km (GreatCircleKm) from the
  /// point (lat_expr, lng_expr), in degrees, to (lat, lng).
  virtual void AppendDistanceKm(SqlBuilder& out, std::string_view lat_expr,
                                std::string_view lng_expr, double lat, double lng) const = 0;
  /// The sort value of the attribute row `a` (sort by attr:<name>): numbers and bools before
  /// text, list and object NULL. SQLite mixes types in one column; PostgreSQL reads a stored
  /// order-preserving text key (see storage/postgres).
  virtual std::string_view AttributeSortValue() const {
    return "COALESCE(a.value_num, a.value_fold)";
  }
  /// `expr` with the same value, written so that no index can serve it: how the compiler
  /// steers the engine's choice of index (ListQuery::access). SQLite: unary `+`.
  virtual std::string NoIndex(std::string_view expr, bool /*text*/) const {
    return "+" + std::string(expr);
  }
  /// Text after a table name telling the engine which index to use (query/plan.h). SQLite:
  /// INDEXED BY; empty where the engine's own statistics decide.
  virtual std::string IndexedBy(std::string_view index) const {
    return index.empty() ? std::string() : " INDEXED BY " + std::string(index);
  }
  /// True when an INTEGER column compared with a REAL value cannot seek its index: PostgreSQL
  /// casts a bigint column to float8 for `col >= 500::float8`. The compiler then binds the
  /// equivalent integer bound (col >= 500, col > 4.5 as col > 4), a bigint the index serves.
  virtual bool NeedsIntegerBounds() const { return false; }
  /// True when a LIKE with a literal prefix seeks the column's index by itself (PostgreSQL's
  /// "C" columns: the planner derives the prefix's range and estimates it from the histogram).
  /// Otherwise starts_with adds that range explicitly (SQLite's LIKE folds ASCII case, so it
  /// cannot seek a bytewise index); on PostgreSQL the copy would count the range twice in its
  /// estimate (571 rows for 55,574 measured).
  virtual bool LikeSeeksPrefix() const { return false; }
  /// True when the engine's planner has value statistics (PostgreSQL's histograms): it walks a
  /// sort index for common filters by itself, so query/plan.h only steers rare filters to their
  /// index (where its estimate can be far off) and leaves the rest to it. SQLite has none.
  virtual bool HasStatistics() const { return false; }
  /// True when substring search finds its candidates through the trigram table
  /// kTextIndexTable (SQLite's FTS5); false where the LIKE itself can use a trigram index
  /// (PostgreSQL's pg_trgm), so a probe or a driving filter is the plain condition.
  virtual bool HasTextIndexTable() const { return true; }
  /// The (account_key, name, sort value, lead_id) index of attribute sort values, when the
  /// sort value is one column (PostgreSQL's value_sort): an attr: sort walks it as one block.
  /// Empty where numbers and text sort from two indexes (SQLite).
  virtual std::string_view AttributeSortIndex() const { return {}; }
  /// The AttributeSortValue of a text attribute whose folded value is `folded` (PostgreSQL:
  /// AttributeSortKeyForText): eq and starts_with on a text attribute then compare that key,
  /// which the (account_key, name, value_sort, lead_id) index holds with the lead, so a
  /// per-lead check or a driving range reads the index alone. nullopt where the sort value is
  /// not one column (SQLite: the conditions read value_fold).
  virtual std::optional<std::string> AttributeTextSortKey(std::string_view /*folded*/) const {
    return std::nullopt;
  }
  /// True when list attributes keep their folded elements in `a.value_items` (PostgreSQL,
  /// jsonb, NULL for every other type): array_contains and array_not_empty read that column
  /// alone, with no type test, so the partial index of the lists (lead_attributes_list) answers
  /// them without reading rows. False: the JSON text `a.value` and `a.type = 'list'` (SQLite).
  virtual bool HasListItems() const { return false; }
  /// True when a lead's score lives in `lead_scores (account_key, id, score, status_fold,
  /// city_fold, category_fold)` with its order in `lead_scores_order` (SQLite's schema 24,
  /// PostgreSQL's 25), not in leads.score and leads_score: the score is read by a lookup, and what
  /// would walk or seek leads_score reads lead_scores under the same alias (its columns are named
  /// as leads' are).
  virtual bool HasScoresTable() const { return false; }
  /// The AttributeSortValue of a number (PostgreSQL: AttributeSortKeyForNumber), so that a
  /// comparison on an attribute bounds the walk of AttributeSortIndex; nullopt where the sort
  /// value is the number itself.
  virtual std::optional<std::string> AttributeSortKey(double /*number*/) const {
    return std::nullopt;
  }
};

/// Which index the engine should reach the rows through (query/plan.h chooses it from the
/// storage's row-count probes; docs/QUERY-PERFORMANCE.md).
enum class Access {
  kAuto,           ///< as written: the engine's planner decides
  kSortIndex,      ///< walk the sort's index and test each row: no filter's index is usable
  kFilterIndex,    ///< seek the index of filter `ListQuery::drive`, then sort the matches
  kScan,           ///< read the account's rows, test them, sort the matches: no index at all
  kAttributeSort,  ///< sort by attr:<name>: walk its value indexes (numbers, then text), then
                   ///< the leads without a value, testing each lead (sql_compiler.cpp)
};

/// The name of the column the compiler appends to the select list: the row's sort value,
/// to be read back (NULL, INTEGER, REAL or TEXT) into Cursor::last_value via CursorAfter.
inline constexpr std::string_view kSortKeyColumn = "sort_key";

/// One listing: an account's leads matching the filters, in sort order, after a cursor.
struct ListQuery {
  int64_t account_key = 0;  ///< the tenant (domain::AccountKey)
  std::vector<Filter> filters;
  Sort sort;
  /// Continue strictly after this row (from DecodeCursor with the same sort).
  std::optional<Cursor> after;
  /// Page size: the SQL asks for limit + 1 rows, so a surplus row means has_more.
  /// nullopt: no LIMIT at all (export).
  std::optional<int> limit;
  /// The access path (kAuto unless query/plan.h chose one); `drive` indexes `filters`.
  Access access = Access::kAuto;
  size_t drive = 0;
  /// With kFilterIndex: every lead id the driving filter matches, when its probe read them
  /// (ProbeReadsIds: reading its whole index once is the cost, not twice); the query then
  /// reads these leads only.
  std::optional<std::vector<std::string>> drive_ids;
  /// With kSortIndex, an attribute filter (index into `filters`, with the others of its index:
  /// SameIndexFilters) the walk tests as one set of lead ids, `leads.id IN (SELECT a.lead_id
  /// ...)`, built once from its value index, instead of reading each walked lead's attribute
  /// rows: a lone filter whose probe counted fewer rows than the cap (query/plan.h), so the
  /// set is small. A within_radius filter likewise: the ids of its latitude band
  /// (leads_latitude), the distance still tested on the row.
  std::optional<size_t> walk_set;
  /// The caller reads the page's scores itself (a range of lead_scores merged by id, for the
  /// large pages of a scan): kScoreSlot is written as NULL unless the statement reads the score
  /// anyway (CompiledSql::score_later says which).
  bool score_later = false;
};

/// Compiles `query` into
///   SELECT <select_list>, <sort expression> AS sort_key FROM leads
///   WHERE leads.account_key = ? [AND <and filters>] [AND (<or filters>)] [AND <keyset>]
///   ORDER BY sort_key <dir> [NULLS LAST], leads.id <dir> [LIMIT ?]
/// `select_list` is SQL chosen by the storage (columns of `leads`, qualified or not); it is
/// copied verbatim. Client text only ever travels as bind values.
///
/// Semantics:
/// - Text fields match through `<field>_fold` with FoldText'ed values; contains/starts_with/
///   ends_with are LIKE with `%`, `_` and `\` escaped. Text sorts use the folded column too.
/// - neq, not_contains and is_empty also match NULL; array_* on tags read `tags_fold`.
/// - attr:<name>: positive operators need an attribute row that satisfies them (EXISTS);
///   neq, not_contains, array_not_contains, is_empty and array_empty are NOT EXISTS of the
///   positive form, so a lead without the attribute matches them. eq compares text attributes
///   folded, number attributes numerically when the value parses as a number, and bool
///   attributes against "true"/"false"; gt/gte/lt/lte only match number attributes;
///   contains/starts_with/ends_with only text attributes; array_* only list attributes;
///   is_empty means absent, "", [] or {}.
/// - Sort by attr:<name> uses value_num (number, bool as 1/0) or value_fold (text); list and
///   object attributes sort as NULL. Numbers order before text. NULLs come last either way,
///   ties broken by id in the same direction.
CompiledSql CompileListQuery(const SqlDialect& dialect, std::string_view select_list,
                             const ListQuery& query);

/// Compiles `SELECT count(*)` of the account's leads (at most `cap`) that match the filter
/// `query.filters[index]` and the others its index serves (SameIndexFilters), through that index
/// (query/plan.h: only for filters IsIndexable accepts). An attribute filter counts its attribute
/// rows (one per lead and name). A ProbeReadsIds filter's probe selects the matching lead ids
/// instead (at most `cap` rows), which ListQuery::drive_ids can carry to the query.
CompiledSql CompileCountProbe(const SqlDialect& dialect, const ListQuery& query, size_t index,
                              int cap);

/// The probe of a UsesTrigramTerms filter `query.filters[index]` (query/plan.h) on an engine
/// with the trigram table (SqlDialect::HasTextIndexTable): at most `cap` ids of the account's
/// leads whose indexed trigrams match `match` (TrigramTermsMatch of the terms that start or end
/// with the pair; none when empty), the pending leads (not indexed yet: a superset, so the query
/// tests the filter on the row), and the leads whose folded value is the pair itself. Like a
/// ProbeReadsIds probe, its ids can drive the query (ListQuery::drive_ids).
CompiledSql CompileTrigramTermsProbe(const SqlDialect& dialect, const ListQuery& query,
                                     size_t index, int cap, const std::string& match);

/// PostgreSQL's probe of a UsesTrigramTerms filter `query.filters[index]`: at most `cap` ids of
/// the account's leads whose folded field matches `regex` (TrigramRegex: exactly those that
/// hold the pair, found through pg_trgm's index). Its ids can drive the query
/// (ListQuery::drive_ids), as a ProbeReadsIds probe's.
CompiledSql CompileTrigramRegexProbe(const SqlDialect& dialect, const ListQuery& query,
                                     size_t index, int cap, const std::string& regex);

}  // namespace klozeo::query
