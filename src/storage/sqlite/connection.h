#pragma once

#include "storage/sql/guard.h"

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"
#include "query/sql_value.h"
#include "storage/sql/dialect.h"
#include "storage/sql/statement.h"

namespace klozeo::storage::sqlite {

/// Registers the functions compiled queries call, as deterministic: klozeo_fold(text) →
/// FoldText(text) (NULL stays NULL; numbers are folded as their text). Call it once on every
/// connection that runs compiled queries. Errors: Internal when SQLite refuses.
core::Status RegisterSqliteFunctions(sqlite3* db);

/// Reads column `column` (0-based) of the current row as NULL, INTEGER, REAL or TEXT (a BLOB is
/// read as TEXT). Use it for the `sort_key` column, then CursorAfter().
query::SqlValue ReadSqliteValue(sqlite3_stmt* stmt, int column);

class Connection;

/// A prepared statement borrowed from a Connection's cache. Reset and unbound on destruction.
class Statement : public StatementBase<Statement> {
 public:
  using StatementBase<Statement>::Bind;
  Statement(Connection* conn, sqlite3_stmt* stmt) : conn_(conn), stmt_(stmt) {}

  Statement& Bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int index, int64_t value) {
    sqlite3_bind_int64(stmt_.get(), index, value);
    return *this;
  }
  Statement& Bind(int index, double value) {
    sqlite3_bind_double(stmt_.get(), index, value);
    return *this;
  }
  Statement& BindNull(int index) {
    sqlite3_bind_null(stmt_.get(), index);
    return *this;
  }

  core::Result<bool> Step();
  int64_t Changes() const { return sqlite3_changes64(sqlite3_db_handle(stmt_.get())); }

  bool IsNull(int col) const { return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL; }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
  double Double(int col) const { return sqlite3_column_double(stmt_.get(), col); }
  std::string Text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), col)))
             : std::string();
  }
  /// The column as NULL, INTEGER, REAL or TEXT (a BLOB is read as TEXT).
  query::SqlValue Value(int col) const { return ReadSqliteValue(stmt_.get(), col); }

 private:
  struct Reset {
    void operator()(sqlite3_stmt* stmt) const;
  };
  Connection* conn_;
  std::unique_ptr<sqlite3_stmt, Reset> stmt_;
};

/// One SQLite connection with its statement cache. Not thread-safe: a pool hands it to one
/// thread at a time.
class Connection {
 public:
  using Statement = sqlite::Statement;
  static constexpr Dialect kDialect = Dialect::kSqlite;
  /// Opens (creating if needed) the file with WAL, foreign keys and a busy timeout.
  static core::Result<std::unique_ptr<Connection>> Open(const std::string& path,
                                                        int busy_timeout_ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// A cached prepared statement for `sql`, in the neutral form of storage/sql/dialect.h (the
  /// text must outlive the connection: use constants; the cache is keyed by the address).
  core::Result<Statement> Prepare(const char* sql);
  /// A prepared statement for generated SQL in SQLite's form (the filter compiler's), cached
  /// by its text; the cache holds at most 64 such statements and is emptied when full.
  core::Result<Statement> PrepareDynamic(const std::string& sql);
  /// Runs one or more statements without results (DDL, migrations).
  core::Status Exec(const char* sql);
  /// Runs one statement without results through the statement cache (BEGIN, COMMIT, ...).
  core::Status RunCached(const char* sql);
  /// Always true: a file does not go away (ConnectionPool drops unhealthy connections).
  bool Healthy() const { return true; }
  bool StillOpen() const { return true; }
  /// An Error describing the connection's last failure.
  core::Error LastError(std::string_view what) const;
  sqlite3* raw() { return db_; }
  /// The rowid of the last row an INSERT on this connection added.
  int64_t LastInsertRowid() { return sqlite3_last_insert_rowid(db_); }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
  std::unordered_map<std::string, sqlite3_stmt*> dynamic_cache_;
};

}  // namespace klozeo::storage::sqlite
