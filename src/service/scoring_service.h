#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "domain/account.h"
#include "domain/lead.h"
#include "domain/scoring_rule.h"
#include "domain/scoring_rule_codec.h"
#include "service/webhook_outbox.h"
#include "storage/store.h"

namespace klozeo::service {

/// The final score from the weighted sum of rule values: clamped to 0..100, then rounded to two
/// decimals (half away from zero). Never -0, never NaN (a NaN total scores 0).
double FinalScore(double total);

/// A rule's expression compiled once, with how to bind each of its slots from a lead.
/// Immutable, shared between threads and cached per account. Defined in scoring_service.cpp.
struct CompiledExpression;

/// Compiles `expression`. BadRequest, prefixed "invalid expression: ", with the compiler's
/// message and column.
core::Result<std::shared_ptr<const CompiledExpression>> CompileExpression(
    std::string_view expression);

/// One rule's part in a lead's score, as the explain view shows it.
struct RuleContribution {
  domain::ScoringRule rule;
  std::optional<double> value;       ///< the expression's value; absent when it failed
  double contribution = 0;           ///< value * weight; 0 when the rule failed
  std::optional<std::string> error;  ///< why the rule failed (evaluation error)
};

/// Why a lead has the score it would get now.
struct ScoreExplanation {
  std::string lead_id;
  double stored_score = 0;  ///< the score stored on the lead (from its last write or rescore)
  std::vector<RuleContribution> rules;  ///< in evaluation order
  double total = 0;          ///< sum of contributions before clamping, rounded to two decimals
  double score = 0;          ///< FinalScore(sum of contributions)
  int64_t evaluated_at = 0;  ///< the "now" used by days_since
};

/// An account's rules at one moment, compiled, in evaluation order (priority, created_at, id).
/// Scoring is pure: the lead and the time in, the score out. A rule that fails to evaluate (or
/// whose stored expression no longer compiles) contributes 0.
class RuleSet {
 public:
  struct Entry {
    domain::ScoringRule rule;
    std::shared_ptr<const CompiledExpression> compiled;
  };

  RuleSet() = default;
  explicit RuleSet(std::vector<Entry> entries) : entries_(std::move(entries)) {}
  /// Compiles `rules` without a cache (tests, tools). Rules that do not compile score 0.
  static RuleSet FromRules(std::vector<domain::ScoringRule> rules);

  /// FinalScore(sum over the rules of value * weight) for `lead` at `now_seconds`.
  double Score(const domain::Lead& lead, int64_t now_seconds) const;
  /// The same computation, rule by rule.
  ScoreExplanation Explain(const domain::Lead& lead, int64_t now_seconds) const;
  /// The lead fields and attributes the rules read: all a lead needs for Score to give the same
  /// result as on the full lead (`score` and `id` are not listed; scans always read them).
  storage::LeadProjection Projection() const;

  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<Entry> entries_;
};

/// What a whole-account rescore collects for its single `leads.scored` event.
struct RescoreEvent {
  bool checked = false;  ///< whether a subscriber exists was asked (first chunk)
  bool wanted = false;   ///< some active webhook subscribes to leads.scored
  std::vector<std::pair<std::string, double>> scores;
};

/// Scoring rules (CRUD, at most domain::kMaxScoringRules per account) and lead scores (single,
/// all leads, explain) for one account at a time. Another account's rule or lead is NotFound,
/// like a missing or malformed id. Compiled expressions are cached per account and rule, and
/// checked against the stored expression text on every use, so a rule changed by another
/// process is recompiled, never scored stale.
class ScoringService {
 public:
  /// With an `outbox`, rescoring writes `lead.scored` (single) and one `leads.scored` per
  /// whole-account rescore (API-CONTRACT section 10).
  ScoringService(storage::Database& db, const core::Clock& clock,
                 const WebhookOutbox* outbox = nullptr)
      : db_(db), clock_(clock), outbox_(outbox) {}

  /// Errors: BadRequest when the expression does not compile (with the column) or the account
  /// already holds the maximum number of rules. `patch` must hold name and expression.
  core::Result<domain::ScoringRule> CreateRule(const domain::Principal& who,
                                               const domain::ScoringRulePatch& patch);
  /// Errors: NotFound.
  core::Result<domain::ScoringRule> GetRule(const domain::Principal& who, const std::string& id);
  /// In evaluation order: priority, then creation.
  core::Result<std::vector<domain::ScoringRule>> ListRules(const domain::Principal& who);
  /// Partial update; updated_at moves only on a real change. Errors: NotFound, BadRequest
  /// for an expression that does not compile.
  core::Result<domain::ScoringRule> UpdateRule(const domain::Principal& who, const std::string& id,
                                               const domain::ScoringRulePatch& patch);
  /// Errors: NotFound.
  core::Status DeleteRule(const domain::Principal& who, const std::string& id);

  /// Recomputes one lead's score with the current rules and stores it. Errors: NotFound.
  core::Result<double> RescoreLead(const domain::Principal& who, const std::string& lead_id);

  /// Receives each rescored lead: its id and new score.
  using ScoreSink = std::function<void(std::string_view lead_id, double score)>;
  /// Recomputes and stores the score of every lead of the account, step by step (RescoreStep:
  /// memory stays bounded; other writers get the lock between steps). `sink` sees each lead
  /// once, after the transaction holding its score is committed, in id order. Returns the
  /// number of leads scored.
  core::Result<int64_t> RescoreAll(const domain::Principal& who, const ScoreSink& sink);

