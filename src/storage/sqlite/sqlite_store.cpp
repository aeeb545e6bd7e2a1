#include "storage/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "storage/sql/pool.h"
#include "storage/sql/sql_tx.h"
#include "storage/sqlite/connection.h"

namespace klozeo::storage::sqlite {

using Backend = SqlBackend<Connection, Statement, Dialect::kSqlite>;

namespace {

using core::Error;
using core::Result;
using core::Status;

/// Checkpoints the WAL on a connection of its own, in the background: the writer only signals
/// (through its WAL hook) that the log has grown past kPages, so a commit never waits for a
/// checkpoint's copying and fsyncs, and the next writer is not held up behind one. PASSIVE
/// checkpoints run beside readers and writers.
class Checkpointer {
 public:
  static constexpr int kPages = 4000;         // 16 MB of 4 KB pages
  static constexpr int kWriterPages = 16000;  // 64 MB

  explicit Checkpointer(std::string path) : path_(std::move(path)) {}
  ~Checkpointer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  /// Hooks `writer` up: its commits report the WAL's size here instead of checkpointing.
  void Watch(Connection& writer) {
    sqlite3_wal_hook(writer.raw(), &Checkpointer::OnCommit, this);
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  }

 private:
  static int OnCommit(void* self, sqlite3* db, const char* name, int pages) {
    if (pages >= kWriterPages) {
      // A writer that never pauses keeps the background checkpoint from ever catching up, and
      // the log only restarts from its beginning once everything in it is copied: past this
      // size the writer copies it itself before its next transaction (as SQLite's own
      // auto-checkpoint would), so the log stays bounded. Busy (the background checkpoint is
      // running): tried again on the next commit.
      (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else if (pages >= kPages) {
      auto* c = static_cast<Checkpointer*>(self);
      {
        std::lock_guard<std::mutex> lock(c->mu_);
        c->pending_ = true;
      }
      c->cv_.notify_one();
    }
    return SQLITE_OK;
  }

  void Run() {
    std::unique_ptr<Connection> conn;
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stop_ || pending_; });
      if (stop_) return;
      pending_ = false;
      lock.unlock();
      if (conn == nullptr) {
        auto opened = Connection::Open(path_, 1000);
        if (opened.ok()) conn = std::move(*opened);
      }
      // A failed or partial checkpoint (readers still on old frames) is retried on a later
      // commit; SQLite stays correct whatever the WAL's length.
      if (conn != nullptr) {
        (void)sqlite3_wal_checkpoint_v2(conn->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                        nullptr);
      }
      lock.lock();
    }
  }

  std::string path_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false;
  bool stop_ = false;
  std::thread thread_;
};

/// The read connections, and the one writer that write transactions take in turn. SQLite
/// admits one writer at a time anyway; queueing here instead of in SQLite's busy handler (which
/// sleeps up to 100 ms between tries) hands the lock over as soon as it is free, and the
/// writer's page cache stays warm: a connection's cache is dropped whenever another connection
/// has written.
class Pool : public ConnectionPool<Connection> {
 public:
  explicit Pool(Options options)
      : ConnectionPool<Connection>(options.pool_size, options.busy_timeout_ms,
                                   [this] { return Open(); }),
        options_(std::move(options)) {}

  Result<std::unique_ptr<Connection>> Open() const {
    return Connection::Open(options_.path, options_.busy_timeout_ms);
  }

  Result<std::unique_ptr<Connection>> AcquireWriter() {
    std::unique_lock<std::mutex> lock(writer_mu_);
    if (!writer_cv_.wait_for(lock, std::chrono::milliseconds(options_.busy_timeout_ms),
                             [&] { return !writer_busy_; })) {
      return Error::Unavailable("the database stayed busy with other writes");
    }
    if (writer_ == nullptr) {
      KLOZEO_ASSIGN_OR_RETURN(writer_, Open());
      KLOZEO_TRY(writer_->Exec("PRAGMA cache_size=-64000"));
      checkpointer_.Watch(*writer_);
    }
    writer_busy_ = true;
    return std::move(writer_);
  }

  void ReleaseWriter(std::unique_ptr<Connection> conn) {
    {
      std::lock_guard<std::mutex> lock(writer_mu_);
      writer_ = std::move(conn);
      writer_busy_ = false;
    }
    writer_cv_.notify_one();
  }

