#include "storage/postgres/postgres_store.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "core/crypto.h"
#include "core/fold.h"
#include "dedup/keys.h"
#include "dedup/phone.h"
#include "query/postgres_compiler.h"
#include "storage/postgres/connection.h"
#include "storage/postgres/schema.h"
#include "storage/postgres/stats_store.h"
#include "storage/postgres/webhook_store.h"
#include "storage/rows.h"

namespace klozeo::storage::postgres {
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
using rows::ReadRule;

// ---- SQL: the statements of storage/sqlite, in PostgreSQL ----

#define KLOZEO_LEAD_COLUMNS                                                               \
  "id, name, source, description, email, phone, website, address, city, state, country, " \
  "postal_code, category, source_id, logo_url, status, latitude, longitude, rating, "     \
  "review_count, tags, score, created_at, updated_at, last_interaction_at"

constexpr const char* kInsertLead =
    "INSERT INTO leads (account_id, " KLOZEO_LEAD_COLUMNS
    ", name_fold, source_fold, description_fold, email_fold, phone_fold, website_fold, "
    "address_fold, city_fold, state_fold, country_fold, postal_code_fold, category_fold, "
    "source_id_fold, logo_url_fold, status_fold, tags_fold, email_key, phone_key, name_city_key) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, "
    "$19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, "
    "$37, $38, $39, $40, $41, $42::jsonb, $43, $44, $45)";

constexpr const char* kUpdateLead =
    "UPDATE leads SET name = $3, source = $4, description = $5, email = $6, phone = $7, "
    "website = $8, address = $9, city = $10, state = $11, country = $12, postal_code = $13, "
    "category = $14, source_id = $15, logo_url = $16, status = $17, latitude = $18, "
    "longitude = $19, rating = $20, review_count = $21, tags = $22, score = $23, "
    "created_at = $24, updated_at = $25, last_interaction_at = $26, name_fold = $27, "
    "source_fold = $28, description_fold = $29, email_fold = $30, phone_fold = $31, "
    "website_fold = $32, address_fold = $33, city_fold = $34, state_fold = $35, "
    "country_fold = $36, postal_code_fold = $37, category_fold = $38, source_id_fold = $39, "
    "logo_url_fold = $40, status_fold = $41, tags_fold = $42::jsonb, email_key = $43, "
    "phone_key = $44, name_city_key = $45 WHERE account_id = $1 AND id = $2";

// A lead row plus its attributes as one JSON array of [id, name, type, value] in id order,
// concatenated as text exactly as the SQLite store does (nothing in it needs escaping).
#define KLOZEO_LEAD_SELECT                                                                  \
  KLOZEO_LEAD_COLUMNS                                                                       \
  ", (SELECT '[' || string_agg('[\"' || a.id || '\",\"' || a.name || '\",\"' || a.type || " \
  "'\",' || a.value || ']', ',' ORDER BY a.id) || ']' FROM lead_attributes a "              \
  "WHERE a.account_id = leads.account_id AND a.lead_id = leads.id) AS attributes"

constexpr int kLeadSelectColumns = 26;
constexpr const char* kGetLead =
    "SELECT " KLOZEO_LEAD_SELECT " FROM leads WHERE account_id = $1 AND id = $2";
constexpr const char* kLeadSelectList = KLOZEO_LEAD_SELECT;
constexpr const char* kDistinctAttributeNames =
    "SELECT DISTINCT name FROM lead_attributes WHERE account_id = $1 ORDER BY name";
constexpr const char* kDeleteLead = "DELETE FROM leads WHERE account_id = $1 AND id = $2";
constexpr const char* kCountLeads =
    "SELECT COUNT(*) FROM (SELECT 1 FROM leads WHERE account_id = $1 LIMIT $2) t";

constexpr const char* kDeleteAttributes =
    "DELETE FROM lead_attributes WHERE account_id = $1 AND lead_id = $2";
constexpr const char* kInsertAttribute =
    "INSERT INTO lead_attributes (account_id, lead_id, id, name, type, value, value_fold, "
    "value_num, value_items, value_sort) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)";

constexpr const char* kInsertNote =
    "INSERT INTO notes (account_id, id, lead_id, content, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6)";
constexpr const char* kGetNote =
    "SELECT id, lead_id, content, created_at, updated_at FROM notes "
    "WHERE account_id = $1 AND id = $2";
constexpr const char* kListNotes =
    "SELECT id, lead_id, content, created_at, updated_at FROM notes "
    "WHERE account_id = $1 AND lead_id = $2 ORDER BY id";
constexpr const char* kUpdateNote =
    "UPDATE notes SET content = $3, updated_at = $4 WHERE account_id = $1 AND id = $2";
constexpr const char* kDeleteNote = "DELETE FROM notes WHERE account_id = $1 AND id = $2";

constexpr const char* kInsertAccount =
    "INSERT INTO accounts (id, name, plan, created_at) VALUES ($1, $2, $3, $4)";
constexpr const char* kFindAccountByName =
    "SELECT id, name, plan, created_at FROM accounts WHERE name = $1";
constexpr const char* kListAccounts =
    "SELECT id, name, plan, created_at FROM accounts ORDER BY created_at, name";
constexpr const char* kInsertKey =
    "INSERT INTO api_keys (account_id, id, key_hash, prefix, created_at, revoked_at) "
    "VALUES ($1, $2, $3, $4, $5, NULL)";
constexpr const char* kListKeys =
    "SELECT id, key_hash, prefix, created_at, revoked_at FROM api_keys WHERE account_id = $1 "
    "ORDER BY created_at, id";
constexpr const char* kRevokeKey =
    "UPDATE api_keys SET revoked_at = $3 WHERE account_id = $1 AND id = $2 AND revoked_at IS NULL";
constexpr const char* kFindAccountByKey =
    "SELECT a.id, a.name, a.plan, a.created_at FROM api_keys k JOIN accounts a "
    "ON a.id = k.account_id WHERE k.key_hash = $1 AND k.revoked_at IS NULL";

constexpr const char* kGetMeta = "SELECT value FROM meta WHERE key = $1";
constexpr const char* kInsertMeta =
    "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";

// Dedup lookups: oldest first (UUIDv7 ids are creation-ordered); (account_id, key, id)
// indexes answer them without a sort.
constexpr const char* kFindByEmailKey =
    "SELECT id FROM leads WHERE account_id = $1 AND email_key = $2 ORDER BY id LIMIT 1";
constexpr const char* kFindBySourceId =
    "SELECT id FROM leads WHERE account_id = $1 AND source_id = $2 ORDER BY id LIMIT 1";
constexpr const char* kFindByNameCityKey =
    "SELECT id FROM leads WHERE account_id = $1 AND name_city_key = $2 ORDER BY id LIMIT 1";
constexpr const char* kFindByPhoneKey =
    "SELECT id, name FROM leads WHERE account_id = $1 AND phone_key = $2 ORDER BY id LIMIT $3";

// Scoring rules and scores.
constexpr const char* kInsertRule =
    "INSERT INTO scoring_rules (account_id, id, name, expression, weight, priority, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
constexpr const char* kGetRule =
    "SELECT id, name, expression, weight, priority, created_at, updated_at FROM scoring_rules "
    "WHERE account_id = $1 AND id = $2";
constexpr const char* kListRules =
    "SELECT id, name, expression, weight, priority, created_at, updated_at FROM scoring_rules "
    "WHERE account_id = $1 ORDER BY priority, created_at, id";
constexpr const char* kUpdateRule =
    "UPDATE scoring_rules SET name = $3, expression = $4, weight = $5, priority = $6, "
    "updated_at = $7 WHERE account_id = $1 AND id = $2";
constexpr const char* kDeleteRule = "DELETE FROM scoring_rules WHERE account_id = $1 AND id = $2";
constexpr const char* kCountRules = "SELECT COUNT(*) FROM scoring_rules WHERE account_id = $1";
// Many scores in one statement: parallel arrays of ids and scores; only rows whose score
// really changes are written.
constexpr const char* kUpdateScores =
    "UPDATE leads l SET score = u.score FROM unnest($2::text[], $3::float8[]) AS u(id, score) "
    "WHERE l.account_id = $1 AND l.id = u.id AND l.score IS DISTINCT FROM u.score";
constexpr const char* kScanFrom =
    " FROM leads WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3";
constexpr const char* kScanAttributes =
    "SELECT lead_id, name, type, value FROM lead_attributes WHERE account_id = $1 AND "
    "lead_id > $2 AND lead_id <= $3 AND name = ANY($4::text[]) ORDER BY lead_id, id";

// Requests counted in the account's shared window (a new window when the last one ended); the
// count keeps growing past the limit, so "count > limit" means refused.
// Idempotency-Key records (SQLite's idempotency_store.cpp; PostgreSQL migration 6).
constexpr const char* kGetIdempotency =
    "SELECT request_hash, status, headers, body, created_at_ms FROM idempotency_keys "
    "WHERE account_id = $1 AND key = $2";
constexpr const char* kReserveIdempotency =
    "INSERT INTO idempotency_keys (account_id, key, request_hash, status, created_at_ms) "
    "VALUES ($1, $2, $3, NULL, $4) ON CONFLICT (account_id, key) DO NOTHING";
constexpr const char* kCompleteIdempotency =
    "UPDATE idempotency_keys SET status = $3, headers = $4, body = $5 "
    "WHERE account_id = $1 AND key = $2";
constexpr const char* kDeleteIdempotency =
    "DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2";
constexpr const char* kPurgeIdempotency = "DELETE FROM idempotency_keys WHERE created_at_ms < $1";

constexpr const char* kCountRequests =
    "INSERT INTO rate_windows AS r (account_id, start_ms, count) VALUES ($1, $2, $4) "
    "ON CONFLICT (account_id) DO UPDATE SET "
    "start_ms = CASE WHEN $2 - r.start_ms >= $3 THEN $2 ELSE r.start_ms END, "
    "count = CASE WHEN $2 - r.start_ms >= $3 THEN $4 ELSE r.count + $4 END "
    "RETURNING start_ms, count";

// A transaction-scoped advisory lock: serialises the write transactions of one account
// across every process on the database (see PgTx::Scope).
constexpr const char* kLockKey = "SELECT pg_advisory_xact_lock($1)";
// The key of the lock that serialises account and key management (not tenant data).
constexpr std::string_view kAccountsLock = "accounts";
// The session lock that serialises migrations across processes starting together.
constexpr int64_t kMigrationLock = 0x6b6c6f7a656f;  // "klozeo"

#undef KLOZEO_LEAD_SELECT
#undef KLOZEO_LEAD_COLUMNS

/// FNV-1a, 64 bits: a stable hash (the same in every process and build) for lock keys.
int64_t LockKey(std::string_view text) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : std::string_view("klozeo:"))
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  for (char c : text) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return static_cast<int64_t>(h);
}

