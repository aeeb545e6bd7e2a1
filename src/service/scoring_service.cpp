#include "service/scoring_service.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <span>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <utility>

#include "core/ids.h"
#include "expr/fields.h"
#include "expr/program.h"

namespace klozeo::service {

using core::Error;
using core::Result;
using domain::Lead;
using domain::Principal;
using domain::ScoringRule;

/// Where a slot's value comes from.
enum class SlotSource : uint8_t {
  kNil,
  kName,
  kSource,
  kText,  ///< Lead::text[text_index]
  kStatus,
  kLatitude,
  kLongitude,
  kRating,
  kReviewCount,
  kScore,
  kCreatedAt,
  kUpdatedAt,
  kLastInteractionAt,
  kTags,
  kAttribute,  ///< the attribute called `attribute`
};

struct SlotBinding {
  SlotSource source = SlotSource::kNil;
  int text_index = 0;
  std::string field;      ///< the identifier in the expression
  std::string attribute;  ///< kAttribute: the attribute's name
};

struct CompiledExpression {
  std::string source;
  std::optional<expr::Program> program;  ///< absent when the stored text does not compile
  std::string error;                     ///< the compile error, when there is no program
  std::vector<SlotBinding> slots;        ///< one per program->fields() entry
};

namespace {

// A rescore step's bounds (ScoringService::RescoreStep): most chunks in one transaction, and
// the time after which it starts no further chunk. A step ends sooner when a writer queues
// (Tx::WriterWanted, checked before each chunk), so these bound only an uncontended step: its
// commit count (each commit writes the score order's pages the step moved) and the scores
// held for the streamed body (at most 256,000).
constexpr int kMaxChunksPerStep = 256;
constexpr std::chrono::milliseconds kMaxStepTime{1000};

// Caching stops growing past this many accounts: the cache is emptied and refills on use.
constexpr size_t kMaxCachedAccounts = 10000;

Error LeadNotFound() { return Error::NotFound("lead not found"); }
Error RuleNotFound() { return Error::NotFound("scoring rule not found"); }

SlotBinding BindingFor(std::string_view field) {
  SlotBinding b;
  b.field = std::string(field);
  if (std::string_view attribute = expr::AttributeName(field); !attribute.empty()) {
    b.source = SlotSource::kAttribute;
    b.attribute = std::string(attribute);
    return b;
  }
  static constexpr std::pair<std::string_view, SlotSource> kFixed[] = {
      {"name", SlotSource::kName},
      {"source", SlotSource::kSource},
      {"status", SlotSource::kStatus},
      {"latitude", SlotSource::kLatitude},
      {"longitude", SlotSource::kLongitude},
      {"rating", SlotSource::kRating},
      {"review_count", SlotSource::kReviewCount},
      {"score", SlotSource::kScore},
      {"created_at", SlotSource::kCreatedAt},
      {"updated_at", SlotSource::kUpdatedAt},
      {"last_interaction_at", SlotSource::kLastInteractionAt},
      {"tags", SlotSource::kTags},
  };
  for (const auto& [name, source] : kFixed) {
    if (name == field) {
      b.source = source;
      return b;
    }
  }
  for (int i = 0; i < domain::kTextFieldCount; ++i) {
    if (field == domain::kTextFieldNames[i]) {
      b.source = SlotSource::kText;
      b.text_index = i;
      return b;
    }
  }
  return b;  // the compiler only admits known names; anything else reads as missing
}

expr::Value OptionalNumber(const std::optional<double>& v) {
  return v ? expr::Value::Number(*v) : expr::Value::Nil();
}

/// Binds slots from a lead. Text and lists are viewed, not copied (the lead outlives the
/// evaluation), except list attributes, which are copied into storage owned here.
class Binder {
 public:
  expr::Value Bind(const Lead& lead, const SlotBinding& b) {
    using expr::Value;
    switch (b.source) {
      case SlotSource::kNil:
        return Value::Nil();
      case SlotSource::kName:
        return Value::Text(lead.name);
      case SlotSource::kSource:
        return Value::Text(lead.source);
      case SlotSource::kText: {
        const auto& text = lead.text[b.text_index];
        return text ? Value::Text(*text) : Value::Nil();
      }
      case SlotSource::kStatus:
        return Value::Text(domain::LeadStatusName(lead.status));
      case SlotSource::kLatitude:
        return OptionalNumber(lead.latitude);
      case SlotSource::kLongitude:
        return OptionalNumber(lead.longitude);
      case SlotSource::kRating:
        return OptionalNumber(lead.rating);
      case SlotSource::kReviewCount:
        return lead.review_count ? Value::Number(static_cast<double>(*lead.review_count))
                                 : Value::Nil();
      case SlotSource::kScore:
        return Value::Number(lead.score);
      case SlotSource::kCreatedAt:
        return Value::Number(static_cast<double>(lead.created_at));
      case SlotSource::kUpdatedAt:
        return Value::Number(static_cast<double>(lead.updated_at));
      case SlotSource::kLastInteractionAt:
        return Value::Number(static_cast<double>(lead.last_interaction_at));
      case SlotSource::kTags:
        return Value::List(lead.tags);
      case SlotSource::kAttribute:
        for (const domain::Attribute& a : lead.attributes) {
          if (a.name == b.attribute) return BindAttribute(a);
        }
        return Value::Nil();
    }
    return Value::Nil();
  }

