#include "storage/sqlite/connection.h"

#include <sqlite3.h>

#include "query/fold.h"
#include "query/sqlite_compiler.h"
#include "storage/sql/dialect.h"

namespace klozeo::storage::sqlite {
namespace {

/// The neutral code of a failed SQLite call; the driver's text goes to the error's detail.
core::ErrorCode CodeFor(int sqlite_code) {
  switch (sqlite_code & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return core::ErrorCode::kUnavailable;
    case SQLITE_CONSTRAINT:
      return core::ErrorCode::kConflict;
    case SQLITE_FULL:
      return core::ErrorCode::kStorageFull;
    case SQLITE_IOERR:
    case SQLITE_READONLY:
      return core::ErrorCode::kStorageReadOnly;
    default:
      return core::ErrorCode::kInternal;
  }
}

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

query::SqlValue ReadSqliteValue(sqlite3_stmt* stmt, int column) {
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

void Statement::Reset::operator()(sqlite3_stmt* stmt) const {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
}

core::Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return conn_->LastError("step");
}

core::Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path,
                                                           int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return core::Error::Unavailable("cannot open SQLite database '" + path + "': " + msg);
  }
  std::unique_ptr<Connection> conn(new Connection(db));
  sqlite3_busy_timeout(db, busy_timeout_ms);
  KLOZEO_TRY(RegisterSqliteFunctions(db));
  // WAL lets readers run beside the single writer; NORMAL sync in WAL mode keeps every
  // committed transaction across a process crash (a power loss may lose the last ones:
  // docs/OPERATIONS.md).
  KLOZEO_TRY(
      conn->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                 "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
                 "PRAGMA cache_size=-16000; PRAGMA wal_autocheckpoint=4000;"));
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  for (auto& [sql, stmt] : dynamic_cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

core::Result<Statement> Connection::Prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Statement(this, it->second);
  sqlite3_stmt* stmt = nullptr;
  const std::string text = RenderSql(sql, Dialect::kSqlite);
  if (sqlite3_prepare_v3(db_, text.c_str(), static_cast<int>(text.size()),
                         SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
    return LastError("prepare");
  }
  cache_.emplace(sql, stmt);
  return Statement(this, stmt);
}

core::Result<Statement> Connection::PrepareDynamic(const std::string& sql) {
  auto it = dynamic_cache_.find(sql);
  if (it != dynamic_cache_.end()) return Statement(this, it->second);
  if (dynamic_cache_.size() >= 64) {
    for (auto& [text, stmt] : dynamic_cache_) sqlite3_finalize(stmt);
    dynamic_cache_.clear();
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    return LastError("prepare");
  }
  dynamic_cache_.emplace(sql, stmt);
  return Statement(this, stmt);
}

core::Status Connection::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return core::Error::Storage(CodeFor(sqlite3_errcode(db_)), "sqlite exec failed: " + msg);
  }
  return core::Ok();
}

core::Status Connection::RunCached(const char* sql) {
  KLOZEO_ASSIGN_OR_RETURN(auto stmt, Prepare(sql));
  return stmt.Run();
}

core::Error Connection::LastError(std::string_view what) const {
  std::string msg = std::string("sqlite ") + std::string(what) + " failed: " + sqlite3_errmsg(db_);
  return core::Error::Storage(CodeFor(sqlite3_errcode(db_)), std::move(msg));
}

}  // namespace klozeo::storage::sqlite