/// A PostgreSQL array literal of text ({"a","b"}), each element quoted and escaped.
std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

void BindKeys(Statement& s, int first, const Lead& lead, const dedup::PhoneNormalizer& phones) {
  auto text = [](const std::optional<std::string>& v) {
    return v ? std::string_view(*v) : std::string_view();
  };
  dedup::LeadKeys keys = dedup::ComputeLeadKeys(lead.name, text(lead.email()), text(lead.phone()),
                                                text(lead.city()), phones);
  auto bind = [&](int index, const std::string& key) {
    if (key.empty()) {
      s.BindNull(index);
    } else {
      s.Bind(index, key);
    }
  };
  bind(first, keys.email);
  bind(first + 1, keys.phone);
  bind(first + 2, keys.name_city);
}

// Lead fields a scan may read: the column of the same name (whitelist, never client text).
bool IsScanColumn(std::string_view field) {
  static constexpr std::string_view kFixed[] = {
      "name",   "source",       "status",     "latitude",   "longitude",
      "rating", "review_count", "created_at", "updated_at", "last_interaction_at",
      "tags"};
  for (auto name : kFixed) {
    if (name == field) return true;
  }
  for (int i = 0; i < domain::kTextFieldCount; ++i) {
    if (field == domain::kTextFieldNames[i]) return true;
  }
  return false;
}

