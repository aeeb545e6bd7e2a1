#pragma once

#include "storage/sql/guard.h"

#include <string>
#include <string_view>

namespace klozeo::storage {

/// The SQL dialect a statement is rendered for. Statements are written once (statements.h), in
/// a neutral form that both engines read after a mechanical rewrite:
/// - placeholders `?N` (SQLite's own form) become `$N` for PostgreSQL;
/// - PostgreSQL casts `::name` or `::name[]` are kept for PostgreSQL and dropped for SQLite;
/// - `{sqlite:TEXT}` is TEXT on SQLite and nothing on PostgreSQL, `{postgres:TEXT}` the reverse:
///   the few places where the engines truly differ (instr/strpos, string_agg's ORDER BY,
///   SQLite's INDEXED BY hints, PostgreSQL-only columns).
enum class Dialect { kSqlite, kPostgres };

/// `sql` rewritten for `dialect` (see Dialect). Text inside '...' literals is copied unchanged.
std::string RenderSql(std::string_view sql, Dialect dialect);

}  // namespace klozeo::storage