 private:
  expr::Value BindAttribute(const domain::Attribute& a) {
    using expr::Value;
    // The type is checked against the JSON value on write; the checks here only guard against
    // a hand-edited database.
    switch (a.type) {
      case domain::AttributeType::kText:
        return a.value.is_string() ? Value::Text(a.value.get_ref<const std::string&>())
                                   : Value::Nil();
      case domain::AttributeType::kNumber:
        return a.value.is_number() ? Value::Number(a.value.get<double>()) : Value::Nil();
      case domain::AttributeType::kBool:
        return a.value.is_boolean() ? Value::Bool(a.value.get<bool>()) : Value::Nil();
      case domain::AttributeType::kList: {
        if (!a.value.is_array()) return Value::Nil();
        auto& items = *lists_.emplace_back(std::make_unique<std::vector<std::string>>());
        items.reserve(a.value.size());
        for (const auto& item : a.value) {
          if (item.is_string()) items.push_back(item.get<std::string>());
        }
        return Value::List(items);
      }
      case domain::AttributeType::kObject:
        return a.value.is_object() ? Value::Object() : Value::Nil();
    }
    return Value::Nil();
  }

  // unique_ptr: the lists must not move while Values view them.
  std::vector<std::unique_ptr<std::vector<std::string>>> lists_;
};

std::shared_ptr<const CompiledExpression> CompileOrRecordError(std::string_view source) {
  auto compiled = std::make_shared<CompiledExpression>();
  compiled->source = std::string(source);
  auto program = expr::Program::Compile(source);
  if (!program.ok()) {
    compiled->error = "invalid expression: " + program.error().message;
    return compiled;
  }
  for (const std::string& field : program->fields()) {
    compiled->slots.push_back(BindingFor(field));
  }
  compiled->program = std::move(*program);
  return compiled;
}

/// Evaluates every rule against `lead`, calling on_rule(entry, value, contribution, error)
/// for each; returns the sum of the contributions.
template <typename OnRule>
double Evaluate(const std::vector<RuleSet::Entry>& entries, const Lead& lead, int64_t now,
                OnRule&& on_rule) {
  Binder binder;
  // Slots live on the stack for the usual few fields (this runs once per lead of a rescore).
  constexpr size_t kInlineSlots = 16;
  std::array<expr::Value, kInlineSlots> inline_slots;
  std::vector<expr::Value> more_slots;
  double total = 0;
  for (const RuleSet::Entry& entry : entries) {
    const CompiledExpression& compiled = *entry.compiled;
    std::optional<double> value;
    const std::string* error = &compiled.error;
    std::string evaluation_error;
    if (compiled.program) {
      const size_t n = compiled.slots.size();
      if (n > kInlineSlots) more_slots.resize(n);
      expr::Value* slots = n > kInlineSlots ? more_slots.data() : inline_slots.data();
      for (size_t i = 0; i < n; ++i) slots[i] = binder.Bind(lead, compiled.slots[i]);
      Result<double> result =
          compiled.program->Evaluate(std::span<const expr::Value>(slots, n), now);
      if (result.ok()) {
        value = *result;
      } else {
        evaluation_error = std::move(result).error().message;
        error = &evaluation_error;
      }
    }
    double contribution = 0;
    if (value) {
      contribution = *value * entry.rule.weight;
      if (!std::isfinite(contribution)) {
        contribution = 0;
        evaluation_error = "value * weight is not a finite number";
        error = &evaluation_error;
      }
    }
    total += contribution;
    on_rule(entry, value, contribution, *error);
  }
  return total;
}

double RoundTo2(double x) {
  if (!std::isfinite(x) || std::fabs(x) > 1e15) return x;
  double r = std::round(x * 100.0) / 100.0;
  return r == 0 ? 0.0 : r;
}

/// Scores one chunk read by a rescore: every lead's id and score into `scored` (the leads are
/// not read again), and into `changed` (cleared first) those whose stored score differs.
void ScoreChunk(const RuleSet& rules, int64_t now, std::vector<Lead>& leads,
                std::vector<std::pair<std::string, double>>& changed,
                std::vector<std::pair<std::string, double>>& scored) {
  changed.clear();
  for (Lead& lead : leads) {
    double score = rules.Score(lead, now);
    if (score != lead.score) changed.emplace_back(lead.id, score);
    scored.emplace_back(std::move(lead.id), score);
  }
}

}  // namespace

double FinalScore(double total) {
  if (std::isnan(total)) return 0;
  return RoundTo2(std::clamp(total, 0.0, 100.0));
}

Result<std::shared_ptr<const CompiledExpression>> CompileExpression(std::string_view expression) {
  auto compiled = CompileOrRecordError(expression);
  if (!compiled->program) return Error::BadRequest(compiled->error);
  return compiled;
}

// ---- RuleSet ----

RuleSet RuleSet::FromRules(std::vector<ScoringRule> rules) {
  std::vector<Entry> entries;
  entries.reserve(rules.size());
  for (ScoringRule& rule : rules) {
    auto compiled = CompileOrRecordError(rule.expression);
    entries.push_back(Entry{std::move(rule), std::move(compiled)});
  }
  return RuleSet(std::move(entries));
}

storage::LeadProjection RuleSet::Projection() const {
  storage::LeadProjection projection;
  auto add = [](std::vector<std::string>& list, const std::string& name) {
    if (std::find(list.begin(), list.end(), name) == list.end()) list.push_back(name);
  };
  for (const Entry& entry : entries_) {
    for (const SlotBinding& b : entry.compiled->slots) {
      if (b.source == SlotSource::kAttribute) {
        add(projection.attributes, b.attribute);
      } else if (b.source != SlotSource::kNil && b.source != SlotSource::kScore) {
        add(projection.fields, b.field);
      }
    }
  }
  return projection;
}

double RuleSet::Score(const Lead& lead, int64_t now_seconds) const {
  if (entries_.empty()) return 0;
  return FinalScore(
      Evaluate(entries_, lead, now_seconds,
               [](const Entry&, const std::optional<double>&, double, const std::string&) {}));
}

ScoreExplanation RuleSet::Explain(const Lead& lead, int64_t now_seconds) const {
  ScoreExplanation out;
  out.lead_id = lead.id;
  out.stored_score = lead.score;
  out.evaluated_at = now_seconds;
  double total = Evaluate(entries_, lead, now_seconds,
                          [&out](const Entry& entry, const std::optional<double>& value,
                                 double contribution, const std::string& error) {
                            RuleContribution c;
                            c.rule = entry.rule;
                            c.value = value;
                            c.contribution = contribution;
                            if (!error.empty()) c.error = error;
                            out.rules.push_back(std::move(c));
                          });
  out.total = RoundTo2(total);
  out.score = FinalScore(total);
  return out;
}

// ---- ScoringService: rules ----

Result<ScoringRule> ScoringService::CreateRule(const Principal& who,
                                               const domain::ScoringRulePatch& patch) {
  if (!patch.name || !patch.expression) {
    return Error::BadRequest("a scoring rule needs a name and an expression");
  }
  KLOZEO_ASSIGN_OR_RETURN(auto compiled, CompileExpression(*patch.expression));
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_ASSIGN_OR_RETURN(int64_t count, tx->rules().Count(who.account_key));
  if (count >= domain::kMaxScoringRules) {
    return Error::BadRequest("an account holds at most " +
                             std::to_string(domain::kMaxScoringRules) +
                             " scoring rules; delete or update one instead");
  }
  const int64_t now = clock_.NowSeconds();
  ScoringRule rule;
  rule.id = core::NewUuidV7();
  rule.name = *patch.name;
  rule.expression = *patch.expression;
  rule.weight = patch.weight.value_or(1.0);
  rule.priority = patch.priority.value_or(0);
  rule.created_at = rule.updated_at = now;
  KLOZEO_TRY(tx->rules().Insert(who.account_key, rule));
  KLOZEO_TRY(tx->Commit());
  Remember(who.account_key, rule.id, std::move(compiled));
  return rule;
}

Result<ScoringRule> ScoringService::GetRule(const Principal& who, const std::string& id) {
  if (!core::IsUuid(id)) return RuleNotFound();
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
  KLOZEO_ASSIGN_OR_RETURN(auto rule, tx->rules().Get(who.account_key, id));
  if (!rule) return RuleNotFound();
  return std::move(*rule);
}

Result<std::vector<ScoringRule>> ScoringService::ListRules(const Principal& who) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
  return tx->rules().List(who.account_key);
}

