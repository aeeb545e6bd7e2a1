#include "storage/sqlite/functions.h"

#include <sqlite3.h>

#include <string>

#include "query/fold.h"
#include "query/sqlite_compiler.h"

namespace klozeo::storage::sqlite {

using query::SqlValue;
namespace {

void FoldFunction(sqlite3_context* context, int /*argc*/, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(context);
    return;
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  int size = sqlite3_value_bytes(argv[0]);
  if (text == nullptr) {
    sqlite3_result_null(context);
    return;
  }
  std::string folded = query::FoldText(std::string_view(text, static_cast<size_t>(size)));
  sqlite3_result_text64(context, folded.data(), folded.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

}  // namespace

core::Status RegisterSqliteFunctions(sqlite3* db) {
  std::string name(query::kSqliteFoldFunction);
  int rc = sqlite3_create_function_v2(db, name.c_str(), 1,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                      nullptr, FoldFunction, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return core::Error::Internal("registering " + name + ": " + sqlite3_errstr(rc));
  }
  return core::Ok();
}

core::Status BindSqliteValues(sqlite3_stmt* stmt, std::span<const SqlValue> values) {
  for (size_t i = 0; i < values.size(); ++i) {
    int index = static_cast<int>(i + 1);
    const SqlValue& value = values[i];
    int rc = SQLITE_OK;
    if (const auto* n = std::get_if<std::int64_t>(&value)) {
      rc = sqlite3_bind_int64(stmt, index, *n);
    } else if (const auto* d = std::get_if<double>(&value)) {
      rc = sqlite3_bind_double(stmt, index, *d);
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      rc = sqlite3_bind_text64(stmt, index, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    } else {
      rc = sqlite3_bind_null(stmt, index);
    }
    if (rc != SQLITE_OK) {
      return core::Error::Internal("binding parameter " + std::to_string(index) + ": " +
                                   sqlite3_errstr(rc));
    }
  }
  return core::Ok();
}

SqlValue ReadSqliteValue(sqlite3_stmt* stmt, int column) {
  switch (sqlite3_column_type(stmt, column)) {
    case SQLITE_NULL:
      return nullptr;
    case SQLITE_INTEGER:
      return static_cast<std::int64_t>(sqlite3_column_int64(stmt, column));
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, column);
    default: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
      int size = sqlite3_column_bytes(stmt, column);
      if (text == nullptr) return std::string();
      return std::string(text, static_cast<size_t>(size));
    }
  }
}

}  // namespace klozeo::storage::sqlite
