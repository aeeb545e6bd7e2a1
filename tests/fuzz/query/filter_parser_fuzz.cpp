// libFuzzer target: arbitrary bytes as a list of filters (one per line), then compiled to SQL.
// Must never crash, and a compiled query always has one placeholder per bind value.
// Built by tests/fuzz/CMakeLists.txt (CTest `filter_parser_fuzz`, 20 s; `make fuzz`: longer).
// By hand, from the repository root:
//   Q=src/query; C=src/core
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc
//     tests/fuzz/query/filter_parser_fuzz.cpp $Q/fields.cpp $Q/filter.cpp $Q/sort.cpp
//     $Q/limit.cpp $Q/cursor.cpp $Q/geo.cpp $Q/sql_compiler.cpp $Q/sqlite_compiler.cpp
//     $C/error.cpp $C/strings.cpp $C/crypto.cpp $C/fold.cpp
//     -lutf8proc -lcrypto -o /tmp/filter_fuzz
//   mkdir -p /tmp/corpus && cp tests/fuzz/corpus/query/* /tmp/corpus/
//   /tmp/filter_fuzz -max_total_time=30 /tmp/corpus
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "query/cursor.h"
#include "query/filter.h"
#include "query/limit.h"
#include "query/sort.h"
#include "query/sqlite_compiler.h"

namespace {

using namespace klozeo::query;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= input.size()) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    lines.emplace_back(input.substr(start, end - start));
    start = end + 1;
  }

  // The same text as sort, limit and cursor parameters: errors only, never a crash.
  (void)ParseSort(lines.front(), lines.back());
  (void)ParseLimit(lines.front());
  (void)DecodeCursor(input, "secret", Sort{});

  auto filters = ParseFilters(lines);
  if (!filters.ok()) {
    Check(!filters.error().message.empty());
    return 0;
  }
  ListQuery query;
  query.account_key = 1;
  query.filters = std::move(filters).value();
  auto sort = ParseSort(lines.front().substr(0, 70), std::nullopt);
  if (sort.ok()) query.sort = *sort;
  query.after = CursorAfter(query.sort, std::string(lines.back()), "cl_x");
  query.limit = 10;
  CompiledSql sql = CompileSqliteListQuery("leads.id", query);
  Check(static_cast<size_t>(std::count(sql.sql.begin(), sql.sql.end(), '?')) == sql.binds.size());
  // Client text only ever travels as binds, never in the SQL text.
  Check(sql.sql.find('\n') == std::string::npos);
  std::string cursor = EncodeCursor(*query.after, "secret");
  Check(DecodeCursor(cursor, "secret", query.sort).ok());
  return 0;
}
