// Deduplication and merge of POST /leads (API-CONTRACT section 7).
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string_view>
#include <tuple>

#include "core/ids.h"
#include "core/strings.h"
#include "dedup/normalize.h"
#include "dedup/phone.h"
#include "dedup/similarity.h"
#include "dedup/tokens.h"
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
// Tier 3 with the same address (dedup::AddressKey): the phone and the street address agree, so
// a name only has to share something real with the stored one (docs/DEDUP.md, calibration).
constexpr double kAddressSupportedSimilarity = 0.30;
// A same-phone lead whose name shares at least this much is a hint when it does not merge
// (unless the two leads' cities differ: a switchboard shared by an organisation's sites).
constexpr double kPhoneHintSimilarity = 0.10;
// The similar-name hint (docs/DEDUP.md): a name this similar in the same city, or where either
// lead has no city, is a hint. The new name's rarest words are looked up (kCityWordProbes of
// them, kCityWordCandidates leads filed under each): calibrated on bench/dedup_quality.py.
constexpr double kSimilarNameHintSimilarity = 0.90;
// ... or more than this similar when the two phones differ by a typing slip (dedup::PhonesNear).
constexpr double kNearPhoneHintSimilarity = 0.50;
// The phone-exchange hint: a lead whose phone shares the new one's exchange (all but the last
// four digits: dedup::PhoneExchange) and whose name is this similar. Up to
// kMaxExchangeCandidates leads of the exchange are compared.
constexpr double kExchangeHintSimilarity = 0.70;
constexpr int kMaxExchangeCandidates = 8;
constexpr int kCityWordProbes = 3;
constexpr int kCityWordCandidates = 8;

// The candidates' name tokens; `stats` gets the account's counts of those and of `keys`' own
// tokens (the weights of dedup::TokenNameSimilarity), read in one lookup.
Result<std::vector<std::vector<std::string>>> CandidateNames(
    storage::Tx& tx, domain::AccountKey account, const dedup::LeadKeys& keys,
    const std::vector<storage::DedupCandidate>& candidates, dedup::TokenStats& stats) {
  std::vector<std::vector<std::string>> names;
  std::vector<std::string> tokens = keys.name_tokens;
  for (const auto& c : candidates) {
    names.push_back(dedup::NameTokens(c.name));
    tokens.insert(tokens.end(), names.back().begin(), names.back().end());
  }
  KLOZEO_TRY(tx.dedup().TokenStats(account, tokens, stats));
  return names;
}

// True when both cities are known (NormalizeCityKey) and differ.
bool CitiesDiffer(std::string_view a, std::string_view b) {
  return !a.empty() && !b.empty() && a != b;
}

std::string_view Sent(const domain::LeadPatch& patch, domain::TextField field) {
  const auto& value = patch.text[field];
  if (!value || !*value) return {};
  return **value;
}

using nlohmann::json;

json OptJson(const std::optional<std::string>& v) { return v ? json(*v) : json(); }
json OptJson(const std::optional<double>& v) { return v ? json(*v) : json(); }
json OptJson(const std::optional<int64_t>& v) { return v ? json(*v) : json(); }

// Every field of a lead a merge may change, by JSON name, with its value as JSON (null when
// absent); attributes as "attributes.<name>".
std::map<std::string, json> FieldValues(const Lead& lead) {
  std::map<std::string, json> out;
  out["name"] = lead.name;
  out["source"] = lead.source;
  for (int i = 0; i < domain::kTextFieldCount; ++i) {
    out[domain::kTextFieldNames[i]] = OptJson(lead.text[i]);
  }
  out["latitude"] = OptJson(lead.latitude);
  out["longitude"] = OptJson(lead.longitude);
  out["rating"] = OptJson(lead.rating);
  out["review_count"] = OptJson(lead.review_count);
  out["tags"] = lead.tags;
  out["status"] = std::string(domain::LeadStatusName(lead.status));
  for (const auto& a : lead.attributes) out["attributes." + a.name] = a.value;
  return out;
}

