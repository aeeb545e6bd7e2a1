#pragma once

// What both backends' Database does the same way over its own connection type: the pool of
// connections, the server-wide secrets and the rest of Database (migrations: storage/sql/schema.h).

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "storage/sql/dialect.h"
#include "storage/sql/schema.h"
#include "storage/sql/statements.h"
#include "storage/store.h"

namespace klozeo::storage {

/// Connections kept open and handed to one transaction at a time; a connection that lost its
/// server (Conn::Healthy() false) is dropped instead of being reused. Thread-safe.
template <typename Conn>
class ConnectionPool {
 public:
  using Opener = std::function<core::Result<std::unique_ptr<Conn>>()>;
  ConnectionPool(int size, int wait_ms, Opener open)
      : size_(size), wait_ms_(wait_ms), open_(std::move(open)) {}

  /// An idle connection, a new one while fewer than `size` are open, else the first given back
  /// within `wait_ms`. Errors: Unavailable when none became free in time or opening failed.
  core::Result<std::unique_ptr<Conn>> Acquire() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms_);
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      // Connections the server closed while they sat idle (it restarted) are dropped here,
      // before a request can fail on one (Conn::StillOpen).
      while (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        if (conn->StillOpen()) return conn;
        --opened_;
      }
      if (opened_ < size_) {
        ++opened_;
        lock.unlock();
        auto conn = open_();
        if (!conn.ok()) {
          std::lock_guard<std::mutex> relock(mu_);
          --opened_;
        }
        return conn;
      }
      if (!cv_.wait_until(lock, deadline, [&] { return !idle_.empty(); })) {
        return core::Error::Unavailable("no database connection became free in time");
      }
    }
  }

  void Release(std::unique_ptr<Conn> conn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (conn->Healthy()) {
        idle_.push_back(std::move(conn));
      } else {
        --opened_;
      }
    }
    cv_.notify_one();
  }

  PoolStats Stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    const int idle = static_cast<int>(idle_.size());
    return PoolStats{size_, opened_ - idle, idle};
  }

  struct GiveBack {
    ConnectionPool* pool;
    void operator()(Conn* conn) const { pool->Release(std::unique_ptr<Conn>(conn)); }
  };
  /// A connection borrowed from the pool, given back on destruction (or handed on: release()).
  using Lease = std::unique_ptr<Conn, GiveBack>;
  core::Result<Lease> Borrow() {
    KLOZEO_ASSIGN_OR_RETURN(auto conn, Acquire());
    return Lease(conn.release(), GiveBack{this});
  }

 private:
  const int size_;
  const int wait_ms_;
  Opener open_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> idle_;
  int opened_ = 0;
};

/// What both backends' Database does the same way over its pool P and its Tx type T.
template <typename P, typename T>
class SqlDatabase : public Database {
 public:
  core::Status Ping() override {
    KLOZEO_ASSIGN_OR_RETURN(auto conn, pool_.Borrow());
    return conn->Exec("SELECT 1");
  }
  /// Cached. Read first: a secret that exists needs no write (reads keep working when writes
  /// fail); a missing one is inserted if absent and read back, so concurrent first uses in
  /// several processes agree on one.
  core::Result<std::string> Secret(std::string_view name) override {
    std::lock_guard<std::mutex> lock(secrets_mu_);
    auto it = secrets_.find(std::string(name));
    if (it != secrets_.end()) return it->second;
    KLOZEO_ASSIGN_OR_RETURN(auto conn, pool_.Borrow());
    for (int pass = 0; pass < 2; ++pass) {
      {
        KLOZEO_ASSIGN_OR_RETURN(auto s, conn->Prepare(sql::kGetMeta));
        s.Bind(1, name);
        KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
        if (row) return secrets_.emplace(std::string(name), s.Text(0)).first->second;
      }
      if (pass == 0) {
        KLOZEO_ASSIGN_OR_RETURN(auto s, conn->Prepare(sql::kInsertMeta));
        s.Bind(1, name).Bind(2, core::RandomHex(32));
        KLOZEO_TRY(s.Run());
      }
    }
    return core::Error::Internal("secret '" + std::string(name) + "' vanished");
  }
  /// One statement, so no explicit transaction: this runs on every request.
  core::Result<std::optional<domain::Account>> FindAccountByKeyHash(
      std::string_view key_hash) override {
    KLOZEO_ASSIGN_OR_RETURN(auto conn, pool_.Borrow());
    return T::FindAccountByKey(*conn, key_hash);
  }
  std::string_view Dialect() const override {
    return T::kPg ? std::string_view("postgres") : std::string_view("sqlite");
  }
  PoolStats PoolUsage() const override { return pool_.Stats(); }

  /// Brings the schema up to date (MigrateSchema) in one transaction opened by `begin`, which
  /// also keeps other processes starting on the same database out until it commits.
  core::Status Migrate(const char* begin) {
    KLOZEO_ASSIGN_OR_RETURN(auto conn, pool_.Borrow());
    KLOZEO_TRY(conn->Exec(begin));
    core::Status applied = conn->Exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, "
        "applied_at BIGINT NOT NULL)");
    if (applied.ok()) {
      applied =
          MigrateSchema(*conn, T::kPg ? storage::Dialect::kPostgres : storage::Dialect::kSqlite);
    }
    if (!applied.ok()) {
      (void)conn->Exec("ROLLBACK");
      return core::Error::Storage(applied.error().code,
                                  "schema migration failed: " + applied.error().ForLog());
    }
    return conn->Exec("COMMIT");
  }

 protected:
  template <typename... Args>
  explicit SqlDatabase(Args&&... args) : pool_(std::forward<Args>(args)...) {}

  P pool_;
  std::mutex secrets_mu_;
  std::unordered_map<std::string, std::string> secrets_;
};

}  // namespace klozeo::storage
