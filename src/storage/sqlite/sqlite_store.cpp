#include "storage/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_set>

#include "core/crypto.h"
#include "core/fold.h"
#include "query/sqlite_compiler.h"
#include "query/sqlite_functions.h"
#include "storage/rows.h"
#include "storage/sqlite/connection.h"
#include "storage/sqlite/dedup_store.h"
#include "storage/sqlite/idempotency_store.h"
#include "storage/sqlite/schema.h"
#include "storage/sqlite/scoring_store.h"
#include "storage/sqlite/stats_store.h"
#include "storage/sqlite/webhook_store.h"

namespace klozeo::storage::sqlite {
namespace {

using core::Error;
using core::Result;
using core::Status;
using domain::Lead;
using nlohmann::json;
using rows::BindLead;
using rows::Folded;
using rows::ReadAccount;
using rows::ReadLead;
using rows::ReadNote;

// ---- SQL, one constant per statement (the statement cache is keyed by these pointers) ----

#define KLOZEO_LEAD_COLUMNS                                                               \
  "id, name, source, description, email, phone, website, address, city, state, country, " \
  "postal_code, category, source_id, logo_url, status, latitude, longitude, rating, "     \
  "review_count, tags, score, created_at, updated_at, last_interaction_at"

constexpr const char* kInsertLead =
    "INSERT INTO leads (account_id, " KLOZEO_LEAD_COLUMNS
    ", name_fold, source_fold, description_fold, email_fold, phone_fold, website_fold, "
    "address_fold, city_fold, state_fold, country_fold, postal_code_fold, category_fold, "
    "source_id_fold, logo_url_fold, status_fold, tags_fold, email_key, phone_key, name_city_key) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
    "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, "
    "?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39, ?40, ?41, ?42, ?43, "
    "?44, ?45)";

constexpr const char* kUpdateLead =
    "UPDATE leads SET name = ?3, source = ?4, description = ?5, email = ?6, phone = ?7, "
    "website = ?8, address = ?9, city = ?10, state = ?11, country = ?12, postal_code = ?13, "
    "category = ?14, source_id = ?15, logo_url = ?16, status = ?17, latitude = ?18, "
    "longitude = ?19, rating = ?20, review_count = ?21, tags = ?22, score = ?23, "
    "created_at = ?24, updated_at = ?25, last_interaction_at = ?26, name_fold = ?27, "
    "source_fold = ?28, description_fold = ?29, email_fold = ?30, phone_fold = ?31, "
    "website_fold = ?32, address_fold = ?33, city_fold = ?34, state_fold = ?35, "
    "country_fold = ?36, postal_code_fold = ?37, category_fold = ?38, source_id_fold = ?39, "
    "logo_url_fold = ?40, status_fold = ?41, tags_fold = ?42, email_key = ?43, phone_key = ?44, "
    "name_city_key = ?45 WHERE account_id = ?1 AND id = ?2";

// A lead row plus its attributes as one JSON array of [id, name, type, value] (in id order:
// the primary key's order), so a lead is read with a single statement. The array is
// concatenated as text: ids are UUIDs, names match [A-Za-z0-9_], types are fixed words and
// values are stored as valid JSON, so nothing needs escaping (and SQLite parses no JSON).
// A lead without attributes yields NULL.
#define KLOZEO_LEAD_SELECT                                                                    \
  KLOZEO_LEAD_COLUMNS                                                                         \
  ", (SELECT '[' || group_concat('[\"' || a.id || '\",\"' || a.name || '\",\"' || a.type || " \
  "'\",' || a.value || ']', ',') || ']' FROM lead_attributes a "                              \
  "WHERE a.account_id = leads.account_id AND a.lead_id = leads.id) AS attributes"

constexpr int kLeadSelectColumns = 26;  // columns of KLOZEO_LEAD_SELECT
constexpr const char* kGetLead =
    "SELECT " KLOZEO_LEAD_SELECT " FROM leads WHERE account_id = ?1 AND id = ?2";
// The select list handed to the filter compiler for lead listings (same columns as kGetLead).
constexpr const char* kLeadSelectList = KLOZEO_LEAD_SELECT;
constexpr const char* kDistinctAttributeNames =
    "SELECT DISTINCT name FROM lead_attributes WHERE account_id = ?1 ORDER BY name";
constexpr const char* kDeleteLead = "DELETE FROM leads WHERE account_id = ?1 AND id = ?2";
constexpr const char* kCountLeads =
    "SELECT COUNT(*) FROM (SELECT 1 FROM leads WHERE account_id = ?1 LIMIT ?2)";

constexpr const char* kDeleteAttributes =
    "DELETE FROM lead_attributes WHERE account_id = ?1 AND lead_id = ?2";
constexpr const char* kInsertAttribute =
    "INSERT INTO lead_attributes (account_id, lead_id, id, name, type, value, value_fold, "
    "value_num) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

constexpr const char* kInsertNote =
    "INSERT INTO notes (account_id, id, lead_id, content, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* kGetNote =
    "SELECT id, lead_id, content, created_at, updated_at FROM notes "
    "WHERE account_id = ?1 AND id = ?2";
constexpr const char* kListNotes =
    "SELECT id, lead_id, content, created_at, updated_at FROM notes "
    "WHERE account_id = ?1 AND lead_id = ?2 ORDER BY id";
constexpr const char* kUpdateNote =
    "UPDATE notes SET content = ?3, updated_at = ?4 WHERE account_id = ?1 AND id = ?2";
constexpr const char* kDeleteNote = "DELETE FROM notes WHERE account_id = ?1 AND id = ?2";

constexpr const char* kInsertAccount =
    "INSERT INTO accounts (id, name, plan, created_at) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* kFindAccountByName =
    "SELECT id, name, plan, created_at FROM accounts WHERE name = ?1";
constexpr const char* kListAccounts =
    "SELECT id, name, plan, created_at FROM accounts ORDER BY created_at, name";
constexpr const char* kInsertKey =
    "INSERT INTO api_keys (account_id, id, key_hash, prefix, created_at, revoked_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, NULL)";
constexpr const char* kListKeys =
    "SELECT id, key_hash, prefix, created_at, revoked_at FROM api_keys WHERE account_id = ?1 "
    "ORDER BY created_at, id";
constexpr const char* kRevokeKey =
    "UPDATE api_keys SET revoked_at = ?3 WHERE account_id = ?1 AND id = ?2 AND revoked_at IS NULL";
constexpr const char* kFindAccountByKey =
    "SELECT a.id, a.name, a.plan, a.created_at FROM api_keys k JOIN accounts a "
    "ON a.id = k.account_id WHERE k.key_hash = ?1 AND k.revoked_at IS NULL";

constexpr const char* kGetMeta = "SELECT value FROM meta WHERE key = ?1";
constexpr const char* kInsertMeta = "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)";

#undef KLOZEO_LEAD_SELECT
#undef KLOZEO_LEAD_COLUMNS

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

/// Connections kept open and handed to one transaction at a time.
class Pool {
 public:
  Pool(Options options) : options_(std::move(options)) {}

