#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "domain/lead.h"
#include "storage/sqlite/connection.h"
#include "storage/store.h"

/// SQLite side of the POST /leads dedup tiers: the key columns of migration 4 (email_key,
/// phone_key, name_city_key; see dedup/keys.h), written by the store on every insert and
/// update, and the indexed lookups SqliteTx forwards here. Every statement is scoped by
/// account id.
namespace klozeo::storage::sqlite::dedup_keys {

/// Registers klozeo_email_key(email), klozeo_phone_key(phone) and
/// klozeo_name_city_key(name, city) on `conn` (NULL for an empty key): the migration that
/// adds the key columns backfills existing rows with them. Errors: Internal.
core::Status RegisterFunctions(Connection& conn, const std::string& phone_region);

/// Binds the three keys of `lead` to parameters first, first + 1, first + 2 (NULL when empty).
void BindKeys(Statement& s, int first, const domain::Lead& lead, const std::string& phone_region);

/// See storage::Tx::FindLeadIdByKey.
core::Result<std::optional<std::string>> FindLeadIdByKey(Connection& conn,
                                                         std::string_view account_id, DedupKey kind,
                                                         std::string_view key);

/// See storage::Tx::FindLeadsByPhoneKey.
core::Result<std::vector<std::pair<std::string, std::string>>> FindLeadsByPhoneKey(
    Connection& conn, std::string_view account_id, std::string_view phone_key, int limit);

}  // namespace klozeo::storage::sqlite::dedup_keys
