#pragma once

#include "storage/sql/dialect.h"

namespace klozeo::storage::postgres {

// The PostgreSQL form of storage/sqlite/schema.h, migration for migration (same numbers, same
// tables, columns and indexes). Differences:
// - every text column is COLLATE "C": comparisons and ORDER BY are bytewise, as in SQLite,
//   whatever the database's locale (keyset cursors rely on one order everywhere);
// - `leads.tags_fold` is jsonb with a GIN index (array_contains is `@>`);
// - `lead_attributes` has two more store-written columns: `value_items` (jsonb, the folded
//   elements of a list attribute, for array_contains) and `value_sort` (the order-preserving
//   text sort key of query::AttributeSortKeyFor*, since a PostgreSQL column has one type);
// - migration 4 adds the dedup key columns without a backfill: a PostgreSQL database starts
//   at this schema, so there are no rows written without them.
// Every table's key starts with account_id and every tenant query filters on it, so the
// tables can be distributed by account_id (docs/SCALING.md).
inline constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE meta (
  key TEXT COLLATE "C" PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE accounts (
  id TEXT COLLATE "C" PRIMARY KEY,
  name TEXT COLLATE "C" NOT NULL UNIQUE,
  plan TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE api_keys (
  account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  id TEXT COLLATE "C" NOT NULL,
  key_hash TEXT COLLATE "C" NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT,
  PRIMARY KEY (account_id, id)
);
CREATE TABLE leads (
  account_id TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  name TEXT NOT NULL,
  source TEXT NOT NULL,
  description TEXT,
  email TEXT,
  phone TEXT,
  website TEXT,
  address TEXT,
  city TEXT,
  state TEXT,
  country TEXT,
  postal_code TEXT,
  category TEXT,
  source_id TEXT COLLATE "C",
  logo_url TEXT,
  status TEXT NOT NULL DEFAULT 'new',
  name_fold TEXT COLLATE "C" NOT NULL,
  source_fold TEXT COLLATE "C" NOT NULL,
  description_fold TEXT COLLATE "C",
  email_fold TEXT COLLATE "C",
  phone_fold TEXT COLLATE "C",
  website_fold TEXT COLLATE "C",
  address_fold TEXT COLLATE "C",
  city_fold TEXT COLLATE "C",
  state_fold TEXT COLLATE "C",
  country_fold TEXT COLLATE "C",
  postal_code_fold TEXT COLLATE "C",
  category_fold TEXT COLLATE "C",
  source_id_fold TEXT COLLATE "C",
  logo_url_fold TEXT COLLATE "C",
  status_fold TEXT COLLATE "C" NOT NULL DEFAULT 'new',
  latitude DOUBLE PRECISION,
  longitude DOUBLE PRECISION,
  rating DOUBLE PRECISION,
  review_count BIGINT,
  tags TEXT NOT NULL DEFAULT '[]',
  tags_fold JSONB NOT NULL DEFAULT '[]',
  score DOUBLE PRECISION NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  last_interaction_at BIGINT NOT NULL,
  PRIMARY KEY (account_id, id)
);
CREATE INDEX leads_created ON leads (account_id, created_at, id);
CREATE INDEX leads_email ON leads (account_id, email_fold);
CREATE INDEX leads_source_id ON leads (account_id, source_id);
CREATE INDEX leads_source_id_fold ON leads (account_id, source_id_fold);
CREATE INDEX leads_name_city ON leads (account_id, name_fold, city_fold);
CREATE INDEX leads_city ON leads (account_id, city_fold);
CREATE INDEX leads_tags ON leads USING gin (tags_fold jsonb_path_ops);
CREATE TABLE lead_attributes (
  account_id TEXT COLLATE "C" NOT NULL,
  lead_id TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  name TEXT COLLATE "C" NOT NULL,
  type TEXT NOT NULL,
  value TEXT NOT NULL,
  value_fold TEXT COLLATE "C",
  value_num DOUBLE PRECISION,
  value_items JSONB,
  value_sort TEXT COLLATE "C",
  PRIMARY KEY (account_id, lead_id, id),
  FOREIGN KEY (account_id, lead_id) REFERENCES leads (account_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX lead_attributes_name ON lead_attributes (account_id, lead_id, name);
CREATE INDEX lead_attributes_fold ON lead_attributes (account_id, name, value_fold);
CREATE INDEX lead_attributes_num ON lead_attributes (account_id, name, value_num);
CREATE TABLE notes (
  account_id TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  lead_id TEXT COLLATE "C" NOT NULL,
  content TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, lead_id) REFERENCES leads (account_id, id) ON DELETE CASCADE
);
CREATE INDEX notes_lead ON notes (account_id, lead_id, id);
)sql"},
    {2, R"sql(
CREATE TABLE scoring_rules (
  account_id TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  name TEXT NOT NULL,
  expression TEXT NOT NULL,
  weight DOUBLE PRECISION NOT NULL DEFAULT 1,
  priority BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (account_id, id)
);
CREATE INDEX scoring_rules_order ON scoring_rules (account_id, priority, created_at, id);
)sql"},
    {3, R"sql(
CREATE INDEX leads_rating ON leads (account_id, rating, id);
CREATE INDEX leads_review_count ON leads (account_id, review_count, id);
CREATE INDEX leads_name_sort ON leads (account_id, name_fold, id);
CREATE INDEX leads_latitude ON leads (account_id, latitude);
)sql"},
    {4, R"sql(
ALTER TABLE leads ADD COLUMN email_key TEXT COLLATE "C";
ALTER TABLE leads ADD COLUMN phone_key TEXT COLLATE "C";
ALTER TABLE leads ADD COLUMN name_city_key TEXT COLLATE "C";
CREATE INDEX leads_email_key ON leads (account_id, email_key, id);
CREATE INDEX leads_phone_key ON leads (account_id, phone_key, id);
CREATE INDEX leads_name_city_key ON leads (account_id, name_city_key, id);
)sql"},
    // Webhooks (SQLite migration 5). Every table keyed by account_id first, deliveries too:
    // the claim is the one cross-account query (FOR UPDATE SKIP LOCKED through the partial
    // index on pending rows), and lookups of a claimed delivery by id use webhook_deliveries_id.
    {5, R"sql(
CREATE TABLE webhooks (
  account_id TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  url TEXT NOT NULL,
  events TEXT NOT NULL DEFAULT '',
  secret TEXT,
  active BIGINT NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  failing_since_ms BIGINT,
  last_success_ms BIGINT,
  PRIMARY KEY (account_id, id)
);
CREATE INDEX webhooks_created ON webhooks (account_id, created_at, id);
CREATE TABLE webhook_events (
  account_id TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  PRIMARY KEY (account_id, id)
);
CREATE TABLE webhook_deliveries (
  account_id TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  webhook_id TEXT COLLATE "C" NOT NULL,
  event_id TEXT COLLATE "C" NOT NULL,
  event_type TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_ms BIGINT,
  claimed_by TEXT,
  claim_expires_ms BIGINT,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, event_id) REFERENCES webhook_events (account_id, id),
  FOREIGN KEY (account_id, webhook_id) REFERENCES webhooks (account_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_ms)
  WHERE state = 'pending';
CREATE INDEX webhook_deliveries_webhook
  ON webhook_deliveries (account_id, webhook_id, created_at_ms, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (account_id, event_id);
CREATE INDEX webhook_deliveries_id ON webhook_deliveries (id);
CREATE TABLE webhook_attempts (
  account_id TEXT COLLATE "C" NOT NULL,
  delivery_id TEXT COLLATE "C" NOT NULL,
  attempt BIGINT NOT NULL,
  started_at_ms BIGINT NOT NULL,
  duration_ms BIGINT NOT NULL,
  status_code BIGINT,
  error TEXT,
  success BIGINT NOT NULL,
  next_retry_ms BIGINT,
  PRIMARY KEY (account_id, delivery_id, attempt),
  FOREIGN KEY (account_id, delivery_id) REFERENCES webhook_deliveries (account_id, id)
    ON DELETE CASCADE
);
)sql"},
    // Idempotency-Key records (SQLite migration 6): status NULL while the first request is in
    // flight; expired rows are purged by created_at_ms.
    {6, R"sql(
CREATE TABLE idempotency_keys (
  account_id TEXT COLLATE "C" NOT NULL,
  key TEXT COLLATE "C" NOT NULL,
  request_hash TEXT NOT NULL,
  status BIGINT,
  headers TEXT NOT NULL DEFAULT '[]',
  body TEXT NOT NULL DEFAULT '',
  created_at_ms BIGINT NOT NULL,
  PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at_ms);
)sql"},
    // PostgreSQL only (numbered apart from the shared sequence; the runner applies every
    // version it has not recorded): the rate-limit windows every process counts in
    // (Database::CountRequests). UNLOGGED: no WAL per request; a crash forgets the current
    // windows, which only gives accounts a fresh budget.
    {1001, R"sql(
CREATE UNLOGGED TABLE rate_windows (
  account_id TEXT COLLATE "C" PRIMARY KEY,
  start_ms BIGINT NOT NULL,
  count BIGINT NOT NULL
);
)sql"},
    // Dedup (SQLite migration 15; docs/DEDUP.md). Without a backfill: the tokens of leads
    // written before it are not counted (their words only look rarer), and they are found by
    // address or domain once written again.
    {15, R"sql(
CREATE TABLE name_tokens (
  account_id TEXT COLLATE "C" NOT NULL,
  token TEXT COLLATE "C" NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (account_id, token)
);
CREATE TABLE lead_match_keys (
  account_id TEXT COLLATE "C" NOT NULL,
  lead_id TEXT COLLATE "C" NOT NULL,
  kind TEXT COLLATE "C" NOT NULL,
  key TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (account_id, lead_id, kind),
  FOREIGN KEY (account_id, lead_id) REFERENCES leads (account_id, id) ON DELETE CASCADE
);
CREATE INDEX lead_match_keys_key ON lead_match_keys (account_id, kind, key, lead_id);
CREATE TABLE dedup_dismissals (
  account_id TEXT COLLATE "C" NOT NULL,
  lead_id TEXT COLLATE "C" NOT NULL,
  other_id TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (account_id, lead_id, other_id),
  FOREIGN KEY (account_id, lead_id) REFERENCES leads (account_id, id) ON DELETE CASCADE
);
CREATE TABLE lead_merges (
  account_id TEXT COLLATE "C" NOT NULL,
  lead_id TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  source_lead_id TEXT COLLATE "C" NOT NULL,
  kind TEXT NOT NULL,
  tier TEXT NOT NULL,
  merged_at BIGINT NOT NULL,
  changes TEXT NOT NULL,
  PRIMARY KEY (account_id, lead_id, id),
  FOREIGN KEY (account_id, lead_id) REFERENCES leads (account_id, id) ON DELETE CASCADE
);
)sql"},
    // Listing at a million leads (SQLite migration 1600): sort indexes for score, updated_at
    // and last_interaction_at (lead_attributes_num exists here since migration 1).
    {1600, R"sql(
CREATE INDEX IF NOT EXISTS leads_score ON leads (account_id, score, id);
CREATE INDEX IF NOT EXISTS leads_updated ON leads (account_id, updated_at, id);
CREATE INDEX IF NOT EXISTS leads_last_interaction ON leads (account_id, last_interaction_at, id);
)sql"},
};

}  // namespace klozeo::storage::postgres
