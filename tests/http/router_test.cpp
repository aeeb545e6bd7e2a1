#include "http/router.h"

#include <gtest/gtest.h>

namespace klozeo::http {
namespace {

using R = Router<int>;

R MakeRouter() {
  R r;
  r.Add("GET", "/api/v1/leads/{id}", 1);
  r.Add("PUT", "/api/v1/leads/{id}", 2);
  r.Add("POST", "/api/v1/leads/batch", 3);
  r.Add("GET", "/api/v1/leads/{id}/notes", 4);
  r.Add("GET", "/api/v1/leads", 5);
  return r;
}

TEST(Router, CapturesParams) {
  auto r = MakeRouter();
  auto m = r.Find("GET", "/api/v1/leads/cl_123");
  ASSERT_EQ(m.kind, R::MatchKind::kFound);
  EXPECT_EQ(m.route->handler, 1);
  EXPECT_EQ(m.params.at("id"), "cl_123");
}

TEST(Router, LiteralSegmentWinsOverParam) {
  auto r = MakeRouter();
  auto m = r.Find("POST", "/api/v1/leads/batch");
  ASSERT_EQ(m.kind, R::MatchKind::kFound);
  EXPECT_EQ(m.route->handler, 3);
  // GET on the literal path is a wrong method, not a lead id lookup.
  m = r.Find("GET", "/api/v1/leads/batch");
  EXPECT_EQ(m.kind, R::MatchKind::kWrongMethod);
  EXPECT_EQ(m.allow, "POST");
}

TEST(Router, WrongMethodListsAllowed) {
  auto r = MakeRouter();
  auto m = r.Find("DELETE", "/api/v1/leads/cl_1");
  EXPECT_EQ(m.kind, R::MatchKind::kWrongMethod);
  EXPECT_EQ(m.allow, "GET, PUT");
}

TEST(Router, UnknownPathAndTrailingSlash) {
  auto r = MakeRouter();
  EXPECT_EQ(r.Find("GET", "/api/v2/leads").kind, R::MatchKind::kNoRoute);
  EXPECT_EQ(r.Find("GET", "/api/v1/leads/").kind, R::MatchKind::kFound);
  EXPECT_EQ(r.Find("GET", "/").kind, R::MatchKind::kNoRoute);
  EXPECT_EQ(r.Find("HEAD", "/api/v1/leads").kind, R::MatchKind::kFound);
}

}  // namespace
}  // namespace klozeo::http
