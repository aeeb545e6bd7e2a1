#include "query/sort.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "query/limit.h"

namespace klozeo::query {
namespace {

TEST(SortParser, DefaultsToCreatedAtAscending) {
  auto sort = ParseSort(std::nullopt, std::nullopt);
  ASSERT_TRUE(sort.ok());
  EXPECT_EQ(sort->field, (FieldRef{FieldKind::kNumber, "created_at"}));
  EXPECT_EQ(sort->direction, SortDirection::kAsc);
  EXPECT_EQ(ParseSort("", "").value(), Sort{});
}

TEST(SortParser, AcceptsTextNumberAndAttributeFields) {
  for (std::string_view name : TextFields()) {
    auto sort = ParseSort(name, "DESC");
    ASSERT_TRUE(sort.ok()) << name;
    EXPECT_EQ(sort->field, (FieldRef{FieldKind::kText, std::string(name)}));
    EXPECT_EQ(sort->direction, SortDirection::kDesc);
  }
  for (std::string_view name : NumberFields()) {
    auto sort = ParseSort(name, "asc");
    ASSERT_TRUE(sort.ok()) << name;
    EXPECT_EQ(sort->field, (FieldRef{FieldKind::kNumber, std::string(name)}));
  }
  EXPECT_EQ(ParseSort("attr:employees", "Desc")->field,
            (FieldRef{FieldKind::kAttribute, "employees"}));
}

TEST(SortParser, OrderIsCaseInsensitive) {
  for (std::string order : {"asc", "ASC", "Asc", "aSC"}) {
    EXPECT_EQ(ParseSort("rating", order)->direction, SortDirection::kAsc) << order;
  }
  for (std::string order : {"desc", "DESC", "Desc"}) {
    EXPECT_EQ(ParseSort("rating", order)->direction, SortDirection::kDesc) << order;
  }
}

TEST(SortParser, RejectsUnknownFieldsAndOrders) {
  struct Case {
    std::optional<std::string_view> sort_by, sort_order;
    std::string message;
  };
  const std::string kFields = ": expected a text or number field, or attr:<name>";
  const std::vector<Case> cases = {
      {"town", std::nullopt, "invalid sort_by \"town\"" + kFields},
      {"tags", std::nullopt, "invalid sort_by \"tags\"" + kFields},
      {"location", std::nullopt, "invalid sort_by \"location\"" + kFields},
      {"id", std::nullopt, "invalid sort_by \"id\"" + kFields},
      {"attr:bad name", std::nullopt, "invalid sort_by \"attr:bad name\"" + kFields},
      {"Rating", std::nullopt, "invalid sort_by \"Rating\"" + kFields},
      {"rating", "up", "invalid sort_order \"up\": expected ASC or DESC"},
      {std::nullopt, "ascending", "invalid sort_order \"ascending\": expected ASC or DESC"},
  };
  for (const Case& c : cases) {
    auto sort = ParseSort(c.sort_by, c.sort_order);
    ASSERT_FALSE(sort.ok()) << c.message;
    EXPECT_EQ(sort.error().code, core::ErrorCode::kBadRequest);
    EXPECT_EQ(sort.error().message, c.message);
  }
}

TEST(LimitParser, DefaultsClampsAndRejects) {
  EXPECT_EQ(ParseLimit(std::nullopt).value(), 50);
  EXPECT_EQ(ParseLimit("").value(), 50);
  EXPECT_EQ(ParseLimit("1").value(), 1);
  EXPECT_EQ(ParseLimit(" 7 ").value(), 7);
  EXPECT_EQ(ParseLimit("1000").value(), 1000);
  EXPECT_EQ(ParseLimit("1001").value(), 1000);
  EXPECT_EQ(ParseLimit("99999999999999999999999").value(), 1000);
  for (std::string bad : {"0", "-1", "-0", "abc", "5.0", "1e3", "+", " ", "12a"}) {
    auto limit = ParseLimit(bad);
    ASSERT_FALSE(limit.ok()) << bad;
    EXPECT_EQ(limit.error().code, core::ErrorCode::kBadRequest) << bad;
  }
  EXPECT_EQ(ParseLimit("0").error().message, "invalid limit \"0\": must be at least 1");
  EXPECT_EQ(ParseLimit("abc").error().message,
            "invalid limit \"abc\": expected a whole number from 1 to 1000");
}

}  // namespace
}  // namespace klozeo::query
