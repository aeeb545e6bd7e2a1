#include "expr/text.h"

#include <gtest/gtest.h>

#include <optional>

namespace klozeo::expr {
namespace {

TEST(ExprText, EqualsIgnoresCase) {
  EXPECT_TRUE(TextEquals("Paris", "paris"));
  EXPECT_TRUE(TextEquals("PARIS", "pArIs"));
  EXPECT_TRUE(TextEquals("", ""));
  EXPECT_FALSE(TextEquals("Paris", "Pari"));
  EXPECT_FALSE(TextEquals("Paris", "Parks"));
  EXPECT_TRUE(TextEquals("Z\xC3\x9CRICH", "z\xC3\xBCrich"));           // ZÜRICH / zürich
  EXPECT_TRUE(TextEquals("\xC3\x8Ele-de-France", "\xC3\xAEle-de-france"));  // Île / île
  EXPECT_TRUE(TextEquals("Stra\xC3\x9F" "e", "STRASSE"));                // ß folds to ss
  EXPECT_FALSE(TextEquals("z\xC3\xBCrich", "zurich"));
}

TEST(ExprText, ContainsIgnoresCase) {
  EXPECT_TRUE(TextContains("Acme Bakery", "bak"));
  EXPECT_TRUE(TextContains("Acme Bakery", "ACME"));
  EXPECT_TRUE(TextContains("Acme Bakery", "y"));
  EXPECT_TRUE(TextContains("Acme", ""));
  EXPECT_TRUE(TextContains("", ""));
  EXPECT_FALSE(TextContains("Acme", "acmee"));
  EXPECT_FALSE(TextContains("", "a"));
  EXPECT_TRUE(TextContains("Caf\xC3\x89 de Flore", "caf\xC3\xA9"));  // CAFÉ / café
}

TEST(ExprText, StartsWithIgnoresCase) {
  EXPECT_TRUE(TextStartsWith("https://acme.fr", "HTTPS"));
  EXPECT_TRUE(TextStartsWith("abc", ""));
  EXPECT_FALSE(TextStartsWith("ab", "abc"));
  EXPECT_FALSE(TextStartsWith("http://acme.fr", "https"));
  EXPECT_TRUE(TextStartsWith("\xC3\x89" "cole", "\xC3\xA9" "c"));  // École / éc
}

TEST(ExprText, CountsCharacters) {
  EXPECT_EQ(CharacterCount(""), 0u);
  EXPECT_EQ(CharacterCount("abc"), 3u);
  EXPECT_EQ(CharacterCount("h\xC3\xA9llo"), 5u);
  EXPECT_EQ(CharacterCount("\xF0\x9F\x98\x80"), 1u);
}

TEST(ExprText, ParsesNumbers) {
  struct Case {
    std::string_view text;
    std::optional<double> value;
  };
  const Case cases[] = {
      {"12", 12},     {" -1.5e2 ", -150}, {"+3", 3},          {"0.25", 0.25},
      {"", std::nullopt},    {"  ", std::nullopt},   {"12a", std::nullopt},
      {"a12", std::nullopt}, {"inf", std::nullopt},  {"nan", std::nullopt},
      {"1e999", std::nullopt}, {"+-1", std::nullopt}, {"1 2", std::nullopt},
      {"0x10", std::nullopt},
  };
  for (const Case& c : cases) EXPECT_EQ(ParseNumber(c.text), c.value) << "'" << c.text << "'";
}

}  // namespace
}  // namespace klozeo::expr
