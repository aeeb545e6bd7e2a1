#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "domain/webhook.h"
#include "storage/postgres/connection.h"

/// PostgreSQL statements for webhooks, the outbox, delivery claims and attempt logs; the
/// PostgreSQL Tx forwards its webhook methods here (see storage::Tx for their contracts).
/// Claims are one statement, `SELECT ... FOR UPDATE SKIP LOCKED` feeding an UPDATE, so
/// dispatchers in several processes never claim the same delivery and never wait for each
/// other; a claim whose lease ran out (its process died) is due again for everyone.
namespace klozeo::storage::postgres::webhooks {

core::Status Insert(Connection& conn, std::string_view account_id, const domain::Webhook& w);
core::Result<std::optional<domain::Webhook>> Get(Connection& conn, std::string_view account_id,
                                                 std::string_view id);
core::Result<std::vector<domain::Webhook>> List(Connection& conn, std::string_view account_id);
core::Status Update(Connection& conn, std::string_view account_id, const domain::Webhook& w);
core::Result<bool> Delete(Connection& conn, std::string_view account_id, std::string_view id);
core::Result<int64_t> Count(Connection& conn, std::string_view account_id);

core::Result<int64_t> EnqueueEvent(Connection& conn, const domain::WebhookEvent& event,
                                   int64_t due_ms);
core::Result<std::string> EnqueueDelivery(Connection& conn, const domain::WebhookEvent& event,
                                          std::string_view webhook_id, int64_t due_ms);
core::Result<std::vector<domain::DeliveryJob>> Claim(Connection& conn, std::string_view worker,
                                                     int64_t now_ms, int64_t lease_until_ms,
                                                     int limit);
core::Result<bool> RecordAttempt(Connection& conn, std::string_view worker,
                                 const domain::AttemptRecord& record);
core::Status Release(Connection& conn, std::string_view worker, std::string_view delivery_id,
                     int64_t due_ms);
core::Result<std::vector<domain::WebhookDelivery>> ListDeliveries(Connection& conn,
                                                                  std::string_view account_id,
                                                                  std::string_view webhook_id,
                                                                  int limit);
core::Result<std::optional<domain::WebhookDelivery>> GetDelivery(Connection& conn,
                                                                 std::string_view account_id,
                                                                 std::string_view webhook_id,
                                                                 std::string_view delivery_id);
core::Result<bool> Redeliver(Connection& conn, std::string_view account_id,
                             std::string_view webhook_id, std::string_view delivery_id,
                             int64_t due_ms);

}  // namespace klozeo::storage::postgres::webhooks
