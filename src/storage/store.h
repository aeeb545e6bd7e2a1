#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "dedup/keys.h"
#include "dedup/similarity.h"
#include "domain/account.h"
#include "domain/lead.h"
#include "domain/scoring_rule.h"
#include "domain/webhook.h"
#include "query/sql_compiler.h"

namespace klozeo::storage {

/// The parts of a lead a scan reads (LeadStore::Scan): scoring reads only what its rules name.
struct LeadProjection {
  std::vector<std::string> fields;      ///< lead fields by JSON name: "rating", "email", "tags"...
  std::vector<std::string> attributes;  ///< custom attributes by name (read with type and value)
};

/// The keys the POST /leads dedup tiers look up (API-CONTRACT section 7). The store keeps
/// `kEmail` and `kNameCity` (dedup/keys.h) current on every insert and update.
enum class DedupKey { kEmail, kSourceId, kNameCity };

/// One page of leads in the order a query::ListQuery asked for.
struct LeadPage {
  std::vector<domain::Lead> leads;
  bool has_more = false;
  /// The sort value of the last lead returned (what the next page's cursor continues after).
  query::SqlValue last_sort_key;
};

/// What is stored per (account, Idempotency-Key): the request's fingerprint and, once the first
/// request finished, its response.
struct IdempotencyRecord {
  std::string request_hash;   ///< hex SHA-256 of method, target and body
  std::optional<int> status;  ///< absent while the first request is still being handled
  std::string headers_json;   ///< response headers to replay: [[name, value], ...]
  std::string body;
  int64_t created_at_ms = 0;
};

/// Aggregates over an account's leads (GET /api/v1/stats), each computed by the database.
struct LeadStats {
  int64_t total = 0;
  std::optional<double> average_score;                     ///< absent without leads
  std::vector<std::pair<std::string, int64_t>> by_status;  ///< statuses present, by name
  /// The most frequent sources (case-insensitive groups), most leads first, then by name.
  std::vector<std::pair<std::string, int64_t>> by_source;
  /// The same for cities; leads without a city (NULL or empty) are left out.
  std::vector<std::pair<std::string, int64_t>> top_cities;
  /// Leads per score bucket: [0, 10), [10, 20) ... [80, 90), [90, 100].
  std::array<int64_t, 10> score_histogram{};
  /// (day number since the Unix epoch, leads created that UTC day), days with leads only.
  std::vector<std::pair<int64_t, int64_t>> created_per_day;
};

/// Connection pool usage (Database::PoolUsage), for the metrics.
struct PoolStats {
  int size = 0;    ///< most connections the pool opens
  int in_use = 0;  ///< handed out right now
  int idle = 0;    ///< open and waiting
};

// The stores of one transaction, one per entity. Every method is scoped by account key
// (domain::AccountKey) where the data is tenant data. Errors: kUnavailable when the database cannot
// be reached or stays busy, kConflict when a unique key is taken, kInternal otherwise.

/// Accounts and API keys (not tenant-scoped: they define the tenants).
class AccountStore {
 public:
  virtual ~AccountStore() = default;
  /// Stores the account; returns the integer key the database assigned it.
  virtual core::Result<domain::AccountKey> Insert(const domain::Account& account) = 0;
  virtual core::Result<std::optional<domain::Account>> FindByName(std::string_view name) = 0;
  virtual core::Result<std::vector<domain::Account>> List() = 0;
  /// Stores the key of the account whose text id is key.account_id.
  virtual core::Status InsertKey(const domain::ApiKey& key) = 0;
  virtual core::Result<std::vector<domain::ApiKey>> ListKeys(domain::AccountKey account) = 0;
  /// Marks the key revoked; false when the account has no such (unrevoked) key.
  virtual core::Result<bool> RevokeKey(domain::AccountKey account, std::string_view key_id,
                                       int64_t now) = 0;
  /// The account owning an unrevoked key with this hash.
  virtual core::Result<std::optional<domain::Account>> FindByKeyHash(std::string_view key_hash) = 0;
};

/// Leads with their attributes, their dedup keys and their scores.
class LeadStore {
 public:
  virtual ~LeadStore() = default;
  /// Stores the lead with its dedup keys (the caller's dedup::ComputeLeadKeys).
  virtual core::Status Insert(domain::AccountKey account, const domain::Lead& lead,
                              const dedup::LeadKeys& keys) = 0;
  /// Stores new leads as Insert does each (`keys[i]` are `leads[i]`'s), in bulk.
  virtual core::Status InsertMany(domain::AccountKey account,
                                  const std::vector<domain::Lead>& leads,
                                  const std::vector<dedup::LeadKeys>& keys) = 0;
  virtual core::Result<std::optional<domain::Lead>> Get(domain::AccountKey account,
                                                        std::string_view id) = 0;
  /// Rewrites every stored field of an existing lead, its dedup keys, and replaces its
  /// attribute set. NotFound when there is no such lead.
  virtual core::Status Update(domain::AccountKey account, const domain::Lead& lead,
                              const dedup::LeadKeys& keys) = 0;
  /// Deletes the lead, its attributes and notes; false when there was no such lead.
  virtual core::Result<bool> Delete(domain::AccountKey account, std::string_view id) = 0;
  /// Number of leads of the account, counting no further than `up_to`.
  virtual core::Result<int64_t> Count(domain::AccountKey account, int64_t up_to) = 0;
  /// Leads matching `query` (`query.account_key` is the tenant).
  virtual core::Result<LeadPage> List(const query::ListQuery& query) = 0;
  /// The sorted attribute names of the leads matching `query` (position and limit ignored).
  virtual core::Result<std::vector<std::string>> AttributeNames(const query::ListQuery& query) = 0;

