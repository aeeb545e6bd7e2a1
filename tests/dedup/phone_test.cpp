#include "dedup/phone.h"

#include <gtest/gtest.h>
#include <phonenumbers/phonenumberutil.h>

#include <optional>
#include <random>

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

// Normalize without its North American fast path: libphonenumber's full parse, then the "00"
// retry, then the digits (what Normalize did before the fast path).
std::string FullParse(const std::string& raw, const std::string& region) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  auto e164 = [&](const std::string& text) -> std::optional<std::string> {
    PhoneNumber number;
    if (util.Parse(text, region, &number) != PhoneNumberUtil::NO_PARSING_ERROR ||
        util.IsPossibleNumberWithReason(number) != PhoneNumberUtil::IS_POSSIBLE) {
      return std::nullopt;
    }
    std::string out;
    util.Format(number, PhoneNumberUtil::E164, &out);
    return out;
  };
  std::string digits;
  std::string_view trimmed = raw;
  while (!trimmed.empty() && (trimmed.front() == ' ' || trimmed.front() == '\t')) {
    trimmed.remove_prefix(1);
  }
  if (trimmed.starts_with('+')) digits += '+';
  for (char c : raw) {
    if (c >= '0' && c <= '9') digits += c;
  }
  if (digits.empty() || digits == "+") return {};
  if (auto parsed = e164(raw)) return *parsed;
  if (digits.starts_with("00")) {
    if (auto parsed = e164("+" + digits.substr(2))) return *parsed;
  }
  return digits;
}

TEST(Phone, NorthAmericanFastPathEqualsTheFullParse) {
  // Every shape the fast path takes, and near misses it must leave to the full parse, over
  // area codes and exchanges starting with every digit, in several default regions.
  const char* shapes[] = {
      "+1 {a} {e} {l}",   "+1-{a}-{e}-{l}",  "+1.{a}.{e}.{l}", "+1{a}{e}{l}",
      "+1 ({a}) {e}-{l}", "+1({a}){e}{l}",   "{a} {e} {l}",    "{a}-{e}-{l}",
      "{a}.{e}.{l}",      "{a}{e}{l}",       "({a}) {e}-{l}",  "({a}){e}-{l}",
      " +1 {a} {e} {l} ", "\t{a}-{e}-{l}\n", "1 {a} {e} {l}",  "+1  {a} {e} {l}",
      "{a} {e} {l} x12",  "+1 {a} {e} {l}5", "+1 {a} {e} {l",  "({a} {e} {l}",
      "+11 {a} {e} {l}",  "{a}--{e}-{l}",
  };
  const char* regions[] = {"US", "CA", "GB", "DE", "BS", "XX"};
  std::mt19937 random(18);
  auto digits = [&](int n, char first) {
    std::string out(1, first);
    for (int i = 1; i < n; ++i) out += static_cast<char>('0' + random() % 10);
    return out;
  };
  int compared = 0;
  for (const char* region : regions) {
    PhoneNormalizer phones(region);
    for (char a = '0'; a <= '9'; ++a) {
      for (char e = '0'; e <= '9'; ++e) {
        for (const std::string shape : shapes) {
          std::string raw;
          for (size_t i = 0; i < shape.size(); ++i) {
            if (shape[i] == '{' && i + 2 < shape.size() && shape[i + 2] == '}') {
              raw += shape[i + 1] == 'a'   ? digits(3, a)
                     : shape[i + 1] == 'e' ? digits(3, e)
                                           : digits(4, a);
              i += 2;
            } else {
              raw += shape[i];
            }
          }
          ASSERT_EQ(phones.Normalize(raw), FullParse(raw, region))
              << "region " << region << ", raw \"" << raw << "\"";
          ++compared;
        }
      }
    }
  }
  EXPECT_EQ(compared, 6 * 10 * 10 * 22);
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

TEST(PhoneExchangeTest, DropsTheLastFourDigitsOfKeysOfSevenDigitsOrMore) {
  EXPECT_EQ(PhoneExchange("+13128507000"), "+1312850");
  EXPECT_EQ(PhoneExchange("8507000"), "850");
  EXPECT_EQ(PhoneExchange("850700"), "");
  EXPECT_EQ(PhoneExchange(""), "");
}

TEST(PhonesNearTest, OneDigitOrOneSwapOfNeighbours) {
  EXPECT_TRUE(PhonesNear("7612300", "7622300"));
  EXPECT_TRUE(PhonesNear("7612300", "7613200"));
  EXPECT_TRUE(PhonesNear("+13127612300", "+13127612301"));
  EXPECT_FALSE(PhonesNear("7612300", "7612300"));   // equal: the same phone, not a slip
  EXPECT_FALSE(PhonesNear("7612300", "7622301"));   // two digits apart
  EXPECT_FALSE(PhonesNear("7612300", "7602310"));   // a swap of digits that are not neighbours
  EXPECT_FALSE(PhonesNear("7612300", "76123000"));  // another length
  EXPECT_FALSE(PhonesNear("", ""));
}

}  // namespace
}  // namespace klozeo::dedup
