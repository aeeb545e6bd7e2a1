#include "query/filter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "query/fields.h"
#include "query/fold.h"

namespace klozeo::query {
namespace {

FieldRef Text(std::string name) { return {FieldKind::kText, std::move(name)}; }
FieldRef Number(std::string name) { return {FieldKind::kNumber, std::move(name)}; }
FieldRef Attr(std::string name) { return {FieldKind::kAttribute, std::move(name)}; }
const FieldRef kTags{FieldKind::kTags, "tags"};
const FieldRef kLocation{FieldKind::kLocation, "location"};
using List = std::vector<std::string>;

struct ParseCase {
  std::string input;
  Filter expected;
};

TEST(FilterParser, ParsesEveryOperatorAndFieldKind) {
  const std::vector<ParseCase> cases = {
      {"and.eq.city.Paris", {Logic::kAnd, Op::kEq, Text("city"), "Paris"}},
      {"or.eq.city.Paris", {Logic::kOr, Op::kEq, Text("city"), "Paris"}},
      {"and.neq.status.new", {Logic::kAnd, Op::kNeq, Text("status"), "new"}},
      {"and.eq.rating.4", {Logic::kAnd, Op::kEq, Number("rating"), 4.0}},
      {"and.neq.review_count.0", {Logic::kAnd, Op::kNeq, Number("review_count"), 0.0}},
      {"and.eq.latitude.52.5", {Logic::kAnd, Op::kEq, Number("latitude"), 52.5}},
      {"and.eq.attr:industry.Software", {Logic::kAnd, Op::kEq, Attr("industry"), "Software"}},
      {"and.neq.attr:industry.Software", {Logic::kAnd, Op::kNeq, Attr("industry"), "Software"}},
      {"and.contains.name.acme", {Logic::kAnd, Op::kContains, Text("name"), "acme"}},
      {"and.not_contains.email.spam", {Logic::kAnd, Op::kNotContains, Text("email"), "spam"}},
      {"and.starts_with.phone.+33", {Logic::kAnd, Op::kStartsWith, Text("phone"), "+33"}},
      {"and.ends_with.website..io", {Logic::kAnd, Op::kEndsWith, Text("website"), ".io"}},
      {"and.contains.attr:note_1.x", {Logic::kAnd, Op::kContains, Attr("note_1"), "x"}},
      {"and.in.city.Paris, London ,Berlin",
       {Logic::kAnd, Op::kIn, Text("city"), List{"Paris", "London", "Berlin"}}},
      {"and.in.country.FR", {Logic::kAnd, Op::kIn, Text("country"), List{"FR"}}},
      {"and.gt.rating.4", {Logic::kAnd, Op::kGt, Number("rating"), 4.0}},
      {"and.gte.rating.4.5", {Logic::kAnd, Op::kGte, Number("rating"), 4.5}},
      {"and.lt.score.-3", {Logic::kAnd, Op::kLt, Number("score"), -3.0}},
      {"and.lte.created_at.1e+21", {Logic::kAnd, Op::kLte, Number("created_at"), 1e21}},
      {"and.gt.rating.1e-07", {Logic::kAnd, Op::kGt, Number("rating"), 1e-7}},
      {"and.gt.rating. 4", {Logic::kAnd, Op::kGt, Number("rating"), 4.0}},  // '+' form-decoded
      {"and.gt.rating.+4.0", {Logic::kAnd, Op::kGt, Number("rating"), 4.0}},
      {"and.gt.attr:employees.100", {Logic::kAnd, Op::kGt, Attr("employees"), 100.0}},
      {"and.is_empty.phone", {Logic::kAnd, Op::kIsEmpty, Text("phone"), {}}},
      {"and.is_empty.phone.ignored", {Logic::kAnd, Op::kIsEmpty, Text("phone"), {}}},
      {"and.is_not_empty.attr:x", {Logic::kAnd, Op::kIsNotEmpty, Attr("x"), {}}},
      {"and.array_contains.tags.VIP", {Logic::kAnd, Op::kArrayContains, kTags, "VIP"}},
      {"and.array_not_contains.tags.b2b", {Logic::kAnd, Op::kArrayNotContains, kTags, "b2b"}},
      {"and.array_empty.tags", {Logic::kAnd, Op::kArrayEmpty, kTags, {}}},
      {"and.array_not_empty.tags", {Logic::kAnd, Op::kArrayNotEmpty, kTags, {}}},
      {"and.array_contains.attr:langs.fr", {Logic::kAnd, Op::kArrayContains, Attr("langs"), "fr"}},
      {"and.within_radius.location.52.52,13.405,50",
       {Logic::kAnd, Op::kWithinRadius, kLocation, GeoCircle{52.52, 13.405, 50}}},
      {"and.within_radius.location.-33.9, 151.2, 0.5",
       {Logic::kAnd, Op::kWithinRadius, kLocation, GeoCircle{-33.9, 151.2, 0.5}}},
      {"and.is_set.location", {Logic::kAnd, Op::kIsSet, kLocation, {}}},
      {"or.is_not_set.location", {Logic::kOr, Op::kIsNotSet, kLocation, {}}},
      // The value may hold dots: only the first three split.
      {"and.eq.email.john.doe@acme.com",
       {Logic::kAnd, Op::kEq, Text("email"), "john.doe@acme.com"}},
      {"and.eq.attr:version.1.2.3", {Logic::kAnd, Op::kEq, Attr("version"), "1.2.3"}},
      // A value operator without a value compares with the empty string.
      {"and.eq.city", {Logic::kAnd, Op::kEq, Text("city"), ""}},
      {"and.contains.city.", {Logic::kAnd, Op::kContains, Text("city"), ""}},
      {"and.in.city", {Logic::kAnd, Op::kIn, Text("city"), List{""}}},
      {"and.eq.city.Z\xC3\xBCrich", {Logic::kAnd, Op::kEq, Text("city"), "Z\xC3\xBCrich"}},
  };
  for (const ParseCase& c : cases) {
    auto parsed = ParseFilter(c.input);
    ASSERT_TRUE(parsed.ok()) << c.input << ": " << parsed.error().message;
    EXPECT_EQ(*parsed, c.expected) << c.input;
  }
}

TEST(FilterParser, EveryOperatorHasAWireName) {
  for (int i = 0; i <= static_cast<int>(Op::kIsNotSet); ++i) {
    auto op = static_cast<Op>(i);
    EXPECT_EQ(LookupOp(OpName(op)), op);
  }
  EXPECT_EQ(LookupOp("like"), std::nullopt);
}

struct ErrorCase {
  std::string input;
  std::string message;
};

TEST(FilterParser, RejectsWithAMessageNamingTheFilter) {
  const std::string kShape = "expected <logic>.<operator>.<field>[.<value>]";
  const std::vector<ErrorCase> cases = {
      {"", "invalid filter \"\": " + kShape},
      {"and", "invalid filter \"and\": " + kShape},
      {"and.eq", "invalid filter \"and.eq\": " + kShape},
      {"xor.eq.city.Paris",
       "invalid filter \"xor.eq.city.Paris\": unknown logic \"xor\" (expected and or or)"},
      {"AND.eq.city.Paris",
       "invalid filter \"AND.eq.city.Paris\": unknown logic \"AND\" (expected and or or)"},
      {"and.like.city.Paris", "invalid filter \"and.like.city.Paris\": unknown operator \"like\""},
      {"and.EQ.city.Paris", "invalid filter \"and.EQ.city.Paris\": unknown operator \"EQ\""},
      {"and.eq.town.Paris", "invalid filter \"and.eq.town.Paris\": unknown field \"town\""},
      {"and.eq.id.cl_1", "invalid filter \"and.eq.id.cl_1\": unknown field \"id\""},
      {"and.eq.attr:bad-name.x",
       "invalid filter \"and.eq.attr:bad-name.x\": invalid attribute name \"bad-name\" "
       "(expected attr:<name>, name made of [A-Za-z0-9_], at most 64)"},
      {"and.eq.attr:.x",
       "invalid filter \"and.eq.attr:.x\": invalid attribute name \"\" "
       "(expected attr:<name>, name made of [A-Za-z0-9_], at most 64)"},
      {"and.gt.city.3",
       "invalid filter \"and.gt.city.3\": operator gt needs a number or attr: field"},
      {"and.eq.tags.vip",
       "invalid filter \"and.eq.tags.vip\": operator eq needs a text, number or attr: field"},
      {"and.neq.location.x",
       "invalid filter \"and.neq.location.x\": operator neq needs a text, number or attr: "
       "field"},
      {"and.contains.rating.4",
       "invalid filter \"and.contains.rating.4\": operator contains needs a text or attr: "
       "field"},
      {"and.is_empty.tags",
       "invalid filter \"and.is_empty.tags\": operator is_empty needs a text or attr: field"},
      {"and.in.rating.1,2", "invalid filter \"and.in.rating.1,2\": operator in needs a text field"},
      {"and.in.attr:x.a,b", "invalid filter \"and.in.attr:x.a,b\": operator in needs a text field"},
      {"and.lte.location.3",
       "invalid filter \"and.lte.location.3\": operator lte needs a number or attr: field"},
      {"and.array_contains.city.x",
       "invalid filter \"and.array_contains.city.x\": operator array_contains needs the tags "
       "field or an attr: field"},
      {"and.array_empty.rating",
       "invalid filter \"and.array_empty.rating\": operator array_empty needs the tags field "
       "or an attr: field"},
      {"and.within_radius.city.1,2,3",
       "invalid filter \"and.within_radius.city.1,2,3\": operator within_radius needs the "
       "location field"},
      {"and.is_set.attr:x",
       "invalid filter \"and.is_set.attr:x\": operator is_set needs the location field"},
      {"and.gt.rating.abc", "invalid filter \"and.gt.rating.abc\": value \"abc\" is not a number"},
      {"and.eq.rating", "invalid filter \"and.eq.rating\": value \"\" is not a number"},
      {"and.gt.rating.4,5", "invalid filter \"and.gt.rating.4,5\": value \"4,5\" is not a number"},
      {"and.gt.rating.inf", "invalid filter \"and.gt.rating.inf\": value \"inf\" is not a number"},
      {"and.gt.rating.nan", "invalid filter \"and.gt.rating.nan\": value \"nan\" is not a number"},
      {"and.gt.rating.1e999",
       "invalid filter \"and.gt.rating.1e999\": value \"1e999\" is not a number"},
      {"and.gt.rating.0x10",
       "invalid filter \"and.gt.rating.0x10\": value \"0x10\" is not a number"},
      {"and.gt.attr:employees.many",
       "invalid filter \"and.gt.attr:employees.many\": value \"many\" is not a number"},
      {"and.within_radius.location.52.52,13.405",
       "invalid filter \"and.within_radius.location.52.52,13.405\": within_radius needs "
       "\"<lat>,<lng>,<km>\", got \"52.52,13.405\""},
      {"and.within_radius.location",
       "invalid filter \"and.within_radius.location\": within_radius needs "
       "\"<lat>,<lng>,<km>\", got \"\""},
      {"and.within_radius.location.a,b,c",
       "invalid filter \"and.within_radius.location.a,b,c\": within_radius needs "
       "\"<lat>,<lng>,<km>\", got \"a,b,c\""},
      {"and.within_radius.location.91,0,5",
       "invalid filter \"and.within_radius.location.91,0,5\": latitude must be between -90 "
       "and 90"},
      {"and.within_radius.location.0,-180.5,5",
       "invalid filter \"and.within_radius.location.0,-180.5,5\": longitude must be between "
       "-180 and 180"},
      {"and.within_radius.location.0,0,0",
       "invalid filter \"and.within_radius.location.0,0,0\": radius must be a positive number "
       "of km"},
      {"and.within_radius.location.0,0,-2",
       "invalid filter \"and.within_radius.location.0,0,-2\": radius must be a positive number "
       "of km"},
      {"and.eq.city.\xFF", "invalid filter \"and.eq.city.?\": value is not valid UTF-8"},
  };
  for (const ErrorCase& c : cases) {
    auto parsed = ParseFilter(c.input);
    ASSERT_FALSE(parsed.ok()) << c.input;
    EXPECT_EQ(parsed.error().code, core::ErrorCode::kBadRequest) << c.input;
    EXPECT_EQ(parsed.error().message, c.message) << c.input;
  }
}

TEST(FilterParser, ValueLengthIsBounded) {
  std::string ok_value(kMaxFilterValueBytes, 'x');
  EXPECT_TRUE(ParseFilter("and.eq.city." + ok_value).ok());
  auto too_long = ParseFilter("and.eq.city." + ok_value + "x");
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.error().message.find("value longer than 1024 bytes"), std::string::npos);
  // The echoed filter is cut short so the message stays small.
  EXPECT_LT(too_long.error().message.size(), 250u);
}

TEST(FilterParser, MessagesAreAlwaysPrintableUtf8) {
  auto parsed = ParseFilter("and.eq.ci\xC3ty\n.x");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message, "invalid filter \"and.eq.ci?ty?.x\": unknown field \"ci?ty?\"");
  EXPECT_EQ(QuoteForMessage("z\xC3\xBCrich"), "\"z\xC3\xBCrich\"");
}

