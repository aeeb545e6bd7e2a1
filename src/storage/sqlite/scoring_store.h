#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "domain/lead.h"
#include "domain/scoring_rule.h"
#include "storage/sqlite/connection.h"
#include "storage/store.h"

/// SQLite statements for scoring rules and lead scores; SqliteTx forwards its scoring methods
/// here (see storage::Tx for their contracts). Every statement is scoped by account id.
namespace klozeo::storage::sqlite::scoring {

core::Status InsertRule(Connection& conn, std::string_view account_id,
                        const domain::ScoringRule& rule);
core::Result<std::optional<domain::ScoringRule>> GetRule(Connection& conn,
                                                         std::string_view account_id,
                                                         std::string_view id);
core::Result<std::vector<domain::ScoringRule>> ListRules(Connection& conn,
                                                         std::string_view account_id);
core::Status UpdateRule(Connection& conn, std::string_view account_id,
                        const domain::ScoringRule& rule);
core::Result<bool> DeleteRule(Connection& conn, std::string_view account_id, std::string_view id);
core::Result<int64_t> CountRules(Connection& conn, std::string_view account_id);
core::Status UpdateScores(Connection& conn, std::string_view account_id,
                          const std::vector<std::pair<std::string, double>>& scores);
core::Result<std::vector<domain::Lead>> ScanLeads(Connection& conn, std::string_view account_id,
                                                  std::string_view after_id, int limit,
                                                  const LeadProjection& projection);

}  // namespace klozeo::storage::sqlite::scoring
