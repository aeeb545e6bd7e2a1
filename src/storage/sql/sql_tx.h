#pragma once

// The one implementation of storage::Tx and its stores, over a backend B (SqlBackend): its
// Connection (Prepare a neutral constant, PrepareDynamic rendered SQL; PostgreSQL's also Query
// and Copy), its Statement (StatementBase, Changes, Value; PostgreSQL's AppendCopyRow) and its
// dialect. A backend's Tx derives from SqlTx<B>: it begins, commits, rolls back, gives the
// connection back, and may take a lock per account before the first statement on its data.

#include "storage/sql/guard.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "core/fold.h"
#include "core/ids.h"
#include "dedup/keys.h"
#include "dedup/tokens.h"
#include "query/postgres_compiler.h"
#include "query/sql_compiler.h"
#include "query/sqlite_compiler.h"
#include "storage/rows.h"
#include "storage/sql/dialect.h"
#include "storage/sql/statements.h"
#include "storage/store.h"

namespace klozeo::storage {

/// Steps through every row of `s`, mapping each with `read`.
template <typename S, typename Read>
auto CollectRows(S& s, Read read) -> core::Result<std::vector<decltype(read(s))>> {
  std::vector<decltype(read(s))> out;
  while (true) {
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(read(s));
  }
  return out;
}

/// A PostgreSQL array literal of text ({"a","b"}), each element quoted and escaped.
std::string TextArrayLiteral(const std::vector<std::string>& items);
/// A JSON array of strings (invalid UTF-8 replaced): SQLite's form of a list of tokens.
std::string TokensJson(const std::vector<std::string>& tokens);

namespace bulk {
/// `single`, a one-row `INSERT ... VALUES (...)` in the neutral form, with `rows` tuples: the
/// placeholders of tuple r are renumbered by r * stride.
std::string MultiRowInsert(std::string_view single, int rows, int stride);
/// The COPY ... FROM STDIN of the columns a one-row INSERT (rendered) names.
std::string CopyFrom(std::string_view insert);
/// "a, b, c" as {"a", "b", "c"}.
std::vector<std::string> SplitList(std::string_view list);
}  // namespace bulk

/// The lock that serialises account and key management (not tenant data): no account has key 0.
inline constexpr domain::AccountKey kAccountsLock{0};

/// A backend of SqlTx: its connection and statement types and its dialect.
template <typename C, typename S, Dialect D>
struct SqlBackend {
  using Connection = C;
  using Statement = S;
  static constexpr Dialect kDialect = D;
};

template <typename B>
class SqlTx : public Tx {
 public:
  using Connection = typename B::Connection;
  using Statement = typename B::Statement;
  using Stmt = core::Result<Statement>;
  static constexpr bool kPg = B::kDialect == Dialect::kPostgres;

  explicit SqlTx(std::unique_ptr<Connection> conn)
      : owned_(std::move(conn)),
        conn_(owned_.get()),
        accounts_(*this),
        leads_(*this),
        notes_(*this),
        rules_(*this),
        webhooks_(*this),
        idempotency_(*this),
        dedup_(*this) {}

  AccountStore& accounts() override { return accounts_; }
  LeadStore& leads() override { return leads_; }
  NoteStore& notes() override { return notes_; }
  RuleStore& rules() override { return rules_; }
  WebhookStore& webhooks() override { return webhooks_; }
  IdempotencyStore& idempotency() override { return idempotency_; }
  DedupStore& dedup() override { return dedup_; }

  /// The account owning an unrevoked key with this hash, on any connection of the backend.
  static core::Result<std::optional<domain::Account>> FindAccountByKey(Connection& conn,
                                                                       std::string_view hash) {
    return First(Query(conn, sql::kFindAccountByKey, hash), rows::ReadAccount<Statement>);
  }

 protected:
  /// Called before the first statement of a write on an account's data (or kAccountsLock):
  /// PostgreSQL takes the account's advisory lock; SQLite's one writer needs none.
  virtual core::Status Lock(domain::AccountKey /*account*/) { return core::Ok(); }

  std::unique_ptr<Connection> owned_;  ///< until the backend's Tx gives it back
  Connection* conn_;

