// Program::Compile: a Pratt parser that emits stack-machine code as it parses. There is no
// syntax tree; the only recursion is for nested sub-expressions, and kMaxDepth bounds it.

#include "expr/program.h"

#include <array>
#include <string>

#include "expr/fields.h"
#include "expr/lexer.h"

namespace klozeo::expr {
namespace {

using core::Error;
using core::Status;

struct Function {
  std::string_view name;
  Op op;
  int arity;
};

constexpr std::array kFunctions = {
    Function{"len", Op::kLen, 1},
    Function{"lower", Op::kLower, 1},
    Function{"contains", Op::kContains, 2},
    Function{"starts_with", Op::kStartsWith, 2},
    Function{"days_since", Op::kDaysSince, 1},
};

const Function* FindFunction(std::string_view name) {
  for (const Function& function : kFunctions) {
    if (function.name == name) return &function;
  }
  return nullptr;
}

// Binding power of infix operators, weakest first. 0: not an infix operator.
enum Precedence : int {
  kNotInfix = 0,
  kTernary,
  kOr,
  kAnd,
  kEquality,
  kComparison,
  kAdditive,
  kMultiplicative,
  kUnary,
};

int InfixPrecedence(TokenKind kind) {
  switch (kind) {
    case TokenKind::kQuestion:
      return kTernary;
    case TokenKind::kOr:
      return kOr;
    case TokenKind::kAnd:
      return kAnd;
    case TokenKind::kEq:
    case TokenKind::kNe:
      return kEquality;
    case TokenKind::kLt:
    case TokenKind::kLe:
    case TokenKind::kGt:
    case TokenKind::kGe:
    case TokenKind::kIn:
      return kComparison;
    case TokenKind::kPlus:
    case TokenKind::kMinus:
      return kAdditive;
    case TokenKind::kStar:
    case TokenKind::kSlash:
    case TokenKind::kPercent:
      return kMultiplicative;
    default:
      return kNotInfix;
  }
}

// The instruction for a binary operator token (not ?, && or ||, which need jumps).
Op BinaryOp(TokenKind kind) {
  switch (kind) {
    case TokenKind::kPlus:
      return Op::kAdd;
    case TokenKind::kMinus:
      return Op::kSub;
    case TokenKind::kStar:
      return Op::kMul;
    case TokenKind::kSlash:
      return Op::kDiv;
    case TokenKind::kPercent:
      return Op::kMod;
    case TokenKind::kEq:
      return Op::kEq;
    case TokenKind::kNe:
      return Op::kNe;
    case TokenKind::kLt:
      return Op::kLt;
    case TokenKind::kLe:
      return Op::kLe;
    case TokenKind::kGt:
      return Op::kGt;
    case TokenKind::kGe:
      return Op::kGe;
    default:
      return Op::kIn;
  }
}

// How many values an instruction leaves on the stack minus how many it takes. For the
// conditional jumps, the effect on the path that does not jump.
int StackEffect(Op op) {
  switch (op) {
    case Op::kPushNumber:
    case Op::kPushText:
    case Op::kPushTrue:
    case Op::kPushFalse:
    case Op::kPushNil:
    case Op::kLoad:
      return 1;
    case Op::kNeg:
    case Op::kNot:
    case Op::kToBool:
    case Op::kJump:
    case Op::kLen:
    case Op::kLower:
    case Op::kDaysSince:
      return 0;
    default:
      return -1;
  }
}

}  // namespace

// Friend of Program: fills its private members while parsing.
class Compiler {
 public:
  explicit Compiler(std::string_view source) : source_(source), lexer_(source) {}

  core::Result<Program> Run() {
    KLOZEO_TRY(Advance());
    if (current_.kind == TokenKind::kEnd) return Error::BadRequest("expression is empty");
    KLOZEO_TRY(ParseExpression(kTernary));
    if (current_.kind != TokenKind::kEnd) {
      return ErrorAt(current_.offset, "expected an operator but found " + Describe(current_));
    }
    if (max_height_ > static_cast<int>(kMaxStackHeight)) {
      return Error::BadRequest("expression is too complex");
    }
    program_.source_ = std::string(source_);
    return std::move(program_);
  }

