#pragma once

#include <cstdint>

// The compiled form of an expression: a flat list of instructions for a small stack machine.
// An implementation detail of Program, kept in its own header so the compiler and the
// evaluator share it.
namespace klozeo::expr {

/// The evaluation stack never holds more values than this; the compiler rejects a program
/// that would need more (kMaxDepth keeps real programs far below it).
inline constexpr uint32_t kMaxStackHeight = 128;

/// One operation. "Pops a, b; pushes r" describes the stack effect.
enum class Op : uint8_t {
  kPushNumber,  ///< pushes Instruction::number
  kPushText,    ///< pushes the program's string constant number `arg`
  kPushTrue,
  kPushFalse,
  kPushNil,
  kLoad,  ///< pushes the caller's slot number `arg`
  kNeg,   ///< pops a; pushes -a
  kNot,   ///< pops a; pushes !truthy(a)
  kAdd,   ///< pops a, b; pushes a + b (and likewise for the binary operators below)
  kSub,
  kMul,
  kDiv,
  kMod,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kIn,           ///< pops a, b; pushes `a in b`
  kToBool,       ///< pops a; pushes truthy(a)
  kJump,         ///< continues at instruction `arg`
  kJumpIfFalse,  ///< pops a; continues at `arg` when a is falsy
  kAndJump,      ///< a falsy top becomes false and continues at `arg`; otherwise pops it
  kOrJump,       ///< a truthy top becomes true and continues at `arg`; otherwise pops it
  kLen,          ///< pops x; pushes len(x)
  kLower,        ///< pops x; pushes lower(x)
  kContains,     ///< pops s, sub; pushes contains(s, sub)
  kStartsWith,   ///< pops s, p; pushes starts_with(s, p)
  kDaysSince,    ///< pops ts; pushes days_since(ts)
};

/// One instruction: an operation and its operand.
struct Instruction {
  Op op;
  uint32_t arg = 0;   ///< slot, string constant or jump target, depending on `op`
  double number = 0;  ///< kPushNumber only
};

}  // namespace klozeo::expr