std::string DumpJson(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The fields that differ between `before` and `after` (a merge's overwrites, and what it added).
std::vector<storage::MergeChange> Changes(const Lead& before, const Lead& after) {
  std::map<std::string, json> old_values = FieldValues(before);
  std::map<std::string, json> new_values = FieldValues(after);
  std::vector<storage::MergeChange> out;
  for (const auto& [field, value] : new_values) {
    auto it = old_values.find(field);
    const json old_value = it == old_values.end() ? json() : it->second;
    if (old_value != value) out.push_back({field, DumpJson(old_value), DumpJson(value)});
  }
  for (const auto& [field, value] : old_values) {
    if (!new_values.contains(field)) out.push_back({field, DumpJson(value), "null"});
  }
  return out;
}

bool HasText(const std::optional<std::string>& v) { return v && !core::Trim(*v).empty(); }

// Copies into `into` every value `from` has (last touch wins); with `fill_only`, only where
// `into` has none.
void MergeLeadValues(Lead& into, const Lead& from, bool fill_only) {
  if (!core::Trim(from.name).empty() && (!fill_only || core::Trim(into.name).empty())) {
    into.name = from.name;
  }
  if (!core::Trim(from.source).empty() && (!fill_only || core::Trim(into.source).empty())) {
    into.source = from.source;
  }
  for (int i = 0; i < domain::kTextFieldCount; ++i) {
    if (HasText(from.text[i]) && (!fill_only || !HasText(into.text[i])))
      into.text[i] = from.text[i];
  }
  auto number = [&](auto& to, const auto& value) {
    if (value && (!fill_only || !to)) to = value;
  };
  number(into.latitude, from.latitude);
  number(into.longitude, from.longitude);
  number(into.rating, from.rating);
  number(into.review_count, from.review_count);
  if (!from.tags.empty() && (!fill_only || into.tags.empty())) into.tags = from.tags;
  // A status is always set: only one moved on from the default counts as a value.
  if (from.status != domain::LeadStatus::kNew &&
      (!fill_only || into.status == domain::LeadStatus::kNew)) {
    into.status = from.status;
  }
  for (const auto& a : from.attributes) {
    const bool present = std::any_of(into.attributes.begin(), into.attributes.end(),
                                     [&](const auto& b) { return b.name == a.name; });
    if (!fill_only || !present) domain::UpsertAttributeByName(into.attributes, a);
  }
}

// Which fields of two leads agree (for GET /duplicates).
std::vector<std::string> AgreeingFields(const dedup::LeadKeys& a, const dedup::LeadKeys& b,
                                        const Lead& la, const Lead& lb) {
  std::vector<std::string> out;
  if (!a.email.empty() && a.email == b.email) out.push_back("email");
  if (HasText(la.source_id()) && la.source_id() == lb.source_id()) out.push_back("source_id");
  if (!a.phone.empty() && a.phone == b.phone) out.push_back("phone");
  if (!a.address.empty() && a.address == b.address) out.push_back("address");
  if (!a.domain.empty() && a.domain == b.domain) out.push_back("website");
  if (!a.name_city.empty() && a.name_city == b.name_city) {
    out.push_back("name");
    out.push_back("city");
  } else if (HasText(la.city()) && dedup::NormalizeCityKey(*la.city()) ==
                                       dedup::NormalizeCityKey(lb.city().value_or(""))) {
    out.push_back("city");
  }
  return out;
}

int TierRank(std::string_view tier) {
  constexpr std::string_view kOrder[] = {
      "email",       "source_id",           "phone_name",     "phone_hint",       "address_hint",
      "domain_hint", "phone_exchange_hint", "name_city_hint", "similar_name_hint"};
  for (size_t i = 0; i < std::size(kOrder); ++i) {
    if (kOrder[i] == tier) return static_cast<int>(i);
  }
  return static_cast<int>(std::size(kOrder));
}

constexpr size_t kMaxMergeSources = 100;
constexpr int kMaxMatchKeyCandidates = 20;

}  // namespace

dedup::LeadKeys LeadKeysOf(const domain::Lead& lead, const dedup::PhoneNormalizer& phones) {
  auto text = [](const std::optional<std::string>& v) {
    return v ? std::string_view(*v) : std::string_view();
  };
  return dedup::ComputeLeadKeys(lead.name, text(lead.email()), text(lead.phone()),
                                text(lead.city()), phones, text(lead.text[domain::kAddress]),
                                text(lead.text[domain::kWebsite]));
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
  // 3. same normalised phone and a similar name (dedup::TokenNameSimilarity): above the
  // threshold unless the street addresses differ, or above a low floor when they agree.
  std::optional<std::pair<double, std::string>> phone_hint;
  if (!keys.phone.empty()) {
    KLOZEO_ASSIGN_OR_RETURN(
        auto candidates, tx.dedup().FindByPhone(who.account_key, keys.phone, kMaxPhoneCandidates));
    if (!candidates.empty()) {
      dedup::TokenStats stats;
      KLOZEO_ASSIGN_OR_RETURN(auto names,
                              CandidateNames(tx, who.account_key, keys, candidates, stats));
      std::optional<std::pair<double, std::string>> best;
      for (size_t i = 0; i < candidates.size(); ++i) {
        const double similarity = dedup::TokenNameSimilarity(keys.name_tokens, names[i], stats);
        const std::string address = dedup::AddressKey(candidates[i].address);
        const bool same_address = !keys.address.empty() && address == keys.address;
        const bool other_address = !keys.address.empty() && !address.empty() && !same_address;
        const bool other_city =
            CitiesDiffer(keys.city, dedup::NormalizeCityKey(candidates[i].city));
        const bool merges = (similarity > dedup_.name_similarity && !other_address) ||
                            (same_address && similarity > kAddressSupportedSimilarity);
        // Not a hint: another city, or branch markers that differ ("East" / "West").
        if (!merges && (other_city || dedup::BranchMarkersDiffer(keys.name_tokens, names[i]))) {
          continue;
        }
        auto& slot = merges ? best : phone_hint;
        if (!slot || similarity > slot->first) slot.emplace(similarity, candidates[i].id);
      }
      if (best) {
        match.merge_id = best->second;
        match.tier = "phone_name";
        return match;
      }
    }
  }
  // Hints, never merges: the same phone with a weaker name, the same street address, the same
  // website domain, then tier 4 (the same name and city, case-insensitive).
  if (phone_hint && phone_hint->first > kPhoneHintSimilarity) {
    match.potential_id = phone_hint->second;
    match.tier = "phone_hint";
    return match;
  }
  for (auto [kind, key, tier] :
       {std::tuple(storage::MatchKey::kAddress, &keys.address, std::string_view("address_hint")),
        std::tuple(storage::MatchKey::kDomain, &keys.domain, std::string_view("domain_hint"))}) {
    if (key->empty()) continue;
    KLOZEO_ASSIGN_OR_RETURN(auto ids, tx.dedup().FindByMatchKey(who.account_key, kind, *key, 1));
    if (!ids.empty()) {
      match.potential_id = ids.front();
      match.tier = tier;
      return match;
    }
  }
  KLOZEO_ASSIGN_OR_RETURN(auto exchange, SameExchange(tx, who.account_key, keys));
  if (exchange) {
    match.potential_id = std::move(exchange->id);
    match.tier = "phone_exchange_hint";
    return match;
  }
  KLOZEO_ASSIGN_OR_RETURN(
      match.potential_id,
      tx.leads().FindIdByKey(who.account_key, storage::DedupKey::kNameCity, keys.name_city));
  if (match.potential_id) {
    match.tier = "name_city_hint";
    return match;
  }
  KLOZEO_ASSIGN_OR_RETURN(auto similar, SimilarNameInCity(tx, who.account_key, keys));
  if (similar) {
    match.potential_id = std::move(similar->id);
    match.tier = "similar_name_hint";
  }
  return match;
}

// The leads filed under the rarest words of the name `keys` were made from (dedup::CityWordKey),
// in its city and among leads without a city; `stats` must hold the name's word counts.
Result<std::vector<storage::DedupCandidate>> CityWordCandidates(storage::Tx& tx,
                                                                domain::AccountKey account,
                                                                const dedup::LeadKeys& keys,
                                                                dedup::TokenStats& stats) {
  std::vector<std::string> words = dedup::CountedTokens(keys.name_tokens);
  // The rarest words first: the stored lead is filed under its own rarest word.
  std::stable_sort(words.begin(), words.end(), [&](const std::string& a, const std::string& b) {
    return stats.counts[a] < stats.counts[b];
  });
  if (words.size() > static_cast<size_t>(kCityWordProbes)) words.resize(kCityWordProbes);
  std::vector<storage::DedupCandidate> candidates;
  for (const std::string& word : words) {
    for (std::string_view city : {std::string_view(keys.city), std::string_view()}) {
      KLOZEO_ASSIGN_OR_RETURN(
          auto found,
          tx.dedup().FindByCityWord(account, dedup::CityWordKey(city, word), kCityWordCandidates));
      for (auto& c : found) {
        if (std::none_of(candidates.begin(), candidates.end(),
                         [&](const auto& o) { return o.id == c.id; })) {
          candidates.push_back(std::move(c));
        }
      }
      if (keys.city.empty()) break;
    }
  }
  return candidates;
}

// The similar-name hint's threshold for a candidate with phone key `other_phone`: lower when
// the two phones differ by a typing slip.
double SimilarNameThreshold(const dedup::LeadKeys& keys, std::string_view other_phone) {
  return dedup::PhonesNear(keys.phone, other_phone) ? kNearPhoneHintSimilarity
                                                    : kSimilarNameHintSimilarity;
}

// True when the similar-name hint may point a lead with `keys` at `other`: the cities do not
// differ and neither do the names' branch markers.
bool SimilarNameCompatible(const dedup::LeadKeys& keys,
                           const std::vector<std::string>& other_tokens,
                           std::string_view other_city_key) {
  return !CitiesDiffer(keys.city, other_city_key) &&
         !dedup::BranchMarkersDiffer(keys.name_tokens, other_tokens);
}

Result<std::optional<LeadService::SimilarName>> LeadService::SimilarNameInCity(
    storage::Tx& tx, domain::AccountKey account, const dedup::LeadKeys& keys) {
  if (dedup::CountedTokens(keys.name_tokens).empty()) return std::optional<SimilarName>();
  dedup::TokenStats stats;
  KLOZEO_TRY(tx.dedup().TokenStats(account, keys.name_tokens, stats));
  KLOZEO_ASSIGN_OR_RETURN(auto candidates, CityWordCandidates(tx, account, keys, stats));
  if (candidates.empty()) return std::optional<SimilarName>();
  std::vector<std::vector<std::string>> names;
  std::vector<std::string> missing;
  for (const auto& c : candidates) {
    names.push_back(dedup::NameTokens(c.name));
    for (const auto& t : names.back()) {
      // Numbers are never counted (TokenStats reads none): only words can be missing.
      if (!dedup::IsNumberToken(t) && !stats.counts.contains(t)) missing.push_back(t);
    }
  }
  if (!missing.empty()) KLOZEO_TRY(tx.dedup().TokenStats(account, missing, stats));
  std::optional<SimilarName> best;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!SimilarNameCompatible(keys, names[i], dedup::NormalizeCityKey(candidates[i].city))) {
      continue;
    }
    const double similarity = dedup::TokenNameSimilarity(keys.name_tokens, names[i], stats);
    if (similarity > SimilarNameThreshold(keys, candidates[i].phone_key) &&
        (!best || similarity > best->similarity)) {
      best = SimilarName{candidates[i].id, similarity};
    }
  }
  return best;
}