 private:
  Status Advance() {
    KLOZEO_ASSIGN_OR_RETURN(current_, lexer_.Next());
    return core::Ok();
  }

  Error ErrorAt(size_t offset, std::string message) const {
    return Error::BadRequest(std::move(message) + " at column " +
                             std::to_string(ColumnAt(source_, offset)));
  }

  // Parses operators binding at least as tightly as `min_precedence`, left to right.
  Status ParseExpression(int min_precedence) {
    KLOZEO_TRY(ParsePrefix());
    while (true) {
      const int precedence = InfixPrecedence(current_.kind);
      if (precedence == kNotInfix || precedence < min_precedence) return core::Ok();
      Token op = std::move(current_);
      KLOZEO_TRY(Advance());
      switch (op.kind) {
        case TokenKind::kQuestion:
          KLOZEO_TRY(ParseTernary(op));
          break;
        case TokenKind::kAnd:
        case TokenKind::kOr:
          KLOZEO_TRY(ParseShortCircuit(op));
          break;
        default:
          KLOZEO_TRY(ParseNested(precedence + 1));
          Emit(BinaryOp(op.kind), op.offset);
          break;
      }
    }
  }

  // A sub-expression one level deeper: the depth limit lives here.
  Status ParseNested(int min_precedence) {
    if (depth_ >= kMaxDepth) {
      return ErrorAt(current_.offset, "expression is nested too deeply (more than " +
                                          std::to_string(kMaxDepth) + " levels)");
    }
    ++depth_;
    Status status = ParseExpression(min_precedence);
    --depth_;
    return status;
  }

  Status ParsePrefix() {
    Token token = std::move(current_);
    switch (token.kind) {
      case TokenKind::kNumber:
        Emit(Op::kPushNumber, token.offset, 0, token.number);
        return Advance();
      case TokenKind::kString:
        program_.strings_.push_back(std::move(token.string_value));
        Emit(Op::kPushText, token.offset, static_cast<uint32_t>(program_.strings_.size() - 1));
        return Advance();
      case TokenKind::kTrue:
        Emit(Op::kPushTrue, token.offset);
        return Advance();
      case TokenKind::kFalse:
        Emit(Op::kPushFalse, token.offset);
        return Advance();
      case TokenKind::kNil:
        Emit(Op::kPushNil, token.offset);
        return Advance();
      case TokenKind::kIdentifier:
        KLOZEO_TRY(Advance());
        return ParseIdentifier(token);
      case TokenKind::kLParen:
        KLOZEO_TRY(Advance());
        KLOZEO_TRY(ParseNested(kTernary));
        if (current_.kind != TokenKind::kRParen) {
          return ErrorAt(current_.offset, "expected ')' to close the '(' at column " +
                                              std::to_string(ColumnAt(source_, token.offset)) +
                                              " but found " + Describe(current_));
        }
        return Advance();
      case TokenKind::kMinus:
      case TokenKind::kNot:
        KLOZEO_TRY(Advance());
        KLOZEO_TRY(ParseNested(kUnary));
        Emit(token.kind == TokenKind::kMinus ? Op::kNeg : Op::kNot, token.offset);
        return core::Ok();
      default:
        return ErrorAt(token.offset, "expected a value but found " + Describe(token));
    }
  }

  // `name` has been consumed; current_ is the token after it.
  Status ParseIdentifier(const Token& name) {
    if (const Function* function = FindFunction(name.text)) {
      if (current_.kind != TokenKind::kLParen) {
        return ErrorAt(current_.offset,
                       "expected '(' after function '" + std::string(name.text) + "'");
      }
      return ParseCall(*function, name);
    }
    if (current_.kind == TokenKind::kLParen) {
      return ErrorAt(name.offset, "unknown function '" + std::string(name.text) + "'");
    }
    const bool is_attribute = name.text.starts_with(kAttributePrefix);
    if (is_attribute && AttributeName(name.text).empty()) {
      return ErrorAt(name.offset, "missing attribute name after 'attr_'");
    }
    if (!is_attribute && FindLeadField(name.text) == nullptr) {
      return ErrorAt(name.offset, "unknown field '" + std::string(name.text) + "'");
    }
    Emit(Op::kLoad, name.offset, SlotFor(name.text));
    return core::Ok();
  }

