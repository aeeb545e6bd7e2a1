#include "service/lead_service.h"

#include "core/ids.h"
#include "service/scoring_service.h"

namespace klozeo::service {

using core::Error;
using core::Result;
using domain::Lead;
using domain::Principal;
using nlohmann::json;

namespace {

Error LeadNotFound() { return Error::NotFound("lead not found"); }
Error NoteNotFound() { return Error::NotFound("note not found"); }
Error AttributeNotFound() { return Error::NotFound("attribute not found"); }

}  // namespace

Result<Lead> LeadService::LoadLead(storage::Tx& tx, const Principal& who, const std::string& id) {
  if (!core::HasIdShape(id, "cl_")) return LeadNotFound();
  KLOZEO_ASSIGN_OR_RETURN(auto lead, tx.leads().Get(who.account_key, id));
  if (!lead) return LeadNotFound();
  return std::move(*lead);
}

core::Status LeadService::ScoreLead(storage::Tx& tx, const Principal& who, Lead& lead) {
  if (scorer_ == nullptr) return core::Ok();
  KLOZEO_ASSIGN_OR_RETURN(lead.score, scorer_->ScoreInTx(tx, who.account_key, lead));
  return core::Ok();
}

core::Status LeadService::Emit(storage::Tx& tx, const Principal& who, std::string_view type,
                               const std::string& data, bool* queued) {
  if (outbox_ == nullptr) return core::Ok();
  KLOZEO_ASSIGN_OR_RETURN(bool q, outbox_->Add(tx, who.account_key, type, data));
  *queued = *queued || q;
  return core::Ok();
}

core::Status LeadService::CommitAndNotify(storage::Tx& tx, bool queued) {
  KLOZEO_TRY(tx.Commit());
  if (outbox_ != nullptr) outbox_->Notify(queued);
  return core::Ok();
}

core::Status LeadService::CreateIn(storage::Tx& tx, const Principal& who,
                                   const domain::LeadPatch& patch, const Lead& proposed,
                                   const dedup::LeadKeys& keys, CreateOutcome& outcome,
                                   bool& queued) {
  queued = false;  // this run's events only (an earlier run's were rolled back)
  KLOZEO_ASSIGN_OR_RETURN(auto match, FindDuplicate(tx, who, patch, keys));
  if (match.merge_id) {
    KLOZEO_ASSIGN_OR_RETURN(Lead merged,
                            MergeInto(tx, who, *match.merge_id, patch, match.tier, &queued));
    outcome = CreateOutcome{std::move(merged), true, std::nullopt, match.tier};
    return core::Ok();
  }
  if (who.limits.max_leads > 0) {
    KLOZEO_ASSIGN_OR_RETURN(int64_t count, tx.leads().Count(who.account_key, who.limits.max_leads));
    if (count >= who.limits.max_leads) {
      return Error{core::ErrorCode::kLeadsLimitReached, "lead limit of " +
                                                            std::to_string(who.limits.max_leads) +
                                                            " for plan '" + who.plan + "' reached"};
    }
  }
  Lead lead = proposed;
  const int64_t now = clock_.NowSeconds();
  lead.created_at = lead.updated_at = lead.last_interaction_at = now;
  KLOZEO_TRY(ScoreLead(tx, who, lead));
  KLOZEO_TRY(tx.leads().Insert(who.account_key, lead, keys));
  if (outbox_ != nullptr) {
    // The event's JSON is made only for an account that subscribes to it.
    KLOZEO_ASSIGN_OR_RETURN(bool q, outbox_->AddLazily(tx, who.account_key, "lead.created", [&] {
      return WebhookOutbox::LeadData(lead);
    }));
    queued = queued || q;
  }
  outcome = CreateOutcome{std::move(lead), false, std::move(match.potential_id), match.tier};
  return core::Ok();
}

Result<CreateOutcome> LeadService::Create(const Principal& who, const domain::LeadPatch& patch) {
  Lead lead;
  lead.id = core::NewLeadId();
  domain::ApplyPatch(lead, patch);
  const dedup::LeadKeys keys = KeysOf(lead);  // once, for the lookups and the insert
  CreateOutcome outcome;
  bool queued = false;
  // Dedup first, inside the write: concurrent matching creates serialise (each sees the writes
  // queued before it), and a merge succeeds on a full account. On SQLite the work runs on the
  // thread that holds the writer, queued writes back to back, without a savepoint of its own
  // (Database::Write, Rerun::kYes: CreateIn may run again).
  const core::Status written = db_.Write(
      [&](storage::Tx& tx) -> core::Status {
        return CreateIn(tx, who, patch, lead, keys, outcome, queued);
      },
      storage::Rerun::kYes);
  if (!written.ok()) return written.error();
  if (outbox_ != nullptr) outbox_->Notify(queued);
  return outcome;
}

void LeadService::CreateAsync(const Principal& who, domain::LeadPatch patch,
                              std::function<void(Result<CreateOutcome>)> then) {
  // What the write and its answer share, kept until the answer is given.
  struct State {
    Principal who;
    domain::LeadPatch patch;
    Lead lead;
    dedup::LeadKeys keys;
    CreateOutcome outcome;
    bool queued = false;
  };
  auto state = std::make_shared<State>();
  state->who = who;
  state->patch = std::move(patch);
  state->lead.id = core::NewLeadId();
  domain::ApplyPatch(state->lead, state->patch);
  state->keys = KeysOf(state->lead);
  db_.WriteAsync(
      [this, state](storage::Tx& tx) -> core::Status {
        return CreateIn(tx, state->who, state->patch, state->lead, state->keys, state->outcome,
                        state->queued);
      },
      [this, state, then = std::move(then)](core::Status written) {
        if (!written.ok()) {
          then(std::move(written).error());
          return;
        }
        if (outbox_ != nullptr) outbox_->Notify(state->queued);
        then(std::move(state->outcome));
      },
      storage::Rerun::kYes);
}

Result<Lead> LeadService::Get(const Principal& who, const std::string& id) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
  return LoadLead(*tx, who, id);
}

