#include "dedup/keys.h"

#include <gtest/gtest.h>

#include "dedup/similarity.h"

namespace klozeo::dedup {
namespace {

TEST(DedupKeys, ComputesEveryKey) {
  PhoneNormalizer us("US");
  LeadKeys keys =
      ComputeLeadKeys("  Acme   Corp ", " Sales@ACME.com ", "(415) 555-2671", "San  Francisco", us);
  EXPECT_EQ(keys.email, "sales@acme.com");
  EXPECT_EQ(keys.phone, "+14155552671");
  EXPECT_EQ(keys.name_city, "acme corp\nsan francisco");
}

TEST(DedupKeys, AbsentFieldsGiveEmptyKeys) {
  PhoneNormalizer us("US");
  LeadKeys keys = ComputeLeadKeys("Acme", "", "", "", us);
  EXPECT_TRUE(keys.email.empty());
  EXPECT_TRUE(keys.phone.empty());
  EXPECT_TRUE(keys.name_city.empty());  // no city: tier 4 never matches
}

TEST(DedupKeys, SamePhoneWrittenDifferentlyGivesSameKey) {
  PhoneNormalizer us("US");
  const char* forms[] = {"+1 415 555 2671", "415.555.2671", "(415) 555-2671", "001 415 555 2671"};
  for (const char* form : forms) {
    EXPECT_EQ(ComputeLeadKeys("a", "", form, "", us).phone, "+14155552671") << form;
  }
}

TEST(DedupKeys, DefaultRegionDecidesNationalNumbers) {
  PhoneNormalizer gb("GB");
  PhoneNormalizer us("US");
  EXPECT_EQ(ComputeLeadKeys("a", "", "020 7946 0958", "", gb).phone, "+442079460958");
  EXPECT_NE(ComputeLeadKeys("a", "", "020 7946 0958", "", us).phone, "+442079460958");
}

TEST(DedupKeys, NameCityKeyIsCaseInsensitiveOnly) {
  PhoneNormalizer us("US");
  EXPECT_EQ(ComputeLeadKeys("ACME", "", "", "PARIS", us).name_city,
            ComputeLeadKeys("acme", "", "", "paris", us).name_city);
  EXPECT_NE(ComputeLeadKeys("Acme Inc", "", "", "Paris", us).name_city,
            ComputeLeadKeys("Acme", "", "", "Paris", us).name_city);
}

// Which name pairs merge on tier 3 at the default threshold (strictly above 0.80).
TEST(DedupKeys, Tier3NamePairs) {
  EXPECT_TRUE(NamesMatch("Acme Corporation", "ACME Corporation"));
  EXPECT_TRUE(NamesMatch("Café de Flore", "Cafe de Flore"));
  EXPECT_TRUE(NamesMatch("Acme Corp", "Acme Corp."));
  EXPECT_FALSE(NamesMatch("Acme Corporation", "Globex Industries"));
  EXPECT_FALSE(NamesMatch("John Smith", "Mary Jones"));
}

}  // namespace
}  // namespace klozeo::dedup