Result<ScoringRule> ScoringService::UpdateRule(const Principal& who, const std::string& id,
                                               const domain::ScoringRulePatch& patch) {
  if (!core::IsUuid(id)) return RuleNotFound();
  std::shared_ptr<const CompiledExpression> compiled;
  if (patch.expression) {
    KLOZEO_ASSIGN_OR_RETURN(compiled, CompileExpression(*patch.expression));
  }
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_ASSIGN_OR_RETURN(auto stored, tx->rules().Get(who.account_key, id));
  if (!stored) return RuleNotFound();
  ScoringRule rule = std::move(*stored);
  if (domain::ApplyScoringRulePatch(rule, patch)) {
    rule.updated_at = clock_.NowSeconds();
    KLOZEO_TRY(tx->rules().Update(who.account_key, rule));
    KLOZEO_TRY(tx->Commit());
    if (compiled) Remember(who.account_key, rule.id, std::move(compiled));
  }
  return rule;
}

core::Status ScoringService::DeleteRule(const Principal& who, const std::string& id) {
  if (!core::IsUuid(id)) return RuleNotFound();
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_ASSIGN_OR_RETURN(bool deleted, tx->rules().Delete(who.account_key, id));
  if (!deleted) return RuleNotFound();
  KLOZEO_TRY(tx->Commit());
  Forget(who.account_key, id);
  return core::Ok();
}

