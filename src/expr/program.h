#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "expr/bytecode.h"
#include "expr/value.h"

namespace klozeo::expr {

/// Longest accepted expression, in bytes.
inline constexpr size_t kMaxSourceBytes = 4096;
/// Deepest accepted nesting of parentheses, operands and function arguments.
inline constexpr int kMaxDepth = 64;

/// A compiled scoring expression: parsed once, evaluated many times.
///
///   KLOZEO_ASSIGN_OR_RETURN(Program program, Program::Compile("rating * 20"));
///   std::vector<Value> slots;                        // one per program.fields() entry
///   for (const std::string& field : program.fields()) slots.push_back(Bind(lead, field));
///   core::Result<double> value = program.Evaluate(slots, clock.NowSeconds());
///
/// A Program is an immutable value: copy it, share it between threads, evaluate it
/// concurrently. A default-constructed Program reads no fields and evaluates to 0.
class Program {
 public:
  Program() = default;

  /// Parses and compiles `source`. BadRequest with a message naming the 1-based column on a
  /// syntax error or an unknown field or function; BadRequest when `source` is empty, longer
  /// than kMaxSourceBytes or nested deeper than kMaxDepth.
  static core::Result<Program> Compile(std::string_view source);

  /// The distinct identifiers the expression reads (lead field names such as "rating", or
  /// "attr_<name>" for custom attributes), in slot order: Evaluate expects slot i to hold the
  /// value of fields()[i].
  const std::vector<std::string>& fields() const { return fields_; }

  /// The source text the program was compiled from.
  const std::string& source() const { return source_; }

  /// Runs the program against `slots` (one Value per fields() entry) at time `now_seconds`
  /// (Unix seconds, used by days_since). Returns the rule value: a number, true → 1,
  /// false → 0, nil → 0, numeric text → its number. BadRequest, naming the operator and its
  /// column, when a value has the wrong type (text that is not a number in arithmetic, a list
  /// as a rule value, ...) or the result is not finite; the scoring caller counts such a rule
  /// as 0. Internal when `slots` has the wrong size. Never reads the clock, never throws.
  core::Result<double> Evaluate(std::span<const Value> slots, int64_t now_seconds) const;

 private:
  friend class Compiler;

  std::string source_;
  std::vector<Instruction> code_;
  std::vector<uint32_t> offsets_;     // source byte offset of each instruction, for messages
  std::vector<std::string> strings_;  // string constants, by kPushText index
  std::vector<std::string> fields_;   // slot names, by kLoad index
};

}  // namespace klozeo::expr