 private:
  // ---- statements: prepared (cached), parameters bound from ?1 on, then run one way ----
  template <typename... Args>
  static Stmt Query(Connection& conn, const char* text, const Args&... args) {
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(text));
    BindFrom(s, 1, Arg(args)...);
    return s;
  }
  /// A statement's parameter: account keys are bound as their integer.
  template <typename T>
  static const T& Arg(const T& value) {
    return value;
  }
  static int64_t Arg(domain::AccountKey account) { return static_cast<int64_t>(account); }
  template <typename... Args>
  Stmt Query(const char* text, const Args&... args) {
    return Query(*conn_, text, args...);
  }
  /// A listing's generated SQL, planned for its values (PostgreSQL: PrepareForValues).
  Stmt PrepareListing(std::string text) {
    if constexpr (kPg) {
      return conn_->PrepareForValues(std::move(text));
    } else {
      return conn_->PrepareDynamic(text);
    }
  }
  /// A statement on the account's data, after Lock(account); the account key is ?1.
  template <typename... Args>
  Stmt On(domain::AccountKey account, const char* text, const Args&... args) {
    KLOZEO_TRY(Lock(account));
    return Query(text, account, args...);
  }
  /// A statement on accounts and keys, after Lock(kAccountsLock).
  template <typename... Args>
  Stmt Admin(const char* text, const Args&... args) {
    KLOZEO_TRY(Lock(kAccountsLock));
    return Query(text, args...);
  }
  static core::Status Run(Stmt s) {
    if (!s.ok()) return std::move(s).error();
    return s->Run();
  }
  /// True when the statement changed a row.
  static core::Result<bool> Change(Stmt s) {
    if (!s.ok()) return std::move(s).error();
    KLOZEO_TRY(s->Run());
    return s->Changes() > 0;
  }
  /// Ok when the statement changed a row, else NotFound("<what> not found").
  static core::Status Found(Stmt s, std::string_view what) {
    KLOZEO_ASSIGN_OR_RETURN(bool changed, Change(std::move(s)));
    if (!changed) return core::Error::NotFound(std::string(what) + " not found");
    return core::Ok();
  }
  static core::Result<int64_t> Count(Stmt s) {
    if (!s.ok()) return std::move(s).error();
    KLOZEO_ASSIGN_OR_RETURN(bool row, s->Step());
    return row ? s->Int(0) : int64_t{0};
  }
  /// The first row mapped with `read`, or nullopt when there is none.
  template <typename Read>
  static auto First(Stmt s, Read read) -> core::Result<std::optional<decltype(read(*s))>> {
    if (!s.ok()) return std::move(s).error();
    KLOZEO_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<decltype(read(*s))>();
    return std::optional(read(*s));
  }
  template <typename Read>
  static auto All(Stmt s, Read read) -> decltype(CollectRows(*s, read)) {
    if (!s.ok()) return std::move(s).error();
    return CollectRows(*s, read);
  }
  static std::string ReadText(const Statement& s) { return s.Text(0); }
  static std::pair<std::string, int64_t> ReadTextInt(const Statement& s) {
    return {s.Text(0), s.Int(1)};
  }
  /// The listing SQL of this dialect's filter compiler.
  static query::CompiledSql Compile(const char* select_list, const query::ListQuery& q) {
    return kPg ? query::CompilePostgresListQuery(select_list, q)
               : query::CompileSqliteListQuery(select_list, q);
  }
  /// This backend's query dialect (query/plan.h's choices depend on it).
  static const query::SqlDialect& PlanDialect() {
    return kPg ? static_cast<const query::SqlDialect&>(query::PostgresDialectInstance())
               : query::SqliteDialectInstance();
  }
  /// A capped count of the rows filter `filter` of `q` matches in its index (query/plan.h).
  static query::CompiledSql CompileProbe(const query::ListQuery& q, size_t filter, int cap) {
    return query::CompileCountProbe(PlanDialect(), q, filter, cap);
  }
  static void BindAll(Statement& s, const std::vector<query::SqlValue>& binds) {
    for (size_t i = 0; i < binds.size(); ++i) s.BindValue(static_cast<int>(i + 1), binds[i]);
  }

