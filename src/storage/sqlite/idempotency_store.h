#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/result.h"
#include "storage/sqlite/connection.h"
#include "storage/store.h"

/// SQLite statements for Idempotency-Key records; SqliteTx forwards its idempotency methods
/// here (see storage::Tx for their contracts). Every statement is scoped by account id.
namespace klozeo::storage::sqlite::idempotency {

core::Result<std::optional<IdempotencyRecord>> Get(Connection& conn, std::string_view account_id,
                                                   std::string_view key);
core::Result<bool> Reserve(Connection& conn, std::string_view account_id, std::string_view key,
                           std::string_view request_hash, int64_t created_at_ms);
core::Status Complete(Connection& conn, std::string_view account_id, std::string_view key,
                      int status, std::string_view headers_json, std::string_view body);
core::Status Delete(Connection& conn, std::string_view account_id, std::string_view key);
core::Result<int64_t> Purge(Connection& conn, int64_t before_ms);

}  // namespace klozeo::storage::sqlite::idempotency
