#include "dedup/keys.h"

#include "dedup/normalize.h"
#include "dedup/tokens.h"

namespace klozeo::dedup {

LeadKeys ComputeLeadKeys(std::string_view name, std::string_view email, std::string_view phone,
                         std::string_view city, const PhoneNormalizer& phones,
                         std::string_view address, std::string_view website) {
  LeadKeys keys;
  keys.email = NormalizeEmail(email);
  keys.phone = phones.Normalize(phone);
  keys.name_city = NameCityKey(name, city);
  keys.city = NormalizeCityKey(city);
  keys.name_tokens = NameTokens(name);
  keys.address = AddressKey(address);
  keys.domain = WebsiteDomain(website);
  return keys;
}

}  // namespace klozeo::dedup