Result<std::optional<LeadService::SimilarName>> LeadService::SameExchange(
    storage::Tx& tx, domain::AccountKey account, const dedup::LeadKeys& keys) {
  const std::string exchange = dedup::PhoneExchange(keys.phone);
  if (exchange.empty()) return std::optional<SimilarName>();
  KLOZEO_ASSIGN_OR_RETURN(
      auto candidates,
      tx.dedup().FindByPhoneExchange(account, exchange, keys.phone, kMaxExchangeCandidates));
  // Keys of another length are another numbering (an extension, a foreign number), and a lead
  // of another city is never hinted: both left out before their names are split and weighed.
  std::erase_if(candidates, [&](const storage::DedupCandidate& c) {
    return c.phone_key.size() != keys.phone.size() ||
           CitiesDiffer(keys.city, dedup::NormalizeCityKey(c.city));
  });
  if (candidates.empty()) return std::optional<SimilarName>();
  dedup::TokenStats stats;
  KLOZEO_ASSIGN_OR_RETURN(auto names, CandidateNames(tx, account, keys, candidates, stats));
  std::optional<SimilarName> best;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (dedup::BranchMarkersDiffer(keys.name_tokens, names[i])) continue;
    const double similarity = dedup::TokenNameSimilarity(keys.name_tokens, names[i], stats);
    if (similarity > kExchangeHintSimilarity && (!best || similarity > best->similarity)) {
      best = SimilarName{candidates[i].id, similarity};
    }
  }
  return best;
}