  /// The oldest lead of the account whose `kind` key equals `key` (empty key: none).
  virtual core::Result<std::optional<std::string>> FindIdByKey(domain::AccountKey account,
                                                               DedupKey kind,
                                                               std::string_view key) = 0;

  /// Sets the score of each (lead id, score); ids of leads that no longer exist are skipped.
  /// Timestamps are left alone: a score is derived, not a change to the lead.
  virtual core::Status UpdateScores(domain::AccountKey account,
                                    const std::vector<std::pair<std::string, double>>& scores) = 0;
  /// Up to `limit` leads in id order after `after_id` ("": from the first) and, unless
  /// `until_id` is empty, up to `until_id` included, with only `id`, `score` and what
  /// `projection` names read. Errors: Internal for an unknown field.
  virtual core::Result<std::vector<domain::Lead>> Scan(domain::AccountKey account,
                                                       std::string_view after_id, int limit,
                                                       const LeadProjection& projection,
                                                       std::string_view until_id) = 0;
  /// The ids that end the next `count` chunks of `size` leads after `after_id`, in id order:
  /// the `size`-th lead's, the `2 * size`-th's... (fewer where the account ends first; a last
  /// partial chunk has no end here). For a job that works on several chunks at once.
  virtual core::Result<std::vector<std::string>> ChunkEnds(domain::AccountKey account,
                                                           std::string_view after_id, int size,
                                                           int count) = 0;
  /// The account's lead aggregates (GET /api/v1/stats): `top` sources and cities, and leads
  /// created per day from `since_seconds` on (Unix seconds).
  virtual core::Result<LeadStats> Stats(domain::AccountKey account, int64_t since_seconds,
                                        int top) = 0;
};

class NoteStore {
 public:
  virtual ~NoteStore() = default;
  virtual core::Status Insert(domain::AccountKey account, const domain::Note& note) = 0;
  virtual core::Result<std::optional<domain::Note>> Get(domain::AccountKey account,
                                                        std::string_view note_id) = 0;
  /// The lead's notes in id (creation) order.
  virtual core::Result<std::vector<domain::Note>> List(domain::AccountKey account,
                                                       std::string_view lead_id) = 0;
  virtual core::Status Update(domain::AccountKey account, const domain::Note& note) = 0;
  virtual core::Result<bool> Delete(domain::AccountKey account, std::string_view note_id) = 0;
};

class RuleStore {
 public:
  virtual ~RuleStore() = default;
  virtual core::Status Insert(domain::AccountKey account, const domain::ScoringRule& rule) = 0;
  virtual core::Result<std::optional<domain::ScoringRule>> Get(domain::AccountKey account,
                                                               std::string_view id) = 0;
  /// The account's rules in evaluation order: priority, then created_at, then id.
  virtual core::Result<std::vector<domain::ScoringRule>> List(domain::AccountKey account) = 0;
  /// Rewrites name, expression, weight, priority and updated_at. NotFound when there is no
  /// such rule.
  virtual core::Status Update(domain::AccountKey account, const domain::ScoringRule& rule) = 0;
  /// False when there was no such rule.
  virtual core::Result<bool> Delete(domain::AccountKey account, std::string_view id) = 0;
  virtual core::Result<int64_t> Count(domain::AccountKey account) = 0;
};

/// Webhooks: subscriptions, the outbox, deliveries and their attempts. Claims are not tenant
/// data: a dispatcher (of any process) claims a due delivery with a lease before sending it, and
/// a claim whose lease ran out is claimed again by whoever asks next. `_ms`: Unix milliseconds.
class WebhookStore {
 public:
  virtual ~WebhookStore() = default;
  virtual core::Status Insert(domain::AccountKey account, const domain::Webhook& webhook) = 0;
  /// The webhook with its secret.
  virtual core::Result<std::optional<domain::Webhook>> Get(domain::AccountKey account,
                                                           std::string_view id) = 0;
  /// Oldest first (created_at, then id), with secrets.
  virtual core::Result<std::vector<domain::Webhook>> List(domain::AccountKey account) = 0;
  /// Rewrites url, events, secret, active, updated_at, failing_since_ms and last_success_ms.
  /// NotFound when there is no such webhook.
  virtual core::Status Update(domain::AccountKey account, const domain::Webhook& webhook) = 0;
  /// Deletes the webhook with its deliveries and their attempts; false when there was none.
  virtual core::Result<bool> Delete(domain::AccountKey account, std::string_view id) = 0;
  virtual core::Result<int64_t> Count(domain::AccountKey account) = 0;

