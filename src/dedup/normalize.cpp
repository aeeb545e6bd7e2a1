#include "dedup/normalize.h"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>

#include "core/fold.h"
#include "core/strings.h"

namespace klozeo::dedup {
namespace {

// STRIPMARK needs a decomposition step; with COMPOSE utf8proc decomposes, drops the marks and
// recomposes in one call. IGNORE drops default-ignorable characters (soft hyphen, ZWJ, ...).
constexpr auto kNameOptions =
    static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                                   UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE);

// NFKC, case-folded, marks stripped; text that is not UTF-8 is ASCII-lowercased. ASCII text is
// its own NFKC form, holds no marks and no default-ignorable characters, and case-folds to its
// lower case: it skips utf8proc's copy (most names; dedup folds every candidate's name).
std::string FoldName(std::string_view text) {
  if (std::all_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    return core::AsciiLower(text);
  }
  utf8proc_uint8_t* mapped = nullptr;
  utf8proc_ssize_t length =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                   static_cast<utf8proc_ssize_t>(text.size()), &mapped, kNameOptions);
  if (length < 0) return core::AsciiLower(text);
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owner(mapped, &std::free);
  return std::string(reinterpret_cast<const char*>(mapped), static_cast<size_t>(length));
}

bool IsSeparatorSpace(utf8proc_int32_t cp) {
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_CC:
      return true;
    default:
      return false;
  }
}

bool IsPunctuationOrSymbol(utf8proc_int32_t cp) {
  utf8proc_category_t category = utf8proc_category(cp);
  return category >= UTF8PROC_CATEGORY_PC && category <= UTF8PROC_CATEGORY_SO;
}

bool IsApostrophe(utf8proc_int32_t cp) {
  return cp == 0x27 || cp == 0x60 || cp == 0x2018 || cp == 0x2019 || cp == 0x02BC;
}

// utf8proc's answers for the ASCII code points, read from it once: most names are ASCII, and
// CollapseSeparators then classifies a byte by a table instead of two category lookups.
struct AsciiClasses {
  std::array<bool, 128> separator{};    // IsSeparatorSpace
  std::array<bool, 128> punctuation{};  // IsPunctuationOrSymbol and not IsApostrophe
  std::array<bool, 128> apostrophe{};   // IsApostrophe
  AsciiClasses() {
    for (utf8proc_int32_t cp = 0; cp < 128; ++cp) {
      separator[cp] = IsSeparatorSpace(cp);
      punctuation[cp] = IsPunctuationOrSymbol(cp) && !IsApostrophe(cp);
      apostrophe[cp] = IsApostrophe(cp);
    }
  }
};

const AsciiClasses& Ascii() {
  static const AsciiClasses classes;
  return classes;
}

// Copies `text` collapsing every run of white space (and, when `punctuation_separates`, of
// punctuation and symbols) into one ASCII space, trimmed at both ends. Apostrophes are dropped
// when `punctuation_separates` so that "Joe's" and "Joes" agree. Bytes that are not UTF-8
// are copied as they are.
std::string CollapseSeparators(std::string_view text, bool punctuation_separates) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  const AsciiClasses& ascii = Ascii();
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  auto remaining = static_cast<utf8proc_ssize_t>(text.size());
  while (remaining > 0) {
    utf8proc_ssize_t length = 1;
    bool is_separator = false;
    bool is_dropped = false;
    if (*bytes < 0x80) {  // ASCII: one byte, its own code point
      const auto c = *bytes;
      is_separator = ascii.separator[c] || (punctuation_separates && ascii.punctuation[c]);
      is_dropped = punctuation_separates && ascii.apostrophe[c];
    } else {
      utf8proc_int32_t cp = -1;
      length = utf8proc_iterate(bytes, remaining, &cp);
      if (length <= 0) length = 1;  // not UTF-8: keep the byte, treat it as a letter
      is_separator =
          cp >= 0 && (IsSeparatorSpace(cp) ||
                      (punctuation_separates && IsPunctuationOrSymbol(cp) && !IsApostrophe(cp)));
      is_dropped = cp >= 0 && punctuation_separates && IsApostrophe(cp);
    }
    if (is_separator) {
      pending_space = !out.empty();
    } else if (!is_dropped) {
      if (pending_space) out += ' ';
      pending_space = false;
      out.append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(length));
    }
    bytes += length;
    remaining -= length;
  }
  return out;
}

}  // namespace

std::string NormalizeEmail(std::string_view email) { return core::FoldText(core::Trim(email)); }

std::string NormalizeName(std::string_view name) {
  return CollapseSeparators(FoldName(name), /*punctuation_separates=*/true);
}

std::string NormalizeCityKey(std::string_view text) {
  return CollapseSeparators(core::FoldText(text), /*punctuation_separates=*/false);
}

std::string NameCityKey(std::string_view name, std::string_view city) {
  std::string name_key = NormalizeCityKey(name);
  std::string city_key = NormalizeCityKey(city);
  if (name_key.empty() || city_key.empty()) return {};
  return name_key + '\n' + city_key;
}

}  // namespace klozeo::dedup