Result<Lead> LeadService::MergeInto(storage::Tx& tx, const Principal& who, const std::string& id,
                                    const domain::LeadPatch& patch, std::string_view tier,
                                    bool* queued) {
  KLOZEO_ASSIGN_OR_RETURN(Lead lead, LoadLead(tx, who, id));
  const Lead before = lead;
  const int64_t now = clock_.NowSeconds();
  if (domain::ApplyMerge(lead, patch)) lead.updated_at = now;
  if (lead.attributes.size() > domain::kMaxAttributes) {
    return Error::BadRequest("a lead holds at most 200 attributes");
  }
  lead.last_interaction_at = now;
  KLOZEO_TRY(ScoreLead(tx, who, lead));
  KLOZEO_TRY(tx.leads().Update(who.account_key, lead, KeysOf(lead)));
  // What the merge overwrote, so a wrong one can be seen and undone by hand. The incoming lead
  // is never stored: no source lead id.
  if (auto changes = Changes(before, lead); !changes.empty()) {
    KLOZEO_TRY(tx.dedup().RecordMerge(
        who.account_key,
        storage::MergeRecord{core::NewUuidV7(), lead.id, std::string(), "automatic",
                             std::string(tier), now, std::move(changes)}));
  }
  // A merge is an update of the existing lead.
  KLOZEO_TRY(Emit(tx, who, "lead.updated", WebhookOutbox::LeadData(lead), queued));
  return lead;
}

