#pragma once

// The one implementation of storage::Tx and its stores, over a backend's Connection C: its
// Statement type (StatementBase, Changes, Value; PostgreSQL's AppendCopyRow), its kDialect, Prepare
// (a neutral constant) and PrepareDynamic (rendered SQL; PostgreSQL's also Query and Copy). A
// backend's Tx derives from SqlTx<C>: it begins, commits, rolls back, gives the connection back,
// and may take a lock per account before the first statement on its data.

#include "storage/sql/guard.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "core/fold.h"
#include "core/ids.h"
#include "dedup/keys.h"
#include "dedup/tokens.h"
#include "domain/lead_codec.h"
#include "query/limit.h"
#include "query/plan.h"
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
inline std::string TextArrayLiteral(const std::vector<std::string>& items) {
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
/// A JSON array of strings (invalid UTF-8 replaced): SQLite's form of a list of tokens.
inline std::string TokensJson(const std::vector<std::string>& tokens) {
  return nlohmann::json(tokens).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace bulk {
/// `single`, a one-row `INSERT ... VALUES (...)` in the neutral form, with `rows` tuples: the
/// placeholders of tuple r are renumbered by r * stride.
inline std::string MultiRowInsert(std::string_view single, int rows, int stride) {
  const size_t values = single.find("VALUES ");
  const std::string_view head = single.substr(0, values + 7);
  const std::string_view tuple = single.substr(values + 7);
  std::string out(head);
  out.reserve(head.size() + (tuple.size() + 16) * static_cast<size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    if (r > 0) out += ", ";
    for (size_t i = 0; i < tuple.size(); ++i) {
      out += tuple[i];
      if (tuple[i] != '?') continue;
      size_t end = i + 1;
      int n = 0;
      while (end < tuple.size() && tuple[end] >= '0' && tuple[end] <= '9') {
        n = n * 10 + (tuple[end] - '0');
        ++end;
      }
      out += std::to_string(n + r * stride);
      i = end - 1;
    }
  }
  return out;
}
/// The COPY ... FROM STDIN of the columns a one-row INSERT (rendered) names.
inline std::string CopyFrom(std::string_view insert) {
  const size_t values = insert.find(" VALUES ");
  return "COPY " + std::string(insert.substr(12, values - 12)) + " FROM STDIN";  // INSERT INTO
}
/// "a, b, c" as {"a", "b", "c"}.
inline std::vector<std::string> SplitList(std::string_view list) {
  std::vector<std::string> out;
  for (size_t at = 0; at <= list.size();) {
    size_t comma = std::min(list.find(", ", at), list.size());
    out.emplace_back(list.substr(at, comma - at));
    at = comma + 2;
  }
  return out;
}

/// One row's parameters of a multi-row statement: parameter i of the row is parameter
/// i + offset of the statement (so the one-row binders serve every row).
template <typename S>
class Shifted {
 public:
  Shifted(S& s, int offset) : s_(s), offset_(offset) {}
  template <typename T>
  Shifted& Bind(int index, const T& value) {
    s_.Bind(index + offset_, value);
    return *this;
  }
  Shifted& BindNull(int index) {
    s_.BindNull(index + offset_);
    return *this;
  }

 private:
  S& s_;
  int offset_;
};

/// The multi-row form of the one-row INSERT `kSingle` (neutral SQL) for 1, 2, 4 ... kMaxRows
/// rows on SQLite, each rendered once.
template <const char* const& kSingle, int kStride, int kMaxRows>
const std::string& MultiRowText(int rows) {
  static const auto texts = [] {
    std::vector<std::string> out;
    for (int n = 1; n <= kMaxRows; n *= 2) {
      out.push_back(RenderSql(MultiRowInsert(kSingle, n, kStride), Dialect::kSqlite));
    }
    return out;
  }();
  return texts[static_cast<size_t>(std::countr_zero(static_cast<unsigned>(rows)))];
}

}  // namespace bulk

/// Where `name` is in `columns`, or -1.
inline int ColumnIndex(const std::vector<std::string>& columns, std::string_view name) {
  auto at = std::find(columns.begin(), columns.end(), name);
  return at == columns.end() ? -1 : static_cast<int>(at - columns.begin());
}

/// The lock that serialises account and key management (not tenant data): no account has key 0.
inline constexpr domain::AccountKey kAccountsLock{0};

template <typename C>
class SqlTx : public Tx {
 public:
  using Connection = C;
  using Statement = typename C::Statement;
  using Stmt = core::Result<Statement>;
  static constexpr Dialect kDialect = C::kDialect;
  static constexpr bool kPg = kDialect == Dialect::kPostgres;

  explicit SqlTx(std::unique_ptr<Connection> conn) : owned_(std::move(conn)), conn_(owned_.get()) {}

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
  static void BindAll(Statement& s, const std::vector<query::SqlValue>& binds) {
    for (size_t i = 0; i < binds.size(); ++i) s.BindValue(static_cast<int>(i + 1), binds[i]);
  }

  /// Stores new leads with their attributes, name-token counts and match keys.
  core::Status InsertLeads(domain::AccountKey account, std::span<const domain::Lead> leads,
                           std::span<const dedup::LeadKeys> keys) {
    auto bind = [&](auto& row, size_t i) { rows::BindLead(row, account, leads[i], keys[i]); };
    if (leads.size() == 1) {
      KLOZEO_TRY((InsertRows<sql::kInsertLead, 45, 64>(1, bind)));  // inside its savepoint
    } else {
      KLOZEO_TRY((InsertRows<sql::kInsertLeads, 45, 64>(leads.size(), bind)));
    }
    if constexpr (!kPg) {
      // The trigram index's rows (schema 16: an insert trigger made every multi-row INSERT INTO
      // leads keep a statement journal and ran three statements a row). A single lead is marked
      // pending and indexed only every 128th time, with the others pending; a batch indexes the
      // pending leads, then writes its own rows indexed, with their names.
      if (leads.size() == 1) {
        KLOZEO_TRY((InsertRows<sql::kInsertTextRow, 2, 128>(
            1, [&](auto& row, size_t) { row.Bind(1, Arg(account)).Bind(2, leads[0].id); })));
        // The new row's rid is the largest: the two statements' own condition, checked here
        // first, so the 127 creates of 128 that index nothing run neither.
        if (conn_->LastInsertRowid() % 128 == 0) {
          KLOZEO_TRY(Run(Query(sql::kIndexPendingText, int64_t{128})));
          KLOZEO_TRY(Run(Query(sql::kClearPendingText, int64_t{128})));
        }
      } else {
        KLOZEO_TRY(Run(Query(sql::kIndexPendingText, int64_t{1})));
        KLOZEO_TRY(Run(Query(sql::kClearPendingText, int64_t{1})));
        KLOZEO_ASSIGN_OR_RETURN(const int64_t last, Count(Query(sql::kLastTextRow)));
        auto rid = [&](size_t i) { return last + 1 + static_cast<int64_t>(i); };
        KLOZEO_TRY(
            (InsertRows<sql::kInsertIndexedTextRow, 3, 128>(leads.size(), [&](auto& row, size_t i) {
              row.Bind(1, rid(i)).Bind(2, Arg(account)).Bind(3, leads[i].id);
            })));
        std::string names = "[";
        for (const auto& lead : leads) {
          if (names.size() > 1) names += ',';
          domain::AppendJsonString(names, core::FoldText(lead.name));
        }
        names += ']';
        KLOZEO_TRY(Run(Query(sql::kInsertTextNames, rid(0), names)));
      }
    }
    // Their scores (schemas 24 and 25), with the folded facets the score order carries.
    KLOZEO_TRY((InsertRows<sql::kInsertLeadScore, 6, 128>(leads.size(), [&](auto& row, size_t i) {
      const domain::Lead& lead = leads[i];
      row.Bind(1, Arg(account)).Bind(2, lead.id).Bind(3, lead.score);
      row.Bind(4, domain::LeadStatusName(lead.status));
      row.Bind(5, rows::FoldedText(lead.text[domain::kCity]))
          .Bind(6, rows::FoldedText(lead.text[domain::kCategory]));
    })));
    // The name-word counts (docs/DEDUP.md).
    std::map<std::string, int64_t> counts;
    for (const auto& k : keys) {
      for (auto& token : dedup::CountedTokens(k.name_tokens)) ++counts[token];
    }
    counts[std::string()] = static_cast<int64_t>(leads.size());
    dedup::TokenStats after;  // the counts once the batch is in: what its leads are filed under
    KLOZEO_TRY(AddTokenCounts(account, counts, &after));
    KLOZEO_TRY(InsertMatchKeys(account, leads, keys, &after));
    return InsertAttributes(account, leads);
  }
  /// Inserts `count` rows of the one-row INSERT kSingle, row i bound by bind(row, i): one
  /// statement for one row; more go as multi-row statements (SQLite) or one COPY (PostgreSQL).
  template <const char* const& kSingle, int kStride, int kMaxRows, typename Bind>
  core::Status InsertRows(size_t count, Bind bind) {
    if (count == 1) {
      KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kSingle));
      bind(s, 0);
      return s.Run();
    }
    if constexpr (kPg) {
      if (count == 0) return core::Ok();
      static const std::string copy = bulk::CopyFrom(RenderSql(kSingle, kDialect));
      Statement row = conn_->Query(std::string());
      std::string data;
      for (size_t i = 0; i < count; ++i) {
        bind(row, i);
        KLOZEO_TRY(row.AppendCopyRow(data));
      }
      return conn_->Copy(copy, data);
    } else {
      // kMaxRows, then the largest power of two left: a few texts, each prepared once.
      for (size_t at = 0; at < count;) {
        const int rows = count - at >= static_cast<size_t>(kMaxRows)
                             ? kMaxRows
                             : static_cast<int>(std::bit_floor(count - at));
        KLOZEO_ASSIGN_OR_RETURN(
            auto s, conn_->PrepareDynamic(bulk::MultiRowText<kSingle, kStride, kMaxRows>(rows)));
        for (int r = 0; r < rows; ++r) {
          bulk::Shifted<Statement> shifted(s, r * kStride);
          bind(shifted, at++);
        }
        KLOZEO_TRY(s.Run());
      }
      return core::Ok();
    }
  }
  /// The attribute rows of `leads` (kInsertAttribute).
  core::Status InsertAttributes(domain::AccountKey account, std::span<const domain::Lead> leads) {
    std::vector<std::pair<const std::string*, const domain::Attribute*>> all;
    for (const auto& lead : leads) {
      for (const auto& a : lead.attributes) all.emplace_back(&lead.id, &a);
    }
    // Ten parameters a row (SQLite binds 8 of them).
    return InsertRows<sql::kInsertAttribute, 10, 128>(all.size(), [&](auto& s, size_t i) {
      const domain::Attribute& a = *all[i].second;
      s.Bind(1, Arg(account)).Bind(2, *all[i].first).Bind(3, a.id).Bind(4, a.name);
      s.Bind(5, domain::AttributeTypeName(a.type)).Bind(6, a.value.dump()).BindNull(7).BindNull(8);
      if constexpr (kPg) s.BindNull(9).BindNull(10);
      switch (a.type) {
        case domain::AttributeType::kText: {
          std::string folded = core::FoldText(a.value.get_ref<const std::string&>());
          if constexpr (kPg) s.Bind(10, query::AttributeSortKeyForText(folded));
          s.Bind(7, folded);
          break;
        }
        case domain::AttributeType::kNumber:
        case domain::AttributeType::kBool: {
          double v = a.type == domain::AttributeType::kBool ? (a.value.get<bool>() ? 1.0 : 0.0)
                                                            : a.value.get<double>();
          s.Bind(8, v);
          if constexpr (kPg) s.Bind(10, query::AttributeSortKeyForNumber(v));
          break;
        }
        case domain::AttributeType::kList:
          if constexpr (kPg) {
            // The folded elements, as SQLite folds them in queries (numbers by their text).
            nlohmann::json items = nlohmann::json::array();
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
          }
          break;
        case domain::AttributeType::kObject:
          break;
      }
    });
  }
  /// The address, domain and city-word keys of `leads` (kInsertMatchKey); `counts` holds the
  /// account's counts of their words once they are written (dedup::RarestWord), read when null.
  core::Status InsertMatchKeys(domain::AccountKey account, std::span<const domain::Lead> leads,
                               std::span<const dedup::LeadKeys> keys,
                               const dedup::TokenStats* counts = nullptr) {
    dedup::TokenStats read;  // the counts of their words now, when not given
    if (counts == nullptr) {
      std::set<std::string> tokens;
      for (const auto& k : keys) {
        for (auto& token : dedup::CountedTokens(k.name_tokens)) tokens.insert(std::move(token));
      }
      if (!tokens.empty()) {
        KLOZEO_ASSIGN_OR_RETURN(
            auto s, Query(sql::kTokenCounts, account, TokenList({tokens.begin(), tokens.end()})));
        KLOZEO_TRY(ReadTokenCounts(s, read));
      }
      counts = &read;
    }
    std::vector<std::string> city_words(leads.size());
    std::vector<std::tuple<const std::string*, std::string_view, const std::string*>> all;
    for (size_t i = 0; i < leads.size(); ++i) {
      if (!keys[i].address.empty()) all.emplace_back(&leads[i].id, "address", &keys[i].address);
      if (!keys[i].domain.empty()) all.emplace_back(&leads[i].id, "domain", &keys[i].domain);
      city_words[i] =
          dedup::CityWordKey(keys[i].city, dedup::RarestWord(keys[i].name_tokens, *counts));
      if (!city_words[i].empty()) all.emplace_back(&leads[i].id, "city_word", &city_words[i]);
    }
    return InsertRows<sql::kInsertMatchKey, 4, 128>(all.size(), [&](auto& row, size_t i) {
      const auto& [lead_id, kind, key] = all[i];
      row.Bind(1, Arg(account)).Bind(2, *lead_id).Bind(3, kind).Bind(4, *key);
    });
  }
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
  core::Status FillAttempts(domain::WebhookDelivery& d) {
    KLOZEO_ASSIGN_OR_RETURN(auto s, Query(sql::kListAttempts, d.id));
    if constexpr (kPg) s.Bind(2, Arg(d.account_key));
    KLOZEO_ASSIGN_OR_RETURN(d.attempt_log, CollectRows(s, [](const Statement& r) {
                              return domain::WebhookAttempt{
                                  r.Int(0),     r.Int(1),      r.Int(2),   r.OptInt(3),
                                  r.OptText(4), r.Int(5) != 0, r.OptInt(6)};
                            }));
    return core::Ok();
  }

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
                        const dedup::LeadKeys& keys) override {
      KLOZEO_TRY(t_.Lock(account));
      KLOZEO_ASSIGN_OR_RETURN(auto old_name, t_.StoredName(account, lead.id));
      if (!old_name) return core::Error::NotFound("lead not found");
      KLOZEO_ASSIGN_OR_RETURN(auto update, t_.Query(sql::kUpdateLead));
      rows::BindLead(update, account, lead, keys);
      KLOZEO_TRY(Found(std::move(update), "lead"));
      KLOZEO_TRY(Run(t_.Query(sql::kDeleteAttributes, account, lead.id)));
      // Only the difference of the name-token counts is written; the lead count ('') stays.
      std::vector<std::string> old_tokens = dedup::CountedTokens(dedup::NameTokens(*old_name));
      std::vector<std::string> new_tokens = dedup::CountedTokens(keys.name_tokens);
      for (auto [from, other, delta] : {std::tuple(&new_tokens, &old_tokens, int64_t{1}),
                                        std::tuple(&old_tokens, &new_tokens, int64_t{-1})}) {
        std::vector<std::string> diff;
        std::copy_if(from->begin(), from->end(), std::back_inserter(diff), [&](const auto& t) {
          return std::find(other->begin(), other->end(), t) == other->end();
        });
        if (!diff.empty()) KLOZEO_TRY(t_.CountTokens(account, diff, delta));
      }
      KLOZEO_TRY(Run(t_.Query(sql::kDeleteMatchKeys, account, lead.id)));
      KLOZEO_TRY(t_.InsertMatchKeys(account, std::span(&lead, 1), std::span(&keys, 1)));
      return t_.InsertAttributes(account, std::span(&lead, 1));
    }
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
    core::Result<LeadPage> List(const query::ListQuery& q) override {
      // The select list in this dialect, rendered once.
      static const std::string select_list = RenderSql(sql::kLeadSelectList, kDialect);
      static_assert(std::string_view(sql::kLeadSelectList).find(query::kScoreSlot) !=
                    std::string_view::npos);
      KLOZEO_TRY(t_.Lock(domain::AccountKey{q.account_key}));
      query::ListQuery planned = q;
      {
        // Plan steering (query/plan.h): count each indexable filter's rows, up to a cap that
        // grows with the account.
        std::vector<size_t> candidates = query::ProbeCandidates(q);
        if constexpr (kPg) {
          // PostgreSQL's own estimates decide, but for a substring no index can look up: a count
          // through an index fetches heap pages when autovacuum has not marked them all-visible
          // (after a rescore), and a steered rare filter may still be read by a sequential scan
          // when its estimate is high (docs/QUERY-PERFORMANCE.md, bench/RESULTS.md).
          std::erase_if(candidates, [&](size_t i) { return !query::ProbeReadsIds(q.filters[i]); });
          // And a list's element, which its planner cannot estimate (query::ProbedForPostgres).
          for (size_t i = 0; i < q.filters.size(); ++i) {
            if (query::ProbedForPostgres(q.filters[i])) candidates.push_back(i);
          }
          // And a lone attribute comparison, which may be walked as a set (query::ChooseAccess).
          if (q.filters.size() == 1 && query::WalkedAsSetOnPostgres(q.filters[0])) {
            candidates.push_back(0);
          }
        }
        int64_t leads = 0;
        if (!candidates.empty()) {
          KLOZEO_ASSIGN_OR_RETURN(leads, SqlTx::Count(t_.On(domain::AccountKey{q.account_key},
                                                            sql::kAccountLeadCount)));
        }
        const int64_t cap = query::ProbeCap(leads, q.limit.value_or(query::kDefaultLimit));
        std::vector<std::pair<size_t, int64_t>> counts;
        std::vector<std::vector<std::string>> ids(q.filters.size());  // of ProbeReadsIds probes
        for (size_t i : candidates) {
          std::optional<query::CompiledSql> by_terms;
          if constexpr (kPg) {
            if (query::UsesTrigramTerms(q.filters[i])) {
              // The characters that can precede the pair: pg_trgm then looks it up (schema 23).
              static const std::string chars_sql =
                  "SELECT ch FROM lead_name_chars WHERE account_key = $1 LIMIT " +
                  std::to_string(query::kMaxRegexChars + 1);
              KLOZEO_ASSIGN_OR_RETURN(auto c, t_.PrepareListing(chars_sql));
              c.Bind(1, q.account_key);
              KLOZEO_ASSIGN_OR_RETURN(auto chars, CollectRows(c, ReadText));
              if (auto regex = query::TrigramRegex(q.filters[i], chars)) {
                by_terms = query::CompileTrigramRegexProbe(PlanDialect(), q, i,
                                                           static_cast<int>(cap), *regex);
              }
            }
          } else {
            if (query::UsesTrigramTerms(q.filters[i])) {
              KLOZEO_ASSIGN_OR_RETURN(auto terms, TrigramTerms(q.filters[i]));
              if (terms) {
                by_terms =
                    query::CompileTrigramTermsProbe(PlanDialect(), q, i, static_cast<int>(cap),
                                                    query::TrigramTermsMatch(q.filters[i], *terms));
              }
            }
          }
          query::CompiledSql probe =
              by_terms ? std::move(*by_terms)
                       : query::CompileCountProbe(PlanDialect(), q, i, static_cast<int>(cap));
          KLOZEO_ASSIGN_OR_RETURN(auto p, t_.PrepareListing(std::move(probe.sql)));
          BindAll(p, probe.binds);
          if (query::ProbeReadsIds(q.filters[i], PlanDialect())) {
            KLOZEO_ASSIGN_OR_RETURN(ids[i], CollectRows(p, ReadText));
            counts.emplace_back(i, static_cast<int64_t>(ids[i].size()));
            continue;
          }
          KLOZEO_ASSIGN_OR_RETURN(bool row, p.Step());
          counts.emplace_back(i, row ? p.Int(0) : 0);
        }
        query::ChooseAccess(planned, counts, cap, PlanDialect());
        if (planned.access == query::Access::kFilterIndex &&
            query::ProbeReadsIds(q.filters.at(planned.drive), PlanDialect()) &&
            static_cast<int64_t>(ids[planned.drive].size()) < cap) {  // all of them, not cap
          planned.drive_ids = std::move(ids[planned.drive]);
        }
      }
      // A large page (a scan's chunk) reads its scores after the page, in one range of
      // lead_scores (ReadPageScores): a lookup per lead is a seek each.
      planned.score_later = !q.limit || *q.limit >= kScoresLaterRows;
      query::CompiledSql compiled = Compile(select_list.c_str(), planned);
      KLOZEO_ASSIGN_OR_RETURN(auto s, t_.PrepareListing(std::move(compiled.sql)));
      BindAll(s, compiled.binds);
      LeadPage page;
      while (true) {
        KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        if (q.limit && page.leads.size() == static_cast<size_t>(*q.limit)) {
          page.has_more = true;  // the compiler asks for one row more than the page
          break;
        }
        page.leads.push_back(rows::ReadLead(s));
        page.last_sort_key = s.Value(sql::kLeadSelectColumns);
      }
      if (compiled.score_later) {
        KLOZEO_TRY(ReadPageScores(domain::AccountKey{q.account_key}, page.leads));
      }
      return page;
    }
    /// Pages of at least this many rows read their scores after the page (ListQuery::score_later).
    static constexpr int kScoresLaterRows = 256;
    /// The scores of `leads` (a page whose select list left them NULL): the range of lead_scores
    /// from their least id to their greatest, in id order, merged with them sorted by id. A scan
    /// in created order reads about its own leads' rows there (ids are UUIDv7, in creation
    /// order); where the page's ids are spread (another sort, a rare filter) the range read stops
    /// after twice the page's rows, and the leads past it are looked up one by one.
    core::Status ReadPageScores(domain::AccountKey account, std::vector<domain::Lead>& leads) {
      if (leads.empty()) return core::Ok();
      std::vector<domain::Lead*> by_id;
      by_id.reserve(leads.size());
      for (domain::Lead& lead : leads) by_id.push_back(&lead);
      std::sort(by_id.begin(), by_id.end(),
                [](const domain::Lead* a, const domain::Lead* b) { return a->id < b->id; });
      const auto most = static_cast<int64_t>(2 * by_id.size() + 64);
      size_t at = 0;  // by_id[at..] are not read yet
      int64_t rows = 0;
      {
        KLOZEO_ASSIGN_OR_RETURN(auto range, t_.Query(sql::kPageScores, account, by_id.front()->id,
                                                     by_id.back()->id, most));
        while (at < by_id.size()) {
          KLOZEO_ASSIGN_OR_RETURN(bool row, range.Step());
          if (!row) break;
          ++rows;
          const std::string id = range.Text(0);
          // A lead the range passed has no lead_scores row (never so): its score stays 0.
          while (at < by_id.size() && by_id[at]->id < id) ++at;
          if (at < by_id.size() && by_id[at]->id == id) by_id[at++]->score = range.Double(1);
        }
      }
      if (rows < most) return core::Ok();  // the range was read to its end
      for (; at < by_id.size(); ++at) {
        KLOZEO_ASSIGN_OR_RETURN(auto one, t_.Query(sql::kLeadScore, account, by_id[at]->id));
        KLOZEO_ASSIGN_OR_RETURN(bool row, one.Step());
        if (row) by_id[at]->score = one.Double(0);
      }
      return core::Ok();
    }
    /// SQLite: the trigram index's terms holding a UsesTrigramTerms filter's pair as
    /// TrigramTermsMatch wants them (those that start with it, for contains, and those that
    /// end with it), read off kTextTermsTable; nullopt past kMaxTrigramLeads first code points.
    core::Result<std::optional<std::vector<std::string>>> TrigramTerms(const query::Filter& f) {
      const std::string pair = core::FoldText(std::get<std::string>(f.value));
      static const std::string seek =
          "SELECT term FROM " + std::string(query::kTextTermsTable) + " WHERE term >= ?1 LIMIT 1";
      // The first term at or after `key` (bytewise, as FTS5 orders them).
      auto at_or_after = [&](const std::string& key) -> core::Result<std::optional<std::string>> {
        KLOZEO_ASSIGN_OR_RETURN(auto s, t_.PrepareListing(seek));
        s.Bind(1, key);
        return First(std::move(s), ReadText);
      };
      // A key after every term starting with `prefix` (whole code points) and before the others:
      // its last byte plus one (at most 0xBF in UTF-8, so it never overflows).
      auto past = [](std::string prefix) {
        prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
        return prefix;
      };
      std::vector<std::string> terms;
      if (f.op == query::Op::kContains) {
        // Every term is 3 code points, so none extends another: seek each in turn.
        for (std::string key = pair;;) {
          KLOZEO_ASSIGN_OR_RETURN(auto term, at_or_after(key));
          if (!term || !term->starts_with(pair)) break;
          terms.push_back(*term);
          key = past(*term);
        }
      }
      // Those ending with it: one candidate per first code point of the index's terms (skip scan).
      size_t firsts = 0;
      for (std::string key;;) {
        KLOZEO_ASSIGN_OR_RETURN(auto term, at_or_after(key));
        if (!term || term->empty()) break;
        if (++firsts > query::kMaxTrigramLeads) return std::optional<std::vector<std::string>>();
        const auto lead = static_cast<unsigned char>(term->front());
        const size_t width = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        std::string first = term->substr(0, width);
        std::string candidate = first + pair;
        if (std::find(terms.begin(), terms.end(), candidate) == terms.end()) {
          terms.push_back(std::move(candidate));
        }
        key = past(std::move(first));
      }
      return std::optional(std::move(terms));
    }
    core::Result<std::vector<std::string>> AttributeNames(const query::ListQuery& q) override {
      // The account's distinct names come off the (account, name, ...) index. Without filters
      // every lead matches, so those are the answer. With filters, a name is kept if some matching
      // lead has it: each EXISTS stops at the first such lead, so nothing is materialised (an
      // IN (subquery) would hold every matching id in memory at once).
      KLOZEO_ASSIGN_OR_RETURN(
          auto candidates,
          All(t_.On(domain::AccountKey{q.account_key}, sql::kDistinctAttributeNames), ReadText));
      if (q.filters.empty() || candidates.empty()) return candidates;
      query::ListQuery all = q;
      all.after.reset();
      all.limit.reset();
      query::CompiledSql matches = Compile("leads.id AS id", all);
      const int outer = static_cast<int>(matches.binds.size()) + 1;
      const std::string exists =
          ") m WHERE EXISTS (SELECT 1 FROM lead_attributes a WHERE "
          "a.account_key = ?" +
          std::to_string(outer) + " AND a.lead_id = m.id AND a.name = ";
      if constexpr (kPg) {
        // One statement: which candidate names some matching lead has.
        std::string text = "SELECT n.name FROM unnest(?" + std::to_string(outer + 1) +
                           "::text[]) AS n(name) WHERE EXISTS (SELECT 1 FROM (" + matches.sql +
                           exists + "n.name)) ORDER BY n.name";
        KLOZEO_ASSIGN_OR_RETURN(auto s, t_.PrepareListing(RenderSql(text, kDialect)));
        BindAll(s, matches.binds);
        s.Bind(outer, q.account_key).Bind(outer + 1, TextArrayLiteral(candidates));
        return CollectRows(s, ReadText);
      } else {
        // One cheap local statement per name.
        const std::string text = "SELECT 1 FROM (" + matches.sql + exists + "?" +
                                 std::to_string(outer + 1) + ") LIMIT 1";
        std::vector<std::string> out;
        for (const auto& name : candidates) {
          KLOZEO_ASSIGN_OR_RETURN(auto s, t_.conn_->PrepareDynamic(text));
          BindAll(s, matches.binds);
          s.Bind(outer, q.account_key).Bind(outer + 1, name);
          KLOZEO_ASSIGN_OR_RETURN(bool present, s.Step());
          if (present) out.push_back(name);
        }
        return out;
      }
    }
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
                                  int top) override {
      // Whole-account aggregates: PostgreSQL's parallel workers halve them (1.9 s -> 0.9 s for the
      // status buckets at 1,000,000 leads), while connections have none for listings
      // (storage/postgres/connection.cpp): allowed for these statements, then off again.
      if constexpr (kPg)
        KLOZEO_TRY(t_.conn_->Exec("SET max_parallel_workers_per_gather TO DEFAULT"));
      core::Result<LeadStats> result = [&]() -> core::Result<LeadStats> {
        LeadStats stats;
        double score_sum = 0;
        std::map<std::string, int64_t> by_status;
        KLOZEO_ASSIGN_OR_RETURN(auto buckets, All(t_.On(account, sql::kStatusBuckets), [](auto& r) {
                                  return std::tuple(r.Text(0), r.Int(1), r.Int(2), r.Double(3));
                                }));
        for (const auto& [status, bucket, count, sum] : buckets) {
          stats.total += count;
          score_sum += sum;
          stats.score_histogram[static_cast<size_t>(std::clamp<int64_t>(bucket, 0, 9))] += count;
          by_status[status] += count;
        }
        stats.by_status.assign(by_status.begin(), by_status.end());
        if (stats.total > 0) stats.average_score = score_sum / static_cast<double>(stats.total);
        KLOZEO_ASSIGN_OR_RETURN(
            stats.by_source, All(t_.Query(sql::kTopSources, account, int64_t{top}), ReadTextInt));
        KLOZEO_ASSIGN_OR_RETURN(stats.top_cities,
                                All(t_.Query(sql::kTopCities, account, int64_t{top}), ReadTextInt));
        KLOZEO_ASSIGN_OR_RETURN(
            stats.created_per_day,
            All(t_.Query(sql::kCreatedPerDay, account, since_seconds),
                [](const Statement& r) { return std::pair(r.Int(0), r.Int(1)); }));
        return stats;
      }();
      if constexpr (kPg) KLOZEO_TRY(t_.conn_->Exec("SET max_parallel_workers_per_gather = 0"));
      return result;
    }
    core::Status UpdateScores(domain::AccountKey account,
                              const std::vector<std::pair<std::string, double>>& scores) override {
      KLOZEO_TRY(t_.Lock(account));
      if constexpr (kPg) {
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
        return Run(t_.Query(sql::kUpdateScores, account, TextArrayLiteral(ids), values));
      } else {
        for (const auto& [lead_id, score] : scores) {
          KLOZEO_TRY(Run(t_.Query(sql::kUpdateScore, account, lead_id, score)));
        }
        return core::Ok();
      }
    }
    core::Result<std::vector<std::string>> ChunkEnds(domain::AccountKey account,
                                                     std::string_view after_id, int size,
                                                     int count) override {
      if (size <= 0 || count <= 0) return std::vector<std::string>();
      return All(t_.On(account, sql::kChunkEnds, after_id, int64_t{size} * count, int64_t{size}),
                 ReadText);
    }
    core::Result<std::vector<domain::Lead>> Scan(domain::AccountKey account,
                                                 std::string_view after_id, int limit,
                                                 const LeadProjection& projection,
                                                 std::string_view until_id) override {
      KLOZEO_TRY(t_.Lock(account));
      // id, score, then the projected columns (only these names reach the SQL, never client text),
      // each read by rows::ReadLeadColumn into its field; the others keep their defaults.
      static const std::vector<std::string> columns = bulk::SplitList(sql::kLeadColumns);
      static const int kId = ColumnIndex(columns, "id");
      static const int kScore = ColumnIndex(columns, "score");
      // SQLite reads the chunk's scores from lead_scores in one range read merged by id below
      // (a lookup per lead cost a seek each); PostgreSQL joins them (kScanFrom).
      std::vector<int> read{kId};
      std::string text = "SELECT leads.id";
      if constexpr (kPg) {
        read.push_back(kScore);
        text += ", ";
        text += RenderSql(sql::kScanScore, kDialect);
      }
      for (const std::string& field : projection.fields) {
        const int at = ColumnIndex(columns, field);
        if (at < 0) return core::Error::Internal("cannot scan unknown lead field '" + field + "'");
        if (std::find(read.begin(), read.end(), at) != read.end()) continue;
        read.push_back(at);
        text += ", leads.";
        text += columns[static_cast<size_t>(at)];
      }
      text += RenderSql(sql::kScanFrom, kDialect);
      if (!until_id.empty()) text += RenderSql(sql::kScanUntil, kDialect);
      text += RenderSql(sql::kScanOrder, kDialect);
      KLOZEO_ASSIGN_OR_RETURN(auto scan, t_.conn_->PrepareDynamic(std::move(text)));
      scan.Bind(1, Arg(account)).Bind(2, after_id).Bind(3, static_cast<int64_t>(limit));
      if (!until_id.empty()) scan.Bind(4, until_id);
      std::vector<domain::Lead> out;
      out.reserve(static_cast<size_t>(std::clamp(limit, 0, 100000)));
      while (true) {
        KLOZEO_ASSIGN_OR_RETURN(bool row, scan.Step());
        if (!row) break;
        domain::Lead& lead = out.emplace_back();
        for (size_t i = 0; i < read.size(); ++i) {
          rows::ReadLeadColumn(scan, static_cast<int>(i), read[i], lead);
        }
      }
      if (out.empty()) return out;
      if constexpr (!kPg) {
        KLOZEO_ASSIGN_OR_RETURN(auto s,
                                t_.Query(sql::kScanScores, account, after_id, out.back().id));
        size_t at = 0;
        while (true) {
          KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
          if (!row) break;
          const std::string lead_id = s.Text(0);
          while (at < out.size() && out[at].id < lead_id) ++at;
          if (at == out.size()) break;
          if (out[at].id == lead_id) out[at].score = s.Double(1);
        }
      }
      if (projection.attributes.empty()) return out;

      KLOZEO_ASSIGN_OR_RETURN(auto s, t_.Query(sql::kScanAttributes, account, after_id,
                                               out.back().id, TokenList(projection.attributes)));
      // Both sides are in lead id order: merge.
      size_t at = 0;
      while (true) {
        KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        std::string lead_id = s.Text(0);
        while (at < out.size() && out[at].id < lead_id) ++at;
        if (at == out.size()) break;
        if (out[at].id != lead_id) continue;
        auto type = domain::ParseAttributeType(s.Text(2));
        nlohmann::json value = nlohmann::json::parse(s.Text(3), nullptr, false);
        if (!type || value.is_discarded()) continue;
        out[at].attributes.push_back(
            domain::Attribute{std::string(), s.Text(1), *type, std::move(value)});
      }
      return out;
    }
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
      KLOZEO_ASSIGN_OR_RETURN(auto subscribers, Subscribers(event.account_key, event.type));
      if (subscribers.empty()) return int64_t{0};
      KLOZEO_TRY(Enqueue(event, subscribers, due_ms));
      return static_cast<int64_t>(subscribers.size());
    }
    core::Result<std::vector<std::string>> Subscribers(domain::AccountKey account,
                                                       std::string_view type) override {
      std::string pattern;
      pattern.reserve(type.size() + 2);
      pattern += ',';
      pattern += type;
      pattern += ',';
      return All(t_.On(account, sql::kSubscribers, pattern), ReadText);
    }
    core::Status EnqueueTo(const domain::WebhookEvent& event,
                           const std::vector<std::string>& webhooks, int64_t due_ms) override {
      if (webhooks.empty()) return core::Ok();
      KLOZEO_TRY(Enqueue(event, webhooks, due_ms));
      return core::Ok();
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
                                                                   int limit) override {
      // PostgreSQL claims and marks in one statement; SQLite marks each candidate after.
      KLOZEO_ASSIGN_OR_RETURN(
          auto jobs, All(kPg ? t_.Query(sql::kClaim, now_ms, int64_t{limit}, worker, lease_until_ms)
                             : t_.Query(sql::kClaimCandidates, now_ms, int64_t{limit}),
                         rows::ReadDeliveryJob<Statement>));
      if constexpr (!kPg) {
        for (const auto& j : jobs) {
          KLOZEO_TRY(Run(t_.Query(sql::kMarkClaimed, j.delivery_id, worker, lease_until_ms)));
        }
      }
      return jobs;
    }
    core::Result<bool> RecordAttempt(std::string_view worker,
                                     const domain::AttemptRecord& r) override {
      // The account's lock before any row lock, like every other write of the account (a
      // redelivery holds the lock and then updates the delivery row): one lock order.
      KLOZEO_TRY(t_.Lock(r.account_key));
      const auto& a = r.attempt;
      KLOZEO_ASSIGN_OR_RETURN(
          bool held,
          Change(t_.Query(sql::kFinishAttempt, r.delivery_id, worker,
                          domain::DeliveryStateName(r.new_state), a.attempt, a.next_retry_ms,
                          a.started_at_ms + a.duration_ms, r.account_key)));
      if (!held) return false;
      {
        KLOZEO_ASSIGN_OR_RETURN(
            auto s,
            t_.Query(sql::kInsertAttempt, r.delivery_id, a.attempt, a.started_at_ms, a.duration_ms,
                     a.status_code, a.error, int64_t{a.success ? 1 : 0}, a.next_retry_ms));
        if constexpr (kPg) s.Bind(9, Arg(r.account_key));
        KLOZEO_TRY(s.Run());
      }
      KLOZEO_TRY(Run(t_.Query(a.success ? sql::kWebhookSucceeded : sql::kWebhookFailed,
                              r.account_key, r.webhook_id, a.started_at_ms)));
      return true;
    }
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

  Accounts accounts_{*this};
  Leads leads_{*this};
  Notes notes_{*this};
  Rules rules_{*this};
  Webhooks webhooks_{*this};
  Idempotency idempotency_{*this};
  Dedup dedup_{*this};
};

}  // namespace klozeo::storage
