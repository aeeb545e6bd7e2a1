#include "core/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace klozeo::core {
namespace {

TEST(Ids, UuidV7HasVersionAndVariant) {
  std::string id = NewUuidV7();
  ASSERT_TRUE(IsUuid(id)) << id;
  EXPECT_EQ(id[14], '7');
  EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b') << id;
}

TEST(Ids, UuidV7IsMonotonicAndUnique) {
  std::string prev = NewUuidV7();
  std::set<std::string> seen{prev};
  for (int i = 0; i < 20000; ++i) {
    std::string next = NewUuidV7();
    EXPECT_LT(prev, next);
    EXPECT_TRUE(seen.insert(next).second);
    prev = next;
  }
}

TEST(Ids, PrefixedIdShapes) {
  EXPECT_TRUE(HasIdShape(NewLeadId(), "cl_"));
  EXPECT_TRUE(HasIdShape(NewNoteId(), "note_"));
  EXPECT_FALSE(HasIdShape(NewNoteId(), "cl_"));
  EXPECT_FALSE(HasIdShape("cl_123", "cl_"));
  EXPECT_FALSE(HasIdShape("cl_0123456789ab-cdef-0123-456789abcdef0", "cl_"));
  EXPECT_FALSE(IsUuid("0123456z-89ab-cdef-0123-456789abcdef"));
  EXPECT_TRUE(IsUuid("01234567-89AB-cdef-0123-456789abcdef"));
}

}  // namespace
}  // namespace klozeo::core
