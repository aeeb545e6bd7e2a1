#include "expr/lexer.h"

#include <gtest/gtest.h>

#include <vector>

namespace klozeo::expr {
namespace {

using K = TokenKind;

// All tokens of `source` up to and including kEnd; fails the test on a lexer error.
std::vector<Token> Lex(std::string_view source) {
  Lexer lexer(source);
  std::vector<Token> tokens;
  while (true) {
    core::Result<Token> token = lexer.Next();
    if (!token.ok()) {
      ADD_FAILURE() << source << ": " << token.error().message;
      return tokens;
    }
    tokens.push_back(*token);
    if (tokens.back().kind == K::kEnd) return tokens;
  }
}

std::vector<K> Kinds(std::string_view source) {
  std::vector<K> kinds;
  for (const Token& token : Lex(source)) kinds.push_back(token.kind);
  return kinds;
}

// The error message of the first failing token.
std::string LexError(std::string_view source) {
  Lexer lexer(source);
  while (true) {
    core::Result<Token> token = lexer.Next();
    if (!token.ok()) {
      EXPECT_EQ(token.error().code, core::ErrorCode::kBadRequest);
      return token.error().message;
    }
    if (token->kind == K::kEnd) return "no error";
  }
}

TEST(ExprLexer, SplitsOperatorsAndKeywords) {
  struct Case {
    std::string_view source;
    std::vector<K> kinds;
  };
  const Case cases[] = {
      {"", {K::kEnd}},
      {"  \t\n ", {K::kEnd}},
      {"+ - * / %", {K::kPlus, K::kMinus, K::kStar, K::kSlash, K::kPercent, K::kEnd}},
      {"== != < <= > >=", {K::kEq, K::kNe, K::kLt, K::kLe, K::kGt, K::kGe, K::kEnd}},
      {"<=>=", {K::kLe, K::kGe, K::kEnd}},
      {"! not", {K::kNot, K::kNot, K::kEnd}},
      {"&& and || or", {K::kAnd, K::kAnd, K::kOr, K::kOr, K::kEnd}},
      {"?:(),", {K::kQuestion, K::kColon, K::kLParen, K::kRParen, K::kComma, K::kEnd}},
      {"true false nil null in", {K::kTrue, K::kFalse, K::kNil, K::kNil, K::kIn, K::kEnd}},
      {"rating attr_x _y nothing True",
       {K::kIdentifier, K::kIdentifier, K::kIdentifier, K::kIdentifier, K::kIdentifier, K::kEnd}},
      {"!x!=y", {K::kNot, K::kIdentifier, K::kNe, K::kIdentifier, K::kEnd}},
      {"a?1:'b'", {K::kIdentifier, K::kQuestion, K::kNumber, K::kColon, K::kString, K::kEnd}},
  };
  for (const Case& c : cases) EXPECT_EQ(Kinds(c.source), c.kinds) << c.source;
}

TEST(ExprLexer, KeepsTextAndOffsets) {
  std::vector<Token> tokens = Lex("  review_count >= 10");
  ASSERT_EQ(tokens.size(), 4u);
  EXPECT_EQ(tokens[0].text, "review_count");
  EXPECT_EQ(tokens[0].offset, 2u);
  EXPECT_EQ(tokens[1].text, ">=");
  EXPECT_EQ(tokens[1].offset, 15u);
  EXPECT_EQ(tokens[2].text, "10");
  EXPECT_EQ(tokens[3].offset, 20u);
}

TEST(ExprLexer, ReadsNumbers) {
  struct Case {
    std::string_view source;
    double value;
  };
  const Case cases[] = {{"0", 0},      {"12", 12},    {"1.5", 1.5},
                        {".5", 0.5},   {"1e3", 1000}, {"2.5E-1", 0.25},
                        {"7e+2", 700}, {"007", 7},    {"4096.125", 4096.125}};
  for (const Case& c : cases) {
    std::vector<Token> tokens = Lex(c.source);
    ASSERT_EQ(tokens.size(), 2u) << c.source;
    EXPECT_EQ(tokens[0].kind, K::kNumber) << c.source;
    EXPECT_DOUBLE_EQ(tokens[0].number, c.value) << c.source;
  }
}

TEST(ExprLexer, ReadsStringsWithEscapes) {
  struct Case {
    std::string_view source;
    std::string_view value;
  };
  const Case cases[] = {
      {R"("")", ""},
      {R"("Paris")", "Paris"},
      {R"('Paris')", "Paris"},
      {R"("say \"hi\"")", "say \"hi\""},
      {R"('it\'s')", "it's"},
      {R"('say "hi"')", "say \"hi\""},
      {R"("it's")", "it's"},
      {R"("a\\b")", "a\\b"},
      {R"("a\nb\tc\rd")", "a\nb\tc\rd"},
      {"\"Z\xC3\xBCrich\"", "Z\xC3\xBCrich"},
  };
  for (const Case& c : cases) {
    std::vector<Token> tokens = Lex(c.source);
    ASSERT_EQ(tokens.size(), 2u) << c.source;
    EXPECT_EQ(tokens[0].kind, K::kString) << c.source;
    EXPECT_EQ(tokens[0].string_value, c.value) << c.source;
    EXPECT_EQ(tokens[0].text, c.source);
  }
}

TEST(ExprLexer, ReportsErrorsWithColumn) {
  struct Case {
    std::string_view source;
    std::string_view message;
  };
  const Case cases[] = {
      {"1 = 2", "unexpected '=' (use '==' to compare) at column 3"},
      {"a & b", "unexpected '&' (use '&&' or 'and') at column 3"},
      {"a | b", "unexpected '|' (use '||' or 'or') at column 3"},
      {"rating # 2", "unexpected character '#' at column 8"},
      {"1 ; 2", "unexpected character ';' at column 3"},
      {"[1]", "unexpected character '[' at column 1"},
      {"'abc", "unterminated string starting at column 1"},
      {"1 + \"abc\\\"", "unterminated string starting at column 5"},
      {"\"abc\\", "unterminated string starting at column 1"},
      {R"("a\qb")", "unknown escape '\\q' at column 3"},
      {"12abc", "malformed number at column 1"},
      {"1.2.3", "malformed number at column 1"},
      {"1e999", "number out of range at column 1"},
      // Columns count characters, not bytes: "é" is one column.
      {"\"\xC3\xA9\" #", "unexpected character '#' at column 5"},
      // Bytes that are not printable ASCII are not quoted, so messages stay valid UTF-8.
      {"1 \xC3\xA9", "unexpected character at column 3"},
      {"1 \xFF", "unexpected character at column 3"},
  };
  for (const Case& c : cases) EXPECT_EQ(LexError(c.source), c.message) << c.source;
}

TEST(ExprLexer, EndRepeats) {
  Lexer lexer("1");
  ASSERT_EQ(lexer.Next()->kind, K::kNumber);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(lexer.Next()->kind, K::kEnd);
}

TEST(ExprLexer, DescribesTokensForMessages) {
  std::vector<Token> tokens = Lex("rating >= 'x'");
  EXPECT_EQ(Describe(tokens[0]), "'rating'");
  EXPECT_EQ(Describe(tokens[1]), "'>='");
  EXPECT_EQ(Describe(tokens[2]), "a string");
  EXPECT_EQ(Describe(tokens[3]), "end of expression");
}

TEST(ExprLexer, ColumnsCountCharacters) {
  EXPECT_EQ(ColumnAt("abc", 0), 1u);
  EXPECT_EQ(ColumnAt("abc", 3), 4u);
  EXPECT_EQ(ColumnAt("\xC3\xA9x", 2), 2u);
}

}  // namespace
}  // namespace klozeo::expr