void ReadScanColumn(const Statement& s, int col, std::string_view field, Lead& lead) {
  if (field == "name") {
    lead.name = s.Text(col);
  } else if (field == "source") {
    lead.source = s.Text(col);
  } else if (field == "status") {
    lead.status = domain::ParseLeadStatus(s.Text(col)).value_or(domain::LeadStatus::kNew);
  } else if (field == "latitude") {
    lead.latitude = s.OptDouble(col);
  } else if (field == "longitude") {
    lead.longitude = s.OptDouble(col);
  } else if (field == "rating") {
    lead.rating = s.OptDouble(col);
  } else if (field == "review_count") {
    lead.review_count = s.OptInt(col);
  } else if (field == "created_at") {
    lead.created_at = s.Int(col);
  } else if (field == "updated_at") {
    lead.updated_at = s.Int(col);
  } else if (field == "last_interaction_at") {
    lead.last_interaction_at = s.Int(col);
  } else if (field == "tags") {
    json tags = json::parse(s.Text(col), nullptr, false);
    if (tags.is_array()) {
      for (auto& t : tags) {
        if (t.is_string()) lead.tags.push_back(t.get<std::string>());
      }
    }
  } else {
    for (int i = 0; i < domain::kTextFieldCount; ++i) {
      if (field == domain::kTextFieldNames[i]) lead.text[i] = s.OptText(col);
    }
  }
}

/// Connections kept open and handed to one transaction at a time; a connection that lost
/// its server is dropped instead of being reused.
class Pool {
 public:
  explicit Pool(Options options) : options_(std::move(options)) {}

  Result<std::unique_ptr<Connection>> Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.acquire_timeout_ms);
    while (true) {
      // Connections the server closed while they sat idle (it restarted) are dropped here,
      // before a request can fail on one.
      while (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        if (conn->StillOpen()) return conn;
        --open_;
      }
      if (open_ < options_.pool_size) {
        ++open_;
        lock.unlock();
        auto conn = Connection::Open(options_.conninfo);
        if (!conn.ok()) {
          std::lock_guard<std::mutex> relock(mu_);
          --open_;
        }
        return conn;
      }
      if (!cv_.wait_until(lock, deadline, [&] { return !idle_.empty(); })) {
        return Error::Unavailable("no database connection became free in time");
      }
    }
  }

  void Release(std::unique_ptr<Connection> conn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (conn->Healthy()) {
        idle_.push_back(std::move(conn));
      } else {
        --open_;
      }
    }
    cv_.notify_one();
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

Result<std::optional<domain::Account>> FindAccountByKey(Connection& conn,
                                                        std::string_view key_hash) {
  auto s = conn.Query(kFindAccountByKey);
  s.Bind(1, key_hash);
  KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<domain::Account>();
  return std::optional<domain::Account>(ReadAccount(s));
}

/// A write Tx is a READ COMMITTED transaction that, before its first statement on an
/// account's data, takes that account's transaction-scoped advisory lock (account and key
/// management take one shared lock). So the write transactions of one account are
/// serialised across every process, as SQLite serialises all writers: read-then-write use
/// cases (the lead cap, the dedup tiers of POST /leads) see every earlier commit and cannot
/// interleave. Other accounts write in parallel. A read Tx opens no transaction: each
/// statement reads a consistent snapshot (a lead with its attributes is one statement).
class PgTx final : public Tx {
 public:
  PgTx(Pool* pool, std::unique_ptr<Connection> conn, bool in_transaction)
      : pool_(pool),
        conn_(std::move(conn)),
        write_(in_transaction),
        done_(!in_transaction),
        phones_(pool->options().phone_region) {}
  ~PgTx() override {
    if (!done_) (void)conn_->Exec("ROLLBACK");
    pool_->Release(std::move(conn_));
  }

  Status Commit() override {
    if (done_) return core::Ok();
    done_ = true;
    return conn_->Exec("COMMIT");
  }

  Status InsertAccount(const domain::Account& a) override {
    KLOZEO_TRY(Scope(kAccountsLock));
    auto s = conn_->Query(kInsertAccount);
    s.Bind(1, a.id).Bind(2, a.name).Bind(3, a.plan).Bind(4, a.created_at);
    return s.Run();
  }