  /// Stores new leads with their attributes, name-token counts and match keys.
  core::Status InsertLeads(domain::AccountKey account, std::span<const domain::Lead> leads,
                           std::span<const dedup::LeadKeys> keys);
  /// Inserts `count` rows of the one-row INSERT kSingle, row i bound by bind(row, i): one
  /// statement for one row; more go as multi-row statements (SQLite) or one COPY (PostgreSQL).
  template <const char* const& kSingle, int kStride, int kMaxRows, typename Bind>
  core::Status InsertRows(size_t count, Bind bind);
  /// The attribute rows of `leads` (kInsertAttribute).
  core::Status InsertAttributes(domain::AccountKey account, std::span<const domain::Lead> leads);
  /// The address, domain and city-word keys of `leads` (kInsertMatchKey); `counts` holds the
  /// account's counts of their words once they are written (dedup::RarestWord), read when null.
  core::Status InsertMatchKeys(domain::AccountKey account, std::span<const domain::Lead> leads,
                               std::span<const dedup::LeadKeys> keys,
                               const dedup::TokenStats* counts = nullptr);
  /// A list of tokens as the dialect binds it (?2 of kCountTokens and kTokenCounts).
  static std::string TokenList(const std::vector<std::string>& tokens) {
    return kPg ? TextArrayLiteral(tokens) : TokensJson(tokens);
  }
  /// Adds `delta` to the account's count of each of `tokens` ('' counts the leads); with
  /// `after`, also reads the counts the upsert left into it.
  core::Status CountTokens(domain::AccountKey account, const std::vector<std::string>& tokens,
                           int64_t delta, dedup::TokenStats* after = nullptr) {
    if (after == nullptr) return Run(Query(sql::kCountTokens, account, TokenList(tokens), delta));
    KLOZEO_ASSIGN_OR_RETURN(auto s,
                            Query(sql::kCountTokensReturning, account, TokenList(tokens), delta));
    return ReadTokenCounts(s, *after);
  }
  /// Adds each token's count of `counts` to the account's ('' counts the leads): one upsert per
  /// distinct count, as most words of a batch occur once. With `after`, as CountTokens.
  core::Status AddTokenCounts(domain::AccountKey account,
                              const std::map<std::string, int64_t>& counts,
                              dedup::TokenStats* after = nullptr) {
    std::map<int64_t, std::vector<std::string>> by_count;
    for (const auto& [token, n] : counts) by_count[n].push_back(token);
    for (const auto& [n, tokens] : by_count) KLOZEO_TRY(CountTokens(account, tokens, n, after));
    return core::Ok();
  }
  /// Reads (token, n) rows into `stats` (the token '' is the lead count).
  static core::Status ReadTokenCounts(Statement& s, dedup::TokenStats& stats) {
    while (true) {
      KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return core::Ok();
      std::string token = s.Text(0);
      if (token.empty()) {
        stats.names = s.Int(1);
      } else {
        stats.counts[std::move(token)] = s.Int(1);
      }
    }
  }
  /// The stored name of lead `id`, when there is one (what its counted tokens came from).
  core::Result<std::optional<std::string>> StoredName(domain::AccountKey account,
                                                      std::string_view id) {
    return First(Query(sql::kLeadName, account, id), ReadText);
  }
  core::Status FillAttempts(domain::WebhookDelivery& d);

