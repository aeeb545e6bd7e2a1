#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "query/sql_compiler.h"

namespace klozeo::query {

/// The SQL name of FoldText in SQLite connections (registered by the SQLite backend:
/// storage/sqlite/functions.h).
inline constexpr std::string_view kSqliteFoldFunction = "klozeo_fold";

/// SQLite (3.38+ with math functions, JSON1 built in): `?` placeholders, json_each(), the
/// haversine in SQL math functions, and `klozeo_fold()` (kSqliteFoldFunction) to fold
/// list-attribute elements.
class SqliteDialect final : public SqlDialect {
 public:
  std::string Placeholder(size_t index) const override;
  void AppendJsonArrayHas(SqlBuilder& out, std::string_view array_expr, bool fold_elements,
                          std::string element) const override;
  void AppendIdIn(SqlBuilder& out, std::string_view id_expr,
                  const std::vector<std::string>& ids) const override;
  void AppendJsonHasMembers(SqlBuilder& out, std::string_view json_expr) const override;
  void AppendDistanceKm(SqlBuilder& out, std::string_view lat_expr, std::string_view lng_expr,
                        double lat, double lng) const override;
  bool HasScoresTable() const override { return true; }
};

/// The dialect's instance (query/plan.h compiles probes with it).
const SqliteDialect& SqliteDialectInstance();

/// CompileListQuery in the SQLite dialect. The connection running the statement must have
/// klozeo_fold registered (every connection of the SQLite backend has).
CompiledSql CompileSqliteListQuery(std::string_view select_list, const ListQuery& query);

}  // namespace klozeo::query
