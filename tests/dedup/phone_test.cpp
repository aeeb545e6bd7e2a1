#include "dedup/phone.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace klozeo::dedup {
namespace {

struct PhoneCase {
  const char* region;
  const char* raw;
  const char* want;
};

TEST(Phone, NormalizesToE164OrDigits) {
  const PhoneCase cases[] = {
      // Parsed to E.164.
      {"US", "+1 (415) 555-2671", "+14155552671"},
      {"US", "415.555.2671", "+14155552671"},
      {"US", "(415) 555-2671", "+14155552671"},
      {"US", "tel: +1-415-555-2671", "+14155552671"},
      {"US", "(415) 555-2671 ext. 12", "+14155552671"},  // extension dropped
      {"US", "011 44 20 7946 0958", "+442079460958"},    // US international prefix
      {"US", "0044 20 7946 0958", "+442079460958"},      // "00" retried as "+"
      {"US", "+44 20 7946 0958", "+442079460958"},
      {"GB", "020 7946 0958", "+442079460958"},
      {"GB", "0044 20 7946 0958", "+442079460958"},
      {"FR", "01 42 68 53 00", "+33142685300"},
      {"FR", "+33 1 42 68 53 00", "+33142685300"},
      {"gb", "020 7946 0958", "+442079460958"},  // region is case-insensitive
      // Not parseable or not a complete possible number: digits, '+' kept.
      {"US", "555-1234", "5551234"},  // local-only, no area code
      {"US", "12", "12"},
      {"US", "+999 123", "+999123"},
      {"FR", "415.555.2671", "4155552671"},
      {"ZZ", "020 7946 0958", "02079460958"},  // unknown region: only "+" numbers parse
      {"ZZ", "+1 415 555 2671", "+14155552671"},
      // No digits at all.
      {"US", "", ""},
      {"US", "   ", ""},
      {"US", "+", ""},
      {"US", "n/a", ""},
  };
  for (const PhoneCase& c : cases) {
    EXPECT_EQ(PhoneNormalizer(c.region).Normalize(c.raw), c.want)
        << c.raw << " in region " << c.region;
  }
}

TEST(Phone, DifferentSpellingsOfOneNumberAgree) {
  PhoneNormalizer phones("US");
  EXPECT_EQ(phones.Normalize("+1 (415) 555-2671"), phones.Normalize("415.555.2671"));
  EXPECT_EQ(phones.Normalize("1-415-555-2671"), phones.Normalize("(415)5552671"));
  EXPECT_NE(phones.Normalize("415-555-2671"), phones.Normalize("415-555-2672"));
}

TEST(Phone, RegionIsValidatedAndUpperCased) {
  EXPECT_TRUE(PhoneNormalizer::IsSupportedRegion("US"));
  EXPECT_TRUE(PhoneNormalizer::IsSupportedRegion("fr"));
  EXPECT_FALSE(PhoneNormalizer::IsSupportedRegion("ZZ"));
  EXPECT_FALSE(PhoneNormalizer::IsSupportedRegion(""));
  EXPECT_EQ(PhoneNormalizer(" de ").default_region(), "DE");
}

TEST(Phone, SharedNormalizerIsThreadSafe) {
  const PhoneNormalizer phones("US");
  const std::vector<std::string> inputs = {"+1 (415) 555-2671", "0044 20 7946 0958",
                                           "+33 1 42 68 53 00", "555-1234", "1-800-FLOWERS"};
  std::vector<std::string> expected;
  for (const std::string& raw : inputs) expected.push_back(phones.Normalize(raw));

  std::vector<int> mismatches(8, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < mismatches.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 300; ++round) {
        for (size_t i = 0; i < inputs.size(); ++i) {
          if (phones.Normalize(inputs[i]) != expected[i]) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int count : mismatches) EXPECT_EQ(count, 0);
}

}  // namespace
}  // namespace klozeo::dedup