  /// The outbox, written in the transaction of the change: stores `event` and a pending
  /// delivery due at `due_ms` for every active webhook of its account subscribed to its type
  /// (nothing when none is). Returns the number of deliveries.
  virtual core::Result<int64_t> EnqueueEvent(const domain::WebhookEvent& event, int64_t due_ms) = 0;
  /// The active webhooks of the account subscribed to events of `type` (EnqueueEvent's
  /// recipients): a caller that finds none need not build the event (WebhookOutbox::Add).
  virtual core::Result<std::vector<std::string>> Subscribers(domain::AccountKey account,
                                                             std::string_view type) = 0;
  /// Stores `event` with a pending delivery due at `due_ms` to each of `webhooks` (as
  /// Subscribers returned them).
  virtual core::Status EnqueueTo(const domain::WebhookEvent& event,
                                 const std::vector<std::string>& webhooks, int64_t due_ms) = 0;
  /// Stores `event` with one pending delivery to webhook `webhook_id`, whatever it subscribes
  /// to (the ping of POST /webhooks/{id}/test). Returns the delivery id; NotFound without it.
  virtual core::Result<std::string> EnqueueDelivery(const domain::WebhookEvent& event,
                                                    std::string_view webhook_id,
                                                    int64_t due_ms) = 0;
  /// Claims up to `limit` pending deliveries due by `now_ms`, oldest due first, that nobody
  /// holds (never claimed, released, or lease expired before `now_ms`) and whose webhook is
  /// active (pings: any): each is marked claimed by `worker` until `lease_until_ms`.
  virtual core::Result<std::vector<domain::DeliveryJob>> ClaimDeliveries(std::string_view worker,
                                                                         int64_t now_ms,
                                                                         int64_t lease_until_ms,
                                                                         int limit) = 0;
  /// Records one attempt of a delivery `worker` holds: logs it, sets the delivery's state,
  /// attempts and next attempt, releases the claim, and updates the webhook's health
  /// (last_success_ms, failing_since_ms). False, recording nothing, when the claim was lost.
  virtual core::Result<bool> RecordAttempt(std::string_view worker,
                                           const domain::AttemptRecord& record) = 0;
  /// Gives back a claim without recording an attempt (a dispatcher stopping with work not
  /// started): the delivery is due again at `due_ms`.
  virtual core::Status ReleaseDelivery(std::string_view worker, std::string_view delivery_id,
                                       int64_t due_ms) = 0;
  /// The webhook's deliveries, newest first, at most `limit`, each with its attempt log.
  virtual core::Result<std::vector<domain::WebhookDelivery>> ListDeliveries(
      domain::AccountKey account, std::string_view webhook_id, int limit) = 0;
  /// One delivery of the webhook, with its attempt log.
  virtual core::Result<std::optional<domain::WebhookDelivery>> GetDelivery(
      domain::AccountKey account, std::string_view webhook_id, std::string_view delivery_id) = 0;
  /// Makes a delivery pending again, due at `due_ms`, keeping its id and attempt log (the next
  /// attempt is numbered after the last). False when the webhook has no such delivery.
  virtual core::Result<bool> Redeliver(domain::AccountKey account, std::string_view webhook_id,
                                       std::string_view delivery_id, int64_t due_ms) = 0;
  /// Pending deliveries (claimed or not) of every account: `klozeo_webhook_outbox_depth`.
  virtual core::Result<int64_t> CountPending() = 0;
};

/// Idempotency-Key records (on POST, PUT, DELETE; service/idempotency.h).
class IdempotencyStore {
 public:
  virtual ~IdempotencyStore() = default;
  /// The record of (account, key), completed or in flight.
  virtual core::Result<std::optional<IdempotencyRecord>> Get(domain::AccountKey account,
                                                             std::string_view key) = 0;
  /// Inserts an in-flight record (no status yet) unless one exists for (account, key): true
  /// when this call inserted it (the caller now owns the key and does the work).
  virtual core::Result<bool> Reserve(domain::AccountKey account, std::string_view key,
                                     std::string_view request_hash, int64_t created_at_ms) = 0;
  /// Stores the response of the owner's request: the record is completed.
  virtual core::Status Complete(domain::AccountKey account, std::string_view key, int status,
                                std::string_view headers_json, std::string_view body) = 0;
  /// Removes the record of (account, key) (released after a failure, or expired).
  virtual core::Status Delete(domain::AccountKey account, std::string_view key) = 0;
  /// Removes every record created before `before_ms`; returns how many went.
  virtual core::Result<int64_t> Purge(int64_t before_ms) = 0;
};

/// A lead that a dedup lookup found, with what the tiers compare.
struct DedupCandidate {
  std::string id;
  std::string name;
  std::string address;    ///< the raw address ("" when none)
  std::string city;       ///< the raw city ("" when none)
  std::string phone_key;  ///< dedup::PhoneNormalizer::Normalize of its phone ("" when none)
};

/// The secondary keys a lead is found by for hints (dedup::LeadKeys::address and ::domain, and
/// the city and rarest name word: dedup::CityWordKey, chosen by the store from its counts).
enum class MatchKey { kAddress, kDomain, kCityWord };

/// One field a merge changed on the surviving lead.
struct MergeChange {
  std::string field;      ///< a lead field's JSON name, or "attributes.<name>"
  std::string old_value;  ///< JSON text of the value before ("null" when it had none)
  std::string new_value;  ///< JSON text of the value after
};

/// One merge into a lead (automatic on POST /leads, or explicit): what it overwrote.
struct MergeRecord {
  std::string id;              ///< UUIDv7
  std::string lead_id;         ///< the surviving lead
  std::string source_lead_id;  ///< the merged lead (an automatic merge: the lead it created)
  std::string kind;            ///< "automatic" or "explicit"
  std::string tier;            ///< the dedup tier, or "explicit"
  int64_t merged_at = 0;       ///< Unix seconds
  std::vector<MergeChange> changes;
};

/// Where the rebuild of dedup's state after an upgrade stands (service/dedup_backfill.h): the
/// phase (0: word counts, 1: match keys) and the last lead done, in (account key, id) order.
struct BackfillProgress {
  int64_t phase = 0;
  domain::AccountKey after_account{-1};
  std::string after_id;
};

/// What dedup keeps beside the leads (docs/DEDUP.md): per-account name-token counts and match
/// keys (both kept by LeadStore's Insert, Update and Delete), dismissed pairs, merge history.
class DedupStore {
 public:
  virtual ~DedupStore() = default;
  /// Fills `stats` with the account's lead count (`names`) and the count of each of `tokens`
  /// (tokens no lead has are left out).
  virtual core::Status TokenStats(domain::AccountKey account,
                                  const std::vector<std::string>& tokens,
                                  dedup::TokenStats& stats) = 0;
  /// Adds each token's count of `counts` to the account's (the token '' counts its leads).
  virtual core::Status AddTokenCounts(domain::AccountKey account,
                                      const std::map<std::string, int64_t>& counts) = 0;
  /// Files stored leads under their address, domain and city-word keys (`keys[i]` are
  /// `leads[i]`'s; the city word chosen by the account's counts now).
  virtual core::Status InsertMatchKeys(domain::AccountKey account,
                                       const std::vector<domain::Lead>& leads,
                                       const std::vector<dedup::LeadKeys>& keys) = 0;
  /// The backfill's progress, nullopt when none is filed. Waits while another process takes a
  /// step of it (the lock of account management, held until this transaction ends).
  virtual core::Result<std::optional<BackfillProgress>> Backfill() = 0;
  /// Records the backfill's progress with this transaction's work; nullopt: it is done.
  virtual core::Status SetBackfill(const std::optional<BackfillProgress>& progress) = 0;
  /// Up to `limit` leads, oldest first, whose normalised phone equals `phone_key`.
  virtual core::Result<std::vector<DedupCandidate>> FindByPhone(domain::AccountKey account,
                                                                std::string_view phone_key,
                                                                int limit) = 0;
  /// Up to `limit` leads whose normalised phone starts with `exchange` (dedup::PhoneExchange)
  /// but is not `phone_key`, in phone-key order (empty exchange: none).
  virtual core::Result<std::vector<DedupCandidate>> FindByPhoneExchange(domain::AccountKey account,
                                                                        std::string_view exchange,
                                                                        std::string_view phone_key,
                                                                        int limit) = 0;
  /// Up to `limit` lead ids, oldest first, whose `kind` key equals `key` (empty key: none).
  virtual core::Result<std::vector<std::string>> FindByMatchKey(domain::AccountKey account,
                                                                MatchKey kind, std::string_view key,
                                                                int limit) = 0;
  /// Up to `limit` leads, oldest first, filed under the similar-name hint's `key`
  /// (dedup::CityWordKey: a city and the rarest word of their name when written).
  virtual core::Result<std::vector<DedupCandidate>> FindByCityWord(domain::AccountKey account,
                                                                   std::string_view key,
                                                                   int limit) = 0;
  /// Records that leads `a` and `b` are not duplicates (both directions; idempotent).
  virtual core::Status Dismiss(domain::AccountKey account, std::string_view a, std::string_view b,
                               int64_t now) = 0;
  /// The leads dismissed as not duplicates of `lead_id`.
  virtual core::Result<std::vector<std::string>> Dismissed(domain::AccountKey account,
                                                           std::string_view lead_id) = 0;
  /// Appends a merge to the surviving lead's history.
  virtual core::Status RecordMerge(domain::AccountKey account, const MergeRecord& record) = 0;
  /// Moves the history and dismissals of `from` (about to be deleted) to `to`.
  virtual core::Status MoveDedupState(domain::AccountKey account, std::string_view from,
                                      std::string_view to) = 0;
  /// The lead's merge history, newest first, at most `limit`.
  virtual core::Result<std::vector<MergeRecord>> ListMerges(domain::AccountKey account,
                                                            std::string_view lead_id,
                                                            int limit) = 0;
};

/// A unit of work on the database: the stores, all on one connection and one transaction.
/// Destroying a Tx that was not committed rolls it back.
class Tx {
 public:
  virtual ~Tx() = default;
  /// Makes the work durable. After Commit the Tx must not be used again.
  virtual core::Status Commit() = 0;
  /// For a large write whose remaining failures can only be the database's own (I/O, a full
  /// disk): from here on its work is not undone alone (SQLite group commit: its failure fails
  /// every write of its commit), which spares a savepoint's copy of every page it dirties.
  virtual core::Status ShareFate() { return core::Ok(); }
  /// For a long job that writes in several steps: true while another writer waits for this
  /// transaction to end (SQLite's one writer), so the job commits now instead of taking its
  /// next step in the same transaction. False where writers do not queue for one lock.
  virtual bool WriterWanted() const { return false; }