  struct Accounts final : AccountStore {
    explicit Accounts(SqlTx& t) : t_(t) {}
    core::Result<domain::AccountKey> Insert(const domain::Account& a) override {
      KLOZEO_ASSIGN_OR_RETURN(auto s,
                              t_.Admin(sql::kInsertAccount, a.id, a.name, a.plan, a.created_at));
      KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return core::Error::Internal("account key not returned");
      return domain::AccountKey{s.Int(0)};
    }
    core::Result<std::optional<domain::Account>> FindByName(std::string_view name) override {
      return First(t_.Admin(sql::kFindAccountByName, name), rows::ReadAccount<Statement>);
    }
    core::Result<std::vector<domain::Account>> List() override {
      return All(t_.Admin(sql::kListAccounts), rows::ReadAccount<Statement>);
    }
    core::Status InsertKey(const domain::ApiKey& k) override {
      return Found(
          t_.Admin(sql::kInsertKey, k.account_id, k.id, k.key_hash, k.prefix, k.created_at),
          "account");
    }
    core::Result<std::vector<domain::ApiKey>> ListKeys(domain::AccountKey account) override {
      return All(t_.Admin(sql::kListKeys, account), [&](const Statement& r) {
        return domain::ApiKey{r.Text(0), r.Text(5), r.Text(1), r.Text(2), r.Int(3), r.OptInt(4)};
      });
    }
    core::Result<bool> RevokeKey(domain::AccountKey account, std::string_view key_id,
                                 int64_t now) override {
      return Change(t_.Admin(sql::kRevokeKey, account, key_id, now));
    }
    core::Result<std::optional<domain::Account>> FindByKeyHash(std::string_view hash) override {
      KLOZEO_TRY(t_.Lock(kAccountsLock));
      return FindAccountByKey(*t_.conn_, hash);
    }
    SqlTx& t_;
  };

  struct Leads final : LeadStore {
    explicit Leads(SqlTx& t) : t_(t) {}
    core::Status Insert(domain::AccountKey account, const domain::Lead& lead,
                        const dedup::LeadKeys& keys) override {
      KLOZEO_TRY(t_.Lock(account));
      return t_.InsertLeads(account, std::span(&lead, 1), std::span(&keys, 1));
    }
    core::Status InsertMany(domain::AccountKey account, const std::vector<domain::Lead>& leads,
                            const std::vector<dedup::LeadKeys>& keys) override {
      if (leads.size() != keys.size()) return core::Error::Internal("one key set per lead");
      KLOZEO_TRY(t_.Lock(account));
      return t_.InsertLeads(account, leads, keys);
    }
    core::Result<std::optional<domain::Lead>> Get(domain::AccountKey account,
                                                  std::string_view id) override {
      return First(t_.On(account, sql::kGetLead, id), rows::ReadLead<Statement>);
    }
    core::Status Update(domain::AccountKey account, const domain::Lead& lead,
                        const dedup::LeadKeys& keys) override;
    core::Result<bool> Delete(domain::AccountKey account, std::string_view id) override {
      KLOZEO_TRY(t_.Lock(account));
      KLOZEO_ASSIGN_OR_RETURN(auto name, t_.StoredName(account, id));
      if (!name) return false;
      KLOZEO_ASSIGN_OR_RETURN(bool deleted, Change(t_.On(account, sql::kDeleteLead, id)));
      if (!deleted) return false;
      std::vector<std::string> tokens = dedup::CountedTokens(dedup::NameTokens(*name));
      tokens.emplace_back();
      KLOZEO_TRY(t_.CountTokens(account, tokens, -1));
      return true;
    }
    core::Result<int64_t> Count(domain::AccountKey account, int64_t up_to) override {
      return SqlTx::Count(t_.On(account, sql::kCountLeads, up_to));
    }
    core::Result<LeadPage> List(const query::ListQuery& q) override;
    /// SQLite: the trigram index's terms holding a UsesTrigramTerms filter's pair as
    /// TrigramTermsMatch wants them (those that start with it, for contains, and those that
    /// end with it), read off kTextTermsTable; nullopt past kMaxTrigramLeads first code points.
    core::Result<std::optional<std::vector<std::string>>> TrigramTerms(const query::Filter& f);
    core::Result<std::vector<std::string>> AttributeNames(const query::ListQuery& q) override;
    core::Result<std::optional<std::string>> FindIdByKey(domain::AccountKey account, DedupKey kind,
                                                         std::string_view key) override {
      if (key.empty()) return std::optional<std::string>();
      const char* text = kind == DedupKey::kEmail      ? sql::kFindByEmailKey
                         : kind == DedupKey::kSourceId ? sql::kFindBySourceId
                                                       : sql::kFindByNameCityKey;
      KLOZEO_ASSIGN_OR_RETURN(auto s, t_.On(account, text, key));
      if (!kPg && kind == DedupKey::kSourceId) s.Bind(3, core::FoldText(key));
      return First(std::move(s), ReadText);
    }
    core::Result<LeadStats> Stats(domain::AccountKey account, int64_t since_seconds,
                                  int top) override;
    core::Status UpdateScores(domain::AccountKey account,
                              const std::vector<std::pair<std::string, double>>& scores) override;
    core::Result<std::vector<domain::Lead>> Scan(domain::AccountKey account,
                                                 std::string_view after_id, int limit,
                                                 const LeadProjection& projection) override;
    SqlTx& t_;
  };

