#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "domain/scoring_rule.h"

namespace klozeo::domain {

/// Longest accepted rule name, in bytes.
inline constexpr size_t kMaxRuleNameBytes = 1024;

/// The keys a client sent for a scoring rule, each present or absent. Read-only keys (`id`,
/// timestamps) and unknown keys are ignored. A `null` weight or priority stands for the
/// default (1.0 and 0).
struct ScoringRulePatch {
  std::optional<std::string> name;        ///< non-empty
  std::optional<std::string> expression;  ///< a string; whether it compiles is checked later
  std::optional<double> weight;           ///< finite
  std::optional<int64_t> priority;
};

/// Reads a rule object. With `require_all` (create), `name` and `expression` must be present.
/// Errors: BadRequest naming the field (not an object, missing, wrong type, empty name, name
/// too long, weight not finite, priority not an integer).
core::Result<ScoringRulePatch> ParseScoringRulePatch(const nlohmann::json& body, bool require_all);

/// Applies a patch. Returns true when a stored value changed.
bool ApplyScoringRulePatch(ScoringRule& rule, const ScoringRulePatch& patch);

/// The rule as JSON: always every field, `weight` and `priority` included, integer timestamps.
nlohmann::json ScoringRuleToJson(const ScoringRule& rule);

}  // namespace klozeo::domain
