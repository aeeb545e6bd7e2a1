#include "query/sqlite_compiler.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <numbers>
#include <utility>

#include "query/geo.h"

namespace klozeo::query {

std::string SqliteDialect::Placeholder(size_t /*index*/) const { return "?"; }

void SqliteDialect::AppendJsonArrayHas(SqlBuilder& out, std::string_view array_expr,
                                       bool fold_elements, std::string element) const {
  out.Append("EXISTS (SELECT 1 FROM json_each(");
  out.Append(array_expr);
  out.Append(") AS j WHERE ");
  if (fold_elements) {
    out.Append(kSqliteFoldFunction);
    out.Append("(j.value) = ");
  } else {
    out.Append("j.value = ");
  }
  out.Bind(std::move(element));
  out.Append(")");
}

void SqliteDialect::AppendIdIn(SqlBuilder& out, std::string_view id_expr,
                               const std::vector<std::string>& ids) const {
  out.Append(std::string(id_expr) + " IN (SELECT value FROM json_each(");
  out.Bind(nlohmann::json(ids).dump());
  out.Append("))");
}

void SqliteDialect::AppendJsonHasMembers(SqlBuilder& out, std::string_view json_expr) const {
  out.Append("EXISTS (SELECT 1 FROM json_each(");
  out.Append(json_expr);
  out.Append("))");
}

void SqliteDialect::AppendDistanceKm(SqlBuilder& out, std::string_view lat_expr,
                                     std::string_view lng_expr, double lat, double lng) const {
  // Haversine, as GreatCircleKm: 2R·asin(√(sin²(Δφ/2) + cos φ1·cos φ2·sin²(Δλ/2))), with the
  // centre's terms computed here.
  double phi = lat * std::numbers::pi / 180.0;
  double lambda = lng * std::numbers::pi / 180.0;
  char diameter[32];
  std::snprintf(diameter, sizeof diameter, "%.10g", 2 * kEarthRadiusKm);
  std::string lat_sql(lat_expr);
  std::string lng_sql(lng_expr);
  out.Append(std::string("(") + diameter + " * asin(min(1.0, sqrt(pow(sin((radians(" + lat_sql +
             ") - ");
  out.Bind(phi);
  out.Append(") / 2), 2) + cos(radians(" + lat_sql + ")) * ");
  out.Bind(std::cos(phi));
  out.Append(" * pow(sin((radians(" + lng_sql + ") - ");
  out.Bind(lambda);
  out.Append(") / 2), 2)))))");
}

const SqliteDialect& SqliteDialectInstance() {
  static const SqliteDialect dialect;
  return dialect;
}

CompiledSql CompileSqliteListQuery(std::string_view select_list, const ListQuery& query) {
  return CompileListQuery(SqliteDialectInstance(), select_list, query);
}

}  // namespace klozeo::query
