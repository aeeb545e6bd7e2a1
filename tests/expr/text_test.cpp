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
  EXPECT_TRUE(TextEquals("ZÜRICH", "zürich"));
  EXPECT_TRUE(TextEquals("Île-de-France", "île-de-france"));
  EXPECT_TRUE(TextEquals("Straße", "STRASSE"));  // full case folding: ß is ss
  EXPECT_FALSE(TextEquals("zürich", "zurich"));
}

TEST(ExprText, ContainsIgnoresCase) {
  EXPECT_TRUE(TextContains("Acme Bakery", "bak"));
  EXPECT_TRUE(TextContains("Acme Bakery", "ACME"));
  EXPECT_TRUE(TextContains("Acme Bakery", "y"));
  EXPECT_TRUE(TextContains("Acme", ""));
  EXPECT_TRUE(TextContains("", ""));
  EXPECT_FALSE(TextContains("Acme", "acmee"));
  EXPECT_FALSE(TextContains("", "a"));
  EXPECT_TRUE(TextContains("CAFÉ de Flore", "café"));
}

TEST(ExprText, StartsWithIgnoresCase) {
  EXPECT_TRUE(TextStartsWith("https://acme.fr", "HTTPS"));
  EXPECT_TRUE(TextStartsWith("abc", ""));
  EXPECT_FALSE(TextStartsWith("ab", "abc"));
  EXPECT_FALSE(TextStartsWith("http://acme.fr", "https"));
  EXPECT_TRUE(TextStartsWith("École", "éc"));
}

TEST(ExprText, CountsCharacters) {
  EXPECT_EQ(CharacterCount(""), 0u);
  EXPECT_EQ(CharacterCount("abc"), 3u);
  EXPECT_EQ(CharacterCount("héllo"), 5u);
  EXPECT_EQ(CharacterCount("😀"), 1u);
}

TEST(ExprText, ParsesNumbers) {
  struct Case {
    std::string_view text;
    std::optional<double> value;
  };
  const Case cases[] = {
      {"12", 12},
      {" -1.5e2 ", -150},
      {"+3", 3},
      {"0.25", 0.25},
      {"", std::nullopt},
      {"  ", std::nullopt},
      {"12a", std::nullopt},
      {"a12", std::nullopt},
      {"inf", std::nullopt},
      {"nan", std::nullopt},
      {"1e999", std::nullopt},
      {"+-1", std::nullopt},
      {"1 2", std::nullopt},
      {"0x10", std::nullopt},
  };
  for (const Case& c : cases) EXPECT_EQ(ParseNumber(c.text), c.value) << "'" << c.text << "'";
}

}  // namespace
}  // namespace klozeo::expr
