#include "dedup/phone.h"

#include <phonenumbers/phonenumberutil.h>

#include <optional>

#include "core/strings.h"

namespace klozeo::dedup {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// The fallback key: ASCII digits only, with a leading '+' kept. Empty without any digit.
std::string DigitsOnly(std::string_view raw) {
  std::string out;
  raw = core::Trim(raw);
  if (!raw.empty() && raw.front() == '+') out += '+';
  for (char c : raw) {
    if (c >= '0' && c <= '9') out += c;
  }
  return out.size() > (out.starts_with('+') ? 1u : 0u) ? out : std::string();
}

// E.164 form of `raw` read in `region`, when it parses to a complete possible number (a number
// that is only dialable locally, without its area code, does not count).
std::optional<std::string> ToE164(const std::string& raw, const std::string& region) {
  // GetInstance() is a pthread_once singleton; Parse, IsPossibleNumberWithReason and Format
  // are const and guard their shared regular-expression cache with a lock.
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (util.Parse(raw, region, &number) != PhoneNumberUtil::NO_PARSING_ERROR ||
      util.IsPossibleNumberWithReason(number) != PhoneNumberUtil::IS_POSSIBLE) {
    return std::nullopt;
  }
  std::string e164;
  util.Format(number, PhoneNumberUtil::E164, &e164);
  return e164;
}

}  // namespace

PhoneNormalizer::PhoneNormalizer(std::string_view default_region)
    : default_region_(AsciiUpper(core::Trim(default_region))) {}

bool PhoneNormalizer::IsSupportedRegion(std::string_view region) {
  return PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion(AsciiUpper(core::Trim(region))) !=
         0;
}

std::string PhoneNormalizer::Normalize(std::string_view raw) const {
  std::string fallback = DigitsOnly(raw);
  if (fallback.empty()) return fallback;
  if (std::optional<std::string> e164 = ToE164(std::string(raw), default_region_)) return *e164;
  // "00" is the international prefix in most of the world but not in every default region
  // (the US dials 011), so "0044 20 7946 0958" gets a second chance as "+44 20 7946 0958".
  if (fallback.starts_with("00")) {
    if (std::optional<std::string> e164 = ToE164("+" + fallback.substr(2), default_region_)) {
      return *e164;
    }
  }
  return fallback;
}

}  // namespace klozeo::dedup
