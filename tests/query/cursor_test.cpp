#include "query/cursor.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/crypto.h"

namespace klozeo::query {
namespace {

constexpr std::string_view kSecret = "test-secret";

Sort MakeSort(std::string_view field, std::string_view order) {
  return ParseSort(field, order).value();
}

// A payload signed with the right secret, to reach the checks behind the signature.
std::string SignedCursor(std::string_view payload) {
  std::string body = core::Base64UrlEncode(payload);
  return body + "." + core::Base64UrlEncode(core::HmacSha256(kSecret, body));
}

TEST(CursorCodec, RoundTripsEveryValueType) {
  struct Case {
    Sort sort;
    SqlValue value;
  };
  const std::vector<Case> cases = {
      {MakeSort("created_at", "asc"), std::int64_t{1703520000}},
      {MakeSort("created_at", "desc"), std::int64_t{-5}},
      {MakeSort("rating", "desc"), 4.5},
      {MakeSort("rating", "asc"), 4.0},  // stays a REAL, not an INTEGER
      {MakeSort("rating", "asc"), 1e-300},
      {MakeSort("city", "asc"), std::string("z\xC3\xBCrich")},
      {MakeSort("city", "asc"), std::string("")},
      {MakeSort("email", "desc"), nullptr},
      {MakeSort("attr:industry", "asc"), std::string("software")},
      {MakeSort("attr:employees", "desc"), 500.0},
  };
  for (const Case& c : cases) {
    Cursor cursor = CursorAfter(c.sort, c.value, "cl_0192f0a8-7c1e-7abc-9def-0123456789ab");
    std::string text = EncodeCursor(cursor, kSecret);
    EXPECT_EQ(
        text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
        std::string::npos)
        << "URL-safe: " << text;
    auto decoded = DecodeCursor(text, kSecret, c.sort);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(*decoded, cursor);
    EXPECT_EQ(decoded->last_value.index(), c.value.index());
  }
}

TEST(CursorCodec, RejectsTamperedCursors) {
  Sort sort = MakeSort("created_at", "asc");
  std::string text = EncodeCursor(CursorAfter(sort, std::int64_t{100}, "cl_a"), kSecret);
  // Flip every character in turn: none of the variants may be accepted.
  for (size_t i = 0; i < text.size(); ++i) {
    for (char replacement : {'A', 'B', 'x', '-', '_', '.'}) {
      if (text[i] == replacement) continue;
      std::string tampered = text;
      tampered[i] = replacement;
      auto decoded = DecodeCursor(tampered, kSecret, sort);
      EXPECT_FALSE(decoded.ok()) << tampered;
    }
  }
  EXPECT_FALSE(DecodeCursor(text + "A", kSecret, sort).ok());
  EXPECT_FALSE(DecodeCursor(text.substr(1), kSecret, sort).ok());
}

TEST(CursorCodec, RejectsAnotherSecret) {
  Sort sort = MakeSort("created_at", "asc");
  std::string text = EncodeCursor(CursorAfter(sort, std::int64_t{100}, "cl_a"), "other");
  auto decoded = DecodeCursor(text, kSecret, sort);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, core::ErrorCode::kBadRequest);
  EXPECT_EQ(decoded.error().message, "invalid cursor: signature mismatch");
}

TEST(CursorCodec, RejectsACursorOfAnotherSort) {
  Sort sort = MakeSort("rating", "desc");
  std::string text = EncodeCursor(CursorAfter(sort, 4.5, "cl_a"), kSecret);
  for (Sort other : {MakeSort("rating", "asc"), MakeSort("score", "desc"),
                     MakeSort("attr:rating", "desc"), Sort{}}) {
    auto decoded = DecodeCursor(text, kSecret, other);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code, core::ErrorCode::kBadRequest);
    EXPECT_EQ(decoded.error().message,
              "invalid cursor: it belongs to another sort_by or sort_order");
  }
}

TEST(CursorCodec, RejectsGarbage) {
  Sort sort;
  for (std::string text : {"", ".", "abc", "abc.def", "!!!.???", "eyJ9.eyJ9"}) {
    auto decoded = DecodeCursor(text, kSecret, sort);
    ASSERT_FALSE(decoded.ok()) << text;
    EXPECT_EQ(decoded.error().code, core::ErrorCode::kBadRequest);
  }
  EXPECT_FALSE(DecodeCursor(std::string(kMaxCursorBytes + 1, 'A'), kSecret, sort).ok());
}

TEST(CursorCodec, RejectsSignedButMalformedPayloads) {
  Sort sort;
  for (std::string payload :
       {"", "not json", "[]", "{}", R"({"s":"created_at","d":"asc","v":1})",
        R"({"s":"created_at","d":"up","v":1,"i":"cl_a"})",
        R"({"s":"created_at","d":"asc","v":[1],"i":"cl_a"})",
        R"({"s":"created_at","d":"asc","v":true,"i":"cl_a"})",
        R"({"s":1,"d":"asc","v":1,"i":"cl_a"})", R"({"s":"created_at","d":"asc","v":1,"i":2})"}) {
    auto decoded = DecodeCursor(SignedCursor(payload), kSecret, sort);
    ASSERT_FALSE(decoded.ok()) << payload;
    EXPECT_EQ(decoded.error().message, "invalid cursor: malformed") << payload;
  }
  auto ok =
      DecodeCursor(SignedCursor(R"({"s":"created_at","d":"asc","v":7,"i":"cl_a"})"), kSecret, sort);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->last_value, SqlValue(std::int64_t{7}));
}

}  // namespace
}  // namespace klozeo::query
