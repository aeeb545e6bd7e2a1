#include "dedup/similarity.h"

#include <gtest/gtest.h>

namespace klozeo::dedup {
namespace {

struct NamePair {
  const char* a;
  const char* b;
  bool merges;  // at the default threshold: similarity > 0.80
};

// Which names tier 3 treats as the same business (it also requires the same phone). The
// metric rewards shared prefixes, so word order matters and same-prefix names score high:
// the phone match is what keeps "Acme Corp" and "Apex Corp" apart.
TEST(NameSimilarity, MergesAboveEightyPercent) {
  const NamePair pairs[] = {
      {"Acme Corp", "ACME Corporation", true},    // 0.91
      {"Acme Inc", "Acme Incorporated", true},    // 0.89
      {"Joe's Pizza", "Joes Pizza", true},        // 1.00 (apostrophe dropped)
      {"Café de Flore", "Cafe de Flore", true},   // 1.00 (accents stripped)
      {"Müller GmbH", "Mueller GmbH", true},      // 0.95
      {"ＡＣＭＥ", "acme", true},                 // 1.00 (full-width folds)
      {"Smith & Sons", "Smith and Sons", true},   // 0.91
      {"Starbucks", "Starbuck's Coffee", true},   // 0.91
      {"Tesla", "Telsa", true},                   // 0.95 (transposition)
      {"Dr. John Smith", "John Smith", true},     // 0.84
      {"Acme Corp", "Apex Corp", true},           // 0.87 (shared prefix)
      {"Acme", "Zenith", false},                  // 0.47
      {"Bob's Burgers", "Burger King", false},    // 0.64
      {"Le Petit Café", "Le Grand Café", false},  // 0.78
      {"IBM", "I.B.M.", false},                   // 0.72 ("ibm" vs "i b m")
      {"Cafe Roma", "Roma Cafe", false},          // 0.56 (word order)
      {"Sushi Zen", "Zen Sushi", false},          // 0.31
  };
  for (const NamePair& p : pairs) {
    double score = NameSimilarity(p.a, p.b);
    EXPECT_EQ(NamesMatch(p.a, p.b), p.merges) << p.a << " vs " << p.b << ": " << score;
    EXPECT_DOUBLE_EQ(score, NameSimilarity(p.b, p.a)) << "symmetric";
    EXPECT_GE(score, 0.0);
    EXPECT_LE(score, 1.0);
  }
}

TEST(NameSimilarity, ThresholdIsStrict) {
  // "Pizza Hut" vs "Pizza Express" scores about 0.826.
  double score = NameSimilarity("Pizza Hut", "Pizza Express");
  EXPECT_TRUE(NamesMatch("Pizza Hut", "Pizza Express", 0.80));
  EXPECT_FALSE(NamesMatch("Pizza Hut", "Pizza Express", 0.90));
  EXPECT_FALSE(NamesMatch("Pizza Hut", "Pizza Express", score));
  EXPECT_TRUE(NamesMatch("Acme", "ACME", 0.99));
}

TEST(NameSimilarity, EmptyNamesNeverMatch) {
  EXPECT_EQ(NameSimilarity("", ""), 0.0);
  EXPECT_EQ(NameSimilarity("!!!", "..."), 0.0);
  EXPECT_EQ(NameSimilarity("Acme", ""), 0.0);
}

TEST(JaroWinkler, KnownValues) {
  // Classic examples from Winkler's papers.
  EXPECT_NEAR(JaroWinkler(U"martha", U"marhta"), 0.9611, 1e-4);
  EXPECT_NEAR(JaroWinkler(U"dwayne", U"duane"), 0.84, 1e-4);
  EXPECT_NEAR(JaroWinkler(U"dixon", U"dicksonx"), 0.8133, 1e-4);
  EXPECT_EQ(JaroWinkler(U"abc", U"abc"), 1.0);
  EXPECT_EQ(JaroWinkler(U"abc", U"xyz"), 0.0);
  EXPECT_EQ(JaroWinkler(U"", U""), 1.0);
  EXPECT_EQ(JaroWinkler(U"a", U""), 0.0);
}

TEST(JaroWinkler, CountsCodePointsNotBytes) {
  // One differing character scores the same whether it takes one UTF-8 byte or three.
  EXPECT_DOUBLE_EQ(JaroWinkler(U"caf\u00e9 x", U"cafe x"), JaroWinkler(U"cafz x", U"cafe x"));
  EXPECT_DOUBLE_EQ(NameSimilarity("東京タワー", "東京タワ"),
                   JaroWinkler(U"東京タワー", U"東京タワ"));
  EXPECT_NEAR(NameSimilarity("東京タワー", "東京タワ"), 0.96, 1e-9);
}

}  // namespace
}  // namespace klozeo::dedup
