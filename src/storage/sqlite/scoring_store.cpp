#include "storage/sqlite/scoring_store.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "storage/rows.h"

namespace klozeo::storage::sqlite::scoring {
namespace {

using core::Error;
using core::Result;
using core::Status;
using domain::ScoringRule;
using rows::ReadRule;

// ---- SQL, one constant per statement (the statement cache is keyed by these pointers) ----

constexpr const char* kInsertRule =
    "INSERT INTO scoring_rules (account_id, id, name, expression, weight, priority, created_at, "
    "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr const char* kGetRule =
    "SELECT id, name, expression, weight, priority, created_at, updated_at FROM scoring_rules "
    "WHERE account_id = ?1 AND id = ?2";
constexpr const char* kListRules =
    "SELECT id, name, expression, weight, priority, created_at, updated_at FROM scoring_rules "
    "WHERE account_id = ?1 ORDER BY priority, created_at, id";
constexpr const char* kUpdateRule =
    "UPDATE scoring_rules SET name = ?3, expression = ?4, weight = ?5, priority = ?6, "
    "updated_at = ?7 WHERE account_id = ?1 AND id = ?2";
constexpr const char* kDeleteRule = "DELETE FROM scoring_rules WHERE account_id = ?1 AND id = ?2";
constexpr const char* kCountRules = "SELECT COUNT(*) FROM scoring_rules WHERE account_id = ?1";
// Only rows whose score really changes are written.
constexpr const char* kUpdateScore =
    "UPDATE leads SET score = ?3 WHERE account_id = ?1 AND id = ?2 AND score IS NOT ?3";

// The projected lead scan (ScanLeads): generated from these fragments and a whitelist of
// column names. `id > ''` holds for every id, so the first chunk binds an empty string.
constexpr const char* kScanSelect = "SELECT id, score";
constexpr const char* kScanFrom =
    " FROM leads WHERE account_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3";
// The chunk's attributes with the wanted names, in one range read merged by lead id (a
// correlated subquery per lead costs two index seeks each: several times slower). The unary
// `+` keeps the planner on the primary key's sequential lead_id range instead of the
// (account_id, lead_id, name) index, which would need a table lookup per row. Names are bound
// from ?4 on.
constexpr const char* kScanAttributes =
    "SELECT lead_id, name, type, value FROM lead_attributes WHERE account_id = ?1 AND "
    "lead_id > ?2 AND lead_id <= ?3 AND +name IN (";
constexpr const char* kScanAttributesEnd = ") ORDER BY lead_id, id";
constexpr int kFirstAttributeParam = 4;

/// A lead column a scan may read (its name is also the lead field's JSON name).
enum class ColumnKind { kName, kSource, kText, kStatus, kReal, kInt, kTime, kTags };
struct ScanColumn {
  ColumnKind kind;
  int index = 0;  ///< kText: index into Lead::text; kReal/kTime: which one (see ReadColumn)
};

std::optional<ScanColumn> ColumnFor(std::string_view field) {
  static constexpr std::pair<std::string_view, ScanColumn> kFixed[] = {
      {"name", {ColumnKind::kName}},          {"source", {ColumnKind::kSource}},
      {"status", {ColumnKind::kStatus}},      {"latitude", {ColumnKind::kReal, 0}},
      {"longitude", {ColumnKind::kReal, 1}},  {"rating", {ColumnKind::kReal, 2}},
      {"review_count", {ColumnKind::kInt}},   {"created_at", {ColumnKind::kTime, 0}},
      {"updated_at", {ColumnKind::kTime, 1}}, {"last_interaction_at", {ColumnKind::kTime, 2}},
      {"tags", {ColumnKind::kTags}},
  };
  for (const auto& [name, column] : kFixed) {
    if (name == field) return column;
  }
  for (int i = 0; i < domain::kTextFieldCount; ++i) {
    if (field == domain::kTextFieldNames[i]) return ScanColumn{ColumnKind::kText, i};
  }
  return std::nullopt;
}

void ReadColumn(const Statement& s, int col, const ScanColumn& c, domain::Lead& lead) {
  switch (c.kind) {
    case ColumnKind::kName:
      lead.name = s.Text(col);
      break;
    case ColumnKind::kSource:
      lead.source = s.Text(col);
      break;
    case ColumnKind::kText:
      lead.text[c.index] = s.OptText(col);
      break;
    case ColumnKind::kStatus:
      lead.status = domain::ParseLeadStatus(s.Text(col)).value_or(domain::LeadStatus::kNew);
      break;
    case ColumnKind::kReal:
      (c.index == 0   ? lead.latitude
       : c.index == 1 ? lead.longitude
                      : lead.rating) = s.OptDouble(col);
      break;
    case ColumnKind::kInt:
      lead.review_count = s.OptInt(col);
      break;
    case ColumnKind::kTime:
      (c.index == 0   ? lead.created_at
       : c.index == 1 ? lead.updated_at
                      : lead.last_interaction_at) = s.Int(col);
      break;
    case ColumnKind::kTags: {
      nlohmann::json tags = nlohmann::json::parse(s.Text(col), nullptr, false);
      if (tags.is_array()) {
        for (auto& t : tags) {
          if (t.is_string()) lead.tags.push_back(t.get<std::string>());
        }
      }
      break;
    }
  }
}

}  // namespace

Status InsertRule(Connection& conn, std::string_view account_id, const ScoringRule& rule) {
  KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(kInsertRule));
  s.Bind(1, account_id)
      .Bind(2, rule.id)
      .Bind(3, rule.name)
      .Bind(4, rule.expression)
      .Bind(5, rule.weight)
      .Bind(6, rule.priority)
      .Bind(7, rule.created_at)
      .Bind(8, rule.updated_at);
  return s.Run();
}

