#include "dedup/normalize.h"

#include <gtest/gtest.h>
#include <utf8proc.h>

#include <cctype>
#include <string>

namespace klozeo::dedup {
namespace {

struct TextCase {
  const char* raw;
  const char* want;
};

TEST(Dedup, NormalizesEmailCaseInsensitive) {
  const TextCase cases[] = {
      {"joe@example.com", "joe@example.com"},
      {"  Joe@Example.COM \t", "joe@example.com"},
      {"ÉLODIE@exemple.fr", "élodie@exemple.fr"},
      {"e\xCC\x81lodie@exemple.fr", "élodie@exemple.fr"},  // decomposed é composes (NFC)
      {"STRASSE@ß.de", "strasse@ss.de"},                   // full case folding
      {"", ""},
      {"   ", ""},
  };
  for (const TextCase& c : cases) EXPECT_EQ(NormalizeEmail(c.raw), c.want) << c.raw;
  EXPECT_EQ(NormalizeEmail("Joe@Example.com"), NormalizeEmail("JOE@EXAMPLE.COM"));
}

TEST(Dedup, NormalizesNamesForComparison) {
  const TextCase cases[] = {
      {"  Café  de   Flore ", "cafe de flore"},
      {"Joe's Pizza", "joes pizza"},
      {"Joe\u2019s Pizza", "joes pizza"},  // typographic apostrophe
      {"ACME, Inc.", "acme inc"},
      {"Smith & Sons", "smith sons"},
      {"Müller-Lüdenscheidt GmbH", "muller ludenscheidt gmbh"},
      {"ＡＣＭＥ Ｃｏｒｐ", "acme corp"},  // full-width letters (NFKC)
      {"Ｅｆﬁcient", "efficient"},         // ligature
      {"Crème\tBrûlée\n", "creme brulee"},
      {"7-Eleven", "7 eleven"},
      {"!!!", ""},
      {"", ""},
  };
  for (const TextCase& c : cases) EXPECT_EQ(NormalizeName(c.raw), c.want) << c.raw;
}

TEST(Dedup, CityKeyIsCaseInsensitiveEquality) {
  const TextCase cases[] = {
      {"  SAN   Francisco ", "san francisco"},
      {"Zürich", "zürich"},
      {"ZÜRICH", "zürich"},
      {"St. Louis", "st. louis"},  // punctuation kept: equality, not similarity
      {"", ""},
  };
  for (const TextCase& c : cases) EXPECT_EQ(NormalizeCityKey(c.raw), c.want) << c.raw;
  EXPECT_NE(NormalizeCityKey("Montréal"), NormalizeCityKey("Montreal"));
}

TEST(Dedup, NameCityKeyNeedsBothParts) {
  EXPECT_EQ(NameCityKey("Blue Bottle", "Oakland"), NameCityKey(" blue  BOTTLE", "OAKLAND "));
  EXPECT_NE(NameCityKey("Blue Bottle", "Oakland"), NameCityKey("Blue Bottle", "Berkeley"));
  // The separator keeps ("a b", "c") and ("a", "b c") apart.
  EXPECT_NE(NameCityKey("a b", "c"), NameCityKey("a", "b c"));
  EXPECT_EQ(NameCityKey("Blue Bottle", ""), "");
  EXPECT_EQ(NameCityKey("", "Oakland"), "");
  EXPECT_EQ(NameCityKey("Blue Bottle", "   "), "");
}

TEST(Dedup, InvalidUtf8FallsBackToAsciiLowercase) {
  EXPECT_EQ(NormalizeEmail("JOE\xFF@X.COM"), "joe\xFF@x.com");
  EXPECT_EQ(NormalizeName("JOE\xFF  PIZZA"), "joe\xFF pizza");
}

// ASCII names skip utf8proc: every ASCII character folds as utf8proc folds it (a name that
// ends in a non-ASCII letter takes utf8proc's path; "é" folds to "e").
TEST(NormalizeName, AsciiFoldsAsUtf8procDoes) {
  for (int c = 1; c < 0x80; ++c) {
    const std::string name = std::string("Ab") + static_cast<char>(c) + "Cd";
    EXPECT_EQ(NormalizeName(name + "\xC3\xA9"), NormalizeName(name) + "e") << c;
  }
}

// ASCII bytes are classified by a table read from utf8proc once (CollapseSeparators): each one
// separates words, is dropped (an apostrophe) or is kept exactly as utf8proc's categories say.
TEST(NormalizeName, AsciiSeparatorsFollowUtf8procCategories) {
  for (int c = 1; c < 0x80; ++c) {
    const utf8proc_category_t category = utf8proc_category(c);
    const bool space = category == UTF8PROC_CATEGORY_ZS || category == UTF8PROC_CATEGORY_ZL ||
                       category == UTF8PROC_CATEGORY_ZP || category == UTF8PROC_CATEGORY_CC;
    const bool punctuation = category >= UTF8PROC_CATEGORY_PC && category <= UTF8PROC_CATEGORY_SO;
    const bool apostrophe = c == '\'' || c == '`';
    const std::string kept = std::string("ab") + static_cast<char>(std::tolower(c)) + "cd";
    const std::string raw = std::string("ab") + static_cast<char>(c) + "cd";
    EXPECT_EQ(NormalizeName(raw), apostrophe             ? std::string("abcd")
                                  : space || punctuation ? std::string("ab cd")
                                                         : kept)
        << c;
    // Cities: only white space and controls separate.
    EXPECT_EQ(NormalizeCityKey(raw), space ? std::string("ab cd") : kept) << c;
  }
}

}  // namespace
}  // namespace klozeo::dedup
