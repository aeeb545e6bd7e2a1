#pragma once

#include <cstdint>
#include <string>

namespace klozeo::domain {

/// A scoring rule: an expression evaluated against each lead, times a weight. A lead's score is
/// clamp(sum(value * weight), 0, 100) over the account's rules (API-CONTRACT sections 3 and 8).
struct ScoringRule {
  std::string id;  ///< plain UUID
  std::string name;
  std::string expression;  ///< source text; compiles (checked when written)
  double weight = 1.0;
  int64_t priority = 0;  ///< lower first; ties by created_at, then id
  int64_t created_at = 0;
  int64_t updated_at = 0;

  bool operator==(const ScoringRule&) const = default;
};

/// The most scoring rules one account may hold.
inline constexpr int64_t kMaxScoringRules = 100;

}  // namespace klozeo::domain
