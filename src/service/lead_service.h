#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/result.h"
#include "dedup/keys.h"
#include "dedup/phone.h"
#include "domain/account.h"
#include "domain/lead.h"
#include "domain/lead_codec.h"
#include "query/sql_compiler.h"
#include "service/webhook_outbox.h"
#include "storage/store.h"

namespace klozeo::service {

/// What `POST /leads` did.
struct CreateOutcome {
  domain::Lead lead;
  bool duplicate = false;                             ///< merged into an existing lead (200)
  std::optional<std::string> potential_duplicate_id;  ///< low-confidence match hint (201)
  /// The dedup tier that matched: "email", "source_id", "phone_name", a hint ("phone_hint",
  /// "address_hint", "domain_hint", "phone_exchange_hint", "name_city_hint",
  /// "similar_name_hint") or "none" (for metrics).
  std::string_view dedup_tier = "none";
};

/// How `POST /leads` recognises duplicates (API-CONTRACT section 7; lead_dedup.cpp).
struct DedupOptions {
  /// Default region for phone numbers written without a country code (ISO 3166-1 alpha-2).
  /// The service computes the stored phone keys with it; keep it equal to the store's region
  /// (SQLite's migration 4 backfilled existing rows' keys with that one).
  std::string phone_region = "US";
  /// Tier 3 merges when the names' similarity (dedup::NameSimilarity) is above this.
  double name_similarity = 0.80;
};

/// The dedup keys stored with `lead` (dedup/keys.h): computed once per write, by the service,
/// and handed to the store with the lead.
dedup::LeadKeys LeadKeysOf(const domain::Lead& lead, const dedup::PhoneNormalizer& phones);

/// A likely duplicate of a lead (GET /leads/{id}/duplicates) and why.
struct DuplicateCandidate {
  domain::Lead lead;
  /// The strongest rule the pair meets: "email", "source_id", "phone_name" (would merge on
  /// POST /leads), or a hint: "phone_hint", "address_hint", "domain_hint",
  /// "phone_exchange_hint", "name_city_hint", "similar_name_hint".
  std::string tier;
  double similarity = 0;              ///< dedup::TokenNameSimilarity of the names
  std::vector<std::string> agreeing;  ///< fields that agree: "email", "phone", "address", ...
};

/// How an explicit merge picks values (POST /leads/{id}/merge).
enum class MergePreference { kLastTouch, kTarget };

/// Per-item outcome of a batch update or delete.
struct BatchItemResult {
  std::string id;
  bool success = false;
  std::string message;  ///< why it failed (empty on success)
};

/// What `POST /leads/batch` did: created leads and failed items, by request index.
struct BatchCreateOutcome {
  std::vector<std::pair<size_t, domain::Lead>> created;
  std::vector<std::pair<size_t, std::string>> errors;
};

/// One page of leads and the cursor to the next (empty when there is none).
struct LeadList {
  std::vector<domain::Lead> leads;
  std::optional<std::string> next_cursor;
};

/// The listing parameters as the client sent them (API-CONTRACT section 5).
struct ListParams {
  std::vector<std::string> filters;  ///< each `logic.operator.field[.value]`
  std::optional<std::string> sort_by;
  std::optional<std::string> sort_order;
  std::optional<std::string> limit;
  std::optional<std::string> cursor;
};

/// Every lead matching a filter and sort, read in keyset chunks so memory stays flat however
/// many match (exports, bulk work). Each chunk is one statement: a consistent snapshot of its
/// rows; rows written between chunks may or may not appear, rows never repeat.
class LeadScan {
 public:
  LeadScan(storage::Database& db, query::ListQuery query, int chunk)
      : db_(db), query_(std::move(query)), chunk_(chunk) {}
  /// The next chunk; empty when the scan is over.
  core::Result<std::vector<domain::Lead>> Next();
  /// What is scanned (filters and sort, no position).
  const query::ListQuery& query() const { return query_; }

 private:
  storage::Database& db_;
  query::ListQuery query_;
  int chunk_;
  bool done_ = false;
};

class ScoringService;

/// Leads, their attributes and notes, for one account at a time. Every lookup is scoped to the
/// caller's account: another account's object is NotFound, exactly like a missing one.
class LeadService {
 public:
  /// With a `scorer`, every lead written (created, updated, attributes changed) is scored with
  /// the account's current rules inside the write transaction. With an `outbox`, every change
  /// writes its webhook event (API-CONTRACT section 10) in that same transaction.
  LeadService(storage::Database& db, const core::Clock& clock, ScoringService* scorer = nullptr,
              DedupOptions dedup = {}, const WebhookOutbox* outbox = nullptr)
      : db_(db),
        clock_(clock),
        scorer_(scorer),
        dedup_(std::move(dedup)),
        phones_(dedup_.phone_region),
        outbox_(outbox) {}