  Result<std::optional<domain::Account>> FindAccountByName(std::string_view name) override {
    KLOZEO_TRY(Scope(kAccountsLock));
    auto s = conn_->Query(kFindAccountByName);
    s.Bind(1, name);
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<domain::Account>();
    return std::optional<domain::Account>(ReadAccount(s));
  }

  Result<std::vector<domain::Account>> ListAccounts() override {
    KLOZEO_TRY(Scope(kAccountsLock));
    auto s = conn_->Query(kListAccounts);
    std::vector<domain::Account> out;
    while (true) {
      KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(ReadAccount(s));
    }
    return out;
  }

  Status InsertApiKey(const domain::ApiKey& k) override {
    KLOZEO_TRY(Scope(kAccountsLock));
    auto s = conn_->Query(kInsertKey);
    s.Bind(1, k.account_id)
        .Bind(2, k.id)
        .Bind(3, k.key_hash)
        .Bind(4, k.prefix)
        .Bind(5, k.created_at);
    return s.Run();
  }

  Result<std::vector<domain::ApiKey>> ListApiKeys(std::string_view account_id) override {
    KLOZEO_TRY(Scope(kAccountsLock));
    auto s = conn_->Query(kListKeys);
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
    KLOZEO_TRY(Scope(kAccountsLock));
    auto s = conn_->Query(kRevokeKey);
    s.Bind(1, account_id).Bind(2, key_id).Bind(3, now);
    KLOZEO_TRY(s.Run());
    return s.Changes() > 0;
  }

  Result<std::optional<domain::Account>> FindAccountByKeyHash(std::string_view hash) override {
    KLOZEO_TRY(Scope(kAccountsLock));
    return FindAccountByKey(*conn_, hash);
  }

  Status InsertLead(std::string_view account_id, const Lead& lead) override {
    KLOZEO_TRY(Scope(account_id));
    {
      auto s = conn_->Query(kInsertLead);
      BindLead(s, account_id, lead);
      BindKeys(s, 43, lead, phones_);
      KLOZEO_TRY(s.Run());
    }
    return InsertAttributes(account_id, lead);
  }

  Result<std::optional<Lead>> GetLead(std::string_view account_id, std::string_view id) override {
    KLOZEO_TRY(Scope(account_id));
    auto s = conn_->Query(kGetLead);
    s.Bind(1, account_id).Bind(2, id);
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<Lead>();
    return std::optional<Lead>(ReadLead(s));
  }

  Status UpdateLead(std::string_view account_id, const Lead& lead) override {
    KLOZEO_TRY(Scope(account_id));
    {
      auto s = conn_->Query(kUpdateLead);
      BindLead(s, account_id, lead);
      BindKeys(s, 43, lead, phones_);
      KLOZEO_TRY(s.Run());
      if (s.Changes() == 0) return Error::NotFound("lead not found");
    }
    {
      auto s = conn_->Query(kDeleteAttributes);
      s.Bind(1, account_id).Bind(2, lead.id);
      KLOZEO_TRY(s.Run());
    }
    return InsertAttributes(account_id, lead);
  }

  Result<bool> DeleteLead(std::string_view account_id, std::string_view id) override {
    KLOZEO_TRY(Scope(account_id));
    auto s = conn_->Query(kDeleteLead);
    s.Bind(1, account_id).Bind(2, id);
    KLOZEO_TRY(s.Run());
    return s.Changes() > 0;
  }

  Result<int64_t> CountLeads(std::string_view account_id, int64_t up_to) override {
    KLOZEO_TRY(Scope(account_id));
    auto s = conn_->Query(kCountLeads);
    s.Bind(1, account_id).Bind(2, up_to);
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.Int(0) : int64_t{0};
  }

  Result<LeadPage> ListLeads(const query::ListQuery& q) override {
    KLOZEO_TRY(Scope(q.account_id));
    query::CompiledSql compiled = query::CompilePostgresListQuery(kLeadSelectList, q);
    auto s = conn_->Query(std::move(compiled.sql));
    for (size_t i = 0; i < compiled.binds.size(); ++i) {
      s.BindValue(static_cast<int>(i + 1), compiled.binds[i]);
    }
    LeadPage page;
    while (true) {
      KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      if (q.limit && page.leads.size() == static_cast<size_t>(*q.limit)) {
        page.has_more = true;  // the compiler asks for one row more than the page
        break;
      }
      page.leads.push_back(ReadLead(s));
      page.last_sort_key = s.Value(kLeadSelectColumns);
    }
    return page;
  }

  Result<std::vector<std::string>> AttributeNames(const query::ListQuery& q) override {
    KLOZEO_TRY(Scope(q.account_id));
    std::vector<std::string> candidates;
    {
      auto s = conn_->Query(kDistinctAttributeNames);
      s.Bind(1, q.account_id);
      while (true) {
        KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        candidates.push_back(s.Text(0));
      }
    }
    if (q.filters.empty() || candidates.empty()) return candidates;
    query::ListQuery all = q;
    all.after.reset();
    all.limit.reset();
    query::CompiledSql matches = query::CompilePostgresListQuery("leads.id AS id", all);
    // One statement: which candidate names some matching lead has (each EXISTS stops at the
    // first such lead).
    size_t names_param = matches.binds.size() + 1;
    std::string sql = "SELECT n.name FROM unnest($" + std::to_string(names_param) +
                      "::text[]) AS n(name) WHERE EXISTS (SELECT 1 FROM (" + matches.sql +
                      ") m WHERE EXISTS (SELECT 1 FROM lead_attributes a WHERE a.account_id = $" +
                      std::to_string(names_param + 1) +
                      " AND a.lead_id = m.id AND a.name = n.name)) ORDER BY n.name";
    auto s = conn_->Query(std::move(sql));
    for (size_t i = 0; i < matches.binds.size(); ++i) {
      s.BindValue(static_cast<int>(i + 1), matches.binds[i]);
    }
    s.Bind(static_cast<int>(names_param), TextArray(candidates));
    s.Bind(static_cast<int>(names_param + 1), q.account_id);
    std::vector<std::string> names;
    while (true) {
      KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      names.push_back(s.Text(0));
    }
    return names;
  }