// ---- ScoringService: scores ----

Result<double> ScoringService::ScoreInTx(storage::Tx& tx, domain::AccountKey account,
                                         const Lead& lead) {
  KLOZEO_ASSIGN_OR_RETURN(RuleSet rules, LoadRules(tx, account));
  return rules.Score(lead, clock_.NowSeconds());
}

Result<double> ScoringService::RescoreLead(const Principal& who, const std::string& lead_id) {
  if (!core::HasIdShape(lead_id, "cl_")) return LeadNotFound();
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_ASSIGN_OR_RETURN(auto lead, tx->leads().Get(who.account_key, lead_id));
  if (!lead) return LeadNotFound();
  KLOZEO_ASSIGN_OR_RETURN(double score, ScoreInTx(*tx, who.account_key, *lead));
  const bool changed = score != lead->score;
  if (changed) KLOZEO_TRY(tx->leads().UpdateScores(who.account_key, {{lead->id, score}}));
  // lead.scored fires for every recalculation, changed or not: the lead with its score.
  bool queued = false;
  if (outbox_ != nullptr) {
    lead->score = score;
    KLOZEO_ASSIGN_OR_RETURN(
        queued, outbox_->Add(*tx, who.account_key, "lead.scored", WebhookOutbox::LeadData(*lead)));
  }
  if (changed || queued) {
    KLOZEO_TRY(tx->Commit());
    if (outbox_ != nullptr) outbox_->Notify(queued);
  }
  return score;
}