  // current_ is the '(' after the function name.
  Status ParseCall(const Function& function, const Token& name) {
    KLOZEO_TRY(Advance());
    int arguments = 0;
    if (current_.kind != TokenKind::kRParen) {
      while (true) {
        KLOZEO_TRY(ParseNested(kTernary));
        ++arguments;
        if (current_.kind != TokenKind::kComma) break;
        KLOZEO_TRY(Advance());
      }
    }
    if (current_.kind != TokenKind::kRParen) {
      return ErrorAt(current_.offset, "expected ',' or ')' in the call to '" +
                                          std::string(function.name) + "' but found " +
                                          Describe(current_));
    }
    if (arguments != function.arity) {
      return ErrorAt(name.offset, std::string(function.name) + "() takes " +
                                      std::to_string(function.arity) +
                                      (function.arity == 1 ? " argument" : " arguments") +
                                      ", not " + std::to_string(arguments));
    }
    Emit(function.op, name.offset);
    return Advance();
  }

  // The condition is on the stack; the '?' has been consumed.
  Status ParseTernary(const Token& question) {
    const size_t to_else = Emit(Op::kJumpIfFalse, question.offset);
    KLOZEO_TRY(ParseNested(kTernary));
    if (current_.kind != TokenKind::kColon) {
      return ErrorAt(current_.offset, "expected ':' after '?'");
    }
    KLOZEO_TRY(Advance());
    const size_t to_end = Emit(Op::kJump, question.offset);
    --height_;  // the else branch starts without the then branch's value
    PatchJump(to_else);
    KLOZEO_TRY(ParseNested(kTernary));  // right-associative: a ? b : c ? d : e
    PatchJump(to_end);
    return core::Ok();
  }

  // `a && b` / `a || b`: b is only evaluated when a does not decide the result.
  Status ParseShortCircuit(const Token& op) {
    const bool is_and = op.kind == TokenKind::kAnd;
    const size_t jump = Emit(is_and ? Op::kAndJump : Op::kOrJump, op.offset);
    KLOZEO_TRY(ParseNested((is_and ? kAnd : kOr) + 1));
    Emit(Op::kToBool, op.offset);
    PatchJump(jump);
    return core::Ok();
  }

  size_t Emit(Op op, size_t offset, uint32_t arg = 0, double number = 0) {
    program_.code_.push_back(Instruction{op, arg, number});
    program_.offsets_.push_back(static_cast<uint32_t>(offset));
    height_ += StackEffect(op);
    if (height_ > max_height_) max_height_ = height_;
    return program_.code_.size() - 1;
  }

  void PatchJump(size_t at) {
    program_.code_[at].arg = static_cast<uint32_t>(program_.code_.size());
  }

  uint32_t SlotFor(std::string_view name) {
    std::vector<std::string>& fields = program_.fields_;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i] == name) return static_cast<uint32_t>(i);
    }
    fields.emplace_back(name);
    return static_cast<uint32_t>(fields.size() - 1);
  }

  std::string_view source_;
  Lexer lexer_;
  Token current_;
  Program program_;
  int depth_ = 0;
  int height_ = 0;
  int max_height_ = 0;
};

core::Result<Program> Program::Compile(std::string_view source) {
  if (source.size() > kMaxSourceBytes) {
    return Error::BadRequest("expression is too long: " + std::to_string(source.size()) +
                             " bytes (the limit is " + std::to_string(kMaxSourceBytes) + ")");
  }
  return Compiler(source).Run();
}

}  // namespace klozeo::expr
