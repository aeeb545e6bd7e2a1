#include "http/message.h"

#include <gtest/gtest.h>

namespace klozeo::http {
namespace {

TEST(Message, QueryStringIsFormDecoded) {
  std::string path;
  std::vector<std::pair<std::string, std::string>> q;
  ParseTarget("/api/v1/leads?filter=and.eq.city.New+York&filter=and.eq.email.a%2Bb%40x.io&limit=5",
              &path, &q);
  EXPECT_EQ(path, "/api/v1/leads");
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].second, "and.eq.city.New York");
  EXPECT_EQ(q[1].second, "and.eq.email.a+b@x.io");
  Request r;
  r.query = q;
  EXPECT_EQ(r.QueryAll("filter").size(), 2u);
  EXPECT_EQ(r.Query("limit"), "5");
  EXPECT_FALSE(r.Query("cursor").has_value());
}

TEST(Message, BrokenPercentEscapesStayLiteral) {
  EXPECT_EQ(PercentDecode("100%", true), "100%");
  EXPECT_EQ(PercentDecode("%zz%4", true), "%zz%4");
  EXPECT_EQ(PercentDecode("%41", false), "A");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
}

}  // namespace
}  // namespace klozeo::http