  Result<std::unique_ptr<Connection>> Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
    if (open_ < options_.pool_size) {
      ++open_;
      lock.unlock();
      auto conn = Connection::Open(options_.path, options_.busy_timeout_ms);
      if (!conn.ok()) {
        std::lock_guard<std::mutex> relock(mu_);
        --open_;
      }
      return conn;
    }
    if (!cv_.wait_for(lock, std::chrono::milliseconds(options_.busy_timeout_ms),
                      [&] { return !idle_.empty(); })) {
      return Error::Unavailable("no database connection became free in time");
    }
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return conn;
  }

  void Release(std::unique_ptr<Connection> conn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      idle_.push_back(std::move(conn));
    }
    cv_.notify_one();
  }

  // Write transactions all run on one connection, taken in turn. SQLite admits one writer at
  // a time anyway; queueing here instead of in SQLite's busy handler (which sleeps up to 100 ms
  // between tries) hands the lock over as soon as it is free, and the writer's page cache stays
  // warm: a connection's cache is dropped whenever another connection has written.
  Result<std::unique_ptr<Connection>> AcquireWriter() {
    std::unique_lock<std::mutex> lock(writer_mu_);
    if (!writer_cv_.wait_for(lock, std::chrono::milliseconds(options_.busy_timeout_ms),
                             [&] { return !writer_busy_; })) {
      return Error::Unavailable("the database stayed busy with other writes");
    }
    if (writer_ == nullptr) {
      KLOZEO_ASSIGN_OR_RETURN(writer_, Connection::Open(options_.path, options_.busy_timeout_ms));
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

  const Options& options() const { return options_; }

  PoolStats Stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    const int idle = static_cast<int>(idle_.size());
    return PoolStats{options_.pool_size, open_ - idle, idle};
  }

 private:
  Options options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;
  std::mutex writer_mu_;
  std::condition_variable writer_cv_;
  std::unique_ptr<Connection> writer_;
  bool writer_busy_ = false;
  Checkpointer checkpointer_{options_.path};  // declared after writer_: joined first
};

/// A connection borrowed from the pool, given back on destruction (or handed on with Take).
class Lease {
 public:
  static Result<Lease> From(Pool& pool) {
    KLOZEO_ASSIGN_OR_RETURN(auto conn, pool.Acquire());
    return Lease(pool, std::move(conn));
  }
  Lease(Lease&&) = default;
  Lease& operator=(Lease&&) = delete;
  ~Lease() {
    if (conn_) pool_->Release(std::move(conn_));
  }
  Connection* operator->() { return conn_.get(); }
  Connection& operator*() { return *conn_; }
  std::unique_ptr<Connection> Take() { return std::move(conn_); }

