#pragma once

#include "storage/sql/guard.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "query/sql_value.h"
#include "storage/sql/dialect.h"
#include "storage/sql/statement.h"

struct pg_conn;
struct pg_result;

namespace klozeo::storage::postgres {

class Connection;

/// One statement run through a Connection's prepared-statement cache. Bind values (1-based,
/// like `$1`), then Step through the rows (the statement runs at the first Step) or Run it.
/// Values travel as text with their types declared (text, int8, float8; NULL untyped), and
/// the statement is prepared once per connection for each (SQL, parameter types) pair.
class Statement : public StatementBase<Statement> {
 public:
  using StatementBase<Statement>::Bind;
  Statement(Connection* conn, std::string sql, bool plan_each_run = false)
      : conn_(conn), sql_(std::move(sql)), plan_each_run_(plan_each_run) {}

  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& BindNull(int index);

  /// Advances to the next row: true with a row, false when done. Errors: BadRequest when a
  /// bound text holds U+0000 (PostgreSQL text cannot; libpq would cut the value short).
  core::Result<bool> Step();
  int64_t Changes() const;
  /// Appends the bound values to `out` as a row of COPY's text format, without running the
  /// statement. Errors: BadRequest as Step's.
  core::Status AppendCopyRow(std::string& out) const;

  bool IsNull(int col) const;
  int64_t Int(int col) const;
  double Double(int col) const;
  std::string Text(int col) const;
  /// The column as NULL, INTEGER (int2/4/8), REAL (float4/8, numeric) or TEXT.
  query::SqlValue Value(int col) const;

 private:
  void Set(int index, std::optional<std::string> value, unsigned type);

  Connection* conn_;
  std::string sql_;
  bool plan_each_run_;  ///< Connection::PrepareForValues
  std::vector<std::optional<std::string>> values_;
  std::vector<unsigned> types_;
  bool has_nul_ = false;  ///< a text value holds U+0000, which PostgreSQL text cannot store
  struct Clear {
    void operator()(pg_result* result) const;
  };
  std::unique_ptr<pg_result, Clear> result_;
  int rows_ = 0;
  int row_ = -1;
};

/// One libpq connection with its prepared statements. Not thread-safe: a pool hands it to
/// one thread at a time.
class Connection {
 public:
  using Statement = postgres::Statement;
  static constexpr Dialect kDialect = Dialect::kPostgres;
  /// Connects with a libpq connection string or URL. Errors: Unavailable.
  static core::Result<std::unique_ptr<Connection>> Open(const std::string& conninfo);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// A statement for `sql`, already in PostgreSQL's form (prepared on first execution, then
  /// reused).
  Statement Query(std::string sql) { return Statement(this, std::move(sql)); }
  /// A statement for `sql` in the neutral form of storage/sql/dialect.h (a constant: it is
  /// rendered once per connection, keyed by its address).
  core::Result<Statement> Prepare(const char* sql);
  /// The same for generated SQL already in PostgreSQL's form.
  core::Result<Statement> PrepareDynamic(std::string sql) { return Query(std::move(sql)); }
  /// Generated SQL whose best plan depends on its values (a listing: a rare value wants its
  /// index, a common one the sort's): planned with the bound values at each run, as an unnamed
  /// statement. A named one would switch to a generic plan after five runs, planned for no
  /// value in particular (docs/QUERY-PERFORMANCE.md, "PostgreSQL").
  core::Result<Statement> PrepareForValues(std::string sql) {
    return Statement(this, std::move(sql), /*plan_each_run=*/true);
  }
  /// Runs one or more statements without parameters or results (DDL, BEGIN, COMMIT).
  core::Status Exec(const char* sql);
  /// Runs `copy` (COPY ... FROM STDIN) with `data`, rows in COPY's text format.
  core::Status Copy(const std::string& copy, std::string_view data);
  /// False once the server connection is lost (the pool then drops it).
  bool Healthy() const;
  /// For an idle connection about to be reused: false when the server has closed it or sent
  /// anything since (a restart's "terminating connection" notice), without a round trip.
  bool StillOpen();

  /// Runs `sql` with text parameters of the given types, prepared and cached, or with `once`
  /// planned for these values and not kept (PrepareForValues). The caller owns the result.
  core::Result<pg_result*> Execute(const std::string& sql, const std::vector<unsigned>& types,
                                   const std::vector<std::optional<std::string>>& values,
                                   bool once);

 private:
  explicit Connection(pg_conn* conn) : conn_(conn) {}
  core::Error ResultError(pg_result* result, std::string_view what) const;
  /// `result` (cleared) when it failed or is not `want` (PGRES_COMMAND_OK: either OK status).
  core::Status Check(pg_result* result, int want, std::string_view what) const;
  /// `result` when it succeeded (rows or a command), else its error (cleared).
  core::Result<pg_result*> Checked(pg_result* result) const;
  pg_conn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL + types -> statement name
  std::unordered_map<const char*, std::string> rendered_;  // neutral SQL -> PostgreSQL SQL
  int64_t next_name_ = 0;
};

}  // namespace klozeo::storage::postgres