  /// What one step of a whole-account rescore did.
  struct RescoreProgress {
    int64_t count = 0;  ///< leads scored in the step
    bool done = false;  ///< the scan reached the account's last lead
  };
  /// One step of RescoreAll, in one write transaction: scores and stores the leads after
  /// `*after` (empty: from the first lead), chunk by chunk (kChunkSize leads read, scored and
  /// written at a time), for up to `max_chunks` chunks (0: the default, 64) while no other
  /// writer waits for the transaction and for at most 250 ms, and only while it has written
  /// something (a chunk that changed no score, first in its step, is a step: there is no commit
  /// to share, and its scores go out at once) (a step runs on the caller's
  /// thread, an HTTP I/O thread for the REST call); then commits, feeds `sink` and moves
  /// `*after` on. Grouping chunks is what makes a rescore cheap: every commit writes each page it
  /// changed, and nearly every chunk moves entries on pages all over the score index, so the
  /// same index pages would be written again by each 1,000-lead commit (docs/SCORING.md,
  /// "Whole-account rescoring"). With `event`, the scores are collected (when some webhook
  /// subscribes to `leads.scored`) and the last step writes the one `leads.scored` event of
  /// the whole rescore in its transaction.
  core::Result<RescoreProgress> RescoreStep(const domain::Principal& who, std::string* after,
                                            const ScoreSink& sink, RescoreEvent* event = nullptr,
                                            int max_chunks = 0);

  /// How the current rules score the lead now (nothing is stored). Errors: NotFound.
  core::Result<ScoreExplanation> Explain(const domain::Principal& who, const std::string& lead_id);

  /// The lead's score under the account's rules as `tx` sees them, at the clock's now: for the
  /// lead writes (create, merge, update, attribute changes), inside their own transaction.
  core::Result<double> ScoreInTx(storage::Tx& tx, domain::AccountKey account,
                                 const domain::Lead& lead);

  /// The account's rules as `tx` sees them, compiled: for writes of many leads in one
  /// transaction (batches, imports), which read the rules once and score each lead with
  /// RuleSet::Score at the clock's now.
  core::Result<RuleSet> RulesInTx(storage::Tx& tx, domain::AccountKey account) {
    return LoadRules(tx, account);
  }
  int64_t NowSeconds() const { return clock_.NowSeconds(); }

  /// Leads read, scored and written at a time by RescoreStep.
  static constexpr int kChunkSize = 1000;
  /// On PostgreSQL, the chunks a step (other than a rescore's first kSoloChunks over HTTP)
  /// scores at once: each in a kScoreWrite transaction of its own, on its own connection and
  /// thread (docs/SCORING.md, "PostgreSQL: chunks at once").
  static constexpr int kPgLanes = 4;
  /// The lanes of a step where the pool opens `pool_size` connections (0: no pool): at most
  /// kPgLanes, and half the pool (but at least 2), so that other requests keep connections.
  static int PgLanes(int pool_size) {
    return pool_size <= 0 ? kPgLanes : std::clamp(pool_size / 2, 2, kPgLanes);
  }
  /// Chunks a rescore takes one step each before its steps share commits (StepChunks).
  static constexpr int kSoloChunks = 32;
  /// The `max_chunks` for the next RescoreStep of a rescore that has scored `done` leads: 1
  /// for its first kSoloChunks chunks, then the default. A small account is scored as the old
  /// release did, each chunk committed and sent while the next is scored (one long step held
  /// its whole body back, and took 2-3x its CPU time in wall time on a busy machine); shared
  /// commits pay where the score index is large, deep into a big account (issue 18).
  static int StepChunks(int64_t done) { return done < int64_t{kSoloChunks} * kChunkSize ? 1 : 0; }

 private:
  /// RescoreStep on PostgreSQL: up to kPgLanes whole chunks after `*after` scored at once,
  /// each committed by itself; nullopt (nothing done) where fewer than two whole chunks are
  /// left, which RescoreStep scores chunk by chunk (its last step carries the event).
  core::Result<std::optional<RescoreProgress>> RescoreLanes(const domain::Principal& who,
                                                            std::string* after,
                                                            const ScoreSink& sink,
                                                            RescoreEvent* event);
  /// One chunk of RescoreLanes: the leads after `from` up to `until` (included) read, scored
  /// and their changed scores written in one kScoreWrite transaction; `scored` receives every
  /// lead's id and score once it is committed.
  core::Status RescoreLane(const domain::Principal& who, const std::string& from,
                           const std::string& until,
                           std::vector<std::pair<std::string, double>>* scored);
  /// Reads once per rescore whether some active webhook subscribes to leads.scored; nullptr
  /// when no event will be sent (no outbox, no subscriber).
  core::Result<RescoreEvent*> EventFor(storage::Tx& tx, domain::AccountKey account,
                                       RescoreEvent* event);
  /// The account's rules read through `tx`, compiled through the cache.
  core::Result<RuleSet> LoadRules(storage::Tx& tx, domain::AccountKey account);
  void Remember(domain::AccountKey account, const std::string& rule_id,
                std::shared_ptr<const CompiledExpression> compiled);
  void Forget(domain::AccountKey account, const std::string& rule_id);

  storage::Database& db_;
  const core::Clock& clock_;
  const WebhookOutbox* outbox_ = nullptr;
  std::mutex cache_mu_;
  /// account -> rule id -> compiled expression (its source text is checked on use).
  std::unordered_map<domain::AccountKey,
                     std::unordered_map<std::string, std::shared_ptr<const CompiledExpression>>>
      cache_;
};

}  // namespace klozeo::service
