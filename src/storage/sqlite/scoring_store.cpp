#include "storage/sqlite/scoring_store.h"

namespace klozeo::storage::sqlite::scoring {
namespace {

using core::Error;
using core::Result;
using core::Status;
using domain::ScoringRule;

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

ScoringRule ReadRule(const Statement& s) {
  ScoringRule rule;
  rule.id = s.Text(0);
  rule.name = s.Text(1);
  rule.expression = s.Text(2);
  rule.weight = s.Double(3);
  rule.priority = s.Int(4);
  rule.created_at = s.Int(5);
  rule.updated_at = s.Int(6);
  return rule;
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

}  // namespace klozeo::storage::sqlite::scoring
