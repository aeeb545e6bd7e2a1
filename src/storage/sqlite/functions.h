#pragma once

#include <span>
#include <string_view>

#include "core/result.h"
#include "query/sql_value.h"
#include "storage/sql/guard.h"

struct sqlite3;
struct sqlite3_stmt;

namespace klozeo::storage::sqlite {

/// Registers the functions compiled queries call, as deterministic: klozeo_fold(text) →
/// FoldText(text) (NULL stays NULL; numbers are folded as their text). Call it once on every
/// connection that runs compiled queries. Errors: Internal when SQLite refuses.
core::Status RegisterSqliteFunctions(sqlite3* db);

/// Binds `values` to parameters 1..n of `stmt`. Errors: Internal when SQLite refuses.
core::Status BindSqliteValues(sqlite3_stmt* stmt, std::span<const query::SqlValue> values);

/// Reads column `column` (0-based) of the current row as NULL, INTEGER, REAL or TEXT (a BLOB is
/// read as TEXT). Use it for the `sort_key` column, then CursorAfter().
query::SqlValue ReadSqliteValue(sqlite3_stmt* stmt, int column);

}  // namespace klozeo::storage::sqlite
