#include "service/webhook_outbox.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "core/ids.h"
#include "domain/lead_codec.h"

namespace klozeo::service {

std::string WebhookOutbox::Body(std::string_view type, std::string_view data_json) const {
  std::string body;
  body.reserve(data_json.size() + 64);
  body += "{\"event\":\"";
  body += type;  // one of the fixed event names: nothing to escape
  body += "\",\"timestamp\":";
  body += std::to_string(clock_.NowSeconds());
  body += ",\"data\":";
  body += data_json;
  body += '}';
  return body;
}

core::Result<bool> WebhookOutbox::Add(storage::Tx& tx, domain::AccountKey account,
                                      std::string_view type, std::string_view data_json) const {
  return AddLazily(tx, account, type, [data_json] { return std::string(data_json); });
}

core::Result<bool> WebhookOutbox::AddLazily(storage::Tx& tx, domain::AccountKey account,
                                            std::string_view type,
                                            const std::function<std::string()>& data) const {
  KLOZEO_ASSIGN_OR_RETURN(auto subscribers, tx.webhooks().Subscribers(account, type));
  if (subscribers.empty()) return false;
  domain::WebhookEvent event{core::NewUuidV7(), account, std::string(type), Body(type, data()),
                             clock_.NowMillis()};
  KLOZEO_TRY(tx.webhooks().EnqueueTo(event, subscribers, WallMillis()));
  return true;
}

void WebhookOutbox::Notify(bool queued) const {
  if (queued && listener_) listener_();
}

std::string WebhookOutbox::LeadData(const domain::Lead& lead) {
  std::string out;
  out.reserve(1024);
  domain::AppendLeadJson(out, lead);
  return out;
}

std::string WebhookOutbox::NoteData(const domain::Note& note) {
  return domain::NoteToJson(note).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string WebhookOutbox::IdsData(const std::vector<std::string>& ids) {
  // Lead ids are cl_<uuid>: nothing to escape.
  std::string out = "{\"ids\":[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    out += ids[i];
    out += '"';
  }
  out += "],\"count\":" + std::to_string(ids.size()) + "}";
  return out;
}

std::string WebhookOutbox::ScoresData(const std::vector<std::pair<std::string, double>>& scores) {
  std::string out = "{\"leads\":[";
  out.reserve(scores.size() * 56 + 32);
  for (size_t i = 0; i < scores.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"id\":\"";
    out += scores[i].first;
    out += "\",\"score\":";
    domain::AppendScoreJson(out, scores[i].second);
    out += '}';
  }
  out += "],\"count\":" + std::to_string(scores.size()) + "}";
  return out;
}

}  // namespace klozeo::service
