#pragma once

#include <string>
#include <string_view>

namespace klozeo::dedup {

// Keys used by the dedup tiers of POST /leads (API contract, section 7). Each function maps a
// raw field to the form two leads are compared in; none of them fails. Text that is not valid
// UTF-8 (rejected earlier at the HTTP edge) is only ASCII-lowercased, byte for byte.

/// Tier 1 key: the e-mail trimmed and folded with core::FoldText (NFC + Unicode case folding),
/// "  Joe@Example.COM " -> "joe@example.com". Empty input gives an empty key.
std::string NormalizeEmail(std::string_view email);

/// Comparison form of a lead name for tier 3: compatibility-normalised (NFKC, so full-width
/// letters and ligatures fold), case-folded, accents stripped, apostrophes removed
/// ("Joe's" -> "joes"), other punctuation and symbols turned into spaces, white space
/// collapsed and trimmed. "  Café  de   Flore " -> "cafe de flore".
std::string NormalizeName(std::string_view name);

/// Tier 4 key for one field (the city, and also the name): core::FoldText, then white space
/// collapsed to single spaces and trimmed. Accents and punctuation are kept: the contract
/// asks for case-insensitive equality only ("  SAN   Francisco" == "san francisco").
std::string NormalizeCityKey(std::string_view text);

/// Tier 4 key for the name + city pair: NormalizeCityKey of each, joined by '\n' (which cannot
/// occur inside either part). Empty when either part normalises to empty, so leads without a
/// city never match on this tier.
std::string NameCityKey(std::string_view name, std::string_view city);

}  // namespace klozeo::dedup