  struct Notes final : NoteStore {
    explicit Notes(SqlTx& t) : t_(t) {}
    core::Status Insert(domain::AccountKey account, const domain::Note& n) override {
      return Run(
          t_.On(account, sql::kInsertNote, n.id, n.lead_id, n.content, n.created_at, n.updated_at));
    }
    core::Result<std::optional<domain::Note>> Get(domain::AccountKey account,
                                                  std::string_view note_id) override {
      return First(t_.On(account, sql::kGetNote, note_id), rows::ReadNote<Statement>);
    }
    core::Result<std::vector<domain::Note>> List(domain::AccountKey account,
                                                 std::string_view lead_id) override {
      return All(t_.On(account, sql::kListNotes, lead_id), rows::ReadNote<Statement>);
    }
    core::Status Update(domain::AccountKey account, const domain::Note& n) override {
      return Run(t_.On(account, sql::kUpdateNote, n.id, n.content, n.updated_at));
    }
    core::Result<bool> Delete(domain::AccountKey account, std::string_view note_id) override {
      return Change(t_.On(account, sql::kDeleteNote, note_id));
    }
    SqlTx& t_;
  };

  struct Rules final : RuleStore {
    explicit Rules(SqlTx& t) : t_(t) {}
    core::Status Insert(domain::AccountKey account, const domain::ScoringRule& r) override {
      return Run(t_.On(account, sql::kInsertRule, r.id, r.name, r.expression, r.weight, r.priority,
                       r.created_at, r.updated_at));
    }
    core::Result<std::optional<domain::ScoringRule>> Get(domain::AccountKey account,
                                                         std::string_view id) override {
      return First(t_.On(account, sql::kGetRule, id), rows::ReadRule<Statement>);
    }
    core::Result<std::vector<domain::ScoringRule>> List(domain::AccountKey account) override {
      return All(t_.On(account, sql::kListRules), rows::ReadRule<Statement>);
    }
    core::Status Update(domain::AccountKey account, const domain::ScoringRule& r) override {
      return Found(t_.On(account, sql::kUpdateRule, r.id, r.name, r.expression, r.weight,
                         r.priority, r.updated_at),
                   "scoring rule");
    }
    core::Result<bool> Delete(domain::AccountKey account, std::string_view id) override {
      return Change(t_.On(account, sql::kDeleteRule, id));
    }
    core::Result<int64_t> Count(domain::AccountKey account) override {
      return SqlTx::Count(t_.On(account, sql::kCountRules));
    }
    SqlTx& t_;
  };