  /// Creates a lead, or merges it into a duplicate of the caller's account (the tiers of
  /// API-CONTRACT section 7, checked before the cap, in the same write transaction).
  /// Errors: LeadsLimitReached at the plan's cap when a new lead would be stored.
  core::Result<CreateOutcome> Create(const domain::Principal& who, const domain::LeadPatch& patch);
  /// Create, answered through `then` (called once, on any thread: on SQLite the thread that ran
  /// the write's group, right after its COMMIT; storage::Database::WriteAsync) instead of a
  /// return: the caller's thread does not wait for the commit.
  void CreateAsync(const domain::Principal& who, domain::LeadPatch patch,
                   std::function<void(core::Result<CreateOutcome>)> then);

  /// Creates every valid item of `items` (already parsed; an Error is that item's failure) in
  /// one transaction, without dedup. Items beyond the plan's lead cap fail with
  /// `leads_limit_reached`. Errors: LeadsLimitReached when none fits (nothing stored).
  core::Result<BatchCreateOutcome> CreateBatch(
      const domain::Principal& who, const std::vector<core::Result<domain::LeadPatch>>& items);
  /// Applies `patch` to each id, in one transaction; unknown ids fail per item.
  core::Result<std::vector<BatchItemResult>> UpdateBatch(const domain::Principal& who,
                                                         const std::vector<std::string>& ids,
                                                         const domain::LeadPatch& patch);
  /// Deletes each id, in one transaction; unknown ids fail per item.
  core::Result<std::vector<BatchItemResult>> DeleteBatch(const domain::Principal& who,
                                                         const std::vector<std::string>& ids);
  core::Result<domain::Lead> Get(const domain::Principal& who, const std::string& id);
  /// Partial update; bumps last_interaction_at always and updated_at on real change.
  core::Result<domain::Lead> Update(const domain::Principal& who, const std::string& id,
                                    const domain::LeadPatch& patch);
  core::Status Delete(const domain::Principal& who, const std::string& id);
  /// One page. Errors: BadRequest naming a bad filter, sort, limit or cursor.
  core::Result<LeadList> List(const domain::Principal& who, const ListParams& params);
  /// All matches of `params` (limit and cursor are ignored), in chunks of `chunk` leads.
  /// Errors: BadRequest as List.
  core::Result<std::unique_ptr<LeadScan>> Scan(const domain::Principal& who,
                                               const ListParams& params, int chunk = 1000);

  core::Result<std::vector<domain::Attribute>> ListAttributes(const domain::Principal& who,
                                                              const std::string& lead_id);
  /// Creates, or replaces by name (keeping the id), one attribute.
  core::Result<domain::Attribute> PutAttribute(const domain::Principal& who,
                                               const std::string& lead_id,
                                               const domain::Attribute& attribute);
  /// Sets the value of an existing attribute (validated against its type).
  core::Result<domain::Attribute> UpdateAttributeValue(const domain::Principal& who,
                                                       const std::string& lead_id,
                                                       const std::string& attribute_id,
                                                       const nlohmann::json& value);
  core::Status DeleteAttribute(const domain::Principal& who, const std::string& lead_id,
                               const std::string& attribute_id);

  // Dedup review (lead_dedup.cpp, docs/DEDUP.md).
  /// Likely duplicates of lead `id`, strongest first; pairs dismissed with NotDuplicate are
  /// left out. Errors: NotFound.
  core::Result<std::vector<DuplicateCandidate>> Duplicates(const domain::Principal& who,
                                                           const std::string& id);
  /// Merges the leads `from` into lead `id` in one transaction: every field takes the value of
  /// the most recently touched lead that has one (kTarget: the target's own values win, the
  /// others only fill gaps), attributes likewise by name, notes move to the target, the merged
  /// leads are deleted (lead.deleted with merged_into) and the target updated (lead.updated);
  /// what changed is recorded in the target's merge history. Errors: BadRequest (empty `from`,
  /// `id` in `from`, over 200 attributes), NotFound (the target or any lead of `from`).
  core::Result<domain::Lead> Merge(const domain::Principal& who, const std::string& id,
                                   const std::vector<std::string>& from, MergePreference prefer);
  /// Records that `id` and `other` are not duplicates: Duplicates never lists one for the
  /// other again. Errors: BadRequest (the same lead), NotFound.
  core::Status NotDuplicate(const domain::Principal& who, const std::string& id,
                            const std::string& other);
  /// What merges into lead `id` overwrote, newest first (at most `limit`). Errors: NotFound.
  core::Result<std::vector<storage::MergeRecord>> Merges(const domain::Principal& who,
                                                         const std::string& id, int limit = 100);

