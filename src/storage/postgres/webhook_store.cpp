#include "storage/postgres/webhook_store.h"

#include <algorithm>

#include "core/ids.h"
#include "storage/rows.h"

namespace klozeo::storage::postgres::webhooks {
namespace {

using core::Error;
using core::Result;
using core::Status;
using domain::Webhook;
using rows::BindWebhook;
using rows::DecodeEvents;
using rows::EncodeEvents;
using rows::ReadDelivery;
using rows::ReadWebhook;

#define KLOZEO_WEBHOOK_COLUMNS \
  "id, url, events, secret, active, created_at, updated_at, failing_since_ms, last_success_ms"

constexpr const char* kInsert = "INSERT INTO webhooks (account_id, " KLOZEO_WEBHOOK_COLUMNS
                                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
constexpr const char* kGet =
    "SELECT " KLOZEO_WEBHOOK_COLUMNS " FROM webhooks WHERE account_id = $1 AND id = $2";
constexpr const char* kList =
    "SELECT " KLOZEO_WEBHOOK_COLUMNS " FROM webhooks WHERE account_id = $1 ORDER BY created_at, id";
constexpr const char* kUpdate =
    "UPDATE webhooks SET url = $3, events = $4, secret = $5, active = $6, updated_at = $7, "
    "failing_since_ms = $8, last_success_ms = $9 WHERE account_id = $1 AND id = $2";
constexpr const char* kDelete = "DELETE FROM webhooks WHERE account_id = $1 AND id = $2";
constexpr const char* kCount = "SELECT COUNT(*) FROM webhooks WHERE account_id = $1";
constexpr const char* kExists = "SELECT 1 FROM webhooks WHERE account_id = $1 AND id = $2";

#undef KLOZEO_WEBHOOK_COLUMNS

constexpr const char* kSubscribers =
    "SELECT id FROM webhooks WHERE account_id = $1 AND active = 1 AND "
    "(events = '' OR strpos(events, $2) > 0) ORDER BY created_at, id";
constexpr const char* kInsertEvent =
    "INSERT INTO webhook_events (id, account_id, type, body, created_at_ms) "
    "VALUES ($1, $2, $3, $4, $5)";
constexpr const char* kInsertDelivery =
    "INSERT INTO webhook_deliveries (id, account_id, webhook_id, event_id, event_type, state, "
    "attempts, next_attempt_ms, created_at_ms, updated_at_ms) "
    "VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7, $7)";

// Select the due, unheld deliveries in due order, lock them skipping rows another claimer has
// locked, and mark them claimed: one statement, so two dispatchers never take the same row
// and never wait for each other.
constexpr const char* kClaim =
    "WITH c AS (SELECT d.account_id, d.id FROM webhook_deliveries d "
    "JOIN webhooks w ON w.account_id = d.account_id AND w.id = d.webhook_id "
    "WHERE d.state = 'pending' AND d.next_attempt_ms <= $1 "
    "AND (d.claim_expires_ms IS NULL OR d.claim_expires_ms <= $1) "
    "AND (w.active = 1 OR d.event_type = 'ping') ORDER BY d.next_attempt_ms LIMIT $2 "
    "FOR UPDATE OF d SKIP LOCKED) "
    "UPDATE webhook_deliveries d SET claimed_by = $3, claim_expires_ms = $4 "
    "FROM c, webhooks w, webhook_events e "
    "WHERE d.account_id = c.account_id AND d.id = c.id AND w.account_id = d.account_id "
    "AND w.id = d.webhook_id AND e.account_id = d.account_id AND e.id = d.event_id "
    "RETURNING d.id, d.account_id, d.webhook_id, d.event_id, d.event_type, w.url, w.secret, "
    "e.body, d.attempts, d.created_at_ms, d.next_attempt_ms";

constexpr const char* kFinishAttempt =
    "UPDATE webhook_deliveries SET state = $3, attempts = $4, next_attempt_ms = $5, "
    "claimed_by = NULL, claim_expires_ms = NULL, updated_at_ms = $6 "
    "WHERE account_id = $7 AND id = $1 AND claimed_by = $2";
constexpr const char* kInsertAttempt =
    "INSERT INTO webhook_attempts (account_id, delivery_id, attempt, started_at_ms, duration_ms, "
    "status_code, error, success, next_retry_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
    "ON CONFLICT (account_id, delivery_id, attempt) DO UPDATE SET "
    "started_at_ms = EXCLUDED.started_at_ms, duration_ms = EXCLUDED.duration_ms, "
    "status_code = EXCLUDED.status_code, error = EXCLUDED.error, success = EXCLUDED.success, "
    "next_retry_ms = EXCLUDED.next_retry_ms";
constexpr const char* kWebhookSucceeded =
    "UPDATE webhooks SET last_success_ms = $3, failing_since_ms = NULL "
    "WHERE account_id = $1 AND id = $2";
constexpr const char* kWebhookFailed =
    "UPDATE webhooks SET failing_since_ms = COALESCE(failing_since_ms, $3) "
    "WHERE account_id = $1 AND id = $2";
constexpr const char* kRelease =
    "UPDATE webhook_deliveries SET claimed_by = NULL, claim_expires_ms = NULL, "
    "next_attempt_ms = $3 WHERE id = $1 AND claimed_by = $2";

#define KLOZEO_DELIVERY_COLUMNS                                                          \
  "id, account_id, webhook_id, event_id, event_type, state, attempts, next_attempt_ms, " \
  "created_at_ms, updated_at_ms"
constexpr const char* kListDeliveries =
    "SELECT " KLOZEO_DELIVERY_COLUMNS
    " FROM webhook_deliveries WHERE account_id = $1 AND webhook_id = $2 "
    "ORDER BY created_at_ms DESC, id DESC LIMIT $3";
constexpr const char* kGetDelivery =
    "SELECT " KLOZEO_DELIVERY_COLUMNS
    " FROM webhook_deliveries WHERE account_id = $1 AND webhook_id = $2 AND id = $3";
#undef KLOZEO_DELIVERY_COLUMNS
constexpr const char* kListAttempts =
    "SELECT attempt, started_at_ms, duration_ms, status_code, error, success, next_retry_ms "
    "FROM webhook_attempts WHERE account_id = $1 AND delivery_id = $2 ORDER BY attempt";
constexpr const char* kRedeliver =
    "UPDATE webhook_deliveries SET state = 'pending', next_attempt_ms = $4, claimed_by = NULL, "
    "claim_expires_ms = NULL, updated_at_ms = $4 "
    "WHERE account_id = $1 AND webhook_id = $2 AND id = $3";

Status FillAttempts(Connection& conn, domain::WebhookDelivery& d) {
  auto s = conn.Query(kListAttempts);
  s.Bind(1, d.account_id).Bind(2, d.id);
  while (true) {
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    domain::WebhookAttempt a;
    a.attempt = s.Int(0);
    a.started_at_ms = s.Int(1);
    a.duration_ms = s.Int(2);
    a.status_code = s.OptInt(3);
    a.error = s.OptText(4);
    a.success = s.Int(5) != 0;
    a.next_retry_ms = s.OptInt(6);
    d.attempt_log.push_back(std::move(a));
  }
  return core::Ok();
}

Status InsertEventRow(Connection& conn, const domain::WebhookEvent& e) {
  auto s = conn.Query(kInsertEvent);
  s.Bind(1, e.id).Bind(2, e.account_id).Bind(3, e.type).Bind(4, e.body).Bind(5, e.created_at_ms);
  return s.Run();
}

Status InsertDeliveryRow(Connection& conn, const domain::WebhookEvent& e, std::string_view id,
                         std::string_view webhook_id, int64_t due_ms) {
  auto s = conn.Query(kInsertDelivery);
  s.Bind(1, id)
      .Bind(2, e.account_id)
      .Bind(3, webhook_id)
      .Bind(4, e.id)
      .Bind(5, e.type)
      .Bind(6, due_ms)
      .Bind(7, e.created_at_ms);
  return s.Run();
}

}  // namespace

Status Insert(Connection& conn, std::string_view account_id, const Webhook& w) {
  auto s = conn.Query(kInsert);
  BindWebhook(s, account_id, w);
  s.Bind(6, int64_t{w.active ? 1 : 0})
      .Bind(7, w.created_at)
      .Bind(8, w.updated_at)
      .Bind(9, w.failing_since_ms)
      .Bind(10, w.last_success_ms);
  return s.Run();
}

Result<std::optional<Webhook>> Get(Connection& conn, std::string_view account_id,
                                   std::string_view id) {
  auto s = conn.Query(kGet);
  s.Bind(1, account_id).Bind(2, id);
  KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<Webhook>();
  return std::optional<Webhook>(ReadWebhook(s));
}

Result<std::vector<Webhook>> List(Connection& conn, std::string_view account_id) {
  auto s = conn.Query(kList);
  s.Bind(1, account_id);
  std::vector<Webhook> out;
  while (true) {
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadWebhook(s));
  }
  return out;
}

