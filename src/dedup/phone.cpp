#include "dedup/phone.h"

#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
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

// Reads `n` ASCII digits at `pos` into `out`; false (and `pos` unchanged) otherwise.
bool TakeDigits(std::string_view s, size_t& pos, size_t n, std::string& out) {
  if (s.size() - pos < n) return false;
  for (size_t i = 0; i < n; ++i) {
    if (s[pos + i] < '0' || s[pos + i] > '9') return false;
  }
  out.append(s.substr(pos, n));
  pos += n;
  return true;
}

void SkipSeparator(std::string_view s, size_t& pos) {
  if (pos < s.size() && (s[pos] == ' ' || s[pos] == '-' || s[pos] == '.')) ++pos;
}

// The ten digits of a North American number written in one of its usual exact shapes: "+1"
// then the number, or (in the default region US only) the number alone, as "4155552671",
// "415 555 2671", "415-555-2671", "415.555.2671" or "(415) 555-2671". The area code starts
// with 2-9, so neither the international prefix (011), the country code nor the national
// prefix (1) can be read into it, and the input holds no letter, extension or other mark:
// libphonenumber's Parse then yields country code 1 and exactly these ten digits as the
// national number, so checking that number and formatting it gives the same E.164 as the full
// parse without running its regular expressions (the commonest shape in imports costs a
// fraction of a full parse). Empty for any other shape: those take the full parse.
std::string NanpDigits(std::string_view raw, std::string_view region) {
  std::string digits;
  size_t pos = 0;
  if (raw.starts_with("+1")) {
    pos = 2;
    SkipSeparator(raw, pos);
  } else if (region != "US") {
    return {};
  }
  if (pos < raw.size() && raw[pos] == '(') {
    ++pos;
    if (!TakeDigits(raw, pos, 3, digits) || pos >= raw.size() || raw[pos] != ')') return {};
    ++pos;
    if (pos < raw.size() && raw[pos] == ' ') ++pos;
  } else {
    if (!TakeDigits(raw, pos, 3, digits)) return {};
    SkipSeparator(raw, pos);
  }
  if (!TakeDigits(raw, pos, 3, digits)) return {};
  SkipSeparator(raw, pos);
  if (!TakeDigits(raw, pos, 4, digits) || pos != raw.size()) return {};
  if (digits[0] < '2') return {};
  return digits;
}

// E.164 of a NanpDigits shape, checked as possible by libphonenumber like a full parse's.
std::optional<std::string> NanpE164(const std::string& digits) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  number.set_country_code(1);
  number.set_national_number(std::stoull(digits));
  if (util.IsPossibleNumberWithReason(number) != PhoneNumberUtil::IS_POSSIBLE) {
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
  if (std::string nanp = NanpDigits(core::Trim(raw), default_region_); !nanp.empty()) {
    if (std::optional<std::string> e164 = NanpE164(nanp)) return *e164;
  }
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

std::string PhoneExchange(std::string_view key) {
  const auto digits =
      std::count_if(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits < 7) return {};
  return std::string(key.substr(0, key.size() - 4));
}

bool PhonesNear(std::string_view a, std::string_view b) {
  if (a.empty() || a.size() != b.size()) return false;
  size_t first = a.size();
  size_t differences = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    if (++differences > 2) return false;
    if (first == a.size()) first = i;
  }
  if (differences == 1) return true;
  // Two differences: only a swap of neighbours counts.
  return differences == 2 && first + 1 < a.size() && a[first] == b[first + 1] &&
         a[first + 1] == b[first];
}

}  // namespace klozeo::dedup
