#pragma once

#include "storage/sql/guard.h"

// Every statement of the stores, written once in the neutral form of storage/sql/dialect.h
// (`?N` placeholders, PostgreSQL casts, `{sqlite:...}`/`{postgres:...}` for what differs).
// Each connection renders a statement once and caches it by the constant's address.

namespace klozeo::storage::sql {

// ---- accounts and API keys ----
// The database assigns accounts.account_key; an API key is inserted by its account's text id.
#define KLOZEO_ACCOUNT_COLUMNS "id, name, plan, created_at, account_key"
inline constexpr const char* kInsertAccount =
    "INSERT INTO accounts (id, name, plan, created_at) VALUES (?1, ?2, ?3, ?4) "
    "RETURNING account_key";
inline constexpr const char* kFindAccountByName =
    "SELECT " KLOZEO_ACCOUNT_COLUMNS " FROM accounts WHERE name = ?1";
inline constexpr const char* kListAccounts =
    "SELECT " KLOZEO_ACCOUNT_COLUMNS " FROM accounts ORDER BY created_at, name";
#undef KLOZEO_ACCOUNT_COLUMNS
inline constexpr const char* kInsertKey =
    "INSERT INTO api_keys (account_key, id, key_hash, prefix, created_at, revoked_at) "
    "SELECT account_key, ?2, ?3, ?4, ?5, NULL FROM accounts WHERE id = ?1";
inline constexpr const char* kListKeys =
    "SELECT k.id, k.key_hash, k.prefix, k.created_at, k.revoked_at, a.id FROM api_keys k "
    "JOIN accounts a ON a.account_key = k.account_key WHERE k.account_key = ?1 "
    "ORDER BY k.created_at, k.id";
inline constexpr const char* kRevokeKey =
    "UPDATE api_keys SET revoked_at = ?3 WHERE account_key = ?1 AND id = ?2 AND revoked_at IS NULL";
inline constexpr const char* kFindAccountByKey =
    "SELECT a.id, a.name, a.plan, a.created_at, a.account_key FROM api_keys k JOIN accounts a "
    "ON a.account_key = k.account_key WHERE k.key_hash = ?1 AND k.revoked_at IS NULL";

// ---- server-wide secrets (first writer wins, every process reads the same) ----
inline constexpr const char* kGetMeta = "SELECT value FROM meta WHERE key = ?1";
inline constexpr const char* kInsertMeta =
    "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING";

// ---- leads ----
#define KLOZEO_LEAD_FIELDS_BEFORE_SCORE                                               \
  "name, source, description, email, phone, website, address, city, state, country, " \
  "postal_code, category, source_id, logo_url, status, latitude, longitude, rating, " \
  "review_count, tags, "
#define KLOZEO_LEAD_FIELDS_AFTER_SCORE ", created_at, updated_at, last_interaction_at"
#define KLOZEO_LEAD_FIELDS KLOZEO_LEAD_FIELDS_BEFORE_SCORE "score" KLOZEO_LEAD_FIELDS_AFTER_SCORE
#define KLOZEO_LEAD_COLUMNS "id, " KLOZEO_LEAD_FIELDS
// A lead's score as read: its lead_scores row (SQLite's schema 24, PostgreSQL's 25).
#define KLOZEO_LEAD_SCORE                                                                      \
  "(SELECT sc.score FROM lead_scores sc WHERE sc.account_key = leads.account_key AND sc.id = " \
  "leads.id)"
// What an insert or update writes after the key and id, and its parameters (rows::BindLead).
#define KLOZEO_LEAD_WRITTEN                                                              \
  KLOZEO_LEAD_FIELDS                                                                     \
  ", name_fold, source_fold, description_fold, email_fold, phone_fold, website_fold, "   \
  "address_fold, city_fold, state_fold, country_fold, postal_code_fold, category_fold, " \
  "source_id_fold, logo_url_fold, status_fold, tags_fold, email_key, phone_key, "        \
  "name_city_key"
#define KLOZEO_LEAD_PARAMETERS                                                               \
  "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, " \
  "?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, "    \
  "?39, ?40, ?41, ?42::jsonb, ?43, ?44, ?45"
inline constexpr const char* kInsertLead =
    "INSERT INTO leads (account_key, id, " KLOZEO_LEAD_WRITTEN
    ") VALUES (?1, ?2, " KLOZEO_LEAD_PARAMETERS ")";
// The same for a batch (past Tx::ShareFate, where any failure fails the transaction anyway): on
// SQLite a failing row rolls the transaction back, so the multi-row statement cannot abort alone
// and SQLite keeps no statement journal for it (docs/GROUP-COMMIT.md, "Trigram rows").
inline constexpr const char* kInsertLeads =
    "INSERT {sqlite:OR ROLLBACK }INTO leads (account_key, id, " KLOZEO_LEAD_WRITTEN
    ") VALUES (?1, ?2, " KLOZEO_LEAD_PARAMETERS ")";
inline constexpr const char* kUpdateLead =
    "UPDATE leads SET (" KLOZEO_LEAD_WRITTEN ") = (" KLOZEO_LEAD_PARAMETERS
    ") WHERE account_key = ?1 AND id = ?2";
#undef KLOZEO_LEAD_PARAMETERS
#undef KLOZEO_LEAD_WRITTEN

// The trigram index's rows of new leads (SQLite, schema 16; docs/GROUP-COMMIT.md, "Trigram
// rows"): a new lead is marked pending, and once max(rid) is a multiple of ?1 (128 for one lead,
// 1 after a batch: at once) every pending lead is indexed and unmarked.
inline constexpr const char* kInsertTextRow =
    "INSERT OR REPLACE INTO lead_text_rows (account_key, lead_id, pending) VALUES (?1, ?2, 1)";
inline constexpr const char* kIndexPendingText =
    "INSERT INTO lead_text (rowid, name) SELECT r.rid, l.name_fold FROM lead_text_rows r "
    "INDEXED BY lead_text_pending CROSS JOIN leads l ON l.account_key = r.account_key AND "
    "l.id = r.lead_id WHERE r.pending = 1 AND (SELECT max(rid) FROM lead_text_rows) % ?1 = 0";
inline constexpr const char* kClearPendingText =
    "UPDATE lead_text_rows SET pending = 0 WHERE pending = 1 AND "
    "(SELECT max(rid) FROM lead_text_rows) % ?1 = 0";
// A batch's own rows go in indexed at once: rowids after the largest, names bound directly (no
// pending mark to set, join on and clear again).
inline constexpr const char* kLastTextRow = "SELECT coalesce(max(rid), 0) FROM lead_text_rows";
inline constexpr const char* kInsertIndexedTextRow =
    "INSERT OR ROLLBACK INTO lead_text_rows (rid, account_key, lead_id) VALUES (?1, ?2, ?3)";
// The names as one JSON array, in one statement: every statement that writes the FTS5 table
// and may abort makes it write its pending terms out as a segment of its own.
inline constexpr const char* kInsertTextNames =
    "INSERT INTO lead_text (rowid, name) SELECT ?1 + key, value FROM json_each(?2)";

// A lead row plus its attributes as one JSON array of [id, name, type, value] in id order (NULL
// without any), so a lead is one statement. Concatenated as text: ids are UUIDs, names match
// [A-Za-z0-9_], types are fixed words and values valid JSON, so nothing needs escaping.
#define KLOZEO_LEAD_SELECT(score)                                                                 \
  "id, " KLOZEO_LEAD_FIELDS_BEFORE_SCORE score KLOZEO_LEAD_FIELDS_AFTER_SCORE                     \
  ", (SELECT '[' || {sqlite:group_concat}{postgres:string_agg}('[\"' || a.id || '\",\"' || "      \
  "a.name || '\",\"' || a.type || '\",' || a.value || ']', ','{postgres: ORDER BY a.id}) || "     \
  "']' FROM lead_attributes a WHERE a.account_key = leads.account_key AND a.lead_id = leads.id) " \
  "AS attributes"

/// The lead columns of kLeadSelectList, in order.
inline constexpr const char* kLeadColumns = KLOZEO_LEAD_COLUMNS;
/// Columns of kLeadSelectList (rows::ReadLead); a listing's sort key follows them.
inline constexpr int kLeadSelectColumns = 26;
inline constexpr const char* kGetLead = "SELECT " KLOZEO_LEAD_SELECT(
    KLOZEO_LEAD_SCORE) " FROM leads WHERE account_key = ?1 AND id = ?2";
/// The select list handed to the filter compiler for lead listings (kGetLead's columns), the
/// score in query::kScoreSlot: the compiler writes it as its statement has it at hand.
inline constexpr const char* kLeadSelectList = KLOZEO_LEAD_SELECT("<score>");
// The scores of a page's leads (ListQuery::score_later): one range of lead_scores in id order
// from the page's least id to its greatest, at most ?4 rows, merged with the page by id.
inline constexpr const char* kPageScores =
    "SELECT id, score FROM lead_scores WHERE account_key = ?1 AND id >= ?2 AND id <= ?3 "
    "ORDER BY id LIMIT ?4";
// One lead's score, for those of a page past kPageScores' rows.
inline constexpr const char* kLeadScore =
    "SELECT score FROM lead_scores WHERE account_key = ?1 AND id = ?2";
inline constexpr const char* kDistinctAttributeNames =
    "SELECT DISTINCT name FROM lead_attributes WHERE account_key = ?1 ORDER BY name";
inline constexpr const char* kDeleteLead = "DELETE FROM leads WHERE account_key = ?1 AND id = ?2";
inline constexpr const char* kCountLeads =
    "SELECT COUNT(*) FROM (SELECT 1 FROM leads WHERE account_key = ?1 LIMIT ?2) t";
inline constexpr const char* kDeleteAttributes =
    "DELETE FROM lead_attributes WHERE account_key = ?1 AND lead_id = ?2";
// PostgreSQL keeps two more derived columns (storage/sql/schema.h): a list's folded
// elements and an order-preserving sort key.
inline constexpr const char* kInsertAttribute =
    "INSERT INTO lead_attributes (account_key, lead_id, id, name, type, value, value_fold, "
    "value_num{postgres:, value_items, value_sort}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
    "?8{postgres:, ?9::jsonb, ?10})";

#undef KLOZEO_LEAD_SELECT
#undef KLOZEO_LEAD_COLUMNS
#undef KLOZEO_LEAD_FIELDS
#undef KLOZEO_LEAD_SCORE
#undef KLOZEO_LEAD_FIELDS_BEFORE_SCORE
#undef KLOZEO_LEAD_FIELDS_AFTER_SCORE

// A new lead's lead_scores row (schema 24 and 25), written by the store rather than by an insert
// trigger (which would make every multi-row INSERT INTO leads keep a statement journal on SQLite,
// and cost PostgreSQL a trigger call per row).
inline constexpr const char* kInsertLeadScore =
    "INSERT {sqlite:OR REPLACE }INTO lead_scores (account_key, id, score, status_fold, city_fold, "
    "category_fold) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

// ---- dedup lookups: oldest first (UUIDv7 ids), off (account_key, key, id) indexes. SQLite's
// INDEXED BY: without statistics it may walk the whole account in id order. source_id is exact;
// its folded copy's index (?3) narrows the rows on SQLite.
inline constexpr const char* kFindByEmailKey =
    "SELECT id FROM leads {sqlite:INDEXED BY leads_email_key }WHERE account_key = ?1 AND "
    "email_key = ?2 ORDER BY id LIMIT 1";
inline constexpr const char* kFindBySourceId =
    "SELECT id FROM leads {sqlite:INDEXED BY leads_source_id_fold }WHERE account_key = ?1 AND "
    "{sqlite:source_id_fold = ?3 AND }source_id = ?2 ORDER BY id LIMIT 1";
inline constexpr const char* kFindByNameCityKey =
    "SELECT id FROM leads {sqlite:INDEXED BY leads_name_city_key }WHERE account_key = ?1 AND "
    "name_city_key = ?2 ORDER BY id LIMIT 1";

// ---- notes ----
inline constexpr const char* kInsertNote =
    "INSERT INTO notes (account_key, id, lead_id, content, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
#define KLOZEO_NOTE_SELECT "SELECT id, lead_id, content, created_at, updated_at FROM notes "
inline constexpr const char* kGetNote = KLOZEO_NOTE_SELECT "WHERE account_key = ?1 AND id = ?2";
inline constexpr const char* kListNotes =
    KLOZEO_NOTE_SELECT "WHERE account_key = ?1 AND lead_id = ?2 ORDER BY id";
#undef KLOZEO_NOTE_SELECT
inline constexpr const char* kUpdateNote =
    "UPDATE notes SET content = ?3, updated_at = ?4 WHERE account_key = ?1 AND id = ?2";
inline constexpr const char* kDeleteNote = "DELETE FROM notes WHERE account_key = ?1 AND id = ?2";

// ---- scoring rules and scores ----
inline constexpr const char* kInsertRule =
    "INSERT INTO scoring_rules (account_key, id, name, expression, weight, priority, created_at, "
    "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
#define KLOZEO_RULE_SELECT \
  "SELECT id, name, expression, weight, priority, created_at, updated_at FROM scoring_rules "
inline constexpr const char* kGetRule = KLOZEO_RULE_SELECT "WHERE account_key = ?1 AND id = ?2";
inline constexpr const char* kListRules =
    KLOZEO_RULE_SELECT "WHERE account_key = ?1 ORDER BY priority, created_at, id";
#undef KLOZEO_RULE_SELECT
inline constexpr const char* kUpdateRule =
    "UPDATE scoring_rules SET name = ?3, expression = ?4, weight = ?5, priority = ?6, "
    "updated_at = ?7 WHERE account_key = ?1 AND id = ?2";
inline constexpr const char* kDeleteRule =
    "DELETE FROM scoring_rules WHERE account_key = ?1 AND id = ?2";
inline constexpr const char* kCountRules =
    "SELECT COUNT(*) FROM scoring_rules WHERE account_key = ?1";
// Into lead_scores (schemas 24 and 25: the lead's row is not rewritten). SQLite: one cached
// statement per lead (a local call each). PostgreSQL: every score of a chunk in one statement over
// parallel arrays (one round trip). Only rows whose score changes are written.
inline constexpr const char* kUpdateScore =
    "UPDATE lead_scores SET score = ?3 WHERE account_key = ?1 AND id = ?2 AND score IS NOT ?3";
inline constexpr const char* kUpdateScores =
    "UPDATE lead_scores s SET score = u.score FROM unnest(?2::text[], ?3::float8[]) AS "
    "u(id, score) WHERE s.account_key = ?1 AND s.id = u.id AND s.score IS DISTINCT FROM u.score";
// The projected lead scan (LeadStore::Scan): leads.id, kScanScore (PostgreSQL) and the projected
// columns of kLeadColumns (as leads.<column>), then kScanFrom. `id > ''` holds for every id, so
// the first chunk binds an empty string. PostgreSQL joins the chunk's lead_scores rows: both
// primary keys' ranges merged in id order (0.6 ms for 1,000 leads, against 1.7 ms for a lookup
// per lead); SQLite reads them with kScanScores.
inline constexpr const char* kScanScore = "sc.score";
inline constexpr const char* kScanFrom =
    " FROM leads{postgres: JOIN lead_scores sc ON sc.account_key = leads.account_key AND sc.id = "
    "leads.id} WHERE leads.account_key = ?1 AND leads.id > ?2{postgres: AND sc.account_key = ?1 "
    "AND sc.id > ?2}";
// A scan with an end (until_id, ?4), then the order and limit of every scan.
inline constexpr const char* kScanUntil = " AND leads.id <= ?4{postgres: AND sc.id <= ?4}";
inline constexpr const char* kScanOrder = " ORDER BY leads.id LIMIT ?3";
// LeadStore::ChunkEnds: every ?4-th id of the ?3 after ?2 (PostgreSQL: one walk of the leads
// primary key, index only once the table is vacuumed).
inline constexpr const char* kChunkEnds =
    "SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM leads "
    "WHERE account_key = ?1 AND id > ?2 ORDER BY id LIMIT ?3) c WHERE n % ?4 = 0 ORDER BY id";
// SQLite: the chunk's scores (schema 24), one range of lead_scores in id order, merged by id
// (a lookup per lead cost a seek each: 0.3-0.5 s of CPU per 1,000,000 leads).
inline constexpr const char* kScanScores =
    "SELECT id, score FROM lead_scores WHERE account_key = ?1 AND id > ?2 AND id <= ?3 "
    "ORDER BY id";
// The chunk's attributes with the wanted names (?4, a list as TokenList binds it), in one range
// read merged by lead id (SQLite's unary `+` keeps its planner on the primary key's range).
inline constexpr const char* kScanAttributes =
    "SELECT lead_id, name, type, value FROM lead_attributes WHERE account_key = ?1 AND "
    "lead_id > ?2 AND lead_id <= ?3 AND {sqlite:+name IN (SELECT value FROM json_each(?4))}"
    "{postgres:name = ANY(?4::text[])} ORDER BY lead_id, id";

// ---- idempotency keys ----
inline constexpr const char* kGetIdempotency =
    "SELECT request_hash, status, headers, body, created_at_ms FROM idempotency_keys "
    "WHERE account_key = ?1 AND key = ?2";
inline constexpr const char* kReserveIdempotency =
    "INSERT INTO idempotency_keys (account_key, key, request_hash, status, created_at_ms) "
    "VALUES (?1, ?2, ?3, NULL, ?4) ON CONFLICT (account_key, key) DO NOTHING";
inline constexpr const char* kCompleteIdempotency =
    "UPDATE idempotency_keys SET status = ?3, headers = ?4, body = ?5 "
    "WHERE account_key = ?1 AND key = ?2";
inline constexpr const char* kDeleteIdempotency =
    "DELETE FROM idempotency_keys WHERE account_key = ?1 AND key = ?2";
inline constexpr const char* kPurgeIdempotency =
    "DELETE FROM idempotency_keys WHERE created_at_ms < ?1";

// ---- webhooks: subscriptions, the outbox, deliveries and attempts ----
#define KLOZEO_WEBHOOK_COLUMNS \
  "id, url, events, secret, active, created_at, updated_at, failing_since_ms, last_success_ms"
inline constexpr const char* kInsertWebhook =
    "INSERT INTO webhooks (account_key, " KLOZEO_WEBHOOK_COLUMNS
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
inline constexpr const char* kGetWebhook =
    "SELECT " KLOZEO_WEBHOOK_COLUMNS " FROM webhooks WHERE account_key = ?1 AND id = ?2";
inline constexpr const char* kListWebhooks =
    "SELECT " KLOZEO_WEBHOOK_COLUMNS
    " FROM webhooks WHERE account_key = ?1 ORDER BY created_at, id";
#undef KLOZEO_WEBHOOK_COLUMNS
// Bound as kInsertWebhook is (rows::BindWebhook): ?7, created_at, is not used.
inline constexpr const char* kUpdateWebhook =
    "UPDATE webhooks SET url = ?3, events = ?4, secret = ?5, active = ?6, updated_at = ?8, "
    "failing_since_ms = ?9, last_success_ms = ?10 WHERE account_key = ?1 AND id = ?2";
// Deliveries go with the webhook (foreign key cascade), and their attempts with them.
inline constexpr const char* kDeleteWebhook =
    "DELETE FROM webhooks WHERE account_key = ?1 AND id = ?2";
inline constexpr const char* kCountWebhooks =
    "SELECT COUNT(*) FROM webhooks WHERE account_key = ?1";
inline constexpr const char* kWebhookExists =
    "SELECT 1 FROM webhooks WHERE account_key = ?1 AND id = ?2";
// ?2 is ",<event>,": `events` holds ",a,b," or '' for every event.
inline constexpr const char* kSubscribers =
    "SELECT id FROM webhooks WHERE account_key = ?1 AND active = 1 AND "
    "(events = '' OR {sqlite:instr}{postgres:strpos}(events, ?2) > 0) ORDER BY created_at, id";
inline constexpr const char* kInsertEvent =
    "INSERT INTO webhook_events (id, account_key, type, body, created_at_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
inline constexpr const char* kInsertDelivery =
    "INSERT INTO webhook_deliveries (id, account_key, webhook_id, event_id, event_type, state, "
    "attempts, next_attempt_ms, created_at_ms, updated_at_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?7, ?7)";
// Due, unheld deliveries in due order (the partial index on pending rows). SQLite marks them
// next in its write transaction (kMarkClaimed); PostgreSQL locks and marks them in one statement
// skipping rows another claimer holds, so two dispatchers never take or wait for the same row.
#define KLOZEO_CLAIM_WHERE                                        \
  "WHERE d.state = 'pending' AND d.next_attempt_ms <= ?1 "        \
  "AND (d.claim_expires_ms IS NULL OR d.claim_expires_ms <= ?1) " \
  "AND (w.active = 1 OR d.event_type = 'ping') ORDER BY d.next_attempt_ms LIMIT ?2"
inline constexpr const char* kClaimCandidates =
    "SELECT d.id, d.account_key, d.webhook_id, d.event_id, d.event_type, w.url, w.secret, e.body, "
    "d.attempts, d.created_at_ms FROM webhook_deliveries d "
    "JOIN webhooks w ON w.account_key = d.account_key AND w.id = d.webhook_id "
    "JOIN webhook_events e ON e.id = d.event_id " KLOZEO_CLAIM_WHERE;
inline constexpr const char* kMarkClaimed =
    "UPDATE webhook_deliveries SET claimed_by = ?2, claim_expires_ms = ?3 WHERE id = ?1";
// RETURNING has no order: the claimed rows are sorted after, oldest due first.
inline constexpr const char* kClaim =
    "WITH c AS (SELECT d.account_key, d.id FROM webhook_deliveries d "
    "JOIN webhooks w ON w.account_key = d.account_key AND w.id = d.webhook_id " KLOZEO_CLAIM_WHERE
    " FOR UPDATE OF d SKIP LOCKED), u AS ("
    "UPDATE webhook_deliveries d SET claimed_by = ?3, claim_expires_ms = ?4 "
    "FROM c, webhooks w, webhook_events e "
    "WHERE d.account_key = c.account_key AND d.id = c.id AND w.account_key = d.account_key "
    "AND w.id = d.webhook_id AND e.account_key = d.account_key AND e.id = d.event_id "
    "RETURNING d.id, d.account_key, d.webhook_id, d.event_id, d.event_type, w.url, w.secret, "
    "e.body, d.attempts, d.created_at_ms, d.next_attempt_ms) SELECT * FROM u ORDER BY 11";
#undef KLOZEO_CLAIM_WHERE
inline constexpr const char* kFinishAttempt =
    "UPDATE webhook_deliveries SET state = ?3, attempts = ?4, next_attempt_ms = ?5, "
    "claimed_by = NULL, claim_expires_ms = NULL, updated_at_ms = ?6 "
    "WHERE account_key = ?7 AND id = ?1 AND claimed_by = ?2";
// PostgreSQL's attempts carry the account key (its distribution key, docs/SCALING.md).
inline constexpr const char* kInsertAttempt =
    "INSERT INTO webhook_attempts ({postgres:account_key, }delivery_id, attempt, started_at_ms, "
    "duration_ms, status_code, error, success, next_retry_ms) VALUES ({postgres:?9, }?1, ?2, ?3, "
    "?4, ?5, ?6, ?7, ?8) ON CONFLICT ({postgres:account_key, }delivery_id, attempt) DO UPDATE SET "
    "started_at_ms = excluded.started_at_ms, duration_ms = excluded.duration_ms, "
    "status_code = excluded.status_code, error = excluded.error, success = excluded.success, "
    "next_retry_ms = excluded.next_retry_ms";
inline constexpr const char* kWebhookSucceeded =
    "UPDATE webhooks SET last_success_ms = ?3, failing_since_ms = NULL "
    "WHERE account_key = ?1 AND id = ?2";
inline constexpr const char* kWebhookFailed =
    "UPDATE webhooks SET failing_since_ms = COALESCE(failing_since_ms, ?3) "
    "WHERE account_key = ?1 AND id = ?2";
inline constexpr const char* kReleaseDelivery =
    "UPDATE webhook_deliveries SET claimed_by = NULL, claim_expires_ms = NULL, "
    "next_attempt_ms = ?3 WHERE id = ?1 AND claimed_by = ?2";
#define KLOZEO_DELIVERY_COLUMNS                                                                  \
  "SELECT id, account_key, webhook_id, event_id, event_type, state, attempts, next_attempt_ms, " \
  "created_at_ms, updated_at_ms"
inline constexpr const char* kListDeliveries = KLOZEO_DELIVERY_COLUMNS
    " FROM webhook_deliveries WHERE account_key = ?1 AND webhook_id = ?2 "
    "ORDER BY created_at_ms DESC, id DESC LIMIT ?3";
inline constexpr const char* kGetDelivery = KLOZEO_DELIVERY_COLUMNS
    " FROM webhook_deliveries WHERE account_key = ?1 AND webhook_id = ?2 AND id = ?3";
#undef KLOZEO_DELIVERY_COLUMNS
inline constexpr const char* kListAttempts =
    "SELECT attempt, started_at_ms, duration_ms, status_code, error, success, next_retry_ms "
    "FROM webhook_attempts WHERE {postgres:account_key = ?2 AND }delivery_id = ?1 ORDER BY attempt";
// A redelivery also drops any claim, so an attempt in flight cannot overwrite it.
inline constexpr const char* kRedeliver =
    "UPDATE webhook_deliveries SET state = 'pending', next_attempt_ms = ?4, claimed_by = NULL, "
    "claim_expires_ms = NULL, updated_at_ms = ?4 "
    "WHERE account_key = ?1 AND webhook_id = ?2 AND id = ?3";
// Metrics: the partial index webhook_deliveries_due holds exactly the pending deliveries.
inline constexpr const char* kCountPending =
    "SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'";

// ---- lead statistics (GET /api/v1/stats) ----
// Status and score bucket in one pass: the total, the average and both breakdowns, off
// lead_scores, which carries each lead's status (folded: a status name is its folded form).
inline constexpr const char* kStatusBuckets =
    "SELECT status_fold AS status, CASE WHEN score >= 90 THEN 9 WHEN score < 10 THEN 0 "
    "ELSE {sqlite:CAST(score / 10 AS INTEGER)}{postgres:floor(score / 10)::bigint} END AS bucket, "
    "COUNT(*), SUM(score) FROM lead_scores WHERE account_key = ?1 GROUP BY status_fold, bucket";
// Sources and cities group case-insensitively, ties by folded name. Sources show their smallest
// spelling; cities are counted on the (account_key, city_fold) index alone and show the group's
// oldest lead's spelling (one seek per listed city instead of a table read per lead).
inline constexpr const char* kTopSources =
    "SELECT MIN(source{postgres: COLLATE \"C\"}), COUNT(*) AS n FROM leads WHERE account_key = ?1 "
    "GROUP BY source_fold ORDER BY n DESC, source_fold LIMIT ?2";
inline constexpr const char* kTopCities =
    "SELECT (SELECT city FROM leads c WHERE c.account_key = ?1 AND c.city_fold = t.city_fold "
    "ORDER BY c.id LIMIT 1), n FROM (SELECT city_fold, COUNT(*) AS n FROM leads "
    "WHERE account_key = ?1 AND city_fold IS NOT NULL AND city_fold <> '' GROUP BY city_fold "
    "ORDER BY n DESC, city_fold LIMIT ?2) t ORDER BY n DESC, city_fold";
inline constexpr const char* kCreatedPerDay =
    "SELECT created_at / 86400 AS day, COUNT(*) FROM leads "
    "WHERE account_key = ?1 AND created_at >= ?2 GROUP BY day ORDER BY day";

// ---- dedup (docs/DEDUP.md): name-token counts, match keys, dismissed pairs, merge history ----
// ?2 is a list of tokens: a JSON array on SQLite, a text array on PostgreSQL. The token ''
// counts the account's leads.
#define KLOZEO_COUNT_TOKENS                                                            \
  "INSERT INTO name_tokens (account_key, token, n) {sqlite:SELECT ?1, value, ?3 FROM " \
  "json_each(?2) WHERE true}{postgres:SELECT ?1, t, ?3 FROM unnest(?2::text[]) AS t} " \
  "ON CONFLICT (account_key, token) DO UPDATE SET n = name_tokens.n + excluded.n"
inline constexpr const char* kCountTokens = KLOZEO_COUNT_TOKENS;
inline constexpr const char* kCountTokensReturning = KLOZEO_COUNT_TOKENS " RETURNING token, n";
#undef KLOZEO_COUNT_TOKENS
/// The account's lead count (the token ''), for plan steering (query::ProbeCap).
inline constexpr const char* kAccountLeadCount =
    "SELECT n FROM name_tokens WHERE account_key = ?1 AND token = ''";
// SQLite walks the list and seeks each token (an IN over a subquery would first copy the list
// into a temporary b-tree, at every lookup); the list holds no duplicates.
inline constexpr const char* kTokenCounts =
    "SELECT token, n FROM {sqlite:json_each(?2) j CROSS JOIN name_tokens ON account_key = ?1 AND "
    "token = j.value}{postgres:name_tokens WHERE account_key = ?1 AND token = ANY(?2::text[])}";
inline constexpr const char* kLeadName =
    "SELECT name FROM leads WHERE account_key = ?1 AND id = ?2";
inline constexpr const char* kInsertMatchKey =
    "INSERT INTO lead_match_keys (account_key, lead_id, kind, key) VALUES (?1, ?2, ?3, ?4)";
inline constexpr const char* kDeleteMatchKeys =
    "DELETE FROM lead_match_keys WHERE account_key = ?1 AND lead_id = ?2";
inline constexpr const char* kFindByMatchKey =
    "SELECT lead_id FROM lead_match_keys WHERE account_key = ?1 AND kind = ?2 AND key = ?3 "
    "ORDER BY lead_id LIMIT ?4";
inline constexpr const char* kFindDedupByPhone =
    "SELECT id, name, address, city, phone_key FROM leads {sqlite:INDEXED BY leads_phone_key }"
    "WHERE account_key = ?1 AND phone_key = ?2 ORDER BY id LIMIT ?3";
// Leads whose phone key lies in [?2, ?3) other than ?4: one range of leads_phone_key.
inline constexpr const char* kFindDedupByPhoneRange =
    "SELECT id, name, address, city, phone_key FROM leads {sqlite:INDEXED BY leads_phone_key }"
    "WHERE account_key = ?1 AND phone_key >= ?2 AND phone_key < ?3 AND phone_key <> ?4 "
    "ORDER BY phone_key, id LIMIT ?5";
inline constexpr const char* kFindDedupByCityWord =
    "SELECT l.id, l.name, l.address, l.city, l.phone_key FROM lead_match_keys k JOIN leads l ON "
    "l.account_key = k.account_key AND l.id = k.lead_id WHERE k.account_key = ?1 AND "
    "k.kind = 'city_word' AND k.key = ?2 ORDER BY k.lead_id LIMIT ?3";
// The rebuild of dedup's state after an upgrade (service/dedup_backfill.h): its progress, one
// row filed by schema version 13 (MigrateSchema creates the table at every start, so databases
// that reached 13 before it existed have an empty one).
inline constexpr const char* kCreateDedupBackfill =
    "CREATE TABLE IF NOT EXISTS dedup_backfill (singleton INTEGER PRIMARY KEY, "
    "phase INTEGER NOT NULL, after_account BIGINT NOT NULL, after_id TEXT NOT NULL)";
inline constexpr const char* kStartDedupBackfill =
    "INSERT INTO dedup_backfill (singleton, phase, after_account, after_id) VALUES (1, 0, -1, '') "
    "ON CONFLICT (singleton) DO UPDATE SET phase = 0, after_account = -1, after_id = ''";
inline constexpr const char* kDedupBackfillState =
    "SELECT phase, after_account, after_id FROM dedup_backfill WHERE singleton = 1";
inline constexpr const char* kMoveDedupBackfill =
    "UPDATE dedup_backfill SET phase = ?1, after_account = ?2, after_id = ?3 WHERE singleton = 1";
inline constexpr const char* kEndDedupBackfill = "DELETE FROM dedup_backfill";
inline constexpr const char* kInsertDismissal =
    "INSERT INTO dedup_dismissals (account_key, lead_id, other_id, created_at) "
    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (account_key, lead_id, other_id) DO NOTHING";
inline constexpr const char* kListDismissed =
    "SELECT other_id FROM dedup_dismissals WHERE account_key = ?1 AND lead_id = ?2 "
    "ORDER BY other_id";
inline constexpr const char* kInsertMerge =
    "INSERT INTO lead_merges (account_key, lead_id, id, source_lead_id, kind, tier, merged_at, "
    "changes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
inline constexpr const char* kListMerges =
    "SELECT id, lead_id, source_lead_id, kind, tier, merged_at, changes FROM lead_merges "
    "WHERE account_key = ?1 AND lead_id = ?2 ORDER BY id DESC LIMIT ?3";
inline constexpr const char* kMoveMerges =
    "UPDATE lead_merges SET lead_id = ?3 WHERE account_key = ?1 AND lead_id = ?2";
// A dismissal of the merged lead becomes one of the survivor (unless it is the survivor).
inline constexpr const char* kMoveDismissals =
    "INSERT INTO dedup_dismissals (account_key, lead_id, other_id, created_at) "
    "SELECT account_key, ?3, other_id, created_at FROM dedup_dismissals "
    "WHERE account_key = ?1 AND lead_id = ?2 AND other_id <> ?3 "
    "ON CONFLICT (account_key, lead_id, other_id) DO NOTHING";
inline constexpr const char* kMoveDismissalsBack =
    "INSERT INTO dedup_dismissals (account_key, lead_id, other_id, created_at) "
    "SELECT account_key, lead_id, ?3, created_at FROM dedup_dismissals "
    "WHERE account_key = ?1 AND other_id = ?2 AND lead_id <> ?3 "
    "ON CONFLICT (account_key, lead_id, other_id) DO NOTHING";

// ---- migrations ----
inline constexpr const char* kAppliedMigrations = "SELECT version FROM schema_migrations";
// A table's column names (?2: its PostgreSQL schema).
inline constexpr const char* kTableColumns =
    "{sqlite:SELECT name FROM pragma_table_info(?1)}{postgres:SELECT column_name FROM "
    "information_schema.columns WHERE table_name = ?1 AND table_schema = ?2}";
inline constexpr const char* kRecordMigration =
    "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)";

}  // namespace klozeo::storage::sql