Result<Lead> LeadService::Update(const Principal& who, const std::string& id,
                                 const domain::LeadPatch& patch) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_ASSIGN_OR_RETURN(Lead lead, LoadLead(*tx, who, id));
  const int64_t now = clock_.NowSeconds();
  if (domain::ApplyPatch(lead, patch)) lead.updated_at = now;
  lead.last_interaction_at = now;
  KLOZEO_TRY(ScoreLead(*tx, who, lead));
  KLOZEO_TRY(tx->leads().Update(who.account_key, lead, KeysOf(lead)));
  bool queued = false;
  KLOZEO_TRY(Emit(*tx, who, "lead.updated", WebhookOutbox::LeadData(lead), &queued));
  KLOZEO_TRY(CommitAndNotify(*tx, queued));
  return lead;
}

core::Status LeadService::Delete(const Principal& who, const std::string& id) {
  if (!core::HasIdShape(id, "cl_")) return LeadNotFound();
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  // lead.deleted carries the lead as it was.
  KLOZEO_ASSIGN_OR_RETURN(Lead lead, LoadLead(*tx, who, id));
  KLOZEO_ASSIGN_OR_RETURN(bool deleted, tx->leads().Delete(who.account_key, id));
  if (!deleted) return LeadNotFound();
  bool queued = false;
  KLOZEO_TRY(Emit(*tx, who, "lead.deleted", WebhookOutbox::LeadData(lead), &queued));
  return CommitAndNotify(*tx, queued);
}

Result<std::vector<domain::Attribute>> LeadService::ListAttributes(const Principal& who,
                                                                   const std::string& lead_id) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
  KLOZEO_ASSIGN_OR_RETURN(Lead lead, LoadLead(*tx, who, lead_id));
  return std::move(lead.attributes);
}

Result<domain::Attribute> LeadService::PutAttribute(const Principal& who,
                                                    const std::string& lead_id,
                                                    const domain::Attribute& attribute) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_ASSIGN_OR_RETURN(Lead lead, LoadLead(*tx, who, lead_id));
  domain::Attribute a = attribute;
  a.id = core::NewUuidV7();
  if (domain::UpsertAttributeByName(lead.attributes, a)) {
    if (lead.attributes.size() > domain::kMaxAttributes) {
      return Error::BadRequest("a lead holds at most 200 attributes");
    }
    lead.updated_at = clock_.NowSeconds();
    KLOZEO_TRY(ScoreLead(*tx, who, lead));
    KLOZEO_TRY(tx->leads().Update(who.account_key, lead, KeysOf(lead)));
    bool queued = false;
    KLOZEO_TRY(Emit(*tx, who, "lead.updated", WebhookOutbox::LeadData(lead), &queued));
    KLOZEO_TRY(CommitAndNotify(*tx, queued));
  }
  for (const auto& stored : lead.attributes) {
    if (stored.name == attribute.name) return stored;
  }
  return Error::Internal("attribute vanished after upsert");
}

