#include "core/strings.h"

#include <gtest/gtest.h>

namespace klozeo::core {
namespace {

TEST(Strings, Trim) {
  EXPECT_EQ(Trim("  a b \t\n"), "a b");
  EXPECT_EQ(Trim("   "), "");
}

TEST(Strings, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("z\xC3\xBCrich"));     // zürich
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));  // emoji
  EXPECT_FALSE(IsValidUtf8("\xC3"));             // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));         // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));     // surrogate
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

}  // namespace
}  // namespace klozeo::core

#include "core/fold.h"

namespace klozeo::core {
namespace {

TEST(Fold, UnicodeCaseFolding) {
  EXPECT_EQ(FoldText("Z\xC3\x9CRICH"), FoldText("z\xC3\xBCrich"));  // ZÜRICH / zürich
  EXPECT_EQ(FoldText("Stra\xC3\x9F"
                     "e"),
            "strasse");  // ß folds to ss
  EXPECT_EQ(FoldText("ACME"), "acme");
  // Decomposed ü (u + combining diaeresis) composes to the same text as precomposed ü.
  EXPECT_EQ(FoldText("zu\xCC\x88rich"), FoldText("z\xC3\xBCrich"));
  EXPECT_EQ(FoldText("\xFF"
                     "ABC"),
            "\xFF"
            "abc");  // invalid UTF-8: ASCII lowercase only
}

}  // namespace
}  // namespace klozeo::core