  struct Webhooks final : WebhookStore {
    explicit Webhooks(SqlTx& t) : t_(t) {}
    core::Status Insert(domain::AccountKey account, const domain::Webhook& w) override {
      return Run(rows::BindWebhook(t_.On(account, sql::kInsertWebhook), account, w));
    }
    core::Result<std::optional<domain::Webhook>> Get(domain::AccountKey account,
                                                     std::string_view id) override {
      return First(t_.On(account, sql::kGetWebhook, id), rows::ReadWebhook<Statement>);
    }
    core::Result<std::vector<domain::Webhook>> List(domain::AccountKey account) override {
      return All(t_.On(account, sql::kListWebhooks), rows::ReadWebhook<Statement>);
    }
    core::Status Update(domain::AccountKey account, const domain::Webhook& w) override {
      return Found(rows::BindWebhook(t_.On(account, sql::kUpdateWebhook), account, w), "webhook");
    }
    core::Result<bool> Delete(domain::AccountKey account, std::string_view id) override {
      return Change(t_.On(account, sql::kDeleteWebhook, id));
    }
    core::Result<int64_t> Count(domain::AccountKey account) override {
      return SqlTx::Count(t_.On(account, sql::kCountWebhooks));
    }
    core::Result<int64_t> EnqueueEvent(const domain::WebhookEvent& event, int64_t due_ms) override {
      KLOZEO_ASSIGN_OR_RETURN(
          auto subscribers,
          All(t_.On(event.account_key, sql::kSubscribers, "," + event.type + ","), ReadText));
      if (subscribers.empty()) return int64_t{0};
      KLOZEO_TRY(Enqueue(event, subscribers, due_ms));
      return static_cast<int64_t>(subscribers.size());
    }
    core::Result<std::string> EnqueueDelivery(const domain::WebhookEvent& event,
                                              std::string_view webhook_id,
                                              int64_t due_ms) override {
      KLOZEO_ASSIGN_OR_RETURN(auto exists,
                              First(t_.On(event.account_key, sql::kWebhookExists, webhook_id),
                                    [](const Statement&) { return true; }));
      if (!exists) return core::Error::NotFound("webhook not found");
      return Enqueue(event, {std::string(webhook_id)}, due_ms);
    }
    /// Stores `e` and a pending delivery of it to each of `webhooks`; returns the last one's id.
    core::Result<std::string> Enqueue(const domain::WebhookEvent& e,
                                      const std::vector<std::string>& webhooks, int64_t due_ms) {
      KLOZEO_TRY(
          Run(t_.Query(sql::kInsertEvent, e.id, e.account_key, e.type, e.body, e.created_at_ms)));
      std::string id;
      for (const auto& webhook_id : webhooks) {
        id = core::NewUuidV7();
        KLOZEO_TRY(Run(t_.Query(sql::kInsertDelivery, id, e.account_key, webhook_id, e.id, e.type,
                                due_ms, e.created_at_ms)));
      }
      return id;
    }
    // Claims, attempts and releases are the dispatcher's, across accounts: claims take no
    // account lock (PostgreSQL's claim statement locks its rows with SKIP LOCKED instead).
    core::Result<std::vector<domain::DeliveryJob>> ClaimDeliveries(std::string_view worker,
                                                                   int64_t now_ms,
                                                                   int64_t lease_until_ms,
                                                                   int limit) override;
    core::Result<bool> RecordAttempt(std::string_view worker,
                                     const domain::AttemptRecord& r) override;
    core::Status ReleaseDelivery(std::string_view worker, std::string_view delivery_id,
                                 int64_t due_ms) override {
      return Run(t_.Query(sql::kReleaseDelivery, delivery_id, worker, due_ms));
    }
    core::Result<std::vector<domain::WebhookDelivery>> ListDeliveries(domain::AccountKey account,
                                                                      std::string_view webhook_id,
                                                                      int limit) override {
      KLOZEO_ASSIGN_OR_RETURN(auto out,
                              All(t_.On(account, sql::kListDeliveries, webhook_id, int64_t{limit}),
                                  rows::ReadDelivery<Statement>));
      for (auto& d : out) KLOZEO_TRY(t_.FillAttempts(d));
      return out;
    }
    core::Result<std::optional<domain::WebhookDelivery>> GetDelivery(
        domain::AccountKey account, std::string_view webhook_id,
        std::string_view delivery_id) override {
      KLOZEO_ASSIGN_OR_RETURN(auto out,
                              First(t_.On(account, sql::kGetDelivery, webhook_id, delivery_id),
                                    rows::ReadDelivery<Statement>));
      if (out) KLOZEO_TRY(t_.FillAttempts(*out));
      return out;
    }
    core::Result<bool> Redeliver(domain::AccountKey account, std::string_view webhook_id,
                                 std::string_view delivery_id, int64_t due_ms) override {
      return Change(t_.On(account, sql::kRedeliver, webhook_id, delivery_id, due_ms));
    }
    core::Result<int64_t> CountPending() override {
      return SqlTx::Count(t_.Query(sql::kCountPending));
    }
    SqlTx& t_;
  };

