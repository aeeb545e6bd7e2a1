#include "service/plans.h"

#include <charconv>

namespace klozeo::service {

Plans Plans::Defaults() {
  Plans p;
  p.plans_["free"] = domain::PlanLimits{100, 100, 600, 100};
  p.plans_["pro"] = domain::PlanLimits{500, 1000, 600, 500};
  p.plans_["unlimited"] = domain::PlanLimits{0, 0, 600, 1000};
  return p;
}

const domain::PlanLimits* Plans::Find(const std::string& name) const {
  auto it = plans_.find(name);
  return it == plans_.end() ? nullptr : &it->second;
}

core::Status Plans::ApplyOverride(const std::string& spec) {
  auto colon = spec.find(':');
  if (colon == std::string::npos || colon == 0) {
    return core::Error::BadRequest("plan override '" + spec +
                                   "' must look like NAME:leads=N,requests=N,window=N,batch=N");
  }
  std::string name = spec.substr(0, colon);
  domain::PlanLimits limits = plans_.count(name) ? plans_[name] : domain::PlanLimits{};
  std::string rest = spec.substr(colon + 1);
  size_t pos = 0;
  while (pos <= rest.size() && !rest.empty()) {
    size_t comma = rest.find(',', pos);
    std::string part =
        rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto eq = part.find('=');
    if (eq == std::string::npos) {
      return core::Error::BadRequest("plan override part '" + part + "' must be key=value");
    }
    std::string key = part.substr(0, eq);
    std::string value = part.substr(eq + 1);
    int64_t n = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || ptr != value.data() + value.size() || n < 0) {
      return core::Error::BadRequest("plan override value '" + value + "' for '" + key +
                                     "' must be a non-negative integer");
    }
    if (key == "leads") {
      limits.max_leads = n;
    } else if (key == "requests") {
      limits.requests_per_window = n;
    } else if (key == "window") {
      if (n == 0) return core::Error::BadRequest("plan window must be at least 1 second");
      limits.window_seconds = n;
    } else if (key == "batch") {
      if (n == 0) return core::Error::BadRequest("plan batch size must be at least 1");
      limits.max_batch = n;
    } else {
      return core::Error::BadRequest("unknown plan limit '" + key +
                                     "' (known: leads, requests, window, batch)");
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  plans_[name] = limits;
  return core::Ok();
}

}  // namespace klozeo::service
