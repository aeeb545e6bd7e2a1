#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace klozeo::expr {

/// Token kinds. Spelled alternatives share a kind: `!`/`not`, `&&`/`and`, `||`/`or`,
/// `nil`/`null`.
enum class TokenKind : uint8_t {
  kEnd,
  kNumber,
  kString,
  kIdentifier,
  kTrue,
  kFalse,
  kNil,
  kNot,
  kAnd,
  kOr,
  kIn,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPercent,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kQuestion,
  kColon,
  kLParen,
  kRParen,
  kComma,
};

/// One token of an expression.
struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string_view text;     ///< the token as written (a view into the source)
  size_t offset = 0;         ///< byte offset of its first character in the source
  double number = 0;         ///< kNumber: the value
  std::string string_value;  ///< kString: the contents with escapes resolved
};

/// Splits an expression into tokens, one at a time.
class Lexer {
 public:
  /// `source` must outlive the lexer and its tokens.
  explicit Lexer(std::string_view source) : source_(source) {}

  /// The next token, or kEnd (again and again) once the source is used up. BadRequest, with
  /// the column, on an unexpected character, a malformed or out-of-range number, an
  /// unterminated string or an unknown escape.
  core::Result<Token> Next();

 private:
  core::Result<Token> LexNumber();
  core::Result<Token> LexString();
  Token Make(TokenKind kind, size_t start) const;

  std::string_view source_;
  size_t pos_ = 0;
};

/// The 1-based column of byte `offset` in `source`, counted in UTF-8 characters.
size_t ColumnAt(std::string_view source, size_t offset);

/// How a token is named in error messages: `'+'`, `'rating'`, `a string`,
/// `end of expression`. Always ASCII.
std::string Describe(const Token& token);

}  // namespace klozeo::expr
