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
  EXPECT_TRUE(IsValidUtf8("z\xC3\xBCrich"));        // zürich
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));     // emoji
  EXPECT_FALSE(IsValidUtf8("\xC3"));                // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));            // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));        // surrogate
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

}  // namespace
}  // namespace klozeo::core
