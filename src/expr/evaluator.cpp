// Program::Evaluate: the stack machine. One switch per instruction, no allocation unless the
// program calls lower() or compares non-ASCII text.

#include "expr/program.h"

#include <cmath>
#include <forward_list>
#include <optional>
#include <string>

#include "core/fold.h"
#include "expr/lexer.h"
#include "expr/text.h"

namespace klozeo::expr {
namespace {

using core::Error;

constexpr double kSecondsPerDay = 86400;

// Stack storage left uninitialised: only cells below the top are ever read.
union Cell {
  Cell() {}  // NOLINT(modernize-use-equals-default): must not initialise `value`
  Value value;
};

// Missing for `== nil`: nil itself, empty text, an empty list.
bool IsMissing(const Value& v) {
  return v.kind == ValueKind::kNil || (v.kind == ValueKind::kText && v.text.empty()) ||
         (v.kind == ValueKind::kList && v.list.empty());
}

// `v` as a number: nil and objects are 0, booleans 1 or 0, text when it spells a number.
// False for other text and for lists.
bool ToNumber(const Value& v, double* out) {
  switch (v.kind) {
    case ValueKind::kNumber:
      *out = v.number;
      return true;
    case ValueKind::kBool:
      *out = v.boolean ? 1 : 0;
      return true;
    case ValueKind::kNil:
    case ValueKind::kObject:
      *out = 0;
      return true;
    case ValueKind::kText:
      if (std::optional<double> n = ParseNumber(v.text)) {
        *out = *n;
        return true;
      }
      return false;
    case ValueKind::kList:
      return false;
  }
  return false;
}

bool Truthy(const Value& v) {
  switch (v.kind) {
    case ValueKind::kBool:
      return v.boolean;
    case ValueKind::kNumber:
      return v.number != 0 && !std::isnan(v.number);
    case ValueKind::kText:
      return !v.text.empty();
    case ValueKind::kList:
      return !v.list.empty();
    case ValueKind::kNil:
    case ValueKind::kObject:
      return false;
  }
  return false;
}

bool Equal(const Value& a, const Value& b) {
  if (a.kind == ValueKind::kNil || b.kind == ValueKind::kNil) return IsMissing(a) && IsMissing(b);
  if (a.kind == ValueKind::kObject || b.kind == ValueKind::kObject) return false;
  if (a.kind == ValueKind::kText && b.kind == ValueKind::kText) return TextEquals(a.text, b.text);
  if (a.kind == ValueKind::kList || b.kind == ValueKind::kList) {
    if (a.kind != b.kind || a.list.size() != b.list.size()) return false;
    for (size_t i = 0; i < a.list.size(); ++i) {
      if (!TextEquals(a.list[i], b.list[i])) return false;
    }
    return true;
  }
  double x = 0, y = 0;
  return ToNumber(a, &x) && ToNumber(b, &y) && x == y;
}

// `needle in haystack`; nullopt when the types make no sense.
std::optional<bool> In(const Value& needle, const Value& haystack) {
  switch (haystack.kind) {
    case ValueKind::kNil:
    case ValueKind::kObject:
      return false;
    case ValueKind::kList:
      for (const std::string& item : haystack.list) {
        if (Equal(needle, Value::Text(item))) return true;
      }
      return false;
    case ValueKind::kText:
      if (needle.kind == ValueKind::kText) return TextContains(haystack.text, needle.text);
      if (needle.kind == ValueKind::kNil || needle.kind == ValueKind::kObject) return false;
      return std::nullopt;
    case ValueKind::kNumber:
    case ValueKind::kBool:
      return std::nullopt;
  }
  return std::nullopt;
}

double Arithmetic(Op op, double x, double y) {
  switch (op) {
    case Op::kAdd:
      return x + y;
    case Op::kSub:
      return x - y;
    case Op::kMul:
      return x * y;
    case Op::kDiv:
      return y == 0 ? 0 : x / y;
    default:  // kMod
      return y == 0 ? 0 : std::fmod(x, y);
  }
}

bool Compare(Op op, double x, double y) {
  switch (op) {
    case Op::kLt:
      return x < y;
    case Op::kLe:
      return x <= y;
    case Op::kGt:
      return x > y;
    default:  // kGe
      return x >= y;
  }
}

// How an instruction is named in evaluation errors.
std::string_view OpLabel(Op op) {
  switch (op) {
    case Op::kNeg:
    case Op::kSub:
      return "'-'";
    case Op::kAdd:
      return "'+'";
    case Op::kMul:
      return "'*'";
    case Op::kDiv:
      return "'/'";
    case Op::kMod:
      return "'%'";
    case Op::kLt:
      return "'<'";
    case Op::kLe:
      return "'<='";
    case Op::kGt:
      return "'>'";
    case Op::kGe:
      return "'>='";
    case Op::kIn:
      return "'in'";
    case Op::kLen:
      return "len()";
    case Op::kLower:
      return "lower()";
    case Op::kContains:
      return "contains()";
    case Op::kStartsWith:
      return "starts_with()";
    case Op::kDaysSince:
      return "days_since()";
    default:
      return "expression";
  }
}

std::string_view KindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kText:
      return "text";
    case ValueKind::kList:
      return "a list";
    case ValueKind::kBool:
      return "a boolean";
    case ValueKind::kNumber:
      return "a number";
    case ValueKind::kObject:
      return "an object";
    case ValueKind::kNil:
      return "nil";
  }
  return "a value";
}

