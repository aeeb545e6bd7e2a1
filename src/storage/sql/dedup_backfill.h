#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "core/result.h"
#include "dedup/normalize.h"
#include "dedup/similarity.h"
#include "dedup/tokens.h"
#include "storage/sql/sql_tx.h"
#include "storage/sql/statements.h"

namespace klozeo::storage {

// Rebuilding dedup's derived state from the leads (docs/DEDUP.md, "Upgrades"): every account's
// name-word counts (`name_tokens`) and every lead's match keys (`lead_match_keys`: address,
// website domain, city + rarest word), as LeadStore's writes keep them. Schema version 13 empties
// both tables and files the work in `dedup_backfill` (one row: the phase and the last lead done,
// in primary-key order) inside the migration's transaction; ResumeDedupBackfill then does it in
// transactions of kDedupBackfillBatch leads, each of which moves the row on with its writes. A
// server killed half-way resumes from the last committed batch at its next start; the server
// answers no request before the row is gone.

namespace sql {
inline constexpr const char* kCreateDedupBackfill =
    "CREATE TABLE IF NOT EXISTS dedup_backfill (singleton INTEGER PRIMARY KEY, "
    "phase INTEGER NOT NULL, after_account BIGINT NOT NULL, after_id TEXT NOT NULL)";
inline constexpr const char* kStartDedupBackfill =
    "INSERT INTO dedup_backfill (singleton, phase, after_account, after_id) VALUES (1, 0, -1, '') "
    "ON CONFLICT (singleton) DO UPDATE SET phase = 0, after_account = -1, after_id = ''";
inline constexpr const char* kDedupBackfillState =
    "SELECT phase, after_account, after_id FROM dedup_backfill WHERE singleton = 1";
inline constexpr const char* kMoveDedupBackfill =
    "UPDATE dedup_backfill SET phase = ?1, after_account = ?2, after_id = ?3 WHERE singleton = 1";
inline constexpr const char* kEndDedupBackfill = "DELETE FROM dedup_backfill";
inline constexpr const char* kAccountTokenCounts =
    "SELECT token, n FROM name_tokens WHERE account_key = ?1";
}  // namespace sql

/// Leads per transaction of the backfill (KLOZEO_DEDUP_BACKFILL_BATCH overrides it: the tests
/// use small batches to interrupt it half-way).
inline int64_t DedupBackfillBatch() {
  constexpr int64_t kDefault = 100000;
  const char* env = std::getenv("KLOZEO_DEDUP_BACKFILL_BATCH");
  if (env == nullptr) return kDefault;
  const int64_t n = std::atoll(env);
  return n > 0 ? n : kDefault;
}

/// Files a backfill from the first lead (schema version 13, inside the migration's transaction,
/// after its SQL emptied both tables). MigrateSchema creates `dedup_backfill` at every start
/// (kCreateDedupBackfill), so databases that reached 13 before it existed have an empty one.
template <typename Conn>
core::Status StartDedupBackfill(Conn& conn) {
  return conn.Exec(sql::kStartDedupBackfill);
}

namespace backfill_detail {

struct Row {
  int64_t account = 0;
  std::string id, name, address, website, city;
};

// Up to `limit` leads after (account, id) in primary-key order, read 5,000 at a time.
template <typename Conn>
core::Result<std::vector<Row>> ReadLeads(Conn& conn, int64_t account, std::string id,
                                         int64_t limit) {
  constexpr int64_t kChunk = 5000;
  std::vector<Row> out;
  while (static_cast<int64_t>(out.size()) < limit) {
    const int64_t want = std::min(kChunk, limit - static_cast<int64_t>(out.size()));
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(sql::kBackfillLeads));
    s.Bind(1, account).Bind(2, id).Bind(3, want);
    KLOZEO_ASSIGN_OR_RETURN(auto rows, CollectRows(s, [](auto& r) {
                              return Row{r.Int(0),
                                         r.Text(1),
                                         r.Text(2),
                                         r.IsNull(3) ? std::string() : r.Text(3),
                                         r.IsNull(4) ? std::string() : r.Text(4),
                                         r.IsNull(5) ? std::string() : r.Text(5)};
                            }));
    if (rows.empty()) break;
    account = rows.back().account;
    id = rows.back().id;
    const bool last = static_cast<int64_t>(rows.size()) < want;
    for (auto& r : rows) out.push_back(std::move(r));
    if (last) break;
  }
  return out;
}

// Inserts JSON array rows with `text` (?1 the account, ?2 the array), 1,000 rows at once.
template <typename Conn>
core::Status InsertJsonRows(Conn& conn, const char* text, int64_t account,
                            const std::vector<nlohmann::json>& items) {
  constexpr size_t kRowsPerInsert = 1000;
  for (size_t at = 0; at < items.size(); at += kRowsPerInsert) {
    nlohmann::json chunk = nlohmann::json::array();
    for (size_t i = at; i < std::min(items.size(), at + kRowsPerInsert); ++i) {
      chunk.push_back(items[i]);
    }
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(text));
    KLOZEO_TRY(s.Bind(1, account)
                   .Bind(2, chunk.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
                   .Run());
  }
  return core::Ok();
}

// One transaction's work (the caller begins and commits it); `done` when nothing is left.
// `stats` caches the final counts of the accounts met in phase 1 (they no longer change then).
template <typename Conn>
core::Status DedupBackfillStep(Conn& conn, int64_t batch,
                               std::map<int64_t, dedup::TokenStats>& stats, bool& done) {
  int64_t phase = 0;
  int64_t after_account = -1;
  std::string after_id;
  {
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(sql::kDedupBackfillState));
    KLOZEO_ASSIGN_OR_RETURN(auto state, CollectRows(s, [](auto& r) {
                              return std::tuple(r.Int(0), r.Int(1), r.Text(2));
                            }));
    if (state.empty()) {
      done = true;
      return core::Ok();
    }
    std::tie(phase, after_account, after_id) = state.front();
  }
  KLOZEO_ASSIGN_OR_RETURN(std::vector<Row> rows, ReadLeads(conn, after_account, after_id, batch));
  if (phase == 0) {
    // Phase 0: this batch's name words, added to the counts (the word '' counts the leads).
    std::map<int64_t, std::map<std::string, int64_t>> counts;
    for (const Row& row : rows) {
      auto& c = counts[row.account];
      ++c[""];
      for (const auto& token : dedup::CountedTokens(dedup::NameTokens(row.name))) ++c[token];
    }
    for (const auto& [account, c] : counts) {
      std::vector<nlohmann::json> items;
      items.reserve(c.size());
      for (const auto& [token, n] : c) items.push_back(nlohmann::json::array({token, n}));
      KLOZEO_TRY(InsertJsonRows(conn, sql::kBackfillTokenCounts, account, items));
    }
  } else {
    // Phase 1: each lead's keys, its rarest word by the final counts.
    std::map<int64_t, std::vector<nlohmann::json>> keys;
    for (const Row& row : rows) {
      auto cached = stats.find(row.account);
      if (cached == stats.end()) {
        dedup::TokenStats loaded;
        KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(sql::kAccountTokenCounts));
        s.Bind(1, row.account);
        KLOZEO_ASSIGN_OR_RETURN(
            auto all, CollectRows(s, [](auto& r) { return std::pair(r.Text(0), r.Int(1)); }));
        for (auto& [token, n] : all) {
          if (token.empty()) {
            loaded.names = n;
          } else {
            loaded.counts.emplace(std::move(token), n);
          }
        }
        cached = stats.emplace(row.account, std::move(loaded)).first;
      }
      auto& out = keys[row.account];
      const std::string address = dedup::AddressKey(row.address);
      const std::string domain = dedup::WebsiteDomain(row.website);
      const std::string city_word =
          dedup::CityWordKey(dedup::NormalizeCityKey(row.city),
                             dedup::RarestWord(dedup::NameTokens(row.name), cached->second));
      if (!address.empty()) out.push_back(nlohmann::json::array({row.id, "address", address}));
      if (!domain.empty()) out.push_back(nlohmann::json::array({row.id, "domain", domain}));
      if (!city_word.empty()) {
        out.push_back(nlohmann::json::array({row.id, "city_word", city_word}));
      }
    }
    for (const auto& [account, items] : keys) {
      KLOZEO_TRY(InsertJsonRows(conn, sql::kBackfillMatchKeys, account, items));
    }
  }
  if (static_cast<int64_t>(rows.size()) < batch) {
    // This phase is over: the next starts from the first lead, or the work is done.
    if (phase == 1) return conn.Exec(sql::kEndDedupBackfill);
    KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(sql::kMoveDedupBackfill));
    return s.Bind(1, int64_t{1}).Bind(2, int64_t{-1}).Bind(3, std::string()).Run();
  }
  KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(sql::kMoveDedupBackfill));
  return s.Bind(1, phase).Bind(2, rows.back().account).Bind(3, rows.back().id).Run();
}

}  // namespace backfill_detail

/// Does the backfill StartDedupBackfill filed, or what is left of it, in transactions opened
/// with `begin` (which also keeps other processes starting on the database out of each one)
/// and committed one by one. Nothing to do (one read) once it is done.
template <typename Conn>
core::Status ResumeDedupBackfill(Conn& conn, const char* begin) {
  const int64_t batch = DedupBackfillBatch();
  std::map<int64_t, dedup::TokenStats> stats;
  while (true) {
    KLOZEO_TRY(conn.Exec(begin));
    bool done = false;
    core::Status step = backfill_detail::DedupBackfillStep(conn, batch, stats, done);
    if (step.ok()) step = conn.Exec("COMMIT");
    if (!step.ok()) {
      (void)conn.Exec("ROLLBACK");
      return step;
    }
    if (done) return core::Ok();
  }
}

}  // namespace klozeo::storage
