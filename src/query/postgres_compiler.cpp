#include "query/postgres_compiler.h"

#include <nlohmann/json.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numbers>
#include <utility>

#include "core/strings.h"
#include "query/geo.h"

namespace klozeo::query {

std::string PostgresDialect::Placeholder(size_t index) const { return "$" + std::to_string(index); }

void PostgresDialect::AppendJsonArrayHas(SqlBuilder& out, std::string_view array_expr,
                                         bool fold_elements, std::string element) const {
  // Nothing stored holds text that is not UTF-8 (PostgreSQL would refuse the value).
  if (!core::IsValidUtf8(element)) {
    out.Append("(1 = 0)");
    return;
  }
  // List attributes (fold_elements) are matched through their folded copy, value_items;
  // tags_fold is folded already. Containment (@>) can use a GIN index. The array is bound as a
  // jsonb constant, not built by jsonb_build_array (not immutable, so not folded at planning):
  // the planner then estimates the containment from the column's statistics (most common
  // arrays) instead of a fixed guess (docs/QUERY-PERFORMANCE.md).
  if (fold_elements) {
    out.Append("a.value_items");
  } else {
    out.Append(array_expr);
  }
  out.Append(" @> CAST(");
  out.Bind(nlohmann::json::array({std::move(element)}).dump());
  out.Append(" AS jsonb)");
}

void PostgresDialect::AppendIdIn(SqlBuilder& out, std::string_view id_expr,
                                 const std::vector<std::string>& ids) const {
  out.Append(std::string(id_expr) + " IN (SELECT jsonb_array_elements_text(CAST(");
  out.Bind(nlohmann::json(ids).dump());
  out.Append(" AS jsonb)))");
}

void PostgresDialect::AppendJsonHasMembers(SqlBuilder& out, std::string_view json_expr) const {
  std::string doc = "CAST(" + std::string(json_expr) + " AS jsonb)";
  out.Append("(" + doc + " <> '[]'::jsonb AND " + doc + " <> '{}'::jsonb)");
}

void PostgresDialect::AppendDistanceKm(SqlBuilder& out, std::string_view lat_expr,
                                       std::string_view lng_expr, double lat, double lng) const {
  double phi = lat * std::numbers::pi / 180.0;
  double lambda = lng * std::numbers::pi / 180.0;
  char diameter[32];
  std::snprintf(diameter, sizeof diameter, "%.10g", 2 * kEarthRadiusKm);
  std::string lat_sql(lat_expr);
  std::string lng_sql(lng_expr);
  out.Append(std::string("(") + diameter + " * asin(LEAST(1.0, sqrt(power(sin((radians(" + lat_sql +
             ") - ");
  out.Bind(phi);
  out.Append(") / 2), 2) + cos(radians(" + lat_sql + ")) * ");
  out.Bind(std::cos(phi));
  out.Append(" * power(sin((radians(" + lng_sql + ") - ");
  out.Bind(lambda);
  out.Append(") / 2), 2)))))");
}

const PostgresDialect& PostgresDialectInstance() {
  static const PostgresDialect dialect;
  return dialect;
}

CompiledSql CompilePostgresListQuery(std::string_view select_list, const ListQuery& query) {
  return CompileListQuery(PostgresDialectInstance(), select_list, query);
}

std::string AttributeSortKeyForNumber(double value) {
  if (value == 0) value = 0;  // -0 and 0 are equal: one key
  auto bits = std::bit_cast<std::uint64_t>(value);
  // Positive numbers: set the sign bit; negative: flip every bit. Then unsigned order is
  // numeric order.
  bits = (bits & (std::uint64_t{1} << 63)) != 0 ? ~bits : bits | (std::uint64_t{1} << 63);
  char hex[18];
  std::snprintf(hex, sizeof hex, "0%016llx", static_cast<unsigned long long>(bits));
  return hex;
}

std::optional<std::string> PostgresDialect::AttributeSortKey(double number) const {
  return AttributeSortKeyForNumber(number);
}

std::optional<std::string> PostgresDialect::AttributeTextSortKey(std::string_view folded) const {
  return AttributeSortKeyForText(folded);
}

std::string AttributeSortKeyForText(std::string_view folded) {
  std::string out = "1";
  out += folded;
  return out;
}

}  // namespace klozeo::query