// The rule value: what Evaluate returns for the value left on the stack.
core::Result<double> RuleValue(const Value& v) {
  double n = 0;
  if (!ToNumber(v, &n)) {
    return Error::BadRequest("the rule's value is " + std::string(KindName(v.kind)) +
                             ", not a number");
  }
  if (!std::isfinite(n)) return Error::BadRequest("the rule's value is not a finite number");
  return n;
}

}  // namespace

core::Result<double> Program::Evaluate(std::span<const Value> slots, int64_t now_seconds) const {
  if (slots.size() != fields_.size()) {
    return Error::Internal("expression needs " + std::to_string(fields_.size()) +
                           " slot values, got " + std::to_string(slots.size()));
  }
  Cell stack[kMaxStackHeight];
  size_t top = 0;                        // values on the stack
  std::forward_list<std::string> owned;  // text made by lower(), alive until we return

  // Errors name the operator and its source column.
  auto fail = [&](size_t at, std::string problem) {
    return Error::BadRequest(std::move(problem) + " at column " +
                             std::to_string(ColumnAt(source_, offsets_[at])));
  };
  auto label = [&](size_t at) { return std::string(OpLabel(code_[at].op)); };
  auto not_a_number = [&](size_t at, const Value& v) {
    return fail(at, "cannot use " + std::string(KindName(v.kind)) + " as a number in " + label(at));
  };

  size_t pc = 0;
  while (pc < code_.size()) {
    const size_t at = pc++;
    const Instruction& instruction = code_[at];
    switch (instruction.op) {
      case Op::kPushNumber:
        stack[top++].value = Value::Number(instruction.number);
        break;
      case Op::kPushText:
        stack[top++].value = Value::Text(strings_[instruction.arg]);
        break;
      case Op::kPushTrue:
      case Op::kPushFalse:
        stack[top++].value = Value::Bool(instruction.op == Op::kPushTrue);
        break;
      case Op::kPushNil:
        stack[top++].value = Value::Nil();
        break;
      case Op::kLoad:
        stack[top++].value = slots[instruction.arg];
        break;
      case Op::kNeg: {
        Value& a = stack[top - 1].value;
        double x = 0;
        if (!ToNumber(a, &x)) return not_a_number(at, a);
        a = Value::Number(-x);
        break;
      }
      case Op::kNot:
      case Op::kToBool: {
        Value& a = stack[top - 1].value;
        const bool truthy = Truthy(a);
        a = Value::Bool(instruction.op == Op::kNot ? !truthy : truthy);
        break;
      }
      case Op::kAdd:
      case Op::kSub:
      case Op::kMul:
      case Op::kDiv:
      case Op::kMod: {
        Value& a = stack[top - 2].value;
        const Value& b = stack[top - 1].value;
        double x = 0, y = 0;
        if (!ToNumber(a, &x)) return not_a_number(at, a);
        if (!ToNumber(b, &y)) return not_a_number(at, b);
        a = Value::Number(Arithmetic(instruction.op, x, y));
        --top;
        break;
      }
      case Op::kLt:
      case Op::kLe:
      case Op::kGt:
      case Op::kGe: {
        Value& a = stack[top - 2].value;
        const Value& b = stack[top - 1].value;
        double x = 0, y = 0;
        if (!ToNumber(a, &x)) return not_a_number(at, a);
        if (!ToNumber(b, &y)) return not_a_number(at, b);
        a = Value::Bool(Compare(instruction.op, x, y));
        --top;
        break;
      }
      case Op::kEq:
      case Op::kNe: {
        Value& a = stack[top - 2].value;
        const bool equal = Equal(a, stack[top - 1].value);
        a = Value::Bool(instruction.op == Op::kEq ? equal : !equal);
        --top;
        break;
      }
      case Op::kIn:
      case Op::kContains: {
        // `x in y` pushes x then y; contains(y, x) pushes y then x.
        Value& first = stack[top - 2].value;
        const Value& second = stack[top - 1].value;
        const bool is_in = instruction.op == Op::kIn;
        const Value& needle = is_in ? first : second;
        const Value& haystack = is_in ? second : first;
        std::optional<bool> found = In(needle, haystack);
        if (!found) {
          if (haystack.kind == ValueKind::kText) {
            return fail(at, label(at) + " cannot look for " + std::string(KindName(needle.kind)) +
                                " inside text");
          }
          return fail(at,
                      label(at) + " cannot look inside " + std::string(KindName(haystack.kind)));
        }
        first = Value::Bool(*found);
        --top;
        break;
      }
      case Op::kStartsWith: {
        Value& s = stack[top - 2].value;
        const Value& prefix = stack[top - 1].value;
        // nil and objects are accepted and make the answer false.
        auto textish = [](const Value& v) {
          return v.kind == ValueKind::kText || v.kind == ValueKind::kNil ||
                 v.kind == ValueKind::kObject;
        };
        if (!textish(s) || !textish(prefix)) {
          const Value& bad = textish(s) ? prefix : s;
          return fail(at, label(at) + " needs text, not " + std::string(KindName(bad.kind)));
        }
        s = Value::Bool(s.kind == ValueKind::kText && prefix.kind == ValueKind::kText &&
                        TextStartsWith(s.text, prefix.text));
        --top;
        break;
      }
      case Op::kLen: {
        Value& a = stack[top - 1].value;
        if (a.kind == ValueKind::kText) {
          a = Value::Number(static_cast<double>(CharacterCount(a.text)));
        } else if (a.kind == ValueKind::kList) {
          a = Value::Number(static_cast<double>(a.list.size()));
        } else if (a.kind == ValueKind::kNil || a.kind == ValueKind::kObject) {
          a = Value::Number(0);
        } else {
          return fail(at,
                      label(at) + " needs text or a list, not " + std::string(KindName(a.kind)));
        }
        break;
      }
      case Op::kLower: {
        Value& a = stack[top - 1].value;
        if (a.kind == ValueKind::kText) {
          owned.push_front(core::FoldText(a.text));
          a = Value::Text(owned.front());
        } else if (a.kind == ValueKind::kObject) {
          a = Value::Nil();
        } else if (a.kind != ValueKind::kNil) {
          return fail(at, label(at) + " needs text, not " + std::string(KindName(a.kind)));
        }
        break;
      }
      case Op::kDaysSince: {
        Value& a = stack[top - 1].value;
        double seconds = 0;
        if (!ToNumber(a, &seconds)) return not_a_number(at, a);
        a = Value::Number(
            std::trunc((static_cast<double>(now_seconds) - seconds) / kSecondsPerDay));
        break;
      }
      case Op::kJump:
        pc = instruction.arg;
        break;
      case Op::kJumpIfFalse:
        --top;
        if (!Truthy(stack[top].value)) pc = instruction.arg;
        break;
      case Op::kAndJump:
      case Op::kOrJump: {
        Value& a = stack[top - 1].value;
        const bool truthy = Truthy(a);
        if (truthy == (instruction.op == Op::kOrJump)) {
          a = Value::Bool(truthy);  // decided: `false && ...` is false, `true || ...` is true
          pc = instruction.arg;
        } else {
          --top;
        }
        break;
      }
    }
  }
  if (top == 0) return 0.0;  // a default-constructed Program has no code
  return RuleValue(stack[0].value);
}

}  // namespace klozeo::expr