  struct Idempotency final : IdempotencyStore {
    explicit Idempotency(SqlTx& t) : t_(t) {}
    core::Result<std::optional<IdempotencyRecord>> Get(domain::AccountKey account,
                                                       std::string_view key) override {
      return First(t_.On(account, sql::kGetIdempotency, key), [](const Statement& r) {
        IdempotencyRecord out{r.Text(0), std::nullopt, r.Text(2), r.Text(3), r.Int(4)};
        if (auto status = r.OptInt(1)) out.status = static_cast<int>(*status);
        return out;
      });
    }
    core::Result<bool> Reserve(domain::AccountKey account, std::string_view key,
                               std::string_view request_hash, int64_t created_at_ms) override {
      return Change(t_.On(account, sql::kReserveIdempotency, key, request_hash, created_at_ms));
    }
    core::Status Complete(domain::AccountKey account, std::string_view key, int status,
                          std::string_view headers_json, std::string_view body) override {
      return Run(
          t_.On(account, sql::kCompleteIdempotency, key, int64_t{status}, headers_json, body));
    }
    core::Status Delete(domain::AccountKey account, std::string_view key) override {
      return Run(t_.On(account, sql::kDeleteIdempotency, key));
    }
    core::Result<int64_t> Purge(int64_t before_ms) override {
      KLOZEO_ASSIGN_OR_RETURN(auto s, t_.Query(sql::kPurgeIdempotency, before_ms));
      KLOZEO_TRY(s.Run());
      return s.Changes();
    }
    SqlTx& t_;
  };