 private:
  Options options_;
  std::mutex writer_mu_;
  std::condition_variable writer_cv_;
  std::unique_ptr<Connection> writer_;
  bool writer_busy_ = false;
  Checkpointer checkpointer_{options_.path};  // declared after writer_: joined first
};
using Lease = Pool::Lease;

/// A write Tx holds the write lock from BEGIN IMMEDIATE on. A read Tx opens no transaction:
/// each of its statements reads a consistent snapshot on its own (a lead and its attributes are
/// one statement), which spares two lock round trips per request.
class SqliteTx final : public SqlTx<Backend> {
 public:
  SqliteTx(Pool* pool, std::unique_ptr<Connection> conn, bool in_transaction)
      : SqlTx<Backend>(std::move(conn)),
        pool_(pool),
        done_(!in_transaction),
        writer_(in_transaction) {}
  ~SqliteTx() override {
    if (!done_) (void)owned_->RunCached("ROLLBACK");
    if (owned_ == nullptr) return;  // a committed write Tx gave the writer back already
    if (writer_) {
      pool_->ReleaseWriter(std::move(owned_));
    } else {
      pool_->Release(std::move(owned_));
    }
  }

  Status Commit() override {
    if (done_) return core::Ok();
    KLOZEO_TRY(owned_->RunCached("COMMIT"));
    done_ = true;
    // The writer goes back at once, not when the Tx object is destroyed: a caller that
    // commits and then begins another write before this object goes out of scope must not
    // wait for itself.
    if (writer_) pool_->ReleaseWriter(std::move(owned_));
    return core::Ok();
  }

 private:
  Pool* pool_;
  bool done_ = false;
  bool writer_ = false;  ///< owned_ is the pool's writer connection
};

class SqliteDatabase final : public SqlDatabase<Pool, SqliteTx> {
 public:
  explicit SqliteDatabase(Options options) : SqlDatabase(std::move(options)) {}

  Result<std::unique_ptr<Tx>> Begin(TxMode mode) override {
    if (mode == TxMode::kWrite) {
      KLOZEO_ASSIGN_OR_RETURN(auto conn, pool_.AcquireWriter());
      // IMMEDIATE takes the write lock up front, so read-then-write transactions (cap checks,
      // dedup) never fail half-way with SQLITE_BUSY (another process may hold it).
      Status begun = conn->RunCached("BEGIN IMMEDIATE");
      if (!begun.ok()) {
        pool_.ReleaseWriter(std::move(conn));
        return std::move(begun).error();
      }
      return std::unique_ptr<Tx>(new SqliteTx(&pool_, std::move(conn), true));
    }
    KLOZEO_ASSIGN_OR_RETURN(Lease conn, Lease::From(pool_));
    return std::unique_ptr<Tx>(new SqliteTx(&pool_, conn.Take(), false));
  }

  Status Migrate() {
    KLOZEO_TRY(SqlDatabase::Migrate("BEGIN IMMEDIATE"));
    // Planner statistics for tables that lack them or changed a lot since the last start, so
    // SQLite weighs a filter's index against the sort's index with real row counts. Bounded
    // sampling keeps this quick on large files.
    KLOZEO_ASSIGN_OR_RETURN(Lease conn, Lease::From(pool_));
    return conn->Exec("PRAGMA analysis_limit=1000; PRAGMA optimize=0x10002;");
  }
};

}  // namespace

Result<std::unique_ptr<Database>> OpenDatabase(const Options& options) {
  // Memory statistics take a global mutex on every allocation inside SQLite; we never read
  // them. Must run before SQLite initialises, hence once per process, first.
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  auto db = std::make_unique<SqliteDatabase>(options);
  // Processes starting together on a new file race to switch it to WAL and to migrate it;
  // SQLite answers some of those lock conflicts with SQLITE_BUSY at once instead of calling
  // the busy handler, so a busy start is retried for as long as the busy timeout.
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options.busy_timeout_ms);
  while (true) {
    Status migrated = db->Migrate();
    if (migrated.ok()) break;
    if (migrated.error().code != core::ErrorCode::kUnavailable ||
        std::chrono::steady_clock::now() >= give_up) {
      return std::move(migrated).error();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace klozeo::storage::sqlite
