#include "storage/postgres/postgres_store.h"

#include <set>

#include "storage/postgres/connection.h"
#include "storage/sql/pool.h"
#include "storage/sql/sql_tx.h"

namespace klozeo::storage::postgres {

namespace {

using core::Error;
using core::Result;
using core::Status;

constexpr const char* kCountRequests =
    "INSERT INTO rate_windows AS r (account_key, start_ms, count) VALUES ($1, $2, $4) "
    "ON CONFLICT (account_key) DO UPDATE SET "
    "start_ms = CASE WHEN $2 - r.start_ms >= $3 THEN $2 ELSE r.start_ms END, "
    "count = CASE WHEN $2 - r.start_ms >= $3 THEN $4 ELSE r.count + $4 END "
    "RETURNING start_ms, count";

constexpr const char* kLockKey = "SELECT pg_advisory_xact_lock($1)";
constexpr const char* kLockKeyShared = "SELECT pg_advisory_xact_lock_shared($1)";

/// The advisory lock of an account, in a range of its own (above the migration lock's).
int64_t LockKey(domain::AccountKey account) {
  return (int64_t{0x6b6c6f7a} << 32) + static_cast<int64_t>(account);
}

using Pool = ConnectionPool<Connection>;

/// A write Tx is a READ COMMITTED transaction that takes an account's transaction-scoped
/// advisory lock before its first statement on the account's data: one account's writes are
/// serialised across processes (read-then-write use cases, the lead cap and dedup, cannot
/// interleave), other accounts write in parallel. A read Tx opens no transaction. A
/// kScoreWrite Tx takes the lock shared: the chunks of a rescore run at once, each still
/// alone with the leads it reads (every other write of the account waits for it).
class PgTx final : public SqlTx<Connection> {
 public:
  PgTx(Pool* pool, std::unique_ptr<Connection> conn, TxMode mode)
      : SqlTx<Connection>(std::move(conn)),
        pool_(pool),
        write_(mode != TxMode::kRead),
        shared_(mode == TxMode::kScoreWrite),
        done_(mode == TxMode::kRead) {}
  ~PgTx() override {
    if (!done_) (void)owned_->Exec("ROLLBACK");
    pool_->Release(std::move(owned_));
  }

  Status Commit() override {
    if (done_) return core::Ok();
    done_ = true;
    return owned_->Exec("COMMIT");
  }

 private:
  // Only management operations take kAccountsLock, and they touch no tenant data: two
  // transactions never wait on each other's locks in opposite orders.
  Status Lock(domain::AccountKey account) override {
    if (!write_ || done_ || locked_.contains(account)) return core::Ok();
    auto s = owned_->Query(shared_ ? kLockKeyShared : kLockKey);
    s.Bind(1, LockKey(account));
    KLOZEO_TRY(s.Run());
    locked_.insert(account);
    return core::Ok();
  }

  Pool* pool_;
  bool write_;
  bool shared_;
  bool done_;
  std::set<domain::AccountKey> locked_;
};

class PgDatabase final : public SqlDatabase<Pool, PgTx> {
 public:
  explicit PgDatabase(const Options& o)
      : SqlDatabase(o.pool_size, o.acquire_timeout_ms,
                    [conninfo = o.conninfo] { return Connection::Open(conninfo); }) {}

  Result<std::unique_ptr<Tx>> Begin(TxMode mode) override {
    KLOZEO_ASSIGN_OR_RETURN(auto conn, pool_.Borrow());
    if (mode != TxMode::kRead) KLOZEO_TRY(conn->Exec("BEGIN"));
    return std::unique_ptr<Tx>(new PgTx(&pool_, std::unique_ptr<Connection>(conn.release()), mode));
  }

  Result<std::optional<RateWindow>> CountRequests(domain::AccountKey account, int64_t now_ms,
                                                  int64_t window_ms, int64_t amount) override {
    KLOZEO_ASSIGN_OR_RETURN(auto conn, pool_.Borrow());
    auto s = conn->Query(kCountRequests);
    s.Bind(1, static_cast<int64_t>(account)).Bind(2, now_ms).Bind(3, window_ms).Bind(4, amount);
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Error::Internal("rate window not returned");
    return std::optional<RateWindow>(RateWindow{s.Int(0), s.Int(1)});
  }
};

}  // namespace

Result<std::unique_ptr<Database>> OpenDatabase(const Options& options) {
  auto db = std::make_unique<PgDatabase>(options);
  // Processes starting together on a new database migrate it once: the first holds this
  // transaction-scoped advisory lock ("klozeo") until its migration commits.
  KLOZEO_TRY(db->Migrate("BEGIN; SELECT pg_advisory_xact_lock(118113470932335)"));
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace klozeo::storage::postgres
