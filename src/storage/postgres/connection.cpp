#include "storage/postgres/connection.h"

#include "storage/sql/dialect.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>

namespace klozeo::storage::postgres {
namespace {

// Type OIDs (pg_type.h) of the parameters we send and the results we read.
constexpr unsigned kInt2 = 21;
constexpr unsigned kInt4 = 23;
constexpr unsigned kInt8 = 20;
constexpr unsigned kText = 25;
constexpr unsigned kFloat4 = 700;
constexpr unsigned kFloat8 = 701;
constexpr unsigned kNumeric = 1700;

// Generated SQL (filters, scans) is cached too; past this many statements the connection
// forgets them all and starts over.
constexpr size_t kMaxPrepared = 512;

std::string FormatDouble(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

core::Error NulError() {
  return core::Error::BadRequest(
      "text must not contain the NUL character (U+0000): PostgreSQL cannot store it");
}

}  // namespace

void Statement::Clear::operator()(pg_result* result) const { PQclear(result); }

void Statement::Set(int index, std::optional<std::string> value, unsigned type) {
  auto i = static_cast<size_t>(index - 1);
  if (values_.size() <= i) {
    values_.resize(i + 1);
    types_.resize(i + 1, 0);
  }
  values_[i] = std::move(value);
  types_[i] = type;
}

Statement& Statement::Bind(int i, std::string_view text) {
  if (text.find('\0') != std::string_view::npos) has_nul_ = true;
  Set(i, std::string(text), kText);
  return *this;
}
Statement& Statement::Bind(int i, int64_t v) {
  Set(i, std::to_string(v), kInt8);
  return *this;
}
Statement& Statement::Bind(int i, double v) {
  Set(i, FormatDouble(v), kFloat8);
  return *this;
}
Statement& Statement::BindNull(int i) {
  Set(i, std::nullopt, 0);
  return *this;
}
core::Result<bool> Statement::Step() {
  if (result_ == nullptr) {
    if (has_nul_) return NulError();
    KLOZEO_ASSIGN_OR_RETURN(PGresult * result,
                            conn_->Execute(sql_, types_, values_, plan_each_run_));
    result_.reset(result);
    rows_ = PQntuples(result);
    row_ = -1;
  }
  if (row_ + 1 >= rows_) {
    row_ = rows_;
    return false;
  }
  ++row_;
  return true;
}

int64_t Statement::Changes() const {
  if (result_ == nullptr) return 0;
  const char* n = PQcmdTuples(result_.get());
  return n == nullptr || *n == '\0' ? 0 : std::strtoll(n, nullptr, 10);
}

core::Status Statement::AppendCopyRow(std::string& out) const {
  if (has_nul_) return NulError();
  for (size_t i = 0; i < values_.size(); ++i) {
    if (i > 0) out += '\t';
    if (!values_[i]) {
      out += "\\N";
      continue;
    }
    const std::string_view v = *values_[i];
    for (size_t at = 0; at < v.size();) {
      const size_t special = std::min(v.find_first_of("\\\t\n\r", at), v.size());
      out.append(v.substr(at, special - at));
      if (special == v.size()) break;
      const char c = v[special];
      out += '\\';
      out += c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
      at = special + 1;
    }
  }
  out += '\n';
  return core::Ok();
}

// A NULL reads as "" (PQgetvalue), so as 0 or an empty text.
bool Statement::IsNull(int col) const { return PQgetisnull(result_.get(), row_, col) != 0; }
int64_t Statement::Int(int col) const {
  return std::strtoll(PQgetvalue(result_.get(), row_, col), nullptr, 10);
}
double Statement::Double(int col) const {
  return std::strtod(PQgetvalue(result_.get(), row_, col), nullptr);
}
std::string Statement::Text(int col) const {
  return std::string(PQgetvalue(result_.get(), row_, col),
                     static_cast<size_t>(PQgetlength(result_.get(), row_, col)));
}
query::SqlValue Statement::Value(int col) const {
  if (IsNull(col)) return nullptr;
  switch (PQftype(result_.get(), col)) {
    case kInt2:
    case kInt4:
    case kInt8:
      return static_cast<std::int64_t>(Int(col));
    case kFloat4:
    case kFloat8:
    case kNumeric:
      return Double(col);
    default:
      return Text(col);
  }
}

core::Result<Statement> Connection::Prepare(const char* sql) {
  auto it = rendered_.find(sql);
  if (it == rendered_.end()) it = rendered_.emplace(sql, RenderSql(sql, Dialect::kPostgres)).first;
  return Query(it->second);
}

core::Result<std::unique_ptr<Connection>> Connection::Open(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) return core::Error::Unavailable("cannot connect to PostgreSQL: no memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    PQfinish(conn);
    return core::Error::Unavailable("cannot connect to PostgreSQL: " + msg);
  }
  std::unique_ptr<Connection> c(new Connection(conn));
  // UTF-8 on the wire; timestamps are integers, so the time zone does not matter. A
  // statement waiting on a lock longer than 30 s fails rather than hanging a request. No
  // parallel workers: a request is one of many at once, and a listing's LIMIT makes a parallel
  // plan look cheaper than it runs (at 1,000,000 leads `attr:employees > 9500` walked the
  // account in three processes, 100 ms, instead of reading its 4,520 leads, 36 ms;
  // docs/QUERY-PERFORMANCE.md).
  KLOZEO_TRY(
      c->Exec("SET client_encoding = 'UTF8'; SET lock_timeout = '30s'; "
              "SET client_min_messages = warning; SET max_parallel_workers_per_gather = 0"));
  return c;
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::Healthy() const {
  return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

bool Connection::StillOpen() {
  if (!Healthy()) return false;
  // An idle session receives nothing unless the server is ending it (a restart or
  // pg_terminate_backend send a FATAL, then close): anything readable means it is gone.
  pollfd fd{PQsocket(conn_), POLLIN, 0};
  return poll(&fd, 1, 0) == 0;
}

core::Error Connection::ResultError(PGresult* result, std::string_view what) const {
  std::string msg = "postgres " + std::string(what) + " failed: ";
  const char* text = result != nullptr ? PQresultErrorMessage(result) : nullptr;
  msg += (text != nullptr && *text != '\0') ? text : PQerrorMessage(conn_);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string_view code = state != nullptr ? state : "";
  // 53100 disk_full; 25006 read_only_sql_transaction (a standby, or default_transaction_read_only);
  // 58030 io_error.
  if (code == "53100") return core::Error::Storage(core::ErrorCode::kStorageFull, std::move(msg));
  if (code == "25006" || code == "58030") {
    return core::Error::Storage(core::ErrorCode::kStorageReadOnly, std::move(msg));
  }
  if (PQstatus(conn_) != CONNECTION_OK || code.starts_with("08") || code == "40001" ||
      code == "40P01" || code == "55P03" || code == "57014" || code.starts_with("53") ||
      code.starts_with("57P")) {
    return core::Error::Storage(core::ErrorCode::kUnavailable, std::move(msg));
  }
  if (code.starts_with("23"))
    return core::Error::Storage(core::ErrorCode::kConflict, std::move(msg));
  return core::Error::Storage(core::ErrorCode::kInternal, std::move(msg));
}

core::Status Connection::Check(PGresult* r, int want, std::string_view what) const {
  const ExecStatusType status = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  core::Status out = core::Ok();
  if (status != want && !(want == PGRES_COMMAND_OK && status == PGRES_TUPLES_OK)) {
    out = ResultError(r, what);
  }
  PQclear(r);
  return out;
}

core::Status Connection::Exec(const char* sql) {
  return Check(PQexec(conn_, sql), PGRES_COMMAND_OK, "exec");
}

core::Status Connection::Copy(const std::string& copy, std::string_view data) {
  KLOZEO_TRY(Check(PQexec(conn_, copy.c_str()), PGRES_COPY_IN, "copy"));
  const bool sent = PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) == 1;
  core::Status out = core::Ok();
  if (PQputCopyEnd(conn_, sent ? nullptr : "the rows could not be sent") != 1) {
    out = ResultError(nullptr, "copy");
  }
  // The COPY's outcome; then nothing (a lost connection may leave more to drain).
  while (PGresult* r = PQgetResult(conn_)) {
    core::Status checked = Check(r, PGRES_COMMAND_OK, "copy");
    if (out.ok()) out = std::move(checked);
  }
  return out;
}

core::Result<PGresult*> Connection::Execute(const std::string& sql,
                                            const std::vector<unsigned>& types,
                                            const std::vector<std::optional<std::string>>& values,
                                            bool once) {
  // libpq's view of bound values (NULL: a null pointer).
  std::vector<const char*> params(values.size());
  for (size_t i = 0; i < values.size(); ++i) params[i] = values[i] ? values[i]->c_str() : nullptr;
  const char* const* data = params.empty() ? nullptr : params.data();
  const int n = static_cast<int>(params.size());
  const Oid* oids = types.empty() ? nullptr : types.data();  // Oid is unsigned
  if (once) return Checked(PQexecParams(conn_, sql.c_str(), n, oids, data, nullptr, nullptr, 0));
  std::string key = sql;
  key.push_back('\0');
  for (unsigned t : types) key += std::to_string(t) + ",";
  auto it = prepared_.find(key);
  if (it == prepared_.end()) {
    if (prepared_.size() >= kMaxPrepared) {
      // Names are never reused, so a failed DEALLOCATE only leaves unused statements behind.
      PQclear(PQexec(conn_, "DEALLOCATE ALL"));
      prepared_.clear();
    }
    std::string name = "k" + std::to_string(next_name_++);
    KLOZEO_TRY(
        Check(PQprepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(types.size()), oids),
              PGRES_COMMAND_OK, "prepare"));
    it = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  return Checked(PQexecPrepared(conn_, it->second.c_str(), n, data, nullptr, nullptr, 0));
}

core::Result<PGresult*> Connection::Checked(PGresult* r) const {
  ExecStatusType status = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    core::Error e = ResultError(r, "query");
    PQclear(r);
    return e;
  }
  return r;
}

}  // namespace klozeo::storage::postgres