  Result<std::optional<std::string>> FindLeadIdByKey(std::string_view account_id, DedupKey kind,
                                                     std::string_view key) override {
    KLOZEO_TRY(Scope(account_id));
    if (key.empty()) return std::optional<std::string>();
    const char* sql = kind == DedupKey::kEmail      ? kFindByEmailKey
                      : kind == DedupKey::kSourceId ? kFindBySourceId
                                                    : kFindByNameCityKey;
    auto s = conn_->Query(sql);
    s.Bind(1, account_id).Bind(2, key);
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(s.Text(0));
  }

  Result<std::vector<std::pair<std::string, std::string>>> FindLeadsByPhoneKey(
      std::string_view account_id, std::string_view phone_key, int limit) override {
    KLOZEO_TRY(Scope(account_id));
    std::vector<std::pair<std::string, std::string>> out;
    if (phone_key.empty()) return out;
    auto s = conn_->Query(kFindByPhoneKey);
    s.Bind(1, account_id).Bind(2, phone_key).Bind(3, static_cast<int64_t>(limit));
    while (true) {
      KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.emplace_back(s.Text(0), s.Text(1));
    }
    return out;
  }

  Status InsertNote(std::string_view account_id, const domain::Note& n) override {
    KLOZEO_TRY(Scope(account_id));
    auto s = conn_->Query(kInsertNote);
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
    KLOZEO_TRY(Scope(account_id));
    auto s = conn_->Query(kGetNote);
    s.Bind(1, account_id).Bind(2, note_id);
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<domain::Note>();
    return std::optional<domain::Note>(ReadNote(s));
  }

  Result<std::vector<domain::Note>> ListNotes(std::string_view account_id,
                                              std::string_view lead_id) override {
    KLOZEO_TRY(Scope(account_id));
    auto s = conn_->Query(kListNotes);
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
    KLOZEO_TRY(Scope(account_id));
    auto s = conn_->Query(kUpdateNote);
    s.Bind(1, account_id).Bind(2, n.id).Bind(3, n.content).Bind(4, n.updated_at);
    return s.Run();
  }

  Result<bool> DeleteNote(std::string_view account_id, std::string_view note_id) override {
    KLOZEO_TRY(Scope(account_id));
    auto s = conn_->Query(kDeleteNote);
    s.Bind(1, account_id).Bind(2, note_id);
    KLOZEO_TRY(s.Run());
    return s.Changes() > 0;
  }

  Status InsertScoringRule(std::string_view account_id, const domain::ScoringRule& r) override {
    KLOZEO_TRY(Scope(account_id));
    auto s = conn_->Query(kInsertRule);
    s.Bind(1, account_id)
        .Bind(2, r.id)
        .Bind(3, r.name)
        .Bind(4, r.expression)
        .Bind(5, r.weight)
        .Bind(6, r.priority)
        .Bind(7, r.created_at)
        .Bind(8, r.updated_at);
    return s.Run();
  }

  Result<std::optional<domain::ScoringRule>> GetScoringRule(std::string_view account_id,
                                                            std::string_view id) override {
    KLOZEO_TRY(Scope(account_id));
    auto s = conn_->Query(kGetRule);
    s.Bind(1, account_id).Bind(2, id);
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<domain::ScoringRule>();
    return std::optional<domain::ScoringRule>(ReadRule(s));
  }

  Result<std::vector<domain::ScoringRule>> ListScoringRules(std::string_view account_id) override {
    KLOZEO_TRY(Scope(account_id));
    auto s = conn_->Query(kListRules);
    s.Bind(1, account_id);
    std::vector<domain::ScoringRule> out;
    while (true) {
      KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(ReadRule(s));
    }
    return out;
  }

  Status UpdateScoringRule(std::string_view account_id, const domain::ScoringRule& r) override {
    KLOZEO_TRY(Scope(account_id));
    auto s = conn_->Query(kUpdateRule);
    s.Bind(1, account_id)
        .Bind(2, r.id)
        .Bind(3, r.name)
        .Bind(4, r.expression)
        .Bind(5, r.weight)
        .Bind(6, r.priority)
        .Bind(7, r.updated_at);
    KLOZEO_TRY(s.Run());
    if (s.Changes() == 0) return Error::NotFound("scoring rule not found");
    return core::Ok();
  }

  Result<bool> DeleteScoringRule(std::string_view account_id, std::string_view id) override {
    KLOZEO_TRY(Scope(account_id));
    auto s = conn_->Query(kDeleteRule);
    s.Bind(1, account_id).Bind(2, id);
    KLOZEO_TRY(s.Run());
    return s.Changes() > 0;
  }

  Result<int64_t> CountScoringRules(std::string_view account_id) override {
    KLOZEO_TRY(Scope(account_id));
    auto s = conn_->Query(kCountRules);
    s.Bind(1, account_id);
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.Int(0) : int64_t{0};
  }

