#include "dedup/similarity.h"

#include <utf8proc.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "dedup/normalize.h"
#include "dedup/tokens.h"

namespace klozeo::dedup {
namespace {

constexpr double kWinklerPrefixScale = 0.1;
constexpr size_t kWinklerMaxPrefix = 4;

// Decodes UTF-8 into code points; a byte that is not UTF-8 becomes U+DC00 + byte (the
// "surrogateescape" convention), so it still compares equal only to itself.
std::u32string DecodeUtf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  auto remaining = static_cast<utf8proc_ssize_t>(text.size());
  while (remaining > 0) {
    utf8proc_int32_t cp = -1;
    utf8proc_ssize_t length = utf8proc_iterate(bytes, remaining, &cp);
    if (length <= 0) {
      cp = 0xDC00 + *bytes;
      length = 1;
    }
    out.push_back(static_cast<char32_t>(cp));
    bytes += length;
    remaining -= length;
  }
  return out;
}

constexpr double kPrefixMatch = 0.9;
constexpr double kMinTokenJaroWinkler = 0.92;
constexpr double kMismatchPenalty = 0.7;
// Numbers are not counted (dedup::CountedTokens): they weigh as a word about one lead in 12
// has. Calibrated: 1, 2 or 3 change merge precision on bench/dedup_quality.py by under 0.005.
constexpr double kNumberWeight = 3.0;

// How well token `a` matches token `b` (see TokenNameSimilarity).
double TokenMatch(const std::string& a, const std::string& b) {
  if (a == b) return 1.0;
  if (IsNumberToken(a) || IsNumberToken(b)) return 0.0;
  if (!DirectionOf(a).empty() || !DirectionOf(b).empty()) return 0.0;
  if (a.size() >= 3 && b.size() >= 3 && (a.starts_with(b) || b.starts_with(a))) {
    return kPrefixMatch;
  }
  if (a.size() >= 4 && b.size() >= 4) {
    double score = JaroWinkler(DecodeUtf8(a), DecodeUtf8(b));
    if (score >= kMinTokenJaroWinkler) return score;
  }
  return 0.0;
}

// Sum over `from` of weight x best match in `to`.
double MatchedWeight(const std::vector<std::string>& from, const std::vector<double>& weights,
                     const std::vector<std::string>& to) {
  double total = 0.0;
  for (size_t i = 0; i < from.size(); ++i) {
    double best = 0.0;
    for (const std::string& other : to) {
      best = std::max(best, TokenMatch(from[i], other));
      if (best == 1.0) break;
    }
    total += best * weights[i];
  }
  return total;
}

// The token's branch marker: its direction (with `direction`: DirectionOf), or the token itself
// when it is a number (IsNumberToken); empty when it is neither.
std::string_view MarkerOf(const std::string& token, bool direction) {
  if (direction) return DirectionOf(token);
  return IsNumberToken(token) ? std::string_view(token) : std::string_view();
}

// True when both names hold markers of the kind (numbers, or directions with `direction`) and
// share none. Compares in place: no list of markers is built (dedup compares every candidate's
// name this way, on the writer's thread).
bool MarkersDisagree(const std::vector<std::string>& a, const std::vector<std::string>& b,
                     bool direction) {
  bool a_has = false;
  for (const std::string& x : a) {
    const std::string_view marker = MarkerOf(x, direction);
    if (marker.empty()) continue;
    a_has = true;
    for (const std::string& y : b) {
      if (MarkerOf(y, direction) == marker) return false;
    }
  }
  if (!a_has) return false;
  return std::any_of(b.begin(), b.end(),
                     [&](const std::string& y) { return !MarkerOf(y, direction).empty(); });
}

}  // namespace

double TokenStats::Weight(const std::string& token) const {
  if (IsNumberToken(token)) return kNumberWeight;
  auto it = counts.find(token);
  const double count =
      it == counts.end() ? 0.0 : static_cast<double>(std::max<int64_t>(0, it->second));
  const double total = static_cast<double>(std::max<int64_t>(0, names));
  return std::log((total + 2.0) / (count + 1.0)) + 0.5;
}

