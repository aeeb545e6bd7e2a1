#pragma once

// The longer members of SqlTx (sql_tx.h): bulk inserts, the projected scan, claims.

#include <bit>
#include <map>
#include <set>

#include "query/limit.h"
#include "query/plan.h"

namespace klozeo::storage {

namespace scan_detail {
/// Where `name` is in `columns`, or -1.
inline int ColumnIndex(const std::vector<std::string>& columns, std::string_view name) {
  auto at = std::find(columns.begin(), columns.end(), name);
  return at == columns.end() ? -1 : static_cast<int>(at - columns.begin());
}
}  // namespace scan_detail

namespace bulk {

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

template <typename B>
template <const char* const& kSingle, int kStride, int kMaxRows, typename Bind>
core::Status SqlTx<B>::InsertRows(size_t count, Bind bind) {
  if (count == 1) {
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn_->Prepare(kSingle));
    bind(s, 0);
    return s.Run();
  }
  if constexpr (kPg) {
    if (count == 0) return core::Ok();
    static const std::string copy = bulk::CopyFrom(RenderSql(kSingle, B::kDialect));
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

template <typename B>
core::Result<std::vector<domain::Lead>> SqlTx<B>::Leads::Scan(domain::AccountKey account,
                                                              std::string_view after_id, int limit,
                                                              const LeadProjection& projection) {
  KLOZEO_TRY(t_.Lock(account));
  // id, score, then the projected columns (only these names reach the SQL, never client text),
  // each read by rows::ReadLeadColumn into its field; the others keep their defaults.
  static const std::vector<std::string> columns = bulk::SplitList(sql::kLeadColumns);
  static const int kId = scan_detail::ColumnIndex(columns, "id");
  static const int kScore = scan_detail::ColumnIndex(columns, "score");
  std::vector<int> read{kId, kScore};
  std::string text = "SELECT id, score";
  for (const std::string& field : projection.fields) {
    const int at = scan_detail::ColumnIndex(columns, field);
    if (at < 0) return core::Error::Internal("cannot scan unknown lead field '" + field + "'");
    if (std::find(read.begin(), read.end(), at) != read.end()) continue;
    read.push_back(at);
    text += ", ";
    text += columns[static_cast<size_t>(at)];
  }
  text += RenderSql(sql::kScanFrom, B::kDialect);
  KLOZEO_ASSIGN_OR_RETURN(auto scan, t_.conn_->PrepareDynamic(std::move(text)));
  scan.Bind(1, Arg(account)).Bind(2, after_id).Bind(3, static_cast<int64_t>(limit));
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
  if (projection.attributes.empty() || out.empty()) return out;

  KLOZEO_ASSIGN_OR_RETURN(auto s, t_.Query(sql::kScanAttributes, account, after_id, out.back().id,
                                           TokenList(projection.attributes)));
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

template <typename B>
core::Result<std::vector<domain::DeliveryJob>> SqlTx<B>::Webhooks::ClaimDeliveries(
    std::string_view worker, int64_t now_ms, int64_t lease_until_ms, int limit) {
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

template <typename B>
core::Status SqlTx<B>::Leads::Update(domain::AccountKey account, const domain::Lead& lead,
                                     const dedup::LeadKeys& keys) {
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

template <typename B>
core::Result<LeadPage> SqlTx<B>::Leads::List(const query::ListQuery& q) {
  // The select list in this dialect, rendered once.
  static const std::string select_list = RenderSql(sql::kLeadSelectList, B::kDialect);
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
      KLOZEO_ASSIGN_OR_RETURN(
          leads, SqlTx::Count(t_.On(domain::AccountKey{q.account_key}, sql::kAccountLeadCount)));
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
            by_terms =
                query::CompileTrigramRegexProbe(PlanDialect(), q, i, static_cast<int>(cap), *regex);
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
          by_terms ? std::move(*by_terms) : CompileProbe(q, i, static_cast<int>(cap));
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
  return page;
}

template <typename B>
core::Result<std::optional<std::vector<std::string>>> SqlTx<B>::Leads::TrigramTerms(
    const query::Filter& f) {
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

template <typename B>
core::Result<std::vector<std::string>> SqlTx<B>::Leads::AttributeNames(const query::ListQuery& q) {
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
                       "::text[]) AS n(name) WHERE EXISTS (SELECT 1 FROM (" + matches.sql + exists +
                       "n.name)) ORDER BY n.name";
    KLOZEO_ASSIGN_OR_RETURN(auto s, t_.PrepareListing(RenderSql(text, B::kDialect)));
    BindAll(s, matches.binds);
    s.Bind(outer, q.account_key).Bind(outer + 1, TextArrayLiteral(candidates));
    return CollectRows(s, ReadText);
  } else {
    // One cheap local statement per name.
    const std::string text =
        "SELECT 1 FROM (" + matches.sql + exists + "?" + std::to_string(outer + 1) + ") LIMIT 1";
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

template <typename B>
core::Result<LeadStats> SqlTx<B>::Leads::Stats(domain::AccountKey account, int64_t since_seconds,
                                               int top) {
  // Whole-account aggregates: PostgreSQL's parallel workers halve them (1.9 s -> 0.9 s for the
  // status buckets at 1,000,000 leads), while connections have none for listings
  // (storage/postgres/connection.cpp): allowed for these statements, then off again.
  if constexpr (kPg) KLOZEO_TRY(t_.conn_->Exec("SET max_parallel_workers_per_gather TO DEFAULT"));
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
    KLOZEO_ASSIGN_OR_RETURN(stats.by_source,
                            All(t_.Query(sql::kTopSources, account, int64_t{top}), ReadTextInt));
    KLOZEO_ASSIGN_OR_RETURN(stats.top_cities,
                            All(t_.Query(sql::kTopCities, account, int64_t{top}), ReadTextInt));
    KLOZEO_ASSIGN_OR_RETURN(stats.created_per_day,
                            All(t_.Query(sql::kCreatedPerDay, account, since_seconds),
                                [](const Statement& r) { return std::pair(r.Int(0), r.Int(1)); }));
    return stats;
  }();
  if constexpr (kPg) KLOZEO_TRY(t_.conn_->Exec("SET max_parallel_workers_per_gather = 0"));
  return result;
}

template <typename B>
core::Status SqlTx<B>::Leads::UpdateScores(
    domain::AccountKey account, const std::vector<std::pair<std::string, double>>& scores) {
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

template <typename B>
core::Result<bool> SqlTx<B>::Webhooks::RecordAttempt(std::string_view worker,
                                                     const domain::AttemptRecord& r) {
  // The account's lock before any row lock, like every other write of the account (a
  // redelivery holds the lock and then updates the delivery row): one lock order.
  KLOZEO_TRY(t_.Lock(r.account_key));
  const auto& a = r.attempt;
  KLOZEO_ASSIGN_OR_RETURN(
      bool held, Change(t_.Query(sql::kFinishAttempt, r.delivery_id, worker,
                                 domain::DeliveryStateName(r.new_state), a.attempt, a.next_retry_ms,
                                 a.started_at_ms + a.duration_ms, r.account_key)));
  if (!held) return false;
  {
    KLOZEO_ASSIGN_OR_RETURN(auto s, t_.Query(sql::kInsertAttempt, r.delivery_id, a.attempt,
                                             a.started_at_ms, a.duration_ms, a.status_code, a.error,
                                             int64_t{a.success ? 1 : 0}, a.next_retry_ms));
    if constexpr (kPg) s.Bind(9, Arg(r.account_key));
    KLOZEO_TRY(s.Run());
  }
  KLOZEO_TRY(Run(t_.Query(a.success ? sql::kWebhookSucceeded : sql::kWebhookFailed, r.account_key,
                          r.webhook_id, a.started_at_ms)));
  return true;
}

template <typename B>
core::Status SqlTx<B>::FillAttempts(domain::WebhookDelivery& d) {
  KLOZEO_ASSIGN_OR_RETURN(auto s, Query(sql::kListAttempts, d.id));
  if constexpr (kPg) s.Bind(2, Arg(d.account_key));
  KLOZEO_ASSIGN_OR_RETURN(d.attempt_log, CollectRows(s, [](const Statement& r) {
                            return domain::WebhookAttempt{r.Int(0),    r.Int(1),     r.Int(2),
                                                          r.OptInt(3), r.OptText(4), r.Int(5) != 0,
                                                          r.OptInt(6)};
                          }));
  return core::Ok();
}

template <typename B>
core::Status SqlTx<B>::InsertLeads(domain::AccountKey account, std::span<const domain::Lead> leads,
                                   std::span<const dedup::LeadKeys> keys) {
  auto bind = [&](auto& row, size_t i) { rows::BindLead(row, account, leads[i], keys[i]); };
  if (leads.size() == 1) {
    KLOZEO_TRY((InsertRows<sql::kInsertLead, 45, 64>(1, bind)));  // inside its savepoint
  } else {
    KLOZEO_TRY((InsertRows<sql::kInsertLeads, 45, 64>(leads.size(), bind)));
  }
  if constexpr (!kPg) {
    // The trigram index's rows (schema 16: an insert trigger made every multi-row INSERT INTO
    // leads keep a statement journal and ran three statements a row). A batch indexes its
    // names at once; a single lead only every 128th time, as before.
    KLOZEO_TRY((InsertRows<sql::kInsertTextRow, 2, 128>(leads.size(), [&](auto& row, size_t i) {
      row.Bind(1, Arg(account)).Bind(2, leads[i].id);
    })));
    const int64_t every = leads.size() > 1 ? 1 : 128;
    KLOZEO_TRY(Run(Query(sql::kIndexPendingText, every)));
    KLOZEO_TRY(Run(Query(sql::kClearPendingText, every)));
  }
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

template <typename B>
core::Status SqlTx<B>::InsertMatchKeys(domain::AccountKey account,
                                       std::span<const domain::Lead> leads,
                                       std::span<const dedup::LeadKeys> keys,
                                       const dedup::TokenStats* counts) {
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

template <typename B>
core::Status SqlTx<B>::InsertAttributes(domain::AccountKey account,
                                        std::span<const domain::Lead> leads) {
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

}  // namespace klozeo::storage