  Status UpdateScores(std::string_view account_id,
                      const std::vector<std::pair<std::string, double>>& scores) override {
    KLOZEO_TRY(Scope(account_id));
    if (scores.empty()) return core::Ok();
    std::vector<std::string> ids;
    ids.reserve(scores.size());
    std::string values = "{";
    for (size_t i = 0; i < scores.size(); ++i) {
      ids.push_back(scores[i].first);
      if (i > 0) values += ',';
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, scores[i].second);
      values.append(buf, ec == std::errc() ? end : buf);
    }
    values += '}';
    auto s = conn_->Query(kUpdateScores);
    s.Bind(1, account_id).Bind(2, TextArray(ids)).Bind(3, values);
    return s.Run();
  }

  Result<std::vector<Lead>> ScanLeads(std::string_view account_id, std::string_view after_id,
                                      int limit, const LeadProjection& projection) override {
    KLOZEO_TRY(Scope(account_id));
    std::vector<std::string> fields;
    std::string sql = "SELECT id, score";
    for (const std::string& field : projection.fields) {
      if (field == "id" || field == "score") continue;  // always read
      if (!IsScanColumn(field)) {
        return Error::Internal("cannot scan unknown lead field '" + field + "'");
      }
      fields.push_back(field);
      sql += ", ";
      sql += field;  // whitelisted: a column name, never client text
    }
    sql += kScanFrom;
    std::vector<Lead> out;
    out.reserve(static_cast<size_t>(std::max(limit, 0)));
    {
      auto s = conn_->Query(std::move(sql));
      s.Bind(1, account_id).Bind(2, after_id).Bind(3, static_cast<int64_t>(limit));
      while (true) {
        KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        Lead& lead = out.emplace_back();
        lead.id = s.Text(0);
        lead.score = s.Double(1);
        for (size_t i = 0; i < fields.size(); ++i) {
          ReadScanColumn(s, 2 + static_cast<int>(i), fields[i], lead);
        }
      }
    }
    if (projection.attributes.empty() || out.empty()) return out;
    auto s = conn_->Query(kScanAttributes);
    s.Bind(1, account_id).Bind(2, after_id).Bind(3, out.back().id);
    s.Bind(4, TextArray(projection.attributes));
    size_t at = 0;
    while (true) {
      KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      std::string lead_id = s.Text(0);
      while (at < out.size() && out[at].id < lead_id) ++at;
      if (at == out.size()) break;
      if (out[at].id != lead_id) continue;
      auto type = domain::ParseAttributeType(s.Text(2));
      json value = json::parse(s.Text(3), nullptr, false);
      if (!type || value.is_discarded()) continue;
      out[at].attributes.push_back(
          domain::Attribute{std::string(), s.Text(1), *type, std::move(value)});
    }
    return out;
  }

  // Webhooks, the outbox and deliveries: the SQL lives in webhook_store.cpp. Claims, attempts
  // and releases are the dispatcher's, across accounts: they take no account lock (the claim
  // statement locks its rows with SKIP LOCKED instead).
  Status InsertWebhook(std::string_view account_id, const domain::Webhook& w) override {
    KLOZEO_TRY(Scope(account_id));
    return webhooks::Insert(*conn_, account_id, w);
  }
  Result<std::optional<domain::Webhook>> GetWebhook(std::string_view account_id,
                                                    std::string_view id) override {
    KLOZEO_TRY(Scope(account_id));
    return webhooks::Get(*conn_, account_id, id);
  }
  Result<std::vector<domain::Webhook>> ListWebhooks(std::string_view account_id) override {
    KLOZEO_TRY(Scope(account_id));
    return webhooks::List(*conn_, account_id);
  }
  Status UpdateWebhook(std::string_view account_id, const domain::Webhook& w) override {
    KLOZEO_TRY(Scope(account_id));
    return webhooks::Update(*conn_, account_id, w);
  }
  Result<bool> DeleteWebhook(std::string_view account_id, std::string_view id) override {
    KLOZEO_TRY(Scope(account_id));
    return webhooks::Delete(*conn_, account_id, id);
  }
  Result<int64_t> CountWebhooks(std::string_view account_id) override {
    KLOZEO_TRY(Scope(account_id));
    return webhooks::Count(*conn_, account_id);
  }
  Result<int64_t> EnqueueWebhookEvent(const domain::WebhookEvent& event, int64_t due_ms) override {
    KLOZEO_TRY(Scope(event.account_id));
    return webhooks::EnqueueEvent(*conn_, event, due_ms);
  }
  Result<std::string> EnqueueWebhookDelivery(const domain::WebhookEvent& event,
                                             std::string_view webhook_id, int64_t due_ms) override {
    KLOZEO_TRY(Scope(event.account_id));
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
    // The account's lock before any row lock, like every other write of the account (a
    // redelivery holds the lock and then updates the delivery row): one lock order, no deadlock.
    KLOZEO_TRY(Scope(record.account_id));
    return webhooks::RecordAttempt(*conn_, worker, record);
  }
  Status ReleaseWebhookDelivery(std::string_view worker, std::string_view delivery_id,
                                int64_t due_ms) override {
    return webhooks::Release(*conn_, worker, delivery_id, due_ms);
  }
  Result<std::vector<domain::WebhookDelivery>> ListWebhookDeliveries(std::string_view account_id,
                                                                     std::string_view webhook_id,
                                                                     int limit) override {
    KLOZEO_TRY(Scope(account_id));
    return webhooks::ListDeliveries(*conn_, account_id, webhook_id, limit);
  }
  Result<std::optional<domain::WebhookDelivery>> GetWebhookDelivery(
      std::string_view account_id, std::string_view webhook_id,
      std::string_view delivery_id) override {
    KLOZEO_TRY(Scope(account_id));
    return webhooks::GetDelivery(*conn_, account_id, webhook_id, delivery_id);
  }
  Result<bool> RedeliverWebhookDelivery(std::string_view account_id, std::string_view webhook_id,
                                        std::string_view delivery_id, int64_t due_ms) override {
    KLOZEO_TRY(Scope(account_id));
    return webhooks::Redeliver(*conn_, account_id, webhook_id, delivery_id, due_ms);
  }

  // Idempotency-Key records: keyed (account_id, key); the account's advisory lock orders a
  // reservation against other write transactions of the account, and ON CONFLICT DO NOTHING
  // decides between processes.
  Result<std::optional<IdempotencyRecord>> GetIdempotencyRecord(std::string_view account_id,
                                                                std::string_view key) override {
    KLOZEO_TRY(Scope(account_id));
    auto s = conn_->Query(kGetIdempotency);
    s.Bind(1, account_id).Bind(2, key);
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<IdempotencyRecord>();
    IdempotencyRecord r;
    r.request_hash = s.Text(0);
    if (auto status = s.OptInt(1)) r.status = static_cast<int>(*status);
    r.headers_json = s.Text(2);
    r.body = s.Text(3);
    r.created_at_ms = s.Int(4);
    return std::optional<IdempotencyRecord>(std::move(r));
  }
  Result<bool> ReserveIdempotencyKey(std::string_view account_id, std::string_view key,
                                     std::string_view request_hash,
                                     int64_t created_at_ms) override {
    KLOZEO_TRY(Scope(account_id));
    auto s = conn_->Query(kReserveIdempotency);
    s.Bind(1, account_id).Bind(2, key).Bind(3, request_hash).Bind(4, created_at_ms);
    KLOZEO_TRY(s.Run());
    return s.Changes() > 0;
  }
  Status CompleteIdempotencyKey(std::string_view account_id, std::string_view key, int status,
                                std::string_view headers_json, std::string_view body) override {
    KLOZEO_TRY(Scope(account_id));
    auto s = conn_->Query(kCompleteIdempotency);
    s.Bind(1, account_id)
        .Bind(2, key)
        .Bind(3, static_cast<int64_t>(status))
        .Bind(4, headers_json)
        .Bind(5, body);
    return s.Run();
  }
  Status DeleteIdempotencyKey(std::string_view account_id, std::string_view key) override {
    KLOZEO_TRY(Scope(account_id));
    auto s = conn_->Query(kDeleteIdempotency);
    s.Bind(1, account_id).Bind(2, key);
    return s.Run();
  }
  // Metrics: the partial index webhook_deliveries_due holds exactly the pending deliveries.
  // GET /api/v1/stats: the SQL lives in stats_store.cpp.
  Result<LeadStats> ComputeLeadStats(std::string_view account_id, int64_t since_seconds,
                                     int top) override {
    return stats::Compute(*conn_, account_id, since_seconds, top);
  }
  Result<int64_t> CountPendingWebhookDeliveries() override {
    auto s = conn_->Query("SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'");
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.Int(0) : int64_t{0};
  }
  Result<int64_t> PurgeIdempotencyKeys(int64_t before_ms) override {
    auto s = conn_->Query(kPurgeIdempotency);
    s.Bind(1, before_ms);
    KLOZEO_TRY(s.Run());
    return s.Changes();
  }

 private:
  // In a write Tx, takes the advisory lock of `key` (an account id, or kAccountsLock) the
  // first time the transaction touches it. Only management operations touch kAccountsLock
  // and they touch no tenant data, so two transactions never wait on each other's locks in
  // opposite orders.
  Status Scope(std::string_view key) {
    if (!write_ || done_) return core::Ok();
    if (locked_.count(std::string(key)) > 0) return core::Ok();
    auto s = conn_->Query(kLockKey);
    s.Bind(1, LockKey(key));
    KLOZEO_TRY(s.Run());
    locked_.insert(std::string(key));
    return core::Ok();
  }

  Status InsertAttributes(std::string_view account_id, const Lead& lead) {
    for (const auto& a : lead.attributes) {
      auto s = conn_->Query(kInsertAttribute);
      s.Bind(1, account_id)
          .Bind(2, lead.id)
          .Bind(3, a.id)
          .Bind(4, a.name)
          .Bind(5, domain::AttributeTypeName(a.type))
          .Bind(6, a.value.dump());
      s.BindNull(7).BindNull(8).BindNull(9).BindNull(10);
      switch (a.type) {
        case domain::AttributeType::kText: {
          std::string folded = core::FoldText(a.value.get_ref<const std::string&>());
          s.Bind(10, query::AttributeSortKeyForText(folded));
          s.Bind(7, std::move(folded));
          break;
        }
        case domain::AttributeType::kNumber:
          s.Bind(8, a.value.get<double>());
          s.Bind(10, query::AttributeSortKeyForNumber(a.value.get<double>()));
          break;
        case domain::AttributeType::kBool: {
          double v = a.value.get<bool>() ? 1.0 : 0.0;
          s.Bind(8, v);
          s.Bind(10, query::AttributeSortKeyForNumber(v));
          break;
        }
        case domain::AttributeType::kList: {
          // The folded elements, as SQLite folds them in queries (numbers by their text).
          json items = json::array();
          for (const auto& e : a.value) {
            if (e.is_string()) {
              items.push_back(core::FoldText(e.get_ref<const std::string&>()));
            } else if (e.is_boolean()) {
              items.push_back(e.get<bool>() ? "1" : "0");
            } else if (e.is_number()) {
              items.push_back(core::FoldText(e.dump()));
            }
          }
          s.Bind(9, items.dump());
          break;
        }
        case domain::AttributeType::kObject:
          break;
      }
      KLOZEO_TRY(s.Run());
    }
    return core::Ok();
  }

  Pool* pool_;
  std::unique_ptr<Connection> conn_;
  bool write_;
  bool done_;
  dedup::PhoneNormalizer phones_;
  std::set<std::string> locked_;
};