Result<domain::Attribute> LeadService::UpdateAttributeValue(const Principal& who,
                                                            const std::string& lead_id,
                                                            const std::string& attribute_id,
                                                            const json& value) {
  if (!core::IsUuid(attribute_id)) return AttributeNotFound();
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_ASSIGN_OR_RETURN(Lead lead, LoadLead(*tx, who, lead_id));
  for (auto& a : lead.attributes) {
    if (a.id != attribute_id) continue;
    KLOZEO_TRY(domain::ValidateAttributeValue(a.type, value));
    if (a.value != value) {
      a.value = value;
      lead.updated_at = clock_.NowSeconds();
      KLOZEO_TRY(ScoreLead(*tx, who, lead));
      KLOZEO_TRY(tx->leads().Update(who.account_key, lead, KeysOf(lead)));
      bool queued = false;
      KLOZEO_TRY(Emit(*tx, who, "lead.updated", WebhookOutbox::LeadData(lead), &queued));
      KLOZEO_TRY(CommitAndNotify(*tx, queued));
    }
    return a;
  }
  return AttributeNotFound();
}

core::Status LeadService::DeleteAttribute(const Principal& who, const std::string& lead_id,
                                          const std::string& attribute_id) {
  if (!core::IsUuid(attribute_id)) return AttributeNotFound();
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_ASSIGN_OR_RETURN(Lead lead, LoadLead(*tx, who, lead_id));
  auto before = lead.attributes.size();
  std::erase_if(lead.attributes, [&](const auto& a) { return a.id == attribute_id; });
  if (lead.attributes.size() == before) return AttributeNotFound();
  lead.updated_at = clock_.NowSeconds();
  KLOZEO_TRY(ScoreLead(*tx, who, lead));
  KLOZEO_TRY(tx->leads().Update(who.account_key, lead, KeysOf(lead)));
  bool queued = false;
  KLOZEO_TRY(Emit(*tx, who, "lead.updated", WebhookOutbox::LeadData(lead), &queued));
  return CommitAndNotify(*tx, queued);
}

Result<std::vector<domain::Note>> LeadService::ListNotes(const Principal& who,
                                                         const std::string& lead_id) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
  KLOZEO_TRY(LoadLead(*tx, who, lead_id));
  return tx->notes().List(who.account_key, lead_id);
}

Result<domain::Note> LeadService::CreateNote(const Principal& who, const std::string& lead_id,
                                             const std::string& content) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_TRY(LoadLead(*tx, who, lead_id));
  const int64_t now = clock_.NowSeconds();
  domain::Note note{core::NewNoteId(), lead_id, content, now, now};
  KLOZEO_TRY(tx->notes().Insert(who.account_key, note));
  bool queued = false;
  KLOZEO_TRY(Emit(*tx, who, "note.created", WebhookOutbox::NoteData(note), &queued));
  KLOZEO_TRY(CommitAndNotify(*tx, queued));
  return note;
}

Result<domain::Note> LeadService::UpdateNote(const Principal& who, const std::string& note_id,
                                             const std::string& content) {
  if (!core::HasIdShape(note_id, "note_")) return NoteNotFound();
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_ASSIGN_OR_RETURN(auto note, tx->notes().Get(who.account_key, note_id));
  if (!note) return NoteNotFound();
  if (note->content != content) {
    note->content = content;
    note->updated_at = clock_.NowSeconds();
    KLOZEO_TRY(tx->notes().Update(who.account_key, *note));
    bool queued = false;
    KLOZEO_TRY(Emit(*tx, who, "note.updated", WebhookOutbox::NoteData(*note), &queued));
    KLOZEO_TRY(CommitAndNotify(*tx, queued));
  }
  return std::move(*note);
}

core::Status LeadService::DeleteNote(const Principal& who, const std::string& note_id) {
  if (!core::HasIdShape(note_id, "note_")) return NoteNotFound();
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  // note.deleted carries the note as it was.
  KLOZEO_ASSIGN_OR_RETURN(auto note, tx->notes().Get(who.account_key, note_id));
  if (!note) return NoteNotFound();
  KLOZEO_ASSIGN_OR_RETURN(bool deleted, tx->notes().Delete(who.account_key, note_id));
  if (!deleted) return NoteNotFound();
  bool queued = false;
  KLOZEO_TRY(Emit(*tx, who, "note.deleted", WebhookOutbox::NoteData(*note), &queued));
  return CommitAndNotify(*tx, queued);
}

}  // namespace klozeo::service