Result<std::vector<DuplicateCandidate>> LeadService::Duplicates(const Principal& who,
                                                                const std::string& id) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
  KLOZEO_ASSIGN_OR_RETURN(Lead lead, LoadLead(*tx, who, id));
  const dedup::LeadKeys keys = KeysOf(lead);
  // Every lead the tiers of POST /leads would look at for this one.
  std::vector<std::string> ids;
  auto add = [&](const std::string& other) {
    if (other != lead.id && std::find(ids.begin(), ids.end(), other) == ids.end()) {
      ids.push_back(other);
    }
  };
  for (auto [kind, key] :
       {std::pair(storage::DedupKey::kEmail, std::string_view(keys.email)),
        std::pair(storage::DedupKey::kSourceId, std::string_view(lead.source_id().value_or(""))),
        std::pair(storage::DedupKey::kNameCity, std::string_view(keys.name_city))}) {
    if (core::Trim(key).empty()) continue;
    KLOZEO_ASSIGN_OR_RETURN(auto found, tx->leads().FindIdByKey(who.account_key, kind, key));
    if (found) add(*found);
  }
  KLOZEO_ASSIGN_OR_RETURN(
      auto phones, tx->dedup().FindByPhone(who.account_key, keys.phone, kMaxPhoneCandidates));
  for (const auto& c : phones) add(c.id);
  for (auto [kind, key] : {std::pair(storage::MatchKey::kAddress, &keys.address),
                           std::pair(storage::MatchKey::kDomain, &keys.domain)}) {
    KLOZEO_ASSIGN_OR_RETURN(auto found, tx->dedup().FindByMatchKey(who.account_key, kind, *key,
                                                                   kMaxMatchKeyCandidates));
    for (const auto& other : found) add(other);
  }
  KLOZEO_ASSIGN_OR_RETURN(auto exchange, tx->dedup().FindByPhoneExchange(
                                             who.account_key, dedup::PhoneExchange(keys.phone),
                                             keys.phone, kMaxExchangeCandidates));
  for (const auto& c : exchange) add(c.id);
  if (!dedup::CountedTokens(keys.name_tokens).empty()) {
    dedup::TokenStats own;
    KLOZEO_TRY(tx->dedup().TokenStats(who.account_key, keys.name_tokens, own));
    KLOZEO_ASSIGN_OR_RETURN(auto similar, CityWordCandidates(*tx, who.account_key, keys, own));
    for (const auto& c : similar) add(c.id);
  }
  KLOZEO_ASSIGN_OR_RETURN(auto dismissed, tx->dedup().Dismissed(who.account_key, lead.id));
  std::vector<Lead> others;
  std::vector<std::string> tokens = keys.name_tokens;
  for (const auto& other_id : ids) {
    if (std::find(dismissed.begin(), dismissed.end(), other_id) != dismissed.end()) continue;
    KLOZEO_ASSIGN_OR_RETURN(auto other, tx->leads().Get(who.account_key, other_id));
    if (!other) continue;
    auto other_tokens = dedup::NameTokens(other->name);
    tokens.insert(tokens.end(), other_tokens.begin(), other_tokens.end());
    others.push_back(std::move(*other));
  }
  dedup::TokenStats stats;
  if (!others.empty()) KLOZEO_TRY(tx->dedup().TokenStats(who.account_key, tokens, stats));
  std::vector<DuplicateCandidate> out;
  for (Lead& other : others) {
    const dedup::LeadKeys other_keys = KeysOf(other);
    DuplicateCandidate c;
    c.similarity = dedup::TokenNameSimilarity(keys.name_tokens, other_keys.name_tokens, stats);
    c.agreeing = AgreeingFields(keys, other_keys, lead, other);
    auto agrees = [&](std::string_view f) {
      return std::find(c.agreeing.begin(), c.agreeing.end(), f) != c.agreeing.end();
    };
    const bool both_addresses = !keys.address.empty() && !other_keys.address.empty();
    const bool compatible = SimilarNameCompatible(keys, other_keys.name_tokens, other_keys.city);
    if (agrees("email")) {
      c.tier = "email";
    } else if (agrees("source_id")) {
      c.tier = "source_id";
    } else if (agrees("phone") &&
               ((c.similarity > dedup_.name_similarity && (!both_addresses || agrees("address"))) ||
                (agrees("address") && c.similarity > kAddressSupportedSimilarity))) {
      c.tier = "phone_name";
    } else if (agrees("phone") && compatible && c.similarity > kPhoneHintSimilarity) {
      c.tier = "phone_hint";
    } else if (agrees("address")) {
      c.tier = "address_hint";
    } else if (agrees("website")) {
      c.tier = "domain_hint";
    } else if (compatible && !keys.phone.empty() && other_keys.phone.size() == keys.phone.size() &&
               !agrees("phone") &&
               dedup::PhoneExchange(keys.phone) == dedup::PhoneExchange(other_keys.phone) &&
               c.similarity > kExchangeHintSimilarity) {
      c.tier = "phone_exchange_hint";
    } else if (agrees("name") && agrees("city")) {
      c.tier = "name_city_hint";
    } else if (compatible && c.similarity > SimilarNameThreshold(keys, other_keys.phone)) {
      c.tier = "similar_name_hint";
    } else {
      continue;  // shares only a weak phone match: not likely enough
    }
    c.lead = std::move(other);
    out.push_back(std::move(c));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    if (TierRank(a.tier) != TierRank(b.tier)) return TierRank(a.tier) < TierRank(b.tier);
    return a.similarity > b.similarity;
  });
  return out;
}