Status Update(Connection& conn, std::string_view account_id, const Webhook& w) {
  auto s = conn.Query(kUpdate);
  BindWebhook(s, account_id, w);
  s.Bind(6, int64_t{w.active ? 1 : 0})
      .Bind(7, w.updated_at)
      .Bind(8, w.failing_since_ms)
      .Bind(9, w.last_success_ms);
  KLOZEO_TRY(s.Run());
  if (s.Changes() == 0) return Error::NotFound("webhook not found");
  return core::Ok();
}

Result<bool> Delete(Connection& conn, std::string_view account_id, std::string_view id) {
  auto s = conn.Query(kDelete);
  s.Bind(1, account_id).Bind(2, id);
  KLOZEO_TRY(s.Run());
  return s.Changes() > 0;
}

Result<int64_t> Count(Connection& conn, std::string_view account_id) {
  auto s = conn.Query(kCount);
  s.Bind(1, account_id);
  KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Int(0) : int64_t{0};
}

Result<int64_t> EnqueueEvent(Connection& conn, const domain::WebhookEvent& event, int64_t due_ms) {
  std::vector<std::string> subscribers;
  {
    auto s = conn.Query(kSubscribers);
    s.Bind(1, event.account_id).Bind(2, "," + event.type + ",");
    while (true) {
      KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      subscribers.push_back(s.Text(0));
    }
  }
  if (subscribers.empty()) return int64_t{0};
  KLOZEO_TRY(InsertEventRow(conn, event));
  for (const auto& webhook_id : subscribers) {
    KLOZEO_TRY(InsertDeliveryRow(conn, event, core::NewUuidV7(), webhook_id, due_ms));
  }
  return static_cast<int64_t>(subscribers.size());
}

