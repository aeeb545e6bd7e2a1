#pragma once

#include "storage/sql/dialect.h"

namespace klozeo::storage::sqlite {

// Every tenant table is keyed by account_id first, and every query filters on it.
// `<field>_fold` columns hold core::FoldText of the text column (case-insensitive matching
// through an index); they are written by the store, never by clients.
inline constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  plan TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE api_keys (
  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  PRIMARY KEY (account_id, id)
);
CREATE TABLE leads (
  account_id TEXT NOT NULL,
  id TEXT NOT NULL,
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
  source_id TEXT,
  logo_url TEXT,
  status TEXT NOT NULL DEFAULT 'new',
  name_fold TEXT NOT NULL,
  source_fold TEXT NOT NULL,
  description_fold TEXT,
  email_fold TEXT,
  phone_fold TEXT,
  website_fold TEXT,
  address_fold TEXT,
  city_fold TEXT,
  state_fold TEXT,
  country_fold TEXT,
  postal_code_fold TEXT,
  category_fold TEXT,
  source_id_fold TEXT,
  logo_url_fold TEXT,
  status_fold TEXT NOT NULL DEFAULT 'new',
  latitude REAL,
  longitude REAL,
  rating REAL,
  review_count INTEGER,
  tags TEXT NOT NULL DEFAULT '[]',
  tags_fold TEXT NOT NULL DEFAULT '[]',
  score REAL NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_interaction_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, id)
) WITHOUT ROWID;
CREATE INDEX leads_created ON leads (account_id, created_at, id);
CREATE INDEX leads_email ON leads (account_id, email_fold);
CREATE INDEX leads_source_id ON leads (account_id, source_id);
CREATE INDEX leads_source_id_fold ON leads (account_id, source_id_fold);
CREATE INDEX leads_name_city ON leads (account_id, name_fold, city_fold);
CREATE INDEX leads_city ON leads (account_id, city_fold);
CREATE TABLE lead_attributes (
  account_id TEXT NOT NULL,
  lead_id TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  value TEXT NOT NULL,
  value_fold TEXT,
  value_num REAL,
  PRIMARY KEY (account_id, lead_id, id),
  FOREIGN KEY (account_id, lead_id) REFERENCES leads (account_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE UNIQUE INDEX lead_attributes_name ON lead_attributes (account_id, lead_id, name);
CREATE INDEX lead_attributes_fold ON lead_attributes (account_id, name, value_fold);
CREATE INDEX lead_attributes_num ON lead_attributes (account_id, name, value_num);
CREATE TABLE notes (
  account_id TEXT NOT NULL,
  id TEXT NOT NULL,
  lead_id TEXT NOT NULL,
  content TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, lead_id) REFERENCES leads (account_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX notes_lead ON notes (account_id, lead_id, id);
)sql"},
    {2, R"sql(
CREATE TABLE scoring_rules (
  account_id TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  expression TEXT NOT NULL,
  weight REAL NOT NULL DEFAULT 1,
  priority INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, id)
) WITHOUT ROWID;
CREATE INDEX scoring_rules_order ON scoring_rules (account_id, priority, created_at, id);
)sql"},
    // Sorting: an (account_id, field, id) index per commonly sorted field that is not rewritten
    // on every write (score and the timestamps are, and would slow writes down), so a sorted
    // page is an index seek; latitude for the within_radius bounding box.
    {3, R"sql(
CREATE INDEX leads_rating ON leads (account_id, rating, id);
CREATE INDEX leads_review_count ON leads (account_id, review_count, id);
CREATE INDEX leads_name_sort ON leads (account_id, name_fold, id);
CREATE INDEX leads_latitude ON leads (account_id, latitude);
)sql"},
    // Dedup keys (dedup/keys.h) for POST /leads, kept by the store on every write; existing
    // rows are backfilled through functions the store registers before migrating.
    {4, R"sql(
ALTER TABLE leads ADD COLUMN email_key TEXT;
ALTER TABLE leads ADD COLUMN phone_key TEXT;
ALTER TABLE leads ADD COLUMN name_city_key TEXT;
UPDATE leads SET email_key = klozeo_email_key(email), phone_key = klozeo_phone_key(phone),
  name_city_key = klozeo_name_city_key(name, city);
CREATE INDEX leads_email_key ON leads (account_id, email_key);
CREATE INDEX leads_phone_key ON leads (account_id, phone_key);
CREATE INDEX leads_name_city_key ON leads (account_id, name_city_key);
)sql"},
    // Webhooks (docs/ARCHITECTURE.md, "Webhooks"). `events` is ",a,b," (empty: every event), so a
    // subscription test is one instr(). Deliveries are keyed by id alone: the dispatcher serves
    // every account. The partial index holds only pending deliveries, in due order: what a
    // claim scans. Times ending in _ms are Unix milliseconds.
    {5, R"sql(
CREATE TABLE webhooks (
  account_id TEXT NOT NULL,
  id TEXT NOT NULL,
  url TEXT NOT NULL,
  events TEXT NOT NULL DEFAULT '',
  secret TEXT,
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  failing_since_ms INTEGER,
  last_success_ms INTEGER,
  PRIMARY KEY (account_id, id)
) WITHOUT ROWID;
CREATE INDEX webhooks_created ON webhooks (account_id, created_at, id);
CREATE TABLE webhook_events (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  event_id TEXT NOT NULL REFERENCES webhook_events (id),
  event_type TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER,
  claimed_by TEXT,
  claim_expires_ms INTEGER,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  FOREIGN KEY (account_id, webhook_id) REFERENCES webhooks (account_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_ms)
  WHERE state = 'pending';
CREATE INDEX webhook_deliveries_webhook
  ON webhook_deliveries (account_id, webhook_id, created_at_ms, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
CREATE TABLE webhook_attempts (
  delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  started_at_ms INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  status_code INTEGER,
  error TEXT,
  success INTEGER NOT NULL,
  next_retry_ms INTEGER,
  PRIMARY KEY (delivery_id, attempt)
) WITHOUT ROWID;
)sql"},
    // Idempotency-Key records (service/idempotency.h): status NULL while the first request is
    // in flight; expired rows are purged by created_at.
    {6, R"sql(
CREATE TABLE idempotency_keys (
  account_id TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status INTEGER,
  headers TEXT NOT NULL DEFAULT '[]',
  body BLOB NOT NULL DEFAULT '',
  created_at_ms INTEGER NOT NULL,
  PRIMARY KEY (account_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at_ms);
)sql"},
    // Ingestion: fewer B-trees written per lead (docs/ARCHITECTURE.md "SQLite settings").
    // leads_source_id: dedup tier 2 seeks leads_source_id_fold (an exact match is also a folded
    // one) and re-checks source_id. leads_name_city: name filters seek leads_name_sort, whose
    // prefix is the same. lead_attributes_num: attribute filters and sorts are correlated
    // lookups by (account_id, lead_id, name), which lead_attributes_name serves; the account's
    // distinct attribute names come off lead_attributes_fold.
    {7, R"sql(
DROP INDEX IF EXISTS leads_source_id;
DROP INDEX IF EXISTS leads_name_city;
DROP INDEX IF EXISTS lead_attributes_num;
)sql"},
    // Dedup (docs/DEDUP.md, issue 15): per-account counts of name tokens (the token '' counts
    // the leads), the address and website-domain keys hints look leads up by, the pairs
    // dismissed as not duplicates (both directions), and what every merge overwrote. Existing
    // leads are counted and keyed through functions the store registers before migrating.
    {15, R"sql(
CREATE TABLE name_tokens (
  account_id TEXT NOT NULL,
  token TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (account_id, token)
) WITHOUT ROWID;
CREATE TABLE lead_match_keys (
  account_id TEXT NOT NULL,
  lead_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  PRIMARY KEY (account_id, lead_id, kind),
  FOREIGN KEY (account_id, lead_id) REFERENCES leads (account_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX lead_match_keys_key ON lead_match_keys (account_id, kind, key, lead_id);
CREATE TABLE dedup_dismissals (
  account_id TEXT NOT NULL,
  lead_id TEXT NOT NULL,
  other_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, lead_id, other_id),
  FOREIGN KEY (account_id, lead_id) REFERENCES leads (account_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE lead_merges (
  account_id TEXT NOT NULL,
  lead_id TEXT NOT NULL,
  id TEXT NOT NULL,
  source_lead_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  tier TEXT NOT NULL,
  merged_at INTEGER NOT NULL,
  changes TEXT NOT NULL,
  PRIMARY KEY (account_id, lead_id, id),
  FOREIGN KEY (account_id, lead_id) REFERENCES leads (account_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO name_tokens (account_id, token, n)
  SELECT l.account_id, j.value, COUNT(*) FROM leads l, json_each(klozeo_name_tokens(l.name)) j
  WHERE true GROUP BY l.account_id, j.value;
INSERT INTO lead_match_keys (account_id, lead_id, kind, key)
  SELECT account_id, id, 'address', klozeo_address_key(address) FROM leads
  WHERE klozeo_address_key(address) IS NOT NULL;
INSERT INTO lead_match_keys (account_id, lead_id, kind, key)
  SELECT account_id, id, 'domain', klozeo_domain_key(website) FROM leads
  WHERE klozeo_domain_key(website) IS NOT NULL;
)sql"},
    // Listing at a million leads (issue 16; docs/QUERY-PERFORMANCE.md), numbered apart from the
    // shared sequence and kept last: the sorts people use most get an (account_id, field, id)
    // index, so a sorted page is an index walk (score, updated_at and last_interaction_at are
    // rewritten on writes: their cost is measured there), and attribute comparisons seek the
    // (account_id, name, value_num) index (text values seek lead_attributes_fold; both end
    // with the primary key, lead_id included). The list planner probes these (query/plan.h).
    {1600, R"sql(
CREATE INDEX IF NOT EXISTS leads_score ON leads (account_id, score, id);
CREATE INDEX IF NOT EXISTS leads_updated ON leads (account_id, updated_at, id);
CREATE INDEX IF NOT EXISTS leads_last_interaction ON leads (account_id, last_interaction_at, id);
CREATE INDEX IF NOT EXISTS lead_attributes_num ON lead_attributes (account_id, name, value_num);
)sql"},
};

}  // namespace klozeo::storage::sqlite
