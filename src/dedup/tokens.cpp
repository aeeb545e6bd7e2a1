#include "dedup/tokens.h"

#include <algorithm>
#include <array>

#include "core/strings.h"
#include "dedup/normalize.h"

namespace klozeo::dedup {
namespace {

std::vector<std::string> SplitWords(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.emplace_back(text, start, end - start);
    start = end + 1;
  }
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Street types as they are written in US addresses (the words after the street's name).
constexpr std::array<std::string_view, 30> kStreetTypes = {
    "st",        "street", "ave",   "avenue", "av",      "rd",   "road",    "blvd",
    "boulevard", "dr",     "drive", "pl",     "place",   "pkwy", "parkway", "ct",
    "court",     "ln",     "lane",  "hwy",    "highway", "ter",  "terrace", "way",
    "sq",        "square", "cir",   "circle", "plz",     "plaza"};

// Direction words of an address, where single letters are directions too.
bool IsAddressDirection(std::string_view word) {
  return !DirectionOf(word).empty() || word == "n" || word == "s" || word == "e" || word == "w";
}

// "85th" -> "85", "1st" -> "1"; other words unchanged.
std::string StripOrdinal(const std::string& word) {
  size_t digits = 0;
  while (digits < word.size() && IsDigit(word[digits])) ++digits;
  if (digits == 0 || digits + 2 != word.size()) return word;
  std::string_view suffix = std::string_view(word).substr(digits);
  if (suffix == "st" || suffix == "nd" || suffix == "rd" || suffix == "th") {
    return word.substr(0, digits);
  }
  return word;
}

}  // namespace

std::vector<std::string> NameTokens(std::string_view name) {
  std::vector<std::string> out;
  for (std::string& word : SplitWords(NormalizeName(name))) {
    if (std::find(out.begin(), out.end(), word) == out.end()) out.push_back(std::move(word));
  }
  return out;
}

std::vector<std::string> CountedTokens(const std::vector<std::string>& tokens) {
  std::vector<std::string> out;
  for (const auto& token : tokens) {
    if (!IsNumberToken(token)) out.push_back(token);
  }
  return out;
}

bool IsNumberToken(std::string_view token) {
  if (std::any_of(token.begin(), token.end(), IsDigit)) return true;
  static constexpr std::array<std::string_view, 9> kRoman = {"ii",   "iii", "iv", "vi", "vii",
                                                             "viii", "ix",  "x",  "v"};
  return std::find(kRoman.begin(), kRoman.end(), token) != kRoman.end();
}

std::string_view DirectionOf(std::string_view token) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kDirections = {{
      {"north", "n"},
      {"south", "s"},
      {"east", "e"},
      {"west", "w"},
      {"northwest", "nw"},
      {"northeast", "ne"},
      {"southwest", "sw"},
      {"southeast", "se"},
      {"nw", "nw"},
      {"ne", "ne"},
      {"sw", "sw"},
      {"se", "se"},
      {"northern", "n"},
      {"southern", "s"},
      {"eastern", "e"},
      {"western", "w"},
  }};
  // Every direction word is 2 to 9 letters and starts with n, s, e or w (most tokens are not).
  if (token.size() < 2 || token.size() > 9) return {};
  if (const char c = token[0]; c != 'n' && c != 's' && c != 'e' && c != 'w') return {};
  for (const auto& [word, direction] : kDirections) {
    if (token == word) return direction;
  }
  return {};
}

std::string CityWordKey(std::string_view city_key, std::string_view word) {
  if (word.empty()) return {};
  std::string key(city_key);
  key += '\n';
  key += word;
  return key;
}

std::string AddressKey(std::string_view address) {
  std::vector<std::string> words = SplitWords(NormalizeName(address));
  if (words.empty() || !std::all_of(words[0].begin(), words[0].end(), IsDigit)) return {};
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (IsAddressDirection(word)) continue;
    if (std::find(kStreetTypes.begin(), kStreetTypes.end(), word) != kStreetTypes.end()) continue;
    return words[0] + ' ' + StripOrdinal(word);
  }
  return {};
}

std::string WebsiteDomain(std::string_view website) {
  std::string host = core::AsciiLower(core::Trim(website));
  if (size_t scheme = host.find("://"); scheme != std::string::npos) host.erase(0, scheme + 3);
  if (size_t end = host.find_first_of("/?#"); end != std::string::npos) host.resize(end);
  if (size_t at = host.rfind('@'); at != std::string::npos) host.erase(0, at + 1);
  if (size_t colon = host.find(':'); colon != std::string::npos) host.resize(colon);
  if (host.starts_with("www.")) host.erase(0, 4);
  while (host.ends_with('.')) host.pop_back();
  if (host.find('.') == std::string::npos || host.find(' ') != std::string::npos) return {};
  return host;
}

}  // namespace klozeo::dedup