  struct Dedup final : DedupStore {
    explicit Dedup(SqlTx& t) : t_(t) {}
    static DedupCandidate ReadDedupCandidate(const Statement& r) {
      return DedupCandidate{r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4)};
    }
    core::Status TokenStats(domain::AccountKey account, const std::vector<std::string>& tokens,
                            dedup::TokenStats& stats) override {
      // Each counted word once (numbers are never counted: dedup::CountedTokens), and '' for
      // the account's lead count.
      std::vector<std::string> wanted{std::string()};
      for (const auto& token : tokens) {
        if (!dedup::IsNumberToken(token) &&
            std::find(wanted.begin(), wanted.end(), token) == wanted.end()) {
          wanted.push_back(token);
        }
      }
      KLOZEO_ASSIGN_OR_RETURN(auto s, t_.On(account, sql::kTokenCounts, TokenList(wanted)));
      return ReadTokenCounts(s, stats);
    }
    core::Status AddTokenCounts(domain::AccountKey account,
                                const std::map<std::string, int64_t>& counts) override {
      KLOZEO_TRY(t_.Lock(account));
      return t_.AddTokenCounts(account, counts);
    }
    core::Status InsertMatchKeys(domain::AccountKey account, const std::vector<domain::Lead>& leads,
                                 const std::vector<dedup::LeadKeys>& keys) override {
      if (leads.size() != keys.size()) return core::Error::Internal("one key set per lead");
      KLOZEO_TRY(t_.Lock(account));
      return t_.InsertMatchKeys(account, leads, keys);
    }
    core::Result<std::optional<BackfillProgress>> Backfill() override {
      return First(t_.Admin(sql::kDedupBackfillState), [](const Statement& r) {
        return BackfillProgress{r.Int(0), domain::AccountKey{r.Int(1)}, r.Text(2)};
      });
    }
    core::Status SetBackfill(const std::optional<BackfillProgress>& p) override {
      if (!p) return Run(t_.Admin(sql::kEndDedupBackfill));
      return Run(t_.Admin(sql::kMoveDedupBackfill, p->phase, p->after_account, p->after_id));
    }
    core::Result<std::vector<DedupCandidate>> FindByPhone(domain::AccountKey account,
                                                          std::string_view phone_key,
                                                          int limit) override {
      return Candidates(account, sql::kFindDedupByPhone, phone_key, limit);
    }
    core::Result<std::vector<DedupCandidate>> FindByPhoneExchange(domain::AccountKey account,
                                                                  std::string_view exchange,
                                                                  std::string_view phone_key,
                                                                  int limit) override {
      if (exchange.empty()) return std::vector<DedupCandidate>();
      // Phone keys are digits after an optional '+': ':' sorts right after '9'.
      const std::string end = std::string(exchange) + ':';
      return All(
          t_.On(account, sql::kFindDedupByPhoneRange, exchange, end, phone_key, int64_t{limit}),
          ReadDedupCandidate);
    }
    core::Result<std::vector<DedupCandidate>> FindByCityWord(domain::AccountKey account,
                                                             std::string_view key,
                                                             int limit) override {
      return Candidates(account, sql::kFindDedupByCityWord, key, limit);
    }
    core::Result<std::vector<std::string>> FindByMatchKey(domain::AccountKey account, MatchKey kind,
                                                          std::string_view key,
                                                          int limit) override {
      if (key.empty()) return std::vector<std::string>();
      return All(t_.On(account, sql::kFindByMatchKey, KindName(kind), key, int64_t{limit}),
                 ReadText);
    }
    core::Status Dismiss(domain::AccountKey account, std::string_view a, std::string_view b,
                         int64_t now) override {
      KLOZEO_TRY(Run(t_.On(account, sql::kInsertDismissal, a, b, now)));
      return Run(t_.On(account, sql::kInsertDismissal, b, a, now));
    }
    core::Result<std::vector<std::string>> Dismissed(domain::AccountKey account,
                                                     std::string_view lead_id) override {
      return All(t_.On(account, sql::kListDismissed, lead_id), ReadText);
    }
    core::Status RecordMerge(domain::AccountKey account, const MergeRecord& r) override {
      nlohmann::json changes = nlohmann::json::array();
      for (const MergeChange& c : r.changes) changes.push_back({c.field, c.old_value, c.new_value});
      return Run(t_.On(account, sql::kInsertMerge, r.lead_id, r.id, r.source_lead_id, r.kind,
                       r.tier, r.merged_at,
                       changes.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
    }
    core::Status MoveDedupState(domain::AccountKey account, std::string_view from,
                                std::string_view to) override {
      KLOZEO_TRY(Run(t_.On(account, sql::kMoveMerges, from, to)));
      KLOZEO_TRY(Run(t_.On(account, sql::kMoveDismissals, from, to)));
      return Run(t_.On(account, sql::kMoveDismissalsBack, from, to));
    }
    core::Result<std::vector<MergeRecord>> ListMerges(domain::AccountKey account,
                                                      std::string_view lead_id,
                                                      int limit) override {
      return All(t_.On(account, sql::kListMerges, lead_id, int64_t{limit}), [](const Statement& r) {
        MergeRecord m{r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Int(5), {}};
        nlohmann::json changes = nlohmann::json::parse(r.Text(6), nullptr, false);
        if (changes.is_array()) {
          for (const auto& c : changes) {
            if (c.is_array() && c.size() == 3 && c[0].is_string() && c[1].is_string() &&
                c[2].is_string()) {
              m.changes.push_back(
                  {c[0].get<std::string>(), c[1].get<std::string>(), c[2].get<std::string>()});
            }
          }
        }
        return m;
      });
    }
    /// Leads (id, name, address, city) filed under `key` (none for an empty key); a NULL
    /// address or city reads as "".
    core::Result<std::vector<DedupCandidate>> Candidates(domain::AccountKey account,
                                                         const char* text, std::string_view key,
                                                         int limit) {
      if (key.empty()) return std::vector<DedupCandidate>();
      return All(t_.On(account, text, key, int64_t{limit}), ReadDedupCandidate);
    }
    static std::string_view KindName(MatchKey kind) {
      return kind == MatchKey::kAddress  ? "address"
             : kind == MatchKey::kDomain ? "domain"
                                         : "city_word";
    }
    SqlTx& t_;
  };

  Accounts accounts_;
  Leads leads_;
  Notes notes_;
  Rules rules_;
  Webhooks webhooks_;
  Idempotency idempotency_;
  Dedup dedup_;
};

}  // namespace klozeo::storage

#include "storage/sql/sql_tx_impl.h"
