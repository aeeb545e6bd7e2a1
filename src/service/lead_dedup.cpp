// Deduplication and merge of POST /leads (API-CONTRACT section 7).
#include <string_view>

#include "core/strings.h"
#include "dedup/normalize.h"
#include "dedup/phone.h"
#include "dedup/similarity.h"
#include "service/lead_service.h"

namespace klozeo::service {

using core::Error;
using core::Result;
using domain::Lead;
using domain::Principal;

namespace {

// Tier 3 compares names in C++ among the leads sharing the phone key; a phone shared by more
// leads than this (a switchboard) only merges with one of its oldest holders.
constexpr int kMaxPhoneCandidates = 64;

std::string_view Sent(const domain::LeadPatch& patch, domain::TextField field) {
  const auto& value = patch.text[field];
  if (!value || !*value) return {};
  return **value;
}

}  // namespace

dedup::LeadKeys LeadKeysOf(const domain::Lead& lead, const dedup::PhoneNormalizer& phones) {
  auto text = [](const std::optional<std::string>& v) {
    return v ? std::string_view(*v) : std::string_view();
  };
  return dedup::ComputeLeadKeys(lead.name, text(lead.email()), text(lead.phone()),
                                text(lead.city()), phones);
}

Result<LeadService::DuplicateMatch> LeadService::FindDuplicate(storage::Tx& tx,
                                                               const Principal& who,
                                                               const domain::LeadPatch& patch,
                                                               const dedup::LeadKeys& keys) {
  DuplicateMatch match;
  // 1. e-mail, case-insensitive.
  KLOZEO_ASSIGN_OR_RETURN(
      match.merge_id,
      tx.leads().FindIdByKey(who.account_key, storage::DedupKey::kEmail, keys.email));
  if (match.merge_id) {
    match.tier = "email";
    return match;
  }
  // 2. source_id, exact (a blank one identifies nothing).
  std::string_view source_id = Sent(patch, domain::kSourceId);
  if (!core::Trim(source_id).empty()) {
    KLOZEO_ASSIGN_OR_RETURN(
        match.merge_id,
        tx.leads().FindIdByKey(who.account_key, storage::DedupKey::kSourceId, source_id));
    if (match.merge_id) {
      match.tier = "source_id";
      return match;
    }
  }
  const std::string name = patch.name.value_or("");
  // 3. same normalised phone and a similar name.
  if (!keys.phone.empty()) {
    KLOZEO_ASSIGN_OR_RETURN(auto candidates, tx.leads().FindByPhoneKey(who.account_key, keys.phone,
                                                                       kMaxPhoneCandidates));
    for (const auto& [id, stored_name] : candidates) {
      if (dedup::NamesMatch(name, stored_name, dedup_.name_similarity)) {
        match.merge_id = id;
        match.tier = "phone_name";
        return match;
      }
    }
  }
  // 4. name + city, case-insensitive: only a hint.
  KLOZEO_ASSIGN_OR_RETURN(
      match.potential_id,
      tx.leads().FindIdByKey(who.account_key, storage::DedupKey::kNameCity, keys.name_city));
  if (match.potential_id) match.tier = "name_city_hint";
  return match;
}

Result<CreateOutcome> LeadService::MergeInto(std::unique_ptr<storage::Tx> tx, const Principal& who,
                                             const std::string& id, const domain::LeadPatch& patch,
                                             std::string_view tier) {
  KLOZEO_ASSIGN_OR_RETURN(Lead lead, LoadLead(*tx, who, id));
  const int64_t now = clock_.NowSeconds();
  if (domain::ApplyMerge(lead, patch)) lead.updated_at = now;
  if (lead.attributes.size() > domain::kMaxAttributes) {
    return Error::BadRequest("a lead holds at most 200 attributes");
  }
  lead.last_interaction_at = now;
  KLOZEO_TRY(ScoreLead(*tx, who, lead));
  KLOZEO_TRY(tx->leads().Update(who.account_key, lead, KeysOf(lead)));
  // A merge is an update of the existing lead.
  bool queued = false;
  KLOZEO_TRY(Emit(*tx, who, "lead.updated", WebhookOutbox::LeadData(lead), &queued));
  KLOZEO_TRY(CommitAndNotify(*tx, queued));
  return CreateOutcome{std::move(lead), true, std::nullopt, tier};
}

}  // namespace klozeo::service
