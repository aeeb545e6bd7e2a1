#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace klozeo::dedup {

/// Tier 3 default: names are "the same" when their similarity is above 80% (strictly).
inline constexpr double kDefaultNameSimilarityThreshold = 0.80;

/// Similarity of two lead names in [0, 1]: the Jaro-Winkler similarity of NormalizeName(a)
/// and NormalizeName(b), computed on Unicode code points.
///
/// Jaro counts the characters the two strings share within a window of
/// max(|a|, |b|) / 2 - 1 positions (m) and the shared characters that appear in a different
/// order (t, halved): jaro = (m / |a| + m / |b| + (m - t) / m) / 3. Winkler then rewards a
/// common prefix of l <= 4 characters: jw = jaro + 0.1 * l * (1 - jaro). Identical normalised
/// names score 1; names with nothing in common score 0. Two names that normalise to empty
/// (only punctuation) score 0: there is nothing to compare, so they never merge.
double NameSimilarity(std::string_view a, std::string_view b);

/// True when NameSimilarity(a, b) is above `threshold` (strictly greater).
bool NamesMatch(std::string_view a, std::string_view b,
                double threshold = kDefaultNameSimilarityThreshold);

/// How common each name token is among an account's leads (the table kept by the store, see
/// storage::DedupStore): `counts[token]` leads have the token in their name, out of `names`.
struct TokenStats {
  std::unordered_map<std::string, int64_t> counts;
  int64_t names = 0;

  /// The token's weight: its inverse document frequency, ln((names + 2) / (count + 1)) + 0.5,
  /// so a token no lead has weighs most, one every lead has about 0.5. A number
  /// (IsNumberToken) weighs 3 whatever its count (numbers are not counted).
  double Weight(const std::string& token) const;
};

/// The name's rarest counted word (dedup::CountedTokens) by `stats`, the word a lead is filed
/// under for the similar-name hint: the lowest count, then the longest, then the first in byte
/// order. Empty when the name has no counted word.
std::string RarestWord(const std::vector<std::string>& tokens, const TokenStats& stats);

/// Tier 3's threshold for TokenNameSimilarity (calibrated on bench/dedup_quality.py's data,
/// docs/DEDUP.md): names score above it only when their rare words agree.
inline constexpr double kDefaultTokenSimilarityThreshold = 0.80;

/// Token-aware similarity of two names in [0, 1] (docs/DEDUP.md), symmetric:
///  - the names are split into NameTokens; each token counts with its TokenStats::Weight;
///  - a token's match on the other side is 1 when equal, 0.9 when one is a prefix of the other
///    (3+ characters each), their Jaro-Winkler similarity when at least 0.92 (4+ characters
///    each), else 0; numbers and directions match only when equal;
///  - the score is the weighted share of tokens matched: (sum over both names of weight x best
///    match) / (sum of all weights);
///  - it is multiplied by 0.7 when both names hold numbers ("#2", "II", "87th") and none is
///    shared, and by 0.7 when both hold directions and none is shared ("North" vs "South").
/// Two names of which one has no token score 0.
double TokenNameSimilarity(const std::vector<std::string>& a, const std::vector<std::string>& b,
                           const TokenStats& stats);

/// True when both names hold numbers and share none, or both hold directions and share none
/// ("Mary Crane East" vs "Mary Crane West", "Home of Life II" vs "Home of Life III"): the
/// branch markers TokenNameSimilarity penalises. Such names are never hinted as duplicates.
bool BranchMarkersDiffer(const std::vector<std::string>& a, const std::vector<std::string>& b);

/// TokenNameSimilarity of NameTokens(a) and NameTokens(b).
double TokenNameSimilarity(std::string_view a, std::string_view b, const TokenStats& stats);

/// Jaro-Winkler similarity of two code-point sequences, as described above, without any
/// normalisation. Two empty sequences score 1.
double JaroWinkler(std::u32string_view a, std::u32string_view b);

}  // namespace klozeo::dedup
