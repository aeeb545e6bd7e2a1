#pragma once

#include <map>
#include <string>

#include "core/result.h"
#include "domain/account.h"

namespace klozeo::service {

/// The plans an account can be on. Defaults follow API-CONTRACT section 9; every limit can be
/// overridden by configuration (`--plan NAME:key=value,...`).
class Plans {
 public:
  /// free: 100 leads, 100 requests / 10 min, batch 100; pro: 500, 1,000 / 10 min, 500;
  /// unlimited: no lead cap, no rate limit, batch 1,000.
  static Plans Defaults();

  /// The limits of `name`, or nullptr for an unknown plan.
  const domain::PlanLimits* Find(const std::string& name) const;

  /// Applies an override such as `free:leads=200,requests=50,window=60,batch=10` (creates the
  /// plan when it does not exist). Errors: BadRequest naming the bad part.
  core::Status ApplyOverride(const std::string& spec);

  const std::map<std::string, domain::PlanLimits>& all() const { return plans_; }

 private:
  std::map<std::string, domain::PlanLimits> plans_;
};

}  // namespace klozeo::service
