#pragma once

#include <cstdint>
#include <string_view>

#include "core/result.h"
#include "storage/postgres/connection.h"
#include "storage/store.h"

/// PostgreSQL statements for GET /api/v1/stats (see Tx::ComputeLeadStats): four grouped scans of
/// the account's leads, the creation-day one over the (account_id, created_at) index.
namespace klozeo::storage::postgres::stats {

core::Result<LeadStats> Compute(Connection& conn, std::string_view account_id,
                                int64_t since_seconds, int top);

}  // namespace klozeo::storage::postgres::stats