 private:
  Lease(Pool& pool, std::unique_ptr<Connection> conn) : pool_(&pool), conn_(std::move(conn)) {}
  Pool* pool_;
  std::unique_ptr<Connection> conn_;
};

/// The account owning an unrevoked key with this hash (shared by the Tx and the per-request
/// lookup outside any transaction).
Result<std::optional<domain::Account>> FindAccountByKey(Connection& conn,
                                                        std::string_view key_hash) {
  KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(kFindAccountByKey));
  s.Bind(1, key_hash);
  KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<domain::Account>();
  return std::optional<domain::Account>(ReadAccount(s));
}

class SqliteTx final : public Tx {
 public:
  // A write Tx holds the write lock from BEGIN IMMEDIATE on. A read Tx opens no transaction:
  // each of its statements reads a consistent snapshot on its own (a lead and its attributes
  // are one statement), which spares two lock round trips per request.
  SqliteTx(Pool* pool, std::unique_ptr<Connection> conn, bool in_transaction)
      : pool_(pool), conn_(std::move(conn)), done_(!in_transaction), writer_(in_transaction) {}
  ~SqliteTx() override {
    if (!done_) {
      (void)conn_->RunCached("ROLLBACK");
    }
    if (conn_ == nullptr) return;  // a committed write Tx gave the writer back already
    if (writer_) {
      pool_->ReleaseWriter(std::move(conn_));
    } else {
      pool_->Release(std::move(conn_));
    }
  }

  Status Commit() override {
    if (done_) return core::Ok();
    KLOZEO_TRY(conn_->RunCached("COMMIT"));
    done_ = true;
    // The writer goes back at once, not when the Tx object is destroyed: a caller that
    // commits and then begins another write before this object goes out of scope must not
    // wait for itself.
    if (writer_) pool_->ReleaseWriter(std::move(conn_));
    return core::Ok();
  }

