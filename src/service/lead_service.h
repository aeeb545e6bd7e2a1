#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/result.h"
#include "domain/account.h"
#include "domain/lead.h"
#include "domain/lead_codec.h"
#include "storage/store.h"

namespace klozeo::service {

/// What `POST /leads` did.
struct CreateOutcome {
  domain::Lead lead;
  bool duplicate = false;                             ///< merged into an existing lead (200)
  std::optional<std::string> potential_duplicate_id;  ///< low-confidence match hint (201)
};

/// One page of leads and the cursor to the next (empty when there is none).
struct LeadList {
  std::vector<domain::Lead> leads;
  std::optional<std::string> next_cursor;
};

/// Leads, their attributes and notes, for one account at a time. Every lookup is scoped to the
/// caller's account: another account's object is NotFound, exactly like a missing one.
class LeadService {
 public:
  LeadService(storage::Database& db, const core::Clock& clock) : db_(db), clock_(clock) {}

  /// Errors: LeadsLimitReached at the plan's cap.
  core::Result<CreateOutcome> Create(const domain::Principal& who, const domain::LeadPatch& patch);
  core::Result<domain::Lead> Get(const domain::Principal& who, const std::string& id);
  /// Partial update; bumps last_interaction_at always and updated_at on real change.
  core::Result<domain::Lead> Update(const domain::Principal& who, const std::string& id,
                                    const domain::LeadPatch& patch);
  core::Status Delete(const domain::Principal& who, const std::string& id);
  /// Errors: BadRequest for a corrupt or foreign cursor.
  core::Result<LeadList> List(const domain::Principal& who, int limit,
                              const std::optional<std::string>& cursor);

  core::Result<std::vector<domain::Attribute>> ListAttributes(const domain::Principal& who,
                                                              const std::string& lead_id);
  /// Creates, or replaces by name (keeping the id), one attribute.
  core::Result<domain::Attribute> PutAttribute(const domain::Principal& who,
                                               const std::string& lead_id,
                                               const domain::Attribute& attribute);
  /// Sets the value of an existing attribute (validated against its type).
  core::Result<domain::Attribute> UpdateAttributeValue(const domain::Principal& who,
                                                       const std::string& lead_id,
                                                       const std::string& attribute_id,
                                                       const nlohmann::json& value);
  core::Status DeleteAttribute(const domain::Principal& who, const std::string& lead_id,
                               const std::string& attribute_id);

  core::Result<std::vector<domain::Note>> ListNotes(const domain::Principal& who,
                                                    const std::string& lead_id);
  core::Result<domain::Note> CreateNote(const domain::Principal& who, const std::string& lead_id,
                                        const std::string& content);
  core::Result<domain::Note> UpdateNote(const domain::Principal& who, const std::string& note_id,
                                        const std::string& content);
  core::Status DeleteNote(const domain::Principal& who, const std::string& note_id);

 private:
  core::Result<domain::Lead> LoadLead(storage::Tx& tx, const domain::Principal& who,
                                      const std::string& id);
  core::Result<std::string> CursorSecret();

  storage::Database& db_;
  const core::Clock& clock_;
};

}  // namespace klozeo::service