Result<Lead> LeadService::Merge(const Principal& who, const std::string& id,
                                const std::vector<std::string>& from, MergePreference prefer) {
  if (from.empty()) return Error::BadRequest("'from' must list at least one lead id");
  if (from.size() > kMaxMergeSources) {
    return Error::BadRequest("'from' lists at most " + std::to_string(kMaxMergeSources) +
                             " lead ids");
  }
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  // The target first: another account's lead is NotFound whatever the body says.
  KLOZEO_ASSIGN_OR_RETURN(Lead target, LoadLead(*tx, who, id));
  std::vector<std::string> sources;
  for (const auto& source : from) {
    if (source == id) return Error::BadRequest("a lead cannot be merged into itself");
    if (std::find(sources.begin(), sources.end(), source) == sources.end()) {
      sources.push_back(source);
    }
  }
  std::vector<Lead> merged;
  for (const auto& source : sources) {
    auto loaded = LoadLead(*tx, who, source);
    if (!loaded.ok()) {
      if (loaded.error().code == core::ErrorCode::kNotFound) {
        return Error::NotFound("lead " + source + " (in 'from') not found");
      }
      return std::move(loaded).error();
    }
    merged.push_back(std::move(*loaded));
  }
  // Last touch wins: apply the leads from the least to the most recently touched; with
  // "prefer": "target" the others only fill the target's gaps.
  std::vector<const Lead*> order;
  for (const Lead& m : merged) order.push_back(&m);
  std::stable_sort(order.begin(), order.end(), [](const Lead* a, const Lead* b) {
    return std::tie(a->last_interaction_at, a->id) < std::tie(b->last_interaction_at, b->id);
  });
  const int64_t now = clock_.NowSeconds();
  Lead result = target;
  if (prefer == MergePreference::kTarget) {
    for (auto it = order.rbegin(); it != order.rend(); ++it) MergeLeadValues(result, **it, true);
  } else {
    // The target's values count as touched when it was; older leads only fill its gaps.
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      if ((*it)->last_interaction_at < target.last_interaction_at) {
        MergeLeadValues(result, **it, true);
      }
    }
    for (const Lead* m : order) {
      if (m->last_interaction_at >= target.last_interaction_at) MergeLeadValues(result, *m, false);
    }
  }
  if (result.attributes.size() > domain::kMaxAttributes) {
    return Error::BadRequest("the merged lead would hold more than 200 attributes");
  }
  result.updated_at = now;
  result.last_interaction_at = now;
  bool queued = false;
  for (const Lead& m : merged) {
    // Notes move to the target (same ids); history and dismissals follow the survivor.
    KLOZEO_ASSIGN_OR_RETURN(auto notes, tx->notes().List(who.account_key, m.id));
    KLOZEO_TRY(tx->dedup().MoveDedupState(who.account_key, m.id, target.id));
    KLOZEO_ASSIGN_OR_RETURN(bool deleted, tx->leads().Delete(who.account_key, m.id));
    if (!deleted) return Error::NotFound("lead " + m.id + " (in 'from') not found");
    for (auto& note : notes) {
      note.lead_id = target.id;
      KLOZEO_TRY(tx->notes().Insert(who.account_key, note));
    }
    std::string data = WebhookOutbox::LeadData(m);
    if (!data.empty() && data.back() == '}') {
      data.pop_back();
      data += ",\"merged_into\":" + DumpJson(target.id) + "}";
    }
    KLOZEO_TRY(Emit(*tx, who, "lead.deleted", data, &queued));
  }
  KLOZEO_TRY(ScoreLead(*tx, who, result));
  KLOZEO_TRY(tx->leads().Update(who.account_key, result, KeysOf(result)));
  // History: one record per merged lead, holding the fields whose final value came from it.
  std::vector<storage::MergeChange> changes = Changes(target, result);
  std::map<std::string, json> final_values = FieldValues(result);
  std::vector<storage::MergeRecord> records;
  for (const Lead& m : merged) {
    std::map<std::string, json> values = FieldValues(m);
    storage::MergeRecord& record = records.emplace_back(
        storage::MergeRecord{core::NewUuidV7(), target.id, m.id, "explicit", "explicit", now, {}});
    for (auto it = changes.begin(); it != changes.end();) {
      auto v = values.find(it->field);
      if (v != values.end() && v->second == final_values[it->field]) {
        record.changes.push_back(std::move(*it));
        it = changes.erase(it);
      } else {
        ++it;
      }
    }
  }
  // Nothing is left out: a change no merged lead explains goes with the first.
  for (auto& change : changes) records.front().changes.push_back(std::move(change));
  for (const auto& record : records) KLOZEO_TRY(tx->dedup().RecordMerge(who.account_key, record));
  KLOZEO_TRY(Emit(*tx, who, "lead.updated", WebhookOutbox::LeadData(result), &queued));
  KLOZEO_TRY(CommitAndNotify(*tx, queued));
  return result;
}

core::Status LeadService::NotDuplicate(const Principal& who, const std::string& id,
                                       const std::string& other) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_TRY(LoadLead(*tx, who, id));
  if (id == other) return Error::BadRequest("'of' must name another lead");
  auto loaded = LoadLead(*tx, who, other);
  if (!loaded.ok()) {
    if (loaded.error().code == core::ErrorCode::kNotFound) {
      return Error::NotFound("lead " + other + " (in 'of') not found");
    }
    return std::move(loaded).error();
  }
  KLOZEO_TRY(tx->dedup().Dismiss(who.account_key, id, other, clock_.NowSeconds()));
  return tx->Commit();
}

Result<std::vector<storage::MergeRecord>> LeadService::Merges(const Principal& who,
                                                              const std::string& id, int limit) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
  KLOZEO_TRY(LoadLead(*tx, who, id));
  return tx->dedup().ListMerges(who.account_key, id, limit);
}

}  // namespace klozeo::service
