#include "expr/lexer.h"

#include <charconv>
#include <cmath>

#include "expr/text.h"

namespace klozeo::expr {
namespace {

using core::Error;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
bool IsPrintableAscii(char c) { return c > ' ' && c < 0x7F; }

Error ErrorAt(std::string_view source, size_t offset, std::string message) {
  return Error::BadRequest(std::move(message) + " at column " +
                           std::to_string(ColumnAt(source, offset)));
}

TokenKind KeywordKind(std::string_view word) {
  if (word == "true") return TokenKind::kTrue;
  if (word == "false") return TokenKind::kFalse;
  if (word == "nil" || word == "null") return TokenKind::kNil;
  if (word == "not") return TokenKind::kNot;
  if (word == "and") return TokenKind::kAnd;
  if (word == "or") return TokenKind::kOr;
  if (word == "in") return TokenKind::kIn;
  return TokenKind::kIdentifier;
}

}  // namespace

size_t ColumnAt(std::string_view source, size_t offset) {
  return CharacterCount(source.substr(0, offset)) + 1;
}

std::string Describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::kEnd:
      return "end of expression";
    case TokenKind::kString:
      return "a string";
    default:
      return "'" + std::string(token.text) + "'";
  }
}

Token Lexer::Make(TokenKind kind, size_t start) const {
  Token token;
  token.kind = kind;
  token.text = source_.substr(start, pos_ - start);
  token.offset = start;
  return token;
}

core::Result<Token> Lexer::Next() {
  while (pos_ < source_.size() && (source_[pos_] == ' ' || source_[pos_] == '\t' ||
                                   source_[pos_] == '\n' || source_[pos_] == '\r')) {
    ++pos_;
  }
  const size_t start = pos_;
  if (pos_ >= source_.size()) return Make(TokenKind::kEnd, start);

  const char c = source_[pos_];
  const char next = pos_ + 1 < source_.size() ? source_[pos_ + 1] : '\0';
  if (IsDigit(c) || (c == '.' && IsDigit(next))) return LexNumber();
  if (c == '"' || c == '\'') return LexString();
  if (IsIdentStart(c)) {
    while (pos_ < source_.size() && IsIdentChar(source_[pos_])) ++pos_;
    return Make(KeywordKind(source_.substr(start, pos_ - start)), start);
  }

  auto two = [&](TokenKind kind) {
    pos_ += 2;
    return Make(kind, start);
  };
  auto one = [&](TokenKind kind) {
    pos_ += 1;
    return Make(kind, start);
  };
  switch (c) {
    case '=':
      if (next == '=') return two(TokenKind::kEq);
      return ErrorAt(source_, start, "unexpected '=' (use '==' to compare)");
    case '!':
      return next == '=' ? two(TokenKind::kNe) : one(TokenKind::kNot);
    case '<':
      return next == '=' ? two(TokenKind::kLe) : one(TokenKind::kLt);
    case '>':
      return next == '=' ? two(TokenKind::kGe) : one(TokenKind::kGt);
    case '&':
      if (next == '&') return two(TokenKind::kAnd);
      return ErrorAt(source_, start, "unexpected '&' (use '&&' or 'and')");
    case '|':
      if (next == '|') return two(TokenKind::kOr);
      return ErrorAt(source_, start, "unexpected '|' (use '||' or 'or')");
    case '+':
      return one(TokenKind::kPlus);
    case '-':
      return one(TokenKind::kMinus);
    case '*':
      return one(TokenKind::kStar);
    case '/':
      return one(TokenKind::kSlash);
    case '%':
      return one(TokenKind::kPercent);
    case '?':
      return one(TokenKind::kQuestion);
    case ':':
      return one(TokenKind::kColon);
    case '(':
      return one(TokenKind::kLParen);
    case ')':
      return one(TokenKind::kRParen);
    case ',':
      return one(TokenKind::kComma);
    default:
      break;
  }
  // Only printable ASCII is quoted, so messages stay valid UTF-8 whatever the input.
  if (IsPrintableAscii(c)) {
    return ErrorAt(source_, start, std::string("unexpected character '") + c + "'");
  }
  return ErrorAt(source_, start, "unexpected character");
}

core::Result<Token> Lexer::LexNumber() {
  const size_t start = pos_;
  auto digits = [&] {
    while (pos_ < source_.size() && IsDigit(source_[pos_])) ++pos_;
  };
  digits();
  if (pos_ + 1 < source_.size() && source_[pos_] == '.' && IsDigit(source_[pos_ + 1])) {
    ++pos_;
    digits();
  }
  if (pos_ < source_.size() && (source_[pos_] == 'e' || source_[pos_] == 'E')) {
    size_t p = pos_ + 1;
    if (p < source_.size() && (source_[p] == '+' || source_[p] == '-')) ++p;
    if (p < source_.size() && IsDigit(source_[p])) {
      pos_ = p;
      digits();
    }
  }
  if (pos_ < source_.size() && (IsIdentChar(source_[pos_]) || source_[pos_] == '.')) {
    return ErrorAt(source_, start, "malformed number");
  }
  Token token = Make(TokenKind::kNumber, start);
  auto [end, ec] =
      std::from_chars(token.text.data(), token.text.data() + token.text.size(), token.number);
  if (ec != std::errc() || end != token.text.data() + token.text.size() ||
      !std::isfinite(token.number)) {
    return ErrorAt(source_, start, "number out of range");
  }
  return token;
}

core::Result<Token> Lexer::LexString() {
  const size_t start = pos_;
  const char quote = source_[pos_++];
  std::string value;
  while (pos_ < source_.size() && source_[pos_] != quote) {
    char c = source_[pos_];
    if (c != '\\') {
      value += c;
      ++pos_;
      continue;
    }
    if (pos_ + 1 >= source_.size()) return ErrorAt(source_, start, "unterminated string starting");
    const char escaped = source_[pos_ + 1];
    switch (escaped) {
      case '\\':
      case '"':
      case '\'':
        value += escaped;
        break;
      case 'n':
        value += '\n';
        break;
      case 't':
        value += '\t';
        break;
      case 'r':
        value += '\r';
        break;
      default:
        if (IsPrintableAscii(escaped)) {
          return ErrorAt(source_, pos_, std::string("unknown escape '\\") + escaped + "'");
        }
        return ErrorAt(source_, pos_, "unknown escape");
    }
    pos_ += 2;
  }
  if (pos_ >= source_.size()) return ErrorAt(source_, start, "unterminated string starting");
  ++pos_;  // the closing quote
  Token token = Make(TokenKind::kString, start);
  token.string_value = std::move(value);
  return token;
}

}  // namespace klozeo::expr
