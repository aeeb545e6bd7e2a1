// libFuzzer target for the scoring expression language: compiling arbitrary bytes must return
// a program or a BadRequest, never crash; a program must evaluate without crashing whatever the
// slots hold.
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
//     tests/fuzz/expr/expr_parser_fuzz.cpp src/expr/*.cpp src/core/error.cpp \
//     src/core/fold.cpp src/core/strings.cpp -lutf8proc -o /tmp/expr_fuzz
//   /tmp/expr_fuzz -max_total_time=30 tests/fuzz/corpus/expr

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "expr/program.h"

namespace {

using klozeo::expr::Program;
using klozeo::expr::Value;

const std::vector<std::string> kList = {"vip", "42", "\xC3\x89LITE"};

// A non-nil value of every kind, picked by slot position.
Value Sample(size_t i) {
  switch (i % 6) {
    case 0:
      return Value::Number(4.5);
    case 1:
      return Value::Text("Paris");
    case 2:
      return Value::List(kList);
    case 3:
      return Value::Bool(true);
    case 4:
      return Value::Text("12");
    default:
      return Value::Object();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view source(reinterpret_cast<const char*>(data), size);
  klozeo::core::Result<Program> program = Program::Compile(source);
  if (!program.ok()) {
    if (program.error().code != klozeo::core::ErrorCode::kBadRequest ||
        program.error().message.empty()) {
      __builtin_trap();
    }
    return 0;
  }
  std::vector<Value> slots(program->fields().size());
  (void)program->Evaluate(slots, 1'700'000'000);
  for (size_t i = 0; i < slots.size(); ++i) slots[i] = Sample(i);
  (void)program->Evaluate(slots, 1'700'000'000);
  return 0;
}
