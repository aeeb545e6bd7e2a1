#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace klozeo::dedup {

// The parts of a lead that the name-similarity tier and the hints compare (docs/DEDUP.md).

/// The distinct words of NormalizeName(name), in order of first appearance:
/// "Joe's Pizza - Joe's #2" -> {"joes", "pizza", "2"}. Empty for a name of punctuation only.
std::vector<std::string> NameTokens(std::string_view name);

/// The tokens of `tokens` whose account-wide counts are kept (storage::DedupStore): every one
/// but numbers, which weigh a fixed amount (TokenStats::Weight) since they are mostly unique
/// (house numbers, ids) and would grow the count table by one row per lead.
std::vector<std::string> CountedTokens(const std::vector<std::string>& tokens);

/// True for a token that names a number: it holds a digit ("2", "87th") or is a Roman numeral
/// up to X ("ii", "iv").
bool IsNumberToken(std::string_view token);

/// The compass direction a token names ("north", "nw", "southwest"), as its short form ("n",
/// "nw", "sw"); empty when it names none. Single letters are not directions in a name (they
/// are initials: "Ada S. McKinley").
std::string_view DirectionOf(std::string_view token);

/// The key a lead is found under by the similar-name hint (docs/DEDUP.md): its city key
/// (NormalizeCityKey, empty when it has no city) and one word of its name, joined by '\n'.
/// Empty when `word` is.
std::string CityWordKey(std::string_view city_key, std::string_view word);

/// The comparison key of a street address: the house number and the first word of the street
/// name, with directions and street types (St, Ave, Blvd, ...) left out and ordinals reduced to
/// their number: "650 E. 85Th St" -> "650 85", "55 West Cermak Rd" -> "55 cermak". Empty when
/// the address does not start with a house number or has no street word after it.
std::string AddressKey(std::string_view address);

/// The host of a website, lower-cased, without a scheme, "www.", port, path or query:
/// "https://WWW.Acme.com/about" -> "acme.com". Empty when there is no dotted host.
std::string WebsiteDomain(std::string_view website);

}  // namespace klozeo::dedup
