#include "domain/scoring_rule_codec.h"

#include <cmath>
#include <limits>

#include "core/strings.h"

namespace klozeo::domain {
namespace {

using core::Error;
using nlohmann::json;

Error FieldError(std::string_view field, std::string_view problem) {
  return Error::BadRequest("field '" + std::string(field) + "' " + std::string(problem));
}

core::Result<int64_t> ReadPriority(const json& v) {
  if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<int64_t>();
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return FieldError("priority", "is out of range");
    }
    return static_cast<int64_t>(v.get<uint64_t>());
  }
  if (v.is_number_float()) {
    // Some clients send every number as a float: 2.0 is the integer 2.
    double d = v.get<double>();
    constexpr double kLimit = 9007199254740992.0;  // 2^53: every integer below is exact
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) <= kLimit) {
      return static_cast<int64_t>(d);
    }
  }
  return FieldError("priority", "must be an integer");
}

}  // namespace

core::Result<ScoringRulePatch> ParseScoringRulePatch(const json& body, bool require_all) {
  if (!body.is_object()) return Error::BadRequest("request body must be a JSON object");
  ScoringRulePatch patch;
  if (auto it = body.find("name"); it != body.end()) {
    if (!it->is_string()) return FieldError("name", "must be a string");
    const auto& name = it->get_ref<const std::string&>();
    if (core::Trim(name).empty()) return FieldError("name", "is required and cannot be empty");
    if (name.size() > kMaxRuleNameBytes) return FieldError("name", "is longer than 1024 bytes");
    patch.name = name;
  } else if (require_all) {
    return FieldError("name", "is required");
  }
  if (auto it = body.find("expression"); it != body.end()) {
    if (!it->is_string()) return FieldError("expression", "must be a string");
    patch.expression = it->get<std::string>();
  } else if (require_all) {
    return FieldError("expression", "is required");
  }
  if (auto it = body.find("weight"); it != body.end()) {
    if (it->is_null()) {
      patch.weight = 1.0;
    } else if (!it->is_number()) {
      return FieldError("weight", "must be a number");
    } else {
      double w = it->get<double>();
      if (!std::isfinite(w)) return FieldError("weight", "must be a finite number");
      patch.weight = w;
    }
  }
  if (auto it = body.find("priority"); it != body.end()) {
    if (it->is_null()) {
      patch.priority = 0;
    } else {
      KLOZEO_ASSIGN_OR_RETURN(patch.priority, ReadPriority(*it));
    }
  }
  return patch;
}

bool ApplyScoringRulePatch(ScoringRule& rule, const ScoringRulePatch& patch) {
  bool changed = false;
  auto set = [&changed](auto& field, const auto& value) {
    if (value && field != *value) {
      field = *value;
      changed = true;
    }
  };
  set(rule.name, patch.name);
  set(rule.expression, patch.expression);
  set(rule.weight, patch.weight);
  set(rule.priority, patch.priority);
  return changed;
}

json ScoringRuleToJson(const ScoringRule& rule) {
  return json{{"id", rule.id},
              {"name", rule.name},
              {"expression", rule.expression},
              {"weight", rule.weight},
              {"priority", rule.priority},
              {"created_at", rule.created_at},
              {"updated_at", rule.updated_at}};
}

}  // namespace klozeo::domain