TEST(FilterParser, FilterCountIsBounded) {
  std::vector<std::string> texts(kMaxFilters, "and.eq.city.Paris");
  auto ok = ParseFilters(texts);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), kMaxFilters);
  texts.push_back("and.eq.city.Paris");
  auto too_many = ParseFilters(texts);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().message, "too many filters: 51 (at most 50)");
}

TEST(FilterParser, ParseFiltersReportsTheFirstBadOne) {
  std::vector<std::string> texts = {"and.eq.city.Paris", "and.gt.city.3", "and.foo.city.x"};
  auto parsed = ParseFilters(texts);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message,
            "invalid filter \"and.gt.city.3\": operator gt needs a number or attr: field");
}

TEST(FilterParser, LenientNumbers) {
  EXPECT_EQ(ParseNumber("4"), 4.0);
  EXPECT_EQ(ParseNumber("4.0"), 4.0);
  EXPECT_EQ(ParseNumber("-3"), -3.0);
  EXPECT_EQ(ParseNumber("1e+21"), 1e21);
  EXPECT_EQ(ParseNumber("1e-07"), 1e-7);
  EXPECT_EQ(ParseNumber(" 7 "), 7.0);
  EXPECT_EQ(ParseNumber(".5"), 0.5);
  EXPECT_EQ(ParseNumber(""), std::nullopt);
  EXPECT_EQ(ParseNumber("+"), std::nullopt);
  EXPECT_EQ(ParseNumber("+-3"), std::nullopt);
  EXPECT_EQ(ParseNumber("4abc"), std::nullopt);
  EXPECT_EQ(ParseNumber("infinity"), std::nullopt);
}

