#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "expr/fields.h"
#include "expr/program.h"

namespace klozeo::expr {
namespace {

// The compile error message for `source`, or "compiled" when it compiles.
std::string CompileError(std::string_view source) {
  core::Result<Program> program = Program::Compile(source);
  if (program.ok()) return "compiled";
  EXPECT_EQ(program.error().code, core::ErrorCode::kBadRequest) << source;
  return program.error().message;
}

std::string Repeat(std::string_view piece, size_t times) {
  std::string out;
  for (size_t i = 0; i < times; ++i) out += piece;
  return out;
}

TEST(ExprParser, ReportsMissingColonWithColumn) {
  EXPECT_EQ(CompileError("review_count > 100 ? 30"), "expected ':' after '?' at column 24");
  EXPECT_EQ(CompileError("rating > 4 ? 10 20"), "expected ':' after '?' at column 17");
}

TEST(ExprParser, ReportsSyntaxErrorsWithColumn) {
  struct Case {
    std::string_view source;
    std::string_view message;
  };
  const Case cases[] = {
      {"", "expression is empty"},
      {"   ", "expression is empty"},
      {"1+foo", "unknown field 'foo' at column 3"},
      {"foo", "unknown field 'foo' at column 1"},
      {"Rating * 2", "unknown field 'Rating' at column 1"},
      {"attr_", "missing attribute name after 'attr_' at column 1"},
      {"foo(1)", "unknown function 'foo' at column 1"},
      {"rating(1)", "unknown function 'rating' at column 1"},
      {"len", "expected '(' after function 'len' at column 4"},
      {"len + 1", "expected '(' after function 'len' at column 5"},
      {"len(1, 2)", "len() takes 1 argument, not 2 at column 1"},
      {"1 + contains(tags)", "contains() takes 2 arguments, not 1 at column 5"},
      {"starts_with()", "starts_with() takes 2 arguments, not 0 at column 1"},
      {"len(1 2)", "expected ',' or ')' in the call to 'len' but found '2' at column 7"},
      {"len(1,)", "expected a value but found ')' at column 7"},
      {"(1 + 2",
       "expected ')' to close the '(' at column 1 but found end of expression at column 7"},
      {"((1) + 2",
       "expected ')' to close the '(' at column 1 but found end of expression at column 9"},
      {"1 +", "expected a value but found end of expression at column 4"},
      {"* 2", "expected a value but found '*' at column 1"},
      {")", "expected a value but found ')' at column 1"},
      {"1 2", "expected an operator but found '2' at column 3"},
      {"rating 'x'", "expected an operator but found a string at column 8"},
      {"(1))", "expected an operator but found ')' at column 4"},
      {"a ? 1 : 2", "unknown field 'a' at column 1"},
      {"true ? 1 :", "expected a value but found end of expression at column 11"},
      {"rating > 1 ? : 2", "expected a value but found ':' at column 14"},
      {"1 == = 2", "unexpected '=' (use '==' to compare) at column 6"},
      {"\"open", "unterminated string starting at column 1"},
      {"not", "expected a value but found end of expression at column 4"},
      {"in tags", "expected a value but found 'in' at column 1"},
  };
  for (const Case& c : cases) EXPECT_EQ(CompileError(c.source), c.message) << c.source;
}

TEST(ExprParser, AcceptsEveryLeadFieldAndAttributes) {
  for (const LeadField& field : LeadFields()) {
    EXPECT_EQ(CompileError(field.name), "compiled") << field.name;
  }
  EXPECT_EQ(CompileError("attr_employees"), "compiled");
  EXPECT_EQ(CompileError("attr_x1_y2"), "compiled");
  EXPECT_EQ(CompileError("attr_Name"), "compiled");
  EXPECT_EQ(LeadFields().size(), 24u);
  ASSERT_NE(FindLeadField("tags"), nullptr);
  EXPECT_EQ(FindLeadField("tags")->type, FieldType::kTextList);
  EXPECT_EQ(FindLeadField("rating")->type, FieldType::kNumber);
  EXPECT_EQ(FindLeadField("city")->type, FieldType::kText);
  EXPECT_EQ(FindLeadField("attr_x"), nullptr);
  EXPECT_EQ(AttributeName("attr_employees"), "employees");
  EXPECT_EQ(AttributeName("rating"), "");
}

TEST(ExprParser, ListsDistinctFieldsInSlotOrder) {
  core::Result<Program> program = Program::Compile(
      "rating * 20 + (attr_employees > 500 ? rating : 0) + len(tags) + attr_employees");
  ASSERT_TRUE(program.ok()) << program.error().message;
  EXPECT_EQ(program->fields(), (std::vector<std::string>{"rating", "attr_employees", "tags"}));
  EXPECT_EQ(program->source(),
            "rating * 20 + (attr_employees > 500 ? rating : 0) + len(tags) + attr_employees");

  core::Result<Program> constant = Program::Compile("1 + 2");
  ASSERT_TRUE(constant.ok());
  EXPECT_TRUE(constant->fields().empty());
}

TEST(ExprParser, AcceptsSpellingsAndWhitespace) {
  const std::string_view sources[] = {
      "rating>4&&review_count>=10?1:0",
      "rating > 4 and review_count >= 10 ? 1 : 0",
      "not (rating > 4) or !(email == null)",
      "\n\trating\n*\n2\n",
      "(((rating)))",
      "- -rating",
      "\"vip\" in tags",
      "contains(lower(name), 'bakery') ? 5 : 0",
      "starts_with(website, \"https://\") && days_since(created_at) <= 30",
  };
  for (std::string_view source : sources) EXPECT_EQ(CompileError(source), "compiled") << source;
}

TEST(ExprLimits, RejectsSourceLongerThan4096Bytes) {
  std::string longest = "1" + std::string(kMaxSourceBytes - 1, ' ');
  EXPECT_EQ(CompileError(longest), "compiled");
  EXPECT_EQ(CompileError(longest + " "), "expression is too long: 4097 bytes (the limit is 4096)");
}

TEST(ExprLimits, AcceptsNestingUpTo64) {
  EXPECT_EQ(CompileError(Repeat("(", 64) + "1" + Repeat(")", 64)), "compiled");
  EXPECT_EQ(CompileError(Repeat("-", 64) + "1"), "compiled");
  EXPECT_EQ(CompileError(Repeat("len(", 64) + "1" + Repeat(")", 64)), "compiled");
}

TEST(ExprLimits, RejectsNestingDeeperThan64) {
  EXPECT_EQ(CompileError(Repeat("(", 65) + "1" + Repeat(")", 65)),
            "expression is nested too deeply (more than 64 levels) at column 66");
  EXPECT_EQ(CompileError(Repeat("!", 65) + "1"),
            "expression is nested too deeply (more than 64 levels) at column 66");
  EXPECT_EQ(CompileError(Repeat("len(", 65) + "1" + Repeat(")", 65)),
            "expression is nested too deeply (more than 64 levels) at column 261");
  // Right-associative chains nest: a ? b : c ? d : ...
  EXPECT_EQ(CompileError(Repeat("rating ? 1 : ", 70) + "0"),
            "expression is nested too deeply (more than 64 levels) at column 842");
}

TEST(ExprLimits, HostileNestingFailsWithoutCrashing) {
  const std::string_view pieces[] = {"(", "-", "!", "not ", "len(", "1 ? ", "1 + (", "x"};
  for (std::string_view piece : pieces) {
    std::string hostile = Repeat(piece, 100000);
    EXPECT_NE(CompileError(hostile), "compiled") << piece;
  }
  // Within the length limit, the nesting limit is what stops it.
  EXPECT_EQ(CompileError(std::string(4096, '(')),
            "expression is nested too deeply (more than 64 levels) at column 66");
}

TEST(ExprLimits, LongLeftAssociativeChainsAreNotNesting) {
  // 2048 terms: flat chains do not count against the nesting limit.
  std::string chain = "1" + Repeat("+1", 2047);
  ASSERT_LE(chain.size(), kMaxSourceBytes);
  core::Result<Program> program = Program::Compile(chain);
  ASSERT_TRUE(program.ok()) << program.error().message;
  core::Result<double> value = program->Evaluate({}, 0);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 2048);
}

}  // namespace
}  // namespace klozeo::expr