Result<std::optional<ScoringRule>> GetRule(Connection& conn, std::string_view account_id,
                                           std::string_view id) {
  KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(kGetRule));
  s.Bind(1, account_id).Bind(2, id);
  KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<ScoringRule>();
  return std::optional<ScoringRule>(ReadRule(s));
}

Result<std::vector<ScoringRule>> ListRules(Connection& conn, std::string_view account_id) {
  KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(kListRules));
  s.Bind(1, account_id);
  std::vector<ScoringRule> out;
  while (true) {
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadRule(s));
  }
  return out;
}

Status UpdateRule(Connection& conn, std::string_view account_id, const ScoringRule& rule) {
  KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(kUpdateRule));
  s.Bind(1, account_id)
      .Bind(2, rule.id)
      .Bind(3, rule.name)
      .Bind(4, rule.expression)
      .Bind(5, rule.weight)
      .Bind(6, rule.priority)
      .Bind(7, rule.updated_at);
  KLOZEO_TRY(s.Run());
  if (conn.Changes() == 0) return Error::NotFound("scoring rule not found");
  return core::Ok();
}

Result<bool> DeleteRule(Connection& conn, std::string_view account_id, std::string_view id) {
  KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(kDeleteRule));
  s.Bind(1, account_id).Bind(2, id);
  KLOZEO_TRY(s.Run());
  return conn.Changes() > 0;
}

Result<int64_t> CountRules(Connection& conn, std::string_view account_id) {
  KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(kCountRules));
  s.Bind(1, account_id);
  KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Int(0) : int64_t{0};
}

Status UpdateScores(Connection& conn, std::string_view account_id,
                    const std::vector<std::pair<std::string, double>>& scores) {
  for (const auto& [lead_id, score] : scores) {
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(kUpdateScore));
    s.Bind(1, account_id).Bind(2, lead_id).Bind(3, score);
    KLOZEO_TRY(s.Run());
  }
  return core::Ok();
}

Result<std::vector<domain::Lead>> ScanLeads(Connection& conn, std::string_view account_id,
                                            std::string_view after_id, int limit,
                                            const LeadProjection& projection) {
  std::vector<ScanColumn> columns;
  std::string sql = kScanSelect;
  for (const std::string& field : projection.fields) {
    auto column = ColumnFor(field);
    if (!column) {
      if (field == "id" || field == "score") continue;  // always read
      return Error::Internal("cannot scan unknown lead field '" + field + "'");
    }
    columns.push_back(*column);
    sql += ", ";
    sql += field;  // whitelisted by ColumnFor: a column name, never client text
  }
  sql += kScanFrom;

  std::vector<domain::Lead> out;
  out.reserve(static_cast<size_t>(std::max(limit, 0)));
  {
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn.PrepareDynamic(sql));
    s.Bind(1, account_id).Bind(2, after_id).Bind(3, static_cast<int64_t>(limit));
    while (true) {
      KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      domain::Lead& lead = out.emplace_back();
      lead.id = s.Text(0);
      lead.score = s.Double(1);
      for (size_t i = 0; i < columns.size(); ++i) {
        ReadColumn(s, 2 + static_cast<int>(i), columns[i], lead);
      }
    }
  }
  if (projection.attributes.empty() || out.empty()) return out;

  std::string attributes_sql = kScanAttributes;
  for (size_t i = 0; i < projection.attributes.size(); ++i) {
    if (i > 0) attributes_sql += ", ";
    attributes_sql += "?" + std::to_string(kFirstAttributeParam + static_cast<int>(i));
  }
  attributes_sql += kScanAttributesEnd;
  KLOZEO_ASSIGN_OR_RETURN(auto s, conn.PrepareDynamic(attributes_sql));
  s.Bind(1, account_id).Bind(2, after_id).Bind(3, out.back().id);
  for (size_t i = 0; i < projection.attributes.size(); ++i) {
    s.Bind(kFirstAttributeParam + static_cast<int>(i), projection.attributes[i]);
  }
  // Both sides are in lead id order: merge.
  size_t at = 0;
  while (true) {
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    std::string lead_id = s.Text(0);
    while (at < out.size() && out[at].id < lead_id) ++at;
    if (at == out.size()) break;
    if (out[at].id != lead_id) continue;
    auto type = domain::ParseAttributeType(s.Text(2));
    nlohmann::json value = nlohmann::json::parse(s.Text(3), nullptr, false);
    if (!type || value.is_discarded()) continue;
    out[at].attributes.push_back(
        domain::Attribute{std::string(), s.Text(1), *type, std::move(value)});
  }
  return out;
}

}  // namespace klozeo::storage::sqlite::scoring
