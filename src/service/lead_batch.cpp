// Batch create, update and delete (API-CONTRACT section 4): one write transaction per request.
#include <algorithm>

#include "core/ids.h"
#include "service/lead_service.h"
#include "service/scoring_service.h"

namespace klozeo::service {

using core::Error;
using core::Result;
using domain::Lead;
using domain::Principal;

namespace {

std::string LimitMessage(const Principal& who) {
  return "lead limit of " + std::to_string(who.limits.max_leads) + " for plan '" + who.plan +
         "' reached";
}

}  // namespace

core::Status LeadService::EmitBatch(storage::Tx& tx, const Principal& who, std::string_view type,
                                    const std::vector<BatchItemResult>& results) {
  // One grouped event for the items that succeeded; none when nothing changed.
  std::vector<std::string> ids;
  for (const auto& r : results) {
    if (r.success) ids.push_back(r.id);
  }
  bool queued = false;
  if (!ids.empty()) KLOZEO_TRY(Emit(tx, who, type, WebhookOutbox::IdsData(ids), &queued));
  return CommitAndNotify(tx, queued);
}

Result<BatchCreateOutcome> LeadService::CreateBatch(
    const Principal& who, const std::vector<Result<domain::LeadPatch>>& items) {
  BatchCreateOutcome out;
  // Each valid item is built and keyed once, before the write transaction, which then holds
  // the writer only for the cap check, the scoring and the bulk insert.
  std::vector<Lead> leads;
  std::vector<dedup::LeadKeys> keys;
  std::vector<size_t> positions;
  leads.reserve(items.size());
  keys.reserve(items.size());
  positions.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].ok()) {
      out.errors.emplace_back(i, items[i].error().message);
      continue;
    }
    Lead& lead = leads.emplace_back();
    lead.id = core::NewLeadId();
    domain::ApplyPatch(lead, *items[i]);
    keys.push_back(KeysOf(lead));
    positions.push_back(i);
  }
  if (leads.empty()) return out;
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  if (who.limits.max_leads > 0) {
    KLOZEO_ASSIGN_OR_RETURN(int64_t count,
                            tx->leads().Count(who.account_key, who.limits.max_leads));
    // The cap applies item by item: the first items that fit are created, the rest fail.
    const auto room = static_cast<size_t>(std::max<int64_t>(0, who.limits.max_leads - count));
    if (room == 0) return Error{core::ErrorCode::kLeadsLimitReached, LimitMessage(who)};
    if (room < leads.size()) {
      for (size_t k = room; k < leads.size(); ++k) {
        out.errors.emplace_back(positions[k], "leads_limit_reached: " + LimitMessage(who));
      }
      leads.resize(room);
      keys.resize(room);
      positions.resize(room);
      std::sort(out.errors.begin(), out.errors.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
    }
  }
  const int64_t now = clock_.NowSeconds();
  // The rules are read once for the whole transaction (nothing in it changes them).
  std::optional<RuleSet> rules;
  if (scorer_ != nullptr) {
    KLOZEO_ASSIGN_OR_RETURN(rules, scorer_->RulesInTx(*tx, who.account_key));
  }
  const int64_t score_now = scorer_ != nullptr ? scorer_->NowSeconds() : now;
  for (Lead& lead : leads) {
    lead.created_at = lead.updated_at = lead.last_interaction_at = now;
    if (rules) lead.score = rules->Score(lead, score_now);
  }
  // Past the checks, only the database itself can fail the insert: it runs outside a
  // savepoint of its own (docs/GROUP-COMMIT.md, "Bulk members"), stored by multi-row
  // statements.
  KLOZEO_TRY(tx->ShareFate());
  KLOZEO_TRY(tx->leads().InsertMany(who.account_key, leads, keys));
  // One grouped event for the whole batch.
  std::vector<std::string> ids;
  ids.reserve(leads.size());
  for (const auto& lead : leads) ids.push_back(lead.id);
  bool queued = false;
  KLOZEO_TRY(Emit(*tx, who, "leads.created", WebhookOutbox::IdsData(ids), &queued));
  KLOZEO_TRY(CommitAndNotify(*tx, queued));
  out.created.reserve(leads.size());
  for (size_t k = 0; k < leads.size(); ++k)
    out.created.emplace_back(positions[k], std::move(leads[k]));
  return out;
}

Result<std::vector<BatchItemResult>> LeadService::UpdateBatch(const Principal& who,
                                                              const std::vector<std::string>& ids,
                                                              const domain::LeadPatch& patch) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  const int64_t now = clock_.NowSeconds();
  std::optional<RuleSet> rules;
  if (scorer_ != nullptr) {
    KLOZEO_ASSIGN_OR_RETURN(rules, scorer_->RulesInTx(*tx, who.account_key));
  }
  const int64_t score_now = scorer_ != nullptr ? scorer_->NowSeconds() : now;
  std::vector<BatchItemResult> results;
  results.reserve(ids.size());
  for (const auto& id : ids) {
    BatchItemResult r{id, false, {}};
    auto loaded = LoadLead(*tx, who, id);
    if (!loaded.ok()) {
      r.message = loaded.error().message;
      results.push_back(std::move(r));
      continue;
    }
    Lead lead = std::move(*loaded);
    if (domain::ApplyPatch(lead, patch)) lead.updated_at = now;
    if (lead.attributes.size() > domain::kMaxAttributes) {
      r.message = "a lead holds at most 200 attributes";
      results.push_back(std::move(r));
      continue;
    }
    lead.last_interaction_at = now;
    if (rules) lead.score = rules->Score(lead, score_now);
    KLOZEO_TRY(tx->leads().Update(who.account_key, lead, KeysOf(lead)));
    r.success = true;
    results.push_back(std::move(r));
  }
  KLOZEO_TRY(EmitBatch(*tx, who, "leads.updated", results));
  return results;
}

Result<std::vector<BatchItemResult>> LeadService::DeleteBatch(const Principal& who,
                                                              const std::vector<std::string>& ids) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  std::vector<BatchItemResult> results;
  results.reserve(ids.size());
  for (const auto& id : ids) {
    BatchItemResult r{id, false, {}};
    bool deleted = false;
    if (core::HasIdShape(id, "cl_")) {
      KLOZEO_ASSIGN_OR_RETURN(deleted, tx->leads().Delete(who.account_key, id));
    }
    r.success = deleted;
    if (!deleted) r.message = "lead not found";
    results.push_back(std::move(r));
  }
  KLOZEO_TRY(EmitBatch(*tx, who, "leads.deleted", results));
  return results;
}

}  // namespace klozeo::service
