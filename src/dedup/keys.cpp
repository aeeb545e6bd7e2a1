#include "dedup/keys.h"

#include "dedup/normalize.h"

namespace klozeo::dedup {

LeadKeys ComputeLeadKeys(std::string_view name, std::string_view email, std::string_view phone,
                         std::string_view city, const PhoneNormalizer& phones) {
  LeadKeys keys;
  keys.email = NormalizeEmail(email);
  keys.phone = phones.Normalize(phone);
  keys.name_city = NameCityKey(name, city);
  return keys;
}

}  // namespace klozeo::dedup
