#include "expr/text.h"

#include <charconv>
#include <cmath>
#include <string>

#include "core/fold.h"

namespace klozeo::expr {
namespace {

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// `s` starts with `prefix`, comparing ASCII letters without case.
bool AsciiStartsWith(std::string_view s, std::string_view prefix) {
  if (prefix.size() > s.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (AsciiLower(s[i]) != AsciiLower(prefix[i])) return false;
  }
  return true;
}

}  // namespace

bool TextEquals(std::string_view a, std::string_view b) {
  if (IsAscii(a) && IsAscii(b)) return a.size() == b.size() && AsciiStartsWith(a, b);
  return core::FoldText(a) == core::FoldText(b);
}

bool TextContains(std::string_view haystack, std::string_view needle) {
  if (IsAscii(haystack) && IsAscii(needle)) {
    if (needle.size() > haystack.size()) return false;
    for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
      if (AsciiStartsWith(haystack.substr(i), needle)) return true;
    }
    return false;
  }
  return core::FoldText(haystack).find(core::FoldText(needle)) != std::string::npos;
}

bool TextStartsWith(std::string_view s, std::string_view prefix) {
  if (IsAscii(s) && IsAscii(prefix)) return AsciiStartsWith(s, prefix);
  return core::FoldText(s).starts_with(core::FoldText(prefix));
}

size_t CharacterCount(std::string_view s) {
  size_t count = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

std::optional<double> ParseNumber(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '-') return std::nullopt;
  }
  if (s.empty()) return std::nullopt;
  // from_chars also accepts "inf" and "nan"; the finiteness check rejects them.
  double value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace klozeo::expr
