#pragma once

#include "storage/sql/guard.h"

// Rows of the statements of storage/sql/statements.h, mapped once for both backends' statements
// (StatementBase's accessors).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/fold.h"
#include "dedup/keys.h"
#include "domain/account.h"
#include "domain/lead.h"
#include "domain/scoring_rule.h"
#include "domain/stored_lead.h"
#include "domain/webhook.h"
#include "storage/sql/statement.h"

namespace klozeo::storage::rows {

/// A text field as its folded column holds it (NULL stays NULL).
inline std::optional<std::string> FoldedText(const std::optional<std::string>& text) {
  return text ? std::optional(core::FoldText(*text)) : std::nullopt;
}

/// Binds the 45 lead parameters of both stores' lead INSERT/UPDATE: $1 account key, $2 id,
/// stored fields, the folded columns, then the dedup keys (NULL when empty).
template <typename Statement>
void BindLead(Statement& s, domain::AccountKey account, const domain::Lead& lead,
              const dedup::LeadKeys& keys) {
  BindFrom(s, 1, static_cast<int64_t>(account), lead.id, lead.name, lead.source);
  for (int i = 0; i < domain::kTextFieldCount; ++i) s.Bind(5 + i, lead.text[i]);
  BindFrom(s, 17, domain::LeadStatusName(lead.status), lead.latitude, lead.longitude, lead.rating,
           lead.review_count, nlohmann::json(lead.tags).dump(), lead.score, lead.created_at,
           lead.updated_at, lead.last_interaction_at, core::FoldText(lead.name),
           core::FoldText(lead.source));
  for (int i = 0; i < domain::kTextFieldCount; ++i) {
    s.Bind(29 + i, FoldedText(lead.text[i]));
  }
  nlohmann::json folded_tags = nlohmann::json::array();
  for (const auto& t : lead.tags) folded_tags.push_back(core::FoldText(t));
  s.Bind(41, domain::LeadStatusName(lead.status)).Bind(42, folded_tags.dump());
  int index = 43;
  for (const std::string* key : {&keys.email, &keys.phone, &keys.name_city}) {
    s.Bind(index++, key->empty() ? std::nullopt : std::optional<std::string_view>(*key));
  }
}

/// Reads column `col` of a statement into `lead`, the column being column `column` of
/// kLeadColumns (0 id, 1 name, 2 source, 3-14 the text fields, 15 status, 16 latitude,
/// 17 longitude, 18 rating, 19 review_count, 20 tags, 21 score, 22 created_at, 23 updated_at,
/// 24 last_interaction_at): the one mapping of those columns, for whole rows (ReadLead) and
/// projected scans (LeadStore::Scan), which select only some of them.
template <typename Statement>
void ReadLeadColumn(const Statement& s, int col, int column, domain::Lead& lead) {
  using L = domain::Lead;
  static constexpr std::string L::*kTexts[] = {&L::id, &L::name, &L::source};
  static constexpr std::optional<double> L::*kOptDoubles[] = {&L::latitude, &L::longitude,
                                                              &L::rating};
  static constexpr int64_t L::*kTimes[] = {&L::created_at, &L::updated_at, &L::last_interaction_at};
  constexpr int kFirstText = 3;
  if (column < kFirstText) {
    lead.*kTexts[column] = s.Text(col);
  } else if (column < kFirstText + domain::kTextFieldCount) {
    lead.text[column - kFirstText] = s.OptText(col);
  } else if (column == 15) {
    lead.status = domain::ParseLeadStatus(s.Text(col)).value_or(domain::LeadStatus::kNew);
  } else if (column < 19) {
    lead.*kOptDoubles[column - 16] = s.OptDouble(col);
  } else if (column == 19) {
    lead.review_count = s.OptInt(col);
  } else if (column == 20) {
    if (!s.IsNull(col)) lead.tags = domain::ReadStoredTags(s.Text(col));
  } else if (column == 21) {
    lead.score = s.Double(col);
  } else if (column < 25) {
    lead.*kTimes[column - 22] = s.Int(col);
  }
}

/// Columns of kLeadColumns (ReadLeadColumn).
inline constexpr int kLeadColumnCount = 25;

/// A lead row of both stores' lead SELECT: the stored columns, then (column 25) the attributes
/// as a JSON array of [id, name, type, value], or NULL when it has none.
template <typename Statement>
domain::Lead ReadLead(const Statement& s) {
  domain::Lead lead;
  // One call per column with a constant column number, so each call's branches fold away.
  [&]<int... C>(std::integer_sequence<int, C...>) { (ReadLeadColumn(s, C, C, lead), ...); }
  (std::make_integer_sequence<int, kLeadColumnCount>{});
  if (!s.IsNull(kLeadColumnCount)) {
    domain::ReadStoredAttributes(s.Text(kLeadColumnCount), lead.attributes);
  }
  return lead;
}

template <typename Statement>
domain::Account ReadAccount(const Statement& s) {
  return domain::Account{s.Text(0), s.Text(1), s.Text(2), s.Int(3), domain::AccountKey{s.Int(4)}};
}

template <typename Statement>
domain::Note ReadNote(const Statement& s) {
  return domain::Note{s.Text(0), s.Text(1), s.Text(2), s.Int(3), s.Int(4)};
}

template <typename Statement>
domain::ScoringRule ReadRule(const Statement& s) {
  return {.id = s.Text(0),
          .name = s.Text(1),
          .expression = s.Text(2),
          .weight = s.Double(3),
          .priority = s.Int(4),
          .created_at = s.Int(5),
          .updated_at = s.Int(6)};
}

/// A subscription's events as stored: ",a,b," (so a subscription test is one substring
/// search), empty for every event.
inline std::string EncodeEvents(const std::vector<std::string>& events) {
  if (events.empty()) return {};
  std::string out = ",";
  for (const auto& e : events) {
    out += e;
    out += ',';
  }
  return out;
}

inline std::vector<std::string> DecodeEvents(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    if (comma > start) out.emplace_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

template <typename Statement>
domain::Webhook ReadWebhook(const Statement& s) {
  return {.id = s.Text(0),
          .url = s.Text(1),
          .events = DecodeEvents(s.Text(2)),
          .secret = s.OptText(3),
          .active = s.Int(4) != 0,
          .created_at = s.Int(5),
          .updated_at = s.Int(6),
          .failing_since_ms = s.OptInt(7),
          .last_success_ms = s.OptInt(8)};
}

/// Binds the webhook parameters of kInsertWebhook and kUpdateWebhook (which skips ?7,
/// created_at) to the prepared statement `s`, if there is one.
template <typename Statement>
core::Result<Statement> BindWebhook(core::Result<Statement> s, domain::AccountKey account,
                                    const domain::Webhook& w) {
  if (s.ok()) {
    BindFrom(*s, 1, static_cast<int64_t>(account), w.id, w.url, EncodeEvents(w.events), w.secret,
             int64_t{w.active ? 1 : 0}, w.created_at, w.updated_at, w.failing_since_ms,
             w.last_success_ms);
  }
  return s;
}

/// A delivery claimed for sending, joined with its webhook and event: delivery_id, account_key,
/// webhook_id, event_id, event_type, url, secret, body, attempts, created_at_ms.
template <typename Statement>
domain::DeliveryJob ReadDeliveryJob(const Statement& s) {
  return {.delivery_id = s.Text(0),
          .account_key = domain::AccountKey{s.Int(1)},
          .webhook_id = s.Text(2),
          .event_id = s.Text(3),
          .event_type = s.Text(4),
          .url = s.Text(5),
          .secret = s.OptText(6),
          .body = s.Text(7),
          .attempts = s.Int(8),
          .created_at_ms = s.Int(9)};
}

template <typename Statement>
domain::WebhookDelivery ReadDelivery(const Statement& s) {
  return {.id = s.Text(0),
          .account_key = domain::AccountKey{s.Int(1)},
          .webhook_id = s.Text(2),
          .event_id = s.Text(3),
          .event_type = s.Text(4),
          .state = domain::ParseDeliveryState(s.Text(5)).value_or(domain::DeliveryState::kPending),
          .attempts = s.Int(6),
          .next_attempt_ms = s.OptInt(7),
          .created_at_ms = s.Int(8),
          .updated_at_ms = s.Int(9)};
}

}  // namespace klozeo::storage::rows
