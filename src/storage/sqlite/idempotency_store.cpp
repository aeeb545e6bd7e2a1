#include "storage/sqlite/idempotency_store.h"

namespace klozeo::storage::sqlite::idempotency {

using core::Result;
using core::Status;

namespace {

constexpr const char* kGet =
    "SELECT request_hash, status, headers, body, created_at_ms FROM idempotency_keys "
    "WHERE account_id = ?1 AND key = ?2";
constexpr const char* kReserve =
    "INSERT INTO idempotency_keys (account_id, key, request_hash, status, created_at_ms) "
    "VALUES (?1, ?2, ?3, NULL, ?4) ON CONFLICT (account_id, key) DO NOTHING";
constexpr const char* kComplete =
    "UPDATE idempotency_keys SET status = ?3, headers = ?4, body = ?5 "
    "WHERE account_id = ?1 AND key = ?2";
constexpr const char* kDelete = "DELETE FROM idempotency_keys WHERE account_id = ?1 AND key = ?2";
constexpr const char* kPurge = "DELETE FROM idempotency_keys WHERE created_at_ms < ?1";

}  // namespace

Result<std::optional<IdempotencyRecord>> Get(Connection& conn, std::string_view account_id,
                                             std::string_view key) {
  KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(kGet));
  s.Bind(1, account_id).Bind(2, key);
  KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<IdempotencyRecord>();
  IdempotencyRecord r;
  r.request_hash = s.Text(0);
  if (auto status = s.OptInt(1)) r.status = static_cast<int>(*status);
  r.headers_json = s.Text(2);
  r.body = s.Text(3);
  r.created_at_ms = s.Int(4);
  return std::optional<IdempotencyRecord>(std::move(r));
}

Result<bool> Reserve(Connection& conn, std::string_view account_id, std::string_view key,
                     std::string_view request_hash, int64_t created_at_ms) {
  KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(kReserve));
  s.Bind(1, account_id).Bind(2, key).Bind(3, request_hash).Bind(4, created_at_ms);
  KLOZEO_TRY(s.Run());
  return conn.Changes() > 0;
}

Status Complete(Connection& conn, std::string_view account_id, std::string_view key, int status,
                std::string_view headers_json, std::string_view body) {
  KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(kComplete));
  s.Bind(1, account_id)
      .Bind(2, key)
      .Bind(3, static_cast<int64_t>(status))
      .Bind(4, headers_json)
      .Bind(5, body);
  return s.Run();
}

Status Delete(Connection& conn, std::string_view account_id, std::string_view key) {
  KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(kDelete));
  s.Bind(1, account_id).Bind(2, key);
  return s.Run();
}

Result<int64_t> Purge(Connection& conn, int64_t before_ms) {
  KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(kPurge));
  s.Bind(1, before_ms);
  KLOZEO_TRY(s.Run());
  return conn.Changes();
}

}  // namespace klozeo::storage::sqlite::idempotency
