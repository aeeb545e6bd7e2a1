#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "query/sql_compiler.h"

namespace klozeo::query {

/// PostgreSQL: `$n` placeholders, `jsonb` containment for tags and list attributes, the
/// haversine with LEAST. Relies on the PostgreSQL schema (storage/sql/schema.h):
/// `leads.tags_fold` is jsonb, list attributes keep their folded elements in
/// `lead_attributes.value_items` (jsonb), and `lead_attributes.value_sort` holds the
/// order-preserving sort key (AttributeSortKey). Text columns use the "C" collation, so
/// comparisons and order are bytewise as in SQLite.
class PostgresDialect final : public SqlDialect {
 public:
  std::string Placeholder(size_t index) const override;
  void AppendJsonArrayHas(SqlBuilder& out, std::string_view array_expr, bool fold_elements,
                          std::string element) const override;
  void AppendIdIn(SqlBuilder& out, std::string_view id_expr,
                  const std::vector<std::string>& ids) const override;
  void AppendJsonHasMembers(SqlBuilder& out, std::string_view json_expr) const override;
  void AppendDistanceKm(SqlBuilder& out, std::string_view lat_expr, std::string_view lng_expr,
                        double lat, double lng) const override;
  std::string_view AttributeSortValue() const override { return "a.value_sort"; }
  /// No unary plus on text in PostgreSQL: an expression of the same value and collation.
  std::string NoIndex(std::string_view expr, bool text) const override {
    return std::string(expr) + (text ? " || ''" : " + 0");
  }
  std::string IndexedBy(std::string_view /*index*/) const override { return {}; }
  bool HasStatistics() const override { return true; }
  bool NeedsIntegerBounds() const override { return true; }
  bool LikeSeeksPrefix() const override { return true; }
  bool HasTextIndexTable() const override { return false; }
  std::string_view AttributeSortIndex() const override { return "lead_attributes_sort"; }
  std::optional<std::string> AttributeSortKey(double number) const override;
  std::optional<std::string> AttributeTextSortKey(std::string_view folded) const override;
  bool HasListItems() const override { return true; }
  bool HasScoresTable() const override { return true; }
};

/// The dialect's instance (query/plan.h compiles probes with it).
const PostgresDialect& PostgresDialectInstance();

/// CompileListQuery in the PostgreSQL dialect.
CompiledSql CompilePostgresListQuery(std::string_view select_list, const ListQuery& query);

/// The text a PostgreSQL `value_sort` column stores so that ordering it bytewise equals the
/// SQLite order of COALESCE(value_num, value_fold): "0" + 16 hex digits of the number's
/// order-preserving bit pattern for numbers (bools as 1/0), "1" + the folded text for text.
std::string AttributeSortKeyForNumber(double value);
std::string AttributeSortKeyForText(std::string_view folded);

}  // namespace klozeo::query
