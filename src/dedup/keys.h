#pragma once

#include <string>
#include <string_view>

#include "dedup/phone.h"

namespace klozeo::dedup {

/// The stored, indexed keys of one lead that the POST /leads dedup tiers look up
/// (API-CONTRACT section 7). An empty key means "no key": the lead never matches on that tier.
struct LeadKeys {
  std::string email;      ///< tier 1: NormalizeEmail(email)
  std::string phone;      ///< tier 3 candidates: PhoneNormalizer::Normalize(phone)
  std::string name_city;  ///< tier 4: NameCityKey(name, city)

  bool operator==(const LeadKeys&) const = default;
};

/// The keys of a lead from its raw fields (absent fields passed as empty). Never fails.
LeadKeys ComputeLeadKeys(std::string_view name, std::string_view email, std::string_view phone,
                         std::string_view city, const PhoneNormalizer& phones);

}  // namespace klozeo::dedup
