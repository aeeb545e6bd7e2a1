#pragma once

#include "core/result.h"
#include "storage/store.h"

namespace klozeo::service {

/// Rebuilds dedup's derived state from the leads after an upgrade (docs/DEDUP.md, "Upgrades"):
/// every account's name-word counts, then every lead's match keys (address, website domain,
/// city + rarest word), computed by LeadKeysOf as for a create. Schema version 13 files the work
/// (storage::DedupStore::Backfill); this does what is left of it in write transactions of
/// KLOZEO_DEDUP_BACKFILL_BATCH leads (default 100,000), each recording its progress with its
/// writes, so a process killed half-way resumes at its next start. One read once it is done.
/// Call it after opening the database, before serving. Errors: the store's.
core::Status ResumeDedupBackfill(storage::Database& db);

}  // namespace klozeo::service