Result<int64_t> ScoringService::RescoreAll(const Principal& who, const ScoreSink& sink) {
  int64_t count = 0;
  std::string after;
  RescoreEvent event;
  while (true) {
    KLOZEO_ASSIGN_OR_RETURN(RescoreProgress step, RescoreStep(who, &after, sink, &event));
    count += step.count;
    if (step.done) break;
  }
  return count;
}

Result<ScoringService::RescoreProgress> ScoringService::RescoreStep(const Principal& who,
                                                                    std::string* after,
                                                                    const ScoreSink& sink,
                                                                    RescoreEvent* event,
                                                                    int max_chunks) {
  const bool postgres = db_.Dialect() != "sqlite";
  if (postgres && max_chunks != 1) {
    KLOZEO_ASSIGN_OR_RETURN(std::optional<RescoreProgress> lanes,
                            RescoreLanes(who, after, sink, event));
    if (lanes) return *lanes;
  }
  const auto deadline = std::chrono::steady_clock::now() + kMaxStepTime;
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_ASSIGN_OR_RETURN(event, EventFor(*tx, who.account_key, event));
  // Rules are read per step, in the step's transaction: each lead is scored with the rules
  // current when its score is written (the cache makes this a few row reads). Only the fields
  // the rules name are read.
  KLOZEO_ASSIGN_OR_RETURN(RuleSet rules, LoadRules(*tx, who.account_key));
  const storage::LeadProjection projection = rules.Projection();
  const int64_t now = clock_.NowSeconds();
  RescoreProgress step;
  std::string cursor = *after;
  std::vector<std::pair<std::string, double>> scored;
  std::vector<std::pair<std::string, double>> changed;
  bool wrote = false;
  bool shared = false;
  if (max_chunks <= 0) max_chunks = kMaxChunksPerStep;
  // Only where a queued writer is seen (SQLite's one writer, Tx::WriterWanted) does a step
  // hold several chunks: on PostgreSQL the account's other writes queue on its lock, unseen,
  // and would wait for the whole step.
  if (postgres) max_chunks = 1;
  for (int chunk = 0; chunk < max_chunks; ++chunk) {
    if (chunk > 0 && (tx->WriterWanted() || std::chrono::steady_clock::now() >= deadline)) break;
    KLOZEO_ASSIGN_OR_RETURN(std::vector<Lead> leads,
                            tx->leads().Scan(who.account_key, cursor, kChunkSize, projection, {}));
    if (!leads.empty()) cursor = leads.back().id;
    ScoreChunk(rules, now, leads, changed, scored);
    if (!changed.empty()) {
      if (chunk > 0 && !shared) {
        // A step of several chunks writes a lot: in a shared commit (SQLite group commit), a
        // savepoint would first copy every page it dirties. From here on the step must commit
        // (it does: it wrote), since undoing it alone is no longer possible.
        KLOZEO_TRY(tx->ShareFate());
        shared = true;
      }
      KLOZEO_TRY(tx->leads().UpdateScores(who.account_key, changed));
      wrote = true;
    }
    step.count += static_cast<int64_t>(leads.size());
    // A short (or empty) chunk is the account's last.
    if (leads.size() < static_cast<size_t>(kChunkSize)) {
      step.done = true;
      break;
    }
    // A step that has written nothing has no commit to share: it ends here, so its scores go
    // out now (a streamed response sends them while the next chunk is scored; a step holding
    // every chunk of a small account made each rescore wait for the whole body, issue 18).
    if (!wrote) break;
  }
  if (event != nullptr) event->scores.insert(event->scores.end(), scored.begin(), scored.end());
  // The last step carries the whole rescore's one grouped event.
  bool queued = false;
  if (event != nullptr && step.done) {
    KLOZEO_ASSIGN_OR_RETURN(queued, outbox_->Add(*tx, who.account_key, "leads.scored",
                                                 WebhookOutbox::ScoresData(event->scores)));
  }
  if (wrote || queued) {
    KLOZEO_TRY(tx->Commit());
    if (outbox_ != nullptr) outbox_->Notify(queued);
  }
  tx.reset();  // gives the writer back (a step that wrote nothing committed nothing)
  for (const auto& [id, score] : scored) sink(id, score);
  *after = std::move(cursor);
  return step;
}

