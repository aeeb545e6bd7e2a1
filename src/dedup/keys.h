#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dedup/phone.h"

namespace klozeo::dedup {

/// The stored, indexed keys of one lead that the POST /leads dedup tiers look up
/// (API-CONTRACT section 7). An empty key means "no key": the lead never matches on that tier.
struct LeadKeys {
  std::string email;      ///< tier 1: NormalizeEmail(email)
  std::string phone;      ///< tier 3 candidates: PhoneNormalizer::Normalize(phone)
  std::string name_city;  ///< tier 4: NameCityKey(name, city)
  std::string city;       ///< NormalizeCityKey(city): the similar-name hint's bucket
  /// NameTokens(name): the store counts them per account (storage::DedupStore), which is
  /// what weighs tokens by rarity in TokenNameSimilarity.
  std::vector<std::string> name_tokens;
  std::string address;  ///< AddressKey(address): hints and tier 3's support (docs/DEDUP.md)
  std::string domain;   ///< WebsiteDomain(website): hints

  bool operator==(const LeadKeys&) const = default;
};

/// The keys of a lead from its raw fields (absent fields passed as empty). Never fails.
LeadKeys ComputeLeadKeys(std::string_view name, std::string_view email, std::string_view phone,
                         std::string_view city, const PhoneNormalizer& phones,
                         std::string_view address = {}, std::string_view website = {});

}  // namespace klozeo::dedup
