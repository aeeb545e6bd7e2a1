#pragma once

#include <string_view>

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

/// Jaro-Winkler similarity of two code-point sequences, as described above, without any
/// normalisation. Two empty sequences score 1.
double JaroWinkler(std::u32string_view a, std::u32string_view b);

}  // namespace klozeo::dedup