Result<RescoreEvent*> ScoringService::EventFor(storage::Tx& tx, domain::AccountKey account,
                                               RescoreEvent* event) {
  if (outbox_ == nullptr || event == nullptr) return nullptr;
  if (!event->checked) {
    // Scores are only collected when someone will receive them.
    KLOZEO_ASSIGN_OR_RETURN(auto hooks, tx.webhooks().List(account));
    for (const auto& h : hooks)
      event->wanted = event->wanted || (h.active && h.Subscribes("leads.scored"));
    event->checked = true;
  }
  return event->wanted ? event : nullptr;
}

// Why chunks at once, and why this is as correct as a chunk per step: docs/SCORING.md,
// "PostgreSQL: chunks at once". In short: each lane is what a step of one chunk was (its
// leads read, scored and written in one transaction holding the account's lock, so no other
// write of the account runs between its read and its write), but the lock is taken shared,
// so the lanes of a step run together, on as many connections and backends.
Result<std::optional<ScoringService::RescoreProgress>> ScoringService::RescoreLanes(
    const Principal& who, std::string* after, const ScoreSink& sink, RescoreEvent* event) {
  std::vector<std::string> ends;
  {
    KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
    KLOZEO_ASSIGN_OR_RETURN(event, EventFor(*tx, who.account_key, event));
    KLOZEO_ASSIGN_OR_RETURN(ends, tx->leads().ChunkEnds(who.account_key, *after, kChunkSize,
                                                        PgLanes(db_.PoolUsage().size)));
  }
  if (ends.size() < 2) return std::optional<RescoreProgress>();
  struct Lane {
    std::string from;
    std::string until;
    std::vector<std::pair<std::string, double>> scored;
    core::Status status = core::Ok();
  };
  std::vector<Lane> lanes(ends.size());
  for (size_t i = 0; i < lanes.size(); ++i) {
    lanes[i].from = i == 0 ? *after : ends[i - 1];
    lanes[i].until = ends[i];
  }
  auto run = [this, &who](Lane& lane) {
    try {
      lane.status = RescoreLane(who, lane.from, lane.until, &lane.scored);
    } catch (const std::exception& e) {
      lane.status = Error::Internal(std::string("rescore lane: ") + e.what());
    }
  };
  // The caller's thread runs the first lane; each lane waits for nothing the others hold (its
  // own connection, the lock shared), so they cannot deadlock one another.
  std::vector<std::thread> threads;
  threads.reserve(lanes.size() - 1);
  for (size_t i = 1; i < lanes.size(); ++i) {
    try {
      threads.emplace_back(run, std::ref(lanes[i]));
    } catch (const std::system_error&) {
      run(lanes[i]);  // no thread to be had: in turn
    }
  }
  run(lanes[0]);
  for (std::thread& t : threads) t.join();
  RescoreProgress step;
  // In id order, and only up to a failed lane (later lanes may be committed: a rerun redoes
  // nothing there).
  for (Lane& lane : lanes) {
    if (!lane.status.ok()) return std::move(lane.status).error();
    step.count += static_cast<int64_t>(lane.scored.size());
    if (event != nullptr) {
      event->scores.insert(event->scores.end(), lane.scored.begin(), lane.scored.end());
    }
    for (const auto& [id, score] : lane.scored) sink(id, score);
  }
  *after = ends.back();
  return std::optional<RescoreProgress>(step);
}

