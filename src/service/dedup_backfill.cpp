#include "service/dedup_backfill.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "dedup/tokens.h"
#include "service/lead_service.h"

namespace klozeo::service {
namespace {

using storage::BackfillProgress;

/// Leads per transaction (the tests use small batches to interrupt the backfill half-way).
int64_t BatchSize() {
  constexpr int64_t kDefault = 100000;
  const char* env = std::getenv("KLOZEO_DEDUP_BACKFILL_BATCH");
  const int64_t n = env != nullptr ? std::atoll(env) : 0;
  return n > 0 ? n : kDefault;
}

/// One transaction's work: up to `batch` leads after `at`, in (account key, id) order, read
/// 5,000 at a time. Returns the progress to record (nullopt: the backfill is done).
core::Result<std::optional<BackfillProgress>> Step(storage::Tx& tx, BackfillProgress at,
                                                   int64_t batch) {
  constexpr int64_t kChunk = 5000;
  // The scanned leads carry no phone: the normaliser is never asked for one.
  static const dedup::PhoneNormalizer phones;
  const storage::LeadProjection projection{
      at.phase == 0 ? std::vector<std::string>{"name"}
                    : std::vector<std::string>{"name", "address", "website", "city"},
      {}};
  KLOZEO_ASSIGN_OR_RETURN(auto accounts, tx.accounts().List());
  std::sort(accounts.begin(), accounts.end(),
            [](const auto& a, const auto& b) { return a.key < b.key; });
  for (const domain::Account& account : accounts) {
    if (account.key < at.after_account) continue;
    if (account.key != at.after_account) at = {at.phase, account.key, ""};
    std::map<std::string, int64_t> counts;  // phase 0: this account's words in this batch
    for (int64_t read = kChunk; read == kChunk && batch > 0;) {
      const int want = static_cast<int>(std::min(kChunk, batch));
      KLOZEO_ASSIGN_OR_RETURN(auto leads,
                              tx.leads().Scan(account.key, at.after_id, want, projection, {}));
      if (leads.empty()) break;
      read = static_cast<int64_t>(leads.size());
      batch -= read;
      at.after_id = leads.back().id;
      std::vector<dedup::LeadKeys> keys;
      for (const auto& lead : leads) keys.push_back(LeadKeysOf(lead, phones));
      if (at.phase == 1) {
        KLOZEO_TRY(tx.dedup().InsertMatchKeys(account.key, leads, keys));
      } else {
        counts[""] += static_cast<int64_t>(leads.size());
        for (const auto& k : keys) {
          for (const auto& token : dedup::CountedTokens(k.name_tokens)) ++counts[token];
        }
      }
    }
    KLOZEO_TRY(tx.dedup().AddTokenCounts(account.key, counts));
    if (batch == 0) return std::optional(at);
  }
  // This phase is over: the next starts from the first lead, or the work is done.
  if (at.phase == 1) return std::optional<BackfillProgress>();
  return std::optional(BackfillProgress{1, domain::AccountKey{-1}, ""});
}

}  // namespace

core::Status ResumeDedupBackfill(storage::Database& db) {
  const int64_t batch = BatchSize();
  auto step = [&]() -> core::Result<bool> {
    KLOZEO_ASSIGN_OR_RETURN(auto tx, db.Begin(storage::TxMode::kWrite));
    KLOZEO_ASSIGN_OR_RETURN(auto at, tx->dedup().Backfill());
    if (!at) return false;
    KLOZEO_ASSIGN_OR_RETURN(auto next, Step(*tx, *at, batch));
    KLOZEO_TRY(tx->dedup().SetBackfill(next));
    KLOZEO_TRY(tx->Commit());
    return next.has_value();
  };
  while (true) {
    core::Result<bool> more = step();
    if (!more.ok()) {
      return core::Error::Storage(more.error().code,
                                  "dedup backfill failed: " + more.error().ForLog());
    }
    if (!*more) return core::Ok();
  }
}

}  // namespace klozeo::service