class PgDatabase final : public Database {
 public:
  explicit PgDatabase(Options options) : pool_(std::move(options)) {}

  Result<std::unique_ptr<Tx>> Begin(TxMode mode) override {
    KLOZEO_ASSIGN_OR_RETURN(Lease conn, Lease::From(pool_));
    if (mode == TxMode::kWrite) KLOZEO_TRY(conn->Exec("BEGIN"));
    return std::unique_ptr<Tx>(new PgTx(&pool_, conn.Take(), mode == TxMode::kWrite));
  }

  Status Ping() override {
    KLOZEO_ASSIGN_OR_RETURN(Lease conn, Lease::From(pool_));
    return conn->Exec("SELECT 1");
  }

  Result<std::string> Secret(std::string_view name) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = secrets_.find(std::string(name));
    if (it != secrets_.end()) return it->second;
    KLOZEO_ASSIGN_OR_RETURN(Lease conn, Lease::From(pool_));
    // Read first: a secret that exists needs no write (reads keep working on a read-only
    // database); the insert only creates a missing one.
    for (int pass = 0; pass < 2; ++pass) {
      auto s = conn->Query(kGetMeta);
      s.Bind(1, name);
      KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
      if (row) {
        std::string value = s.Text(0);
        secrets_.emplace(std::string(name), value);
        return value;
      }
      if (pass == 0) {
        auto insert = conn->Query(kInsertMeta);
        insert.Bind(1, name).Bind(2, core::RandomHex(32));
        KLOZEO_TRY(insert.Run());
      }
    }
    return Error::Internal("secret '" + std::string(name) + "' vanished");
  }

  Result<std::optional<domain::Account>> FindAccountByKeyHash(std::string_view key_hash) override {
    KLOZEO_ASSIGN_OR_RETURN(Lease conn, Lease::From(pool_));
    return FindAccountByKey(*conn, key_hash);
  }

  std::string_view Dialect() const override { return "postgres"; }
  PoolStats PoolUsage() const override { return pool_.Stats(); }

  Result<std::optional<RateWindow>> CountRequests(std::string_view account_id, int64_t now_ms,
                                                  int64_t window_ms, int64_t amount) override {
    KLOZEO_ASSIGN_OR_RETURN(Lease conn, Lease::From(pool_));
    auto s = conn->Query(kCountRequests);
    s.Bind(1, account_id).Bind(2, now_ms).Bind(3, window_ms).Bind(4, amount);
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Error::Internal("rate window not returned");
    return std::optional<RateWindow>(RateWindow{s.Int(0), s.Int(1)});
  }

  // Migrations in one transaction under an advisory lock, so processes starting together
  // on a new database apply them once.
  Status Migrate() {
    KLOZEO_ASSIGN_OR_RETURN(Lease conn, Lease::From(pool_));
    KLOZEO_TRY(conn->Exec("BEGIN"));
    Status applied = MigrateOn(*conn);
    if (!applied.ok()) {
      (void)conn->Exec("ROLLBACK");
      return applied;
    }
    return conn->Exec("COMMIT");
  }

 private:
  static Status MigrateOn(Connection& conn) {
    {
      auto s = conn.Query(kLockKey);
      s.Bind(1, kMigrationLock);
      KLOZEO_TRY(s.Run());
    }
    KLOZEO_TRY(
        conn.Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                  "version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)"));
    // Every version not recorded yet is applied, in order (PostgreSQL-only migrations are
    // numbered apart from the sequence shared with SQLite).
    std::set<int64_t> applied_versions;
    {
      auto s = conn.Query("SELECT version FROM schema_migrations");
      while (true) {
        KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        applied_versions.insert(s.Int(0));
      }
    }
    for (const auto& m : kMigrations) {
      if (applied_versions.count(m.version) > 0) continue;
      Status applied = conn.Exec(m.sql);
      if (applied.ok()) {
        auto s = conn.Query(
            "INSERT INTO schema_migrations (version, applied_at) "
            "VALUES ($1, extract(epoch from now())::bigint)");
        s.Bind(1, static_cast<int64_t>(m.version));
        applied = s.Run();
      }
      if (!applied.ok()) {
        return Error::Internal("migration " + std::to_string(m.version) +
                               " failed: " + applied.error().ForLog());
      }
    }
    return core::Ok();
  }

  Pool pool_;
  std::mutex mu_;
  std::unordered_map<std::string, std::string> secrets_;
};

}  // namespace

Result<std::unique_ptr<Database>> OpenDatabase(const Options& options) {
  auto db = std::make_unique<PgDatabase>(options);
  KLOZEO_TRY(db->Migrate());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace klozeo::storage::postgres