core::Status ScoringService::RescoreLane(const Principal& who, const std::string& from,
                                         const std::string& until,
                                         std::vector<std::pair<std::string, double>>* scored) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kScoreWrite));
  KLOZEO_ASSIGN_OR_RETURN(RuleSet rules, LoadRules(*tx, who.account_key));
  const storage::LeadProjection projection = rules.Projection();
  const int64_t now = clock_.NowSeconds();
  std::vector<std::pair<std::string, double>> changed;
  bool wrote = false;
  // The range normally holds one chunk; leads created in it since its end was read make it
  // longer, read kChunkSize at a time.
  std::string cursor = from;
  while (true) {
    KLOZEO_ASSIGN_OR_RETURN(
        std::vector<Lead> leads,
        tx->leads().Scan(who.account_key, cursor, kChunkSize, projection, until));
    if (leads.empty()) break;
    cursor = leads.back().id;
    ScoreChunk(rules, now, leads, changed, *scored);
    if (!changed.empty()) {
      KLOZEO_TRY(tx->leads().UpdateScores(who.account_key, changed));
      wrote = true;
    }
    if (leads.size() < static_cast<size_t>(kChunkSize) || cursor == until) break;
  }
  if (wrote) KLOZEO_TRY(tx->Commit());
  return core::Ok();
}

Result<ScoreExplanation> ScoringService::Explain(const Principal& who, const std::string& lead_id) {
  if (!core::HasIdShape(lead_id, "cl_")) return LeadNotFound();
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
  KLOZEO_ASSIGN_OR_RETURN(auto lead, tx->leads().Get(who.account_key, lead_id));
  if (!lead) return LeadNotFound();
  KLOZEO_ASSIGN_OR_RETURN(RuleSet rules, LoadRules(*tx, who.account_key));
  return rules.Explain(*lead, clock_.NowSeconds());
}

// ---- the compiled-expression cache ----

Result<RuleSet> ScoringService::LoadRules(storage::Tx& tx, domain::AccountKey account) {
  KLOZEO_ASSIGN_OR_RETURN(std::vector<ScoringRule> rules, tx.rules().List(account));
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (rules.empty()) {
    cache_.erase(account);
    return RuleSet();
  }
  if (cache_.size() >= kMaxCachedAccounts && !cache_.contains(account)) cache_.clear();
  auto& per_rule = cache_[account];
  std::vector<RuleSet::Entry> entries;
  entries.reserve(rules.size());
  for (ScoringRule& rule : rules) {
    auto& slot = per_rule[rule.id];
    // The text check catches a rule changed by another process sharing the database.
    if (slot == nullptr || slot->source != rule.expression) {
      slot = CompileOrRecordError(rule.expression);
    }
    entries.push_back(RuleSet::Entry{std::move(rule), slot});
  }
  if (per_rule.size() > entries.size()) {
    // Rules deleted elsewhere: keep only the ones just read.
    std::unordered_set<std::string_view> live;
    for (const auto& e : entries) live.insert(e.rule.id);
    std::erase_if(per_rule, [&live](const auto& kv) { return !live.contains(kv.first); });
  }
  return RuleSet(std::move(entries));
}

void ScoringService::Remember(domain::AccountKey account, const std::string& rule_id,
                              std::shared_ptr<const CompiledExpression> compiled) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  auto it = cache_.find(account);
  // Accounts are only cached once they are scored; the next LoadRules fills the rest.
  if (it != cache_.end()) it->second[rule_id] = std::move(compiled);
}

void ScoringService::Forget(domain::AccountKey account, const std::string& rule_id) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  auto it = cache_.find(account);
  if (it != cache_.end()) it->second.erase(rule_id);
}

}  // namespace klozeo::service
