#include "storage/sqlite/connection.h"

#include <sqlite3.h>

#include "query/sqlite_functions.h"

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

}  // namespace

Statement::~Statement() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement& Statement::Bind(int i, std::string_view text) {
  sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::Bind(int i, int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
Statement& Statement::Bind(int i, double v) {
  sqlite3_bind_double(stmt_, i, v);
  return *this;
}
Statement& Statement::BindNull(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}
Statement& Statement::Bind(int i, const std::optional<std::string>& v) {
  return v ? Bind(i, std::string_view(*v)) : BindNull(i);
}
Statement& Statement::Bind(int i, const std::optional<double>& v) {
  return v ? Bind(i, *v) : BindNull(i);
}
Statement& Statement::Bind(int i, const std::optional<int64_t>& v) {
  return v ? Bind(i, *v) : BindNull(i);
}

core::Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return conn_->LastError("step");
}

core::Status Statement::Run() {
  auto r = Step();
  if (!r.ok()) return std::move(r).error();
  return core::Ok();
}

bool Statement::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
int64_t Statement::Int(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::Double(int col) const { return sqlite3_column_double(stmt_, col); }
std::string Statement::Text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(p, static_cast<size_t>(n)) : std::string();
}
std::optional<std::string> Statement::OptText(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Text(col);
}
std::optional<double> Statement::OptDouble(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Double(col);
}
std::optional<int64_t> Statement::OptInt(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Int(col);
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
  KLOZEO_TRY(query::RegisterSqliteFunctions(db));
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
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
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

int64_t Connection::Changes() const { return sqlite3_changes64(db_); }

core::Error Connection::LastError(std::string_view what) const {
  std::string msg = std::string("sqlite ") + std::string(what) + " failed: " + sqlite3_errmsg(db_);
  return core::Error::Storage(CodeFor(sqlite3_errcode(db_)), std::move(msg));
}

}  // namespace klozeo::storage::sqlite