TEST(FilterParser, CombinesAndWithAtLeastOneOr) {
  auto parse = [](std::vector<std::string> texts) { return ParseFilters(texts).value(); };
  // Each filter "holds" when its value is "yes".
  auto holds = [](const Filter& f) { return std::get<std::string>(f.value) == "yes"; };
  EXPECT_TRUE(CombineFilters({}, holds));
  EXPECT_TRUE(CombineFilters(parse({"and.eq.city.yes", "and.eq.name.yes"}), holds));
  EXPECT_FALSE(CombineFilters(parse({"and.eq.city.yes", "and.eq.name.no"}), holds));
  EXPECT_TRUE(CombineFilters(parse({"or.eq.city.no", "or.eq.name.yes"}), holds));
  EXPECT_FALSE(CombineFilters(parse({"or.eq.city.no", "or.eq.name.no"}), holds));
  EXPECT_TRUE(
      CombineFilters(parse({"and.eq.city.yes", "or.eq.name.no", "or.eq.email.yes"}), holds));
  EXPECT_FALSE(CombineFilters(parse({"and.eq.city.no", "or.eq.name.yes"}), holds));
  EXPECT_FALSE(CombineFilters(parse({"and.eq.city.yes", "or.eq.name.no"}), holds));
}

TEST(Fields, Catalogue) {
  EXPECT_EQ(TextFields().size(), 15u);
  EXPECT_EQ(NumberFields().size(), 8u);
  for (std::string_view name : TextFields()) {
    EXPECT_EQ(LookupField(name), (FieldRef{FieldKind::kText, std::string(name)}));
  }
  for (std::string_view name : NumberFields()) {
    EXPECT_EQ(LookupField(name), (FieldRef{FieldKind::kNumber, std::string(name)}));
  }
  EXPECT_EQ(LookupField("tags"), kTags);
  EXPECT_EQ(LookupField("location"), kLocation);
  EXPECT_EQ(LookupField("attr:Industry_2"), Attr("Industry_2"));
  EXPECT_EQ(LookupField("attr:" + std::string(64, 'a')), Attr(std::string(64, 'a')));
  EXPECT_EQ(LookupField("attr:" + std::string(65, 'a')), std::nullopt);
  EXPECT_EQ(LookupField("attr:a b"), std::nullopt);
  EXPECT_EQ(LookupField("City"), std::nullopt);
  EXPECT_EQ(FieldName(Attr("x")), "attr:x");
  EXPECT_EQ(FieldName(Text("city")), "city");
  EXPECT_TRUE(IsNeverNull(Number("created_at")));
  EXPECT_TRUE(IsNeverNull(Text("name")));
  EXPECT_FALSE(IsNeverNull(Text("city")));
  EXPECT_FALSE(IsNeverNull(Attr("name")));
}

TEST(Fold, UnicodeCaseFolding) {
  EXPECT_EQ(FoldText("Z\xC3\x9CRICH"), FoldText("z\xC3\xBCrich"));   // ZÜRICH / zürich
  EXPECT_EQ(FoldText("zu\xCC\x88rich"), FoldText("z\xC3\xBCrich"));  // decomposed ü
  EXPECT_EQ(FoldText("ACME"), "acme");
  EXPECT_EQ(FoldText("\xFF"
                     "ABC"),
            "\xFF"
            "abc");
}

}  // namespace
}  // namespace klozeo::query