  virtual AccountStore& accounts() = 0;
  virtual LeadStore& leads() = 0;
  virtual NoteStore& notes() = 0;
  virtual RuleStore& rules() = 0;
  virtual WebhookStore& webhooks() = 0;
  virtual IdempotencyStore& idempotency() = 0;
  virtual DedupStore& dedup() = 0;
};

/// kWrite: one atomic, isolated unit of work holding the write lock. kRead: every statement
/// sees a consistent snapshot by itself; a lead is always read with its attributes at once.
/// kScoreWrite: a kWrite that only reads an account's leads and writes their scores (a chunk
/// of a whole-account rescore, ScoringService::RescoreStep). On PostgreSQL it takes the
/// account's lock shared, so several run at once (they write different leads' scores, or the
/// same scores from the same leads), while every kWrite of the account waits for them and
/// they for it; elsewhere it is a kWrite.
enum class TxMode { kRead, kWrite, kScoreWrite };

/// Whether a Database::Write's work may run more than once (Database::Write).
enum class Rerun { kNo, kYes };

/// A database: hands out transactions. Thread-safe.
class Database {
 public:
  virtual ~Database() = default;
  virtual core::Result<std::unique_ptr<Tx>> Begin(TxMode mode) = 0;
  /// Runs `work` in a write transaction and commits it: returns once the COMMIT holding its
  /// writes ran, with that outcome, or `work`'s error (its writes undone alone). `work` must not
  /// call Commit. It may run on another thread than the caller's (SQLite: the thread that holds
  /// the writer runs the works queued for it back to back, docs/GROUP-COMMIT.md), and sees every
  /// write queued before it, as a Tx begun here would. An exception out of `work` is answered
  /// as an internal error. By default: Begin, work, Commit.
  ///
  /// With Rerun::kYes the work may run more than once, and must be written so that only its
  /// last run counts: it keeps nothing from a run but what it writes and what it sets again on
  /// every run. SQLite then runs it without a savepoint of its own (each savepoint copies every
  /// page its work first dirties): should a work of its group fail after writing, the group's
  /// transaction is rolled back and the works that had run are run again, each in a savepoint,
  /// before any of them is answered (docs/GROUP-COMMIT.md, "Members without a savepoint").
  virtual core::Status Write(const std::function<core::Status(Tx&)>& work,
                             Rerun rerun = Rerun::kNo) {
    (void)rerun;
    KLOZEO_ASSIGN_OR_RETURN(auto tx, Begin(TxMode::kWrite));
    KLOZEO_TRY(RunWork(work, *tx));
    return tx->Commit();
  }
  /// Write, answered through `then` instead of a return: `then(outcome)` is called once, with
  /// what Write would return, on any thread (SQLite: the thread that ran the group, right after
  /// its COMMIT, so it must be quick and must not wait for another write; by default the
  /// caller's, before WriteAsync returns). `work` is kept until it has run.
  virtual void WriteAsync(std::function<core::Status(Tx&)> work,
                          std::function<void(core::Status)> then, Rerun rerun = Rerun::kNo) {
    then(Write(work, rerun));
  }
  /// Cheap reachability check for /healthz.
  virtual core::Status Ping() = 0;
  /// A server-wide secret, created on first use and shared by every process on the database
  /// (signs pagination cursors).
  virtual core::Result<std::string> Secret(std::string_view name) = 0;
  /// The account owning an unrevoked key with this hash, read outside any transaction (the
  /// hot path of every request).
  virtual core::Result<std::optional<domain::Account>> FindAccountByKeyHash(
      std::string_view key_hash) = 0;
  /// "sqlite" or "postgres".
  virtual std::string_view Dialect() const = 0;
  /// Connection pool usage now (for /metrics); zeros when the backend has no pool.
  virtual PoolStats PoolUsage() const { return {}; }
  /// Tells the database where the server counts the write requests it is handling (`counter`
  /// outlives the database): SQLite's group commit waits briefly for the ones that have not
  /// reached the writer yet (docs/GROUP-COMMIT.md). Others ignore it.
  virtual void CountWritesIn(const std::atomic<int>* /*counter*/) {}

  /// Counts `amount` requests of the account in its window shared by every process on the
  /// database (it starts at the first count after the previous one ended and lasts
  /// `window_ms`). Returns the window with these counted, or nullopt when the database does not
  /// share counters (SQLite: one process, counted in memory).
  struct RateWindow {
    int64_t start_ms = 0;
    int64_t count = 0;
  };
  virtual core::Result<std::optional<RateWindow>> CountRequests(domain::AccountKey /*account*/,
                                                                int64_t /*now_ms*/,
                                                                int64_t /*window_ms*/,
                                                                int64_t /*amount*/) {
    return std::optional<RateWindow>();
  }

 protected:
  /// `work(tx)` for Write: an exception out of it is answered as an internal error.
  static core::Status RunWork(const std::function<core::Status(Tx&)>& work, Tx& tx) {
    try {
      return work(tx);
    } catch (const std::exception& e) {
      return core::Error::Internal(e.what());
    }
  }
};

}  // namespace klozeo::storage