std::string RarestWord(const std::vector<std::string>& tokens, const TokenStats& stats) {
  const std::string* best = nullptr;
  int64_t best_count = 0;
  for (const std::string& token : tokens) {
    if (IsNumberToken(token)) continue;
    auto it = stats.counts.find(token);
    const int64_t count = it == stats.counts.end() ? 0 : it->second;
    if (best == nullptr || count < best_count ||
        (count == best_count &&
         (token.size() > best->size() || (token.size() == best->size() && token < *best)))) {
      best = &token;
      best_count = count;
    }
  }
  return best == nullptr ? std::string() : *best;
}

double TokenNameSimilarity(const std::vector<std::string>& a, const std::vector<std::string>& b,
                           const TokenStats& stats) {
  if (a.empty() || b.empty()) return 0.0;
  std::vector<double> wa;
  std::vector<double> wb;
  double total = 0.0;
  for (const std::string& t : a) total += wa.emplace_back(stats.Weight(t));
  for (const std::string& t : b) total += wb.emplace_back(stats.Weight(t));
  double score = (MatchedWeight(a, wa, b) + MatchedWeight(b, wb, a)) / total;
  if (MarkersDisagree(a, b, false)) score *= kMismatchPenalty;
  if (MarkersDisagree(a, b, true)) score *= kMismatchPenalty;
  return std::clamp(score, 0.0, 1.0);
}

bool BranchMarkersDiffer(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return MarkersDisagree(a, b, false) || MarkersDisagree(a, b, true);
}

double TokenNameSimilarity(std::string_view a, std::string_view b, const TokenStats& stats) {
  return TokenNameSimilarity(NameTokens(a), NameTokens(b), stats);
}

double JaroWinkler(std::u32string_view a, std::u32string_view b) {
  if (a.empty() && b.empty()) return 1.0;
  if (a.empty() || b.empty()) return 0.0;

  const size_t window = std::max(a.size(), b.size()) / 2;
  const size_t reach = window > 0 ? window - 1 : 0;
  std::vector<bool> a_matched(a.size(), false);
  std::vector<bool> b_matched(b.size(), false);
  size_t matches = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const size_t begin = i > reach ? i - reach : 0;
    const size_t end = std::min(b.size(), i + reach + 1);
    for (size_t j = begin; j < end; ++j) {
      if (!b_matched[j] && a[i] == b[j]) {
        a_matched[i] = b_matched[j] = true;
        ++matches;
        break;
      }
    }
  }
  if (matches == 0) return 0.0;

  // Shared characters taken in order from each side; every position where they differ is
  // half a transposition.
  size_t out_of_order = 0;
  for (size_t i = 0, j = 0; i < a.size(); ++i) {
    if (!a_matched[i]) continue;
    while (!b_matched[j]) ++j;
    if (a[i] != b[j]) ++out_of_order;
    ++j;
  }
  const double m = static_cast<double>(matches);
  const double t = static_cast<double>(out_of_order) / 2.0;
  const double jaro =
      (m / static_cast<double>(a.size()) + m / static_cast<double>(b.size()) + (m - t) / m) / 3.0;

  size_t prefix = 0;
  const size_t max_prefix = std::min({kWinklerMaxPrefix, a.size(), b.size()});
  while (prefix < max_prefix && a[prefix] == b[prefix]) ++prefix;
  return jaro + kWinklerPrefixScale * static_cast<double>(prefix) * (1.0 - jaro);
}

double NameSimilarity(std::string_view a, std::string_view b) {
  std::u32string left = DecodeUtf8(NormalizeName(a));
  std::u32string right = DecodeUtf8(NormalizeName(b));
  if (left.empty() || right.empty()) return 0.0;
  return JaroWinkler(left, right);
}

bool NamesMatch(std::string_view a, std::string_view b, double threshold) {
  return NameSimilarity(a, b) > threshold;
}

}  // namespace klozeo::dedup