Result<std::string> EnqueueDelivery(Connection& conn, const domain::WebhookEvent& event,
                                    std::string_view webhook_id, int64_t due_ms) {
  {
    auto s = conn.Query(kExists);
    s.Bind(1, event.account_id).Bind(2, webhook_id);
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Error::NotFound("webhook not found");
  }
  KLOZEO_TRY(InsertEventRow(conn, event));
  std::string id = core::NewUuidV7();
  KLOZEO_TRY(InsertDeliveryRow(conn, event, id, webhook_id, due_ms));
  return id;
}

Result<std::vector<domain::DeliveryJob>> Claim(Connection& conn, std::string_view worker,
                                               int64_t now_ms, int64_t lease_until_ms, int limit) {
  std::vector<std::pair<int64_t, domain::DeliveryJob>> claimed;
  auto s = conn.Query(kClaim);
  s.Bind(1, now_ms).Bind(2, int64_t{limit}).Bind(3, worker).Bind(4, lease_until_ms);
  while (true) {
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    domain::DeliveryJob j;
    j.delivery_id = s.Text(0);
    j.account_id = s.Text(1);
    j.webhook_id = s.Text(2);
    j.event_id = s.Text(3);
    j.event_type = s.Text(4);
    j.url = s.Text(5);
    j.secret = s.OptText(6);
    j.body = s.Text(7);
    j.attempts = s.Int(8);
    j.created_at_ms = s.Int(9);
    claimed.emplace_back(s.Int(10), std::move(j));
  }
  // RETURNING has no order: oldest due first, as claimed.
  std::stable_sort(claimed.begin(), claimed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<domain::DeliveryJob> jobs;
  jobs.reserve(claimed.size());
  for (auto& [due, job] : claimed) jobs.push_back(std::move(job));
  return jobs;
}

Result<bool> RecordAttempt(Connection& conn, std::string_view worker,
                           const domain::AttemptRecord& r) {
  const auto& a = r.attempt;
  {
    auto s = conn.Query(kFinishAttempt);
    s.Bind(1, r.delivery_id)
        .Bind(2, worker)
        .Bind(3, domain::DeliveryStateName(r.new_state))
        .Bind(4, a.attempt)
        .Bind(5, a.next_retry_ms)
        .Bind(6, a.started_at_ms + a.duration_ms)
        .Bind(7, r.account_id);
    KLOZEO_TRY(s.Run());
    if (s.Changes() == 0) return false;
  }
  {
    auto s = conn.Query(kInsertAttempt);
    s.Bind(1, r.account_id)
        .Bind(2, r.delivery_id)
        .Bind(3, a.attempt)
        .Bind(4, a.started_at_ms)
        .Bind(5, a.duration_ms)
        .Bind(6, a.status_code)
        .Bind(7, a.error)
        .Bind(8, int64_t{a.success ? 1 : 0})
        .Bind(9, a.next_retry_ms);
    KLOZEO_TRY(s.Run());
  }
  auto s = conn.Query(a.success ? kWebhookSucceeded : kWebhookFailed);
  s.Bind(1, r.account_id).Bind(2, r.webhook_id).Bind(3, a.started_at_ms);
  KLOZEO_TRY(s.Run());
  return true;
}

Status Release(Connection& conn, std::string_view worker, std::string_view delivery_id,
               int64_t due_ms) {
  auto s = conn.Query(kRelease);
  s.Bind(1, delivery_id).Bind(2, worker).Bind(3, due_ms);
  return s.Run();
}

Result<std::vector<domain::WebhookDelivery>> ListDeliveries(Connection& conn,
                                                            std::string_view account_id,
                                                            std::string_view webhook_id,
                                                            int limit) {
  std::vector<domain::WebhookDelivery> out;
  {
    auto s = conn.Query(kListDeliveries);
    s.Bind(1, account_id).Bind(2, webhook_id).Bind(3, int64_t{limit});
    while (true) {
      KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(ReadDelivery(s));
    }
  }
  for (auto& d : out) KLOZEO_TRY(FillAttempts(conn, d));
  return out;
}

Result<std::optional<domain::WebhookDelivery>> GetDelivery(Connection& conn,
                                                           std::string_view account_id,
                                                           std::string_view webhook_id,
                                                           std::string_view delivery_id) {
  std::optional<domain::WebhookDelivery> out;
  {
    auto s = conn.Query(kGetDelivery);
    s.Bind(1, account_id).Bind(2, webhook_id).Bind(3, delivery_id);
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out = ReadDelivery(s);
  }
  KLOZEO_TRY(FillAttempts(conn, *out));
  return out;
}

Result<bool> Redeliver(Connection& conn, std::string_view account_id, std::string_view webhook_id,
                       std::string_view delivery_id, int64_t due_ms) {
  auto s = conn.Query(kRedeliver);
  s.Bind(1, account_id).Bind(2, webhook_id).Bind(3, delivery_id).Bind(4, due_ms);
  KLOZEO_TRY(s.Run());
  return s.Changes() > 0;
}

}  // namespace klozeo::storage::postgres::webhooks