  Status InsertAccount(const domain::Account& a) override {
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kInsertAccount));
    s.Bind(1, a.id).Bind(2, a.name).Bind(3, a.plan).Bind(4, a.created_at);
    return s.Run();
  }

  Result<std::optional<domain::Account>> FindAccountByName(std::string_view name) override {
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kFindAccountByName));
    s.Bind(1, name);
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<domain::Account>();
    return std::optional<domain::Account>(ReadAccount(s));
  }

  Result<std::vector<domain::Account>> ListAccounts() override {
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kListAccounts));
    std::vector<domain::Account> out;
    while (true) {
      KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(ReadAccount(s));
    }
    return out;
  }

  Status InsertApiKey(const domain::ApiKey& k) override {
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kInsertKey));
    s.Bind(1, k.account_id)
        .Bind(2, k.id)
        .Bind(3, k.key_hash)
        .Bind(4, k.prefix)
        .Bind(5, k.created_at);
    return s.Run();
  }

  Result<std::vector<domain::ApiKey>> ListApiKeys(std::string_view account_id) override {
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kListKeys));
    s.Bind(1, account_id);
    std::vector<domain::ApiKey> out;
    while (true) {
      KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(domain::ApiKey{s.Text(0), std::string(account_id), s.Text(1), s.Text(2),
                                   s.Int(3), s.OptInt(4)});
    }
    return out;
  }

  Result<bool> RevokeApiKey(std::string_view account_id, std::string_view key_id,
                            int64_t now) override {
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kRevokeKey));
    s.Bind(1, account_id).Bind(2, key_id).Bind(3, now);
    KLOZEO_TRY(s.Run());
    return conn_->Changes() > 0;
  }

  Result<std::optional<domain::Account>> FindAccountByKeyHash(std::string_view hash) override {
    return FindAccountByKey(*conn_, hash);
  }

  Status InsertLead(std::string_view account_id, const Lead& lead) override {
    {
      KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kInsertLead));
      BindLead(s, account_id, lead);
      dedup_keys::BindKeys(s, 43, lead, pool_->options().phone_region);
      KLOZEO_TRY(s.Run());
    }
    return InsertAttributes(account_id, lead);
  }

  Result<std::optional<Lead>> GetLead(std::string_view account_id, std::string_view id) override {
    std::optional<Lead> lead;
    {
      KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kGetLead));
      s.Bind(1, account_id).Bind(2, id);
      KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return lead;
      lead = ReadLead(s);
    }
    return lead;
  }

  Status UpdateLead(std::string_view account_id, const Lead& lead) override {
    {
      KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kUpdateLead));
      BindLead(s, account_id, lead);
      dedup_keys::BindKeys(s, 43, lead, pool_->options().phone_region);
      KLOZEO_TRY(s.Run());
      if (conn_->Changes() == 0) return Error::NotFound("lead not found");
    }
    {
      KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kDeleteAttributes));
      s.Bind(1, account_id).Bind(2, lead.id);
      KLOZEO_TRY(s.Run());
    }
    return InsertAttributes(account_id, lead);
  }

  Result<bool> DeleteLead(std::string_view account_id, std::string_view id) override {
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kDeleteLead));
    s.Bind(1, account_id).Bind(2, id);
    KLOZEO_TRY(s.Run());
    return conn_->Changes() > 0;
  }

  Result<int64_t> CountLeads(std::string_view account_id, int64_t up_to) override {
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kCountLeads));
    s.Bind(1, account_id).Bind(2, up_to);
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.Int(0) : int64_t{0};
  }

  Result<LeadPage> ListLeads(const query::ListQuery& q) override {
    query::CompiledSql compiled = query::CompileSqliteListQuery(kLeadSelectList, q);
    LeadPage page;
    {
      KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->PrepareDynamic(compiled.sql));
      KLOZEO_TRY(query::BindSqliteValues(s.raw(), compiled.binds));
      const int sort_key_column = kLeadSelectColumns;
      while (true) {
        KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        if (q.limit && page.leads.size() == static_cast<size_t>(*q.limit)) {
          page.has_more = true;  // the compiler asks for one row more than the page
          break;
        }
        Lead lead = ReadLead(s);
        page.last_sort_key = query::ReadSqliteValue(s.raw(), sort_key_column);
        page.leads.push_back(std::move(lead));
      }
    }
    return page;
  }

  Result<std::vector<std::string>> AttributeNames(const query::ListQuery& q) override {
    // The account's distinct names come off the (account_id, name, ...) index. Without filters
    // every lead matches, so those are the answer. With filters, each name is kept if some
    // matching lead has it: the compiled query streams until the first such lead, so nothing
    // is materialised (an IN (subquery) would hold every matching id in memory at once).
    std::vector<std::string> candidates;
    {
      KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kDistinctAttributeNames));
      s.Bind(1, q.account_id);
      while (true) {
        KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        candidates.push_back(s.Text(0));
      }
    }
    if (q.filters.empty()) return candidates;
    query::ListQuery all = q;
    all.after.reset();
    all.limit.reset();
    query::CompiledSql matches = query::CompileSqliteListQuery("leads.id AS id", all);
    // The compiler's placeholders come first, then the outer ones.
    std::string sql = "SELECT 1 FROM (" + matches.sql +
                      ") m WHERE EXISTS (SELECT 1 FROM lead_attributes a WHERE a.account_id = ? "
                      "AND a.lead_id = m.id AND a.name = ?) LIMIT 1";
    std::vector<std::string> names;
    for (const auto& name : candidates) {
      std::vector<query::SqlValue> binds = matches.binds;
      binds.emplace_back(q.account_id);
      binds.emplace_back(name);
      KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->PrepareDynamic(sql));
      KLOZEO_TRY(query::BindSqliteValues(s.raw(), binds));
      KLOZEO_ASSIGN_OR_RETURN(bool present, s.Step());
      if (present) names.push_back(name);
    }
    return names;
  }

  Status InsertNote(std::string_view account_id, const domain::Note& n) override {
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kInsertNote));
    s.Bind(1, account_id)
        .Bind(2, n.id)
        .Bind(3, n.lead_id)
        .Bind(4, n.content)
        .Bind(5, n.created_at)
        .Bind(6, n.updated_at);
    return s.Run();
  }

  Result<std::optional<domain::Note>> GetNote(std::string_view account_id,
                                              std::string_view note_id) override {
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kGetNote));
    s.Bind(1, account_id).Bind(2, note_id);
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<domain::Note>();
    return std::optional<domain::Note>(ReadNote(s));
  }

  Result<std::vector<domain::Note>> ListNotes(std::string_view account_id,
                                              std::string_view lead_id) override {
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kListNotes));
    s.Bind(1, account_id).Bind(2, lead_id);
    std::vector<domain::Note> out;
    while (true) {
      KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(ReadNote(s));
    }
    return out;
  }

  Status UpdateNote(std::string_view account_id, const domain::Note& n) override {
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kUpdateNote));
    s.Bind(1, account_id).Bind(2, n.id).Bind(3, n.content).Bind(4, n.updated_at);
    return s.Run();
  }

  Result<bool> DeleteNote(std::string_view account_id, std::string_view note_id) override {
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kDeleteNote));
    s.Bind(1, account_id).Bind(2, note_id);
    KLOZEO_TRY(s.Run());
    return conn_->Changes() > 0;
  }

  // Dedup lookups: the SQL lives in dedup_store.cpp.
  Result<std::optional<std::string>> FindLeadIdByKey(std::string_view account_id, DedupKey kind,
                                                     std::string_view key) override {
    return dedup_keys::FindLeadIdByKey(*conn_, account_id, kind, key);
  }
  Result<std::vector<std::pair<std::string, std::string>>> FindLeadsByPhoneKey(
      std::string_view account_id, std::string_view phone_key, int limit) override {
    return dedup_keys::FindLeadsByPhoneKey(*conn_, account_id, phone_key, limit);
  }

  // Scoring rules and scores: the SQL lives in scoring_store.cpp.
  Status InsertScoringRule(std::string_view account_id, const domain::ScoringRule& r) override {
    return scoring::InsertRule(*conn_, account_id, r);
  }
  Result<std::optional<domain::ScoringRule>> GetScoringRule(std::string_view account_id,
                                                            std::string_view id) override {
    return scoring::GetRule(*conn_, account_id, id);
  }
  Result<std::vector<domain::ScoringRule>> ListScoringRules(std::string_view account_id) override {
    return scoring::ListRules(*conn_, account_id);
  }
  Status UpdateScoringRule(std::string_view account_id, const domain::ScoringRule& r) override {
    return scoring::UpdateRule(*conn_, account_id, r);
  }
  Result<bool> DeleteScoringRule(std::string_view account_id, std::string_view id) override {
    return scoring::DeleteRule(*conn_, account_id, id);
  }
  Result<int64_t> CountScoringRules(std::string_view account_id) override {
    return scoring::CountRules(*conn_, account_id);
  }
  Status UpdateScores(std::string_view account_id,
                      const std::vector<std::pair<std::string, double>>& scores) override {
    return scoring::UpdateScores(*conn_, account_id, scores);
  }

  Result<std::vector<Lead>> ScanLeads(std::string_view account_id, std::string_view after_id,
                                      int limit, const LeadProjection& projection) override {
    return scoring::ScanLeads(*conn_, account_id, after_id, limit, projection);
  }

  // Webhooks, the outbox and deliveries: the SQL lives in webhook_store.cpp.
  Status InsertWebhook(std::string_view account_id, const domain::Webhook& w) override {
    return webhooks::Insert(*conn_, account_id, w);
  }
  Result<std::optional<domain::Webhook>> GetWebhook(std::string_view account_id,
                                                    std::string_view id) override {
    return webhooks::Get(*conn_, account_id, id);
  }
  Result<std::vector<domain::Webhook>> ListWebhooks(std::string_view account_id) override {
    return webhooks::List(*conn_, account_id);
  }
  Status UpdateWebhook(std::string_view account_id, const domain::Webhook& w) override {
    return webhooks::Update(*conn_, account_id, w);
  }
  Result<bool> DeleteWebhook(std::string_view account_id, std::string_view id) override {
    return webhooks::Delete(*conn_, account_id, id);
  }
  Result<int64_t> CountWebhooks(std::string_view account_id) override {
    return webhooks::Count(*conn_, account_id);
  }
  Result<int64_t> EnqueueWebhookEvent(const domain::WebhookEvent& event, int64_t due_ms) override {
    return webhooks::EnqueueEvent(*conn_, event, due_ms);
  }
  Result<std::string> EnqueueWebhookDelivery(const domain::WebhookEvent& event,
                                             std::string_view webhook_id, int64_t due_ms) override {
    return webhooks::EnqueueDelivery(*conn_, event, webhook_id, due_ms);
  }
  Result<std::vector<domain::DeliveryJob>> ClaimWebhookDeliveries(std::string_view worker,
                                                                  int64_t now_ms,
                                                                  int64_t lease_until_ms,
                                                                  int limit) override {
    return webhooks::Claim(*conn_, worker, now_ms, lease_until_ms, limit);
  }
  Result<bool> RecordWebhookAttempt(std::string_view worker,
                                    const domain::AttemptRecord& record) override {
    return webhooks::RecordAttempt(*conn_, worker, record);
  }
  Status ReleaseWebhookDelivery(std::string_view worker, std::string_view delivery_id,
                                int64_t due_ms) override {
    return webhooks::Release(*conn_, worker, delivery_id, due_ms);
  }
  Result<std::vector<domain::WebhookDelivery>> ListWebhookDeliveries(std::string_view account_id,
                                                                     std::string_view webhook_id,
                                                                     int limit) override {
    return webhooks::ListDeliveries(*conn_, account_id, webhook_id, limit);
  }
  Result<std::optional<domain::WebhookDelivery>> GetWebhookDelivery(
      std::string_view account_id, std::string_view webhook_id,
      std::string_view delivery_id) override {
    return webhooks::GetDelivery(*conn_, account_id, webhook_id, delivery_id);
  }
  Result<bool> RedeliverWebhookDelivery(std::string_view account_id, std::string_view webhook_id,
                                        std::string_view delivery_id, int64_t due_ms) override {
    return webhooks::Redeliver(*conn_, account_id, webhook_id, delivery_id, due_ms);
  }
  // Idempotency-Key records: the SQL lives in idempotency_store.cpp.
  Result<std::optional<IdempotencyRecord>> GetIdempotencyRecord(std::string_view account_id,
                                                                std::string_view key) override {
    return idempotency::Get(*conn_, account_id, key);
  }
  Result<bool> ReserveIdempotencyKey(std::string_view account_id, std::string_view key,
                                     std::string_view request_hash,
                                     int64_t created_at_ms) override {
    return idempotency::Reserve(*conn_, account_id, key, request_hash, created_at_ms);
  }
  Status CompleteIdempotencyKey(std::string_view account_id, std::string_view key, int status,
                                std::string_view headers_json, std::string_view body) override {
    return idempotency::Complete(*conn_, account_id, key, status, headers_json, body);
  }
  Status DeleteIdempotencyKey(std::string_view account_id, std::string_view key) override {
    return idempotency::Delete(*conn_, account_id, key);
  }
  Result<int64_t> PurgeIdempotencyKeys(int64_t before_ms) override {
    return idempotency::Purge(*conn_, before_ms);
  }
  // Metrics: the partial index webhook_deliveries_due holds exactly the pending deliveries.
  // GET /api/v1/stats: the SQL lives in stats_store.cpp.
  Result<LeadStats> ComputeLeadStats(std::string_view account_id, int64_t since_seconds,
                                     int top) override {
    return stats::Compute(*conn_, account_id, since_seconds, top);
  }
  Result<int64_t> CountPendingWebhookDeliveries() override {
    KLOZEO_ASSIGN_OR_RETURN(
        auto s, conn_->Prepare("SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'"));
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.Int(0) : int64_t{0};
  }

 private:
  Status InsertAttributes(std::string_view account_id, const Lead& lead) {
    for (const auto& a : lead.attributes) {
      KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kInsertAttribute));
      s.Bind(1, account_id)
          .Bind(2, lead.id)
          .Bind(3, a.id)
          .Bind(4, a.name)
          .Bind(5, domain::AttributeTypeName(a.type))
          .Bind(6, a.value.dump());
      if (a.type == domain::AttributeType::kText) {
        s.Bind(7, core::FoldText(a.value.get_ref<const std::string&>()));
      } else {
        s.BindNull(7);
      }
      if (a.type == domain::AttributeType::kNumber) {
        s.Bind(8, a.value.get<double>());
      } else if (a.type == domain::AttributeType::kBool) {
        s.Bind(8, a.value.get<bool>() ? 1.0 : 0.0);
      } else {
        s.BindNull(8);
      }
      KLOZEO_TRY(s.Run());
    }
    return core::Ok();
  }

  Pool* pool_;
  std::unique_ptr<Connection> conn_;
  bool done_ = false;
  bool writer_ = false;  ///< conn_ is the pool's writer connection
};

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(Options options) : pool_(std::move(options)) {}

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

  Status Ping() override {
    KLOZEO_ASSIGN_OR_RETURN(Lease conn, Lease::From(pool_));
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn->Prepare("SELECT 1"));
    return s.Run();
  }

  Result<std::string> Secret(std::string_view name) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = secrets_.find(std::string(name));
    if (it != secrets_.end()) return it->second;
    KLOZEO_ASSIGN_OR_RETURN(Lease conn, Lease::From(pool_));
    KLOZEO_ASSIGN_OR_RETURN(std::string value, ReadOrCreateSecret(*conn, name));
    secrets_.emplace(std::string(name), value);
    return value;
  }

  Result<std::optional<domain::Account>> FindAccountByKeyHash(std::string_view key_hash) override {
    // One statement, so no explicit transaction: this runs on every request.
    KLOZEO_ASSIGN_OR_RETURN(Lease conn, Lease::From(pool_));
    return FindAccountByKey(*conn, key_hash);
  }

  std::string_view Dialect() const override { return "sqlite"; }
  PoolStats PoolUsage() const override { return pool_.Stats(); }

  Status Migrate() {
    KLOZEO_ASSIGN_OR_RETURN(Lease conn, Lease::From(pool_));
    // The key columns' migration backfills existing rows through these functions.
    KLOZEO_TRY(dedup_keys::RegisterFunctions(*conn, pool_.options().phone_region));
    KLOZEO_TRY(MigrateOn(*conn));
    // Planner statistics for tables that lack them or changed a lot since the last start, so
    // SQLite weighs a filter's index against the sort's index with real row counts. Bounded
    // sampling keeps this quick on large files.
    return conn->Exec("PRAGMA analysis_limit=1000; PRAGMA optimize=0x10002;");
  }

 private:
  static Status MigrateOn(Connection& conn) {
    KLOZEO_TRY(
        conn.Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                  "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"));
    KLOZEO_TRY(conn.Exec("BEGIN IMMEDIATE"));
    // Every migration not recorded yet is applied, in order (not only those above the highest
    // recorded: branches add numbered migrations independently).
    std::unordered_set<int64_t> applied_versions;
    {
      auto s = conn.Prepare("SELECT version FROM schema_migrations");
      if (!s.ok()) return std::move(s).error();
      while (true) {
        auto row = s->Step();
        if (!row.ok()) return std::move(row).error();
        if (!*row) break;
        applied_versions.insert(s->Int(0));
      }
    }
    for (const auto& m : kMigrations) {
      if (applied_versions.contains(m.version)) continue;
      auto applied = conn.Exec(m.sql);
      if (applied.ok()) {
        auto s = conn.Prepare(
            "INSERT INTO schema_migrations (version, applied_at) "
            "VALUES (?1, strftime('%s','now'))");
        if (!s.ok()) {
          applied = std::move(s).error();
        } else {
          s->Bind(1, static_cast<int64_t>(m.version));
          applied = s->Run();
        }
      }
      if (!applied.ok()) {
        (void)conn.Exec("ROLLBACK");
        return Error::Internal("migration " + std::to_string(m.version) +
                               " failed: " + applied.error().ForLog());
      }
    }
    return conn.Exec("COMMIT");
  }

  // INSERT OR IGNORE then read back: concurrent first uses (several processes) agree on one.
  /// Read first: a secret that exists needs no write (reads keep working when writes fail);
  /// the insert only creates a missing one.
  static Result<std::string> ReadOrCreateSecret(Connection& conn, std::string_view name) {
    for (int pass = 0; pass < 2; ++pass) {
      {
        KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(kGetMeta));
        s.Bind(1, name);
        KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
        if (row) return s.Text(0);
      }
      if (pass == 0) {
        KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(kInsertMeta));
        s.Bind(1, name).Bind(2, core::RandomHex(32));
        KLOZEO_TRY(s.Run());
      }
    }
    return Error::Internal("secret '" + std::string(name) + "' vanished");
  }

  Pool pool_;
  std::mutex mu_;
  std::unordered_map<std::string, std::string> secrets_;
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
