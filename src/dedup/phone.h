#pragma once

#include <string>
#include <string_view>

namespace klozeo::dedup {

/// Tier 3 phone key. Parses with libphonenumber and formats to E.164 ("+14155552671");
/// numbers written without a country code are read in the default region. Safe to share
/// between threads: it holds only the region, and libphonenumber's parser is thread-safe.
class PhoneNormalizer {
 public:
  /// `default_region` is an ISO 3166-1 alpha-2 code ("US", "gb"; case-insensitive). An
  /// unsupported region is kept: then only numbers written with "+<country code>" parse.
  explicit PhoneNormalizer(std::string_view default_region = "US");

  /// True when libphonenumber knows `region` ("US", "GB", ...; case-insensitive). For
  /// validating configuration at startup.
  static bool IsSupportedRegion(std::string_view region);

  /// E.164 form of `raw` when it parses to a complete possible number for its country
  /// (extensions dropped; a leading "00" is also tried as "+"); otherwise its ASCII digits,
  /// with the '+' kept when `raw` starts with one. Empty when `raw` holds no digit.
  std::string Normalize(std::string_view raw) const;

  /// The upper-cased default region.
  const std::string& default_region() const { return default_region_; }

 private:
  std::string default_region_;
};

/// The exchange of a phone key (PhoneNormalizer::Normalize): the key without its last four
/// digits ("+13128507000" -> "+1312850", "8507000" -> "850"), the block of numbers an
/// organisation's lines are usually numbered from. Empty for a key of fewer than 7 digits.
std::string PhoneExchange(std::string_view key);

/// True when two phone keys of the same length differ in exactly one digit, or by two
/// neighbouring digits swapped ("7612300" / "7622300", "7612300" / "7613200"): a typing slip.
/// False for equal or empty keys.
bool PhonesNear(std::string_view a, std::string_view b);

}  // namespace klozeo::dedup