  core::Result<std::vector<domain::Note>> ListNotes(const domain::Principal& who,
                                                    const std::string& lead_id);
  core::Result<domain::Note> CreateNote(const domain::Principal& who, const std::string& lead_id,
                                        const std::string& content);
  core::Result<domain::Note> UpdateNote(const domain::Principal& who, const std::string& note_id,
                                        const std::string& content);
  core::Status DeleteNote(const domain::Principal& who, const std::string& note_id);

 private:
  core::Result<domain::Lead> LoadLead(storage::Tx& tx, const domain::Principal& who,
                                      const std::string& id);
  core::Result<query::ListQuery> ParseListQuery(const domain::Principal& who,
                                                const ListParams& params, bool paged);

  /// Create's write (run by storage::Database::Write or WriteAsync): dedup, then the merge or
  /// the cap check and the insert of a copy of `lead` (its id and fields set, `keys` its keys).
  /// It may run more than once (storage::Rerun::kYes): each run sets `outcome` and `queued`
  /// afresh and leaves `lead` as it was.
  core::Status CreateIn(storage::Tx& tx, const domain::Principal& who,
                        const domain::LeadPatch& patch, const domain::Lead& lead,
                        const dedup::LeadKeys& keys, CreateOutcome& outcome, bool& queued);

  /// The dedup match of a new lead (lead_dedup.cpp): a lead to merge into, or a hint.
  struct DuplicateMatch {
    std::optional<std::string> merge_id;
    std::optional<std::string> potential_id;
    std::string_view tier = "none";  ///< as CreateOutcome::dedup_tier
  };
  /// `keys` are the new lead's (LeadKeysOf), computed once for the lookups and the insert.
  core::Result<DuplicateMatch> FindDuplicate(storage::Tx& tx, const domain::Principal& who,
                                             const domain::LeadPatch& patch,
                                             const dedup::LeadKeys& keys);
  /// The similar-name hint (docs/DEDUP.md): the lead whose name is most similar to the one
  /// `keys` were made from, in the same city or where either has no city, above the floor.
  struct SimilarName {
    std::string id;
    double similarity = 0;
  };
  core::Result<std::optional<SimilarName>> SimilarNameInCity(storage::Tx& tx,
                                                             domain::AccountKey account,
                                                             const dedup::LeadKeys& keys);
  /// The phone-exchange hint (docs/DEDUP.md): the lead whose phone shares the exchange of the
  /// one `keys` were made from (not the same phone) and whose name is the most similar, above
  /// the floor, in the same city or where either has no city.
  core::Result<std::optional<SimilarName>> SameExchange(storage::Tx& tx, domain::AccountKey account,
                                                        const dedup::LeadKeys& keys);
  dedup::LeadKeys KeysOf(const domain::Lead& lead) const { return LeadKeysOf(lead, phones_); }
  /// Merges `patch` into lead `id` ("last touch wins") in `tx`; `*queued` as for Emit.
  core::Result<domain::Lead> MergeInto(storage::Tx& tx, const domain::Principal& who,
                                       const std::string& id, const domain::LeadPatch& patch,
                                       std::string_view tier, bool* queued);

  /// Sets lead.score from the account's current rules as `tx` sees them (no scorer: unchanged).
  core::Status ScoreLead(storage::Tx& tx, const domain::Principal& who, domain::Lead& lead);
  /// Writes webhook event `type` with `data` into `tx`'s outbox; `*queued` becomes true when a
  /// delivery was queued (no outbox: nothing happens).
  core::Status Emit(storage::Tx& tx, const domain::Principal& who, std::string_view type,
                    const std::string& data, bool* queued);
  /// Writes the grouped event of a batch update or delete (ids that succeeded), then commits.
  core::Status EmitBatch(storage::Tx& tx, const domain::Principal& who, std::string_view type,
                         const std::vector<BatchItemResult>& results);
  /// Commits `tx`, then wakes the dispatcher when `queued`.
  core::Status CommitAndNotify(storage::Tx& tx, bool queued);

  storage::Database& db_;
  const core::Clock& clock_;
  ScoringService* scorer_ = nullptr;
  DedupOptions dedup_;
  dedup::PhoneNormalizer phones_;  ///< dedup_.phone_region's
  const WebhookOutbox* outbox_ = nullptr;
};

}  // namespace klozeo::service
