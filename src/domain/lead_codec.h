#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "domain/lead.h"

namespace klozeo::domain {

/// Size limits applied while reading leads; documented in docs/API.md.
inline constexpr size_t kMaxTextBytes = 65536;
inline constexpr size_t kMaxTags = 200;
inline constexpr size_t kMaxTagBytes = 256;
inline constexpr size_t kMaxAttributes = 200;
inline constexpr size_t kMaxAttributeValueBytes = 65536;
inline constexpr size_t kMaxNoteBytes = 65536;

/// The keys a client sent for a lead, each one present or absent. For optional fields,
/// a present-but-null value clears the field. Read-only keys are ignored.
struct LeadPatch {
  std::optional<std::string> name;
  std::optional<std::string> source;
  std::optional<std::optional<std::string>> text[kTextFieldCount];
  std::optional<std::optional<double>> latitude;
  std::optional<std::optional<double>> longitude;
  std::optional<std::optional<double>> rating;
  std::optional<std::optional<int64_t>> review_count;
  std::optional<std::vector<std::string>> tags;  ///< already normalised
  std::optional<LeadStatus> status;
  std::vector<Attribute> attributes;  ///< upserted by name (ids not yet assigned)
};

/// Reads a lead object. With `require_identity`, `name` and `source` must be present and
/// non-empty (create); otherwise they may be absent but never null or empty (update).
/// Errors: BadRequest naming the field.
core::Result<LeadPatch> ParseLeadPatch(const nlohmann::json& body, bool require_identity);

/// Applies a patch; new attributes get ids from `new_attribute_id`. Returns true if any
/// stored value changed.
bool ApplyPatch(Lead& lead, const LeadPatch& patch);

/// Applies a merge ("last touch wins"): non-empty incoming values overwrite, absent, null and
/// empty ones leave stored values. Returns true if any stored value changed.
bool ApplyMerge(Lead& lead, const LeadPatch& patch);

/// Reads `{name, type, value}`. Errors: BadRequest naming the problem.
core::Result<Attribute> ParseAttribute(const nlohmann::json& body);

/// Checks that `value` fits `type`. Errors: BadRequest.
core::Status ValidateAttributeValue(AttributeType type, const nlohmann::json& value);

/// True when `name` matches [A-Za-z0-9_]{1,64}.
bool IsValidAttributeName(std::string_view name);

/// Reads a note's `content`. Errors: BadRequest when missing, not a string or empty.
core::Result<std::string> ParseNoteContent(const nlohmann::json& body);

/// The lead as JSON text, written directly (the hot path of every read and export): always
/// every field, `null` for absent optional ones, `tags` and `attributes` as arrays, integer
/// timestamps.
void AppendLeadJson(std::string& out, const Lead& lead);

/// `s` as a JSON string (quotes, escapes) appended to `out`; `s` must be valid UTF-8.
void AppendJsonString(std::string& out, std::string_view s);

/// A score as JSON, written the way nlohmann writes doubles (`90.0`, `65.5`) without building a
/// json value (the batch recalculation response holds one per lead). Used for every score the
/// API writes, so leads and the batch response agree.
void AppendScoreJson(std::string& out, double score);
nlohmann::json AttributeToJson(const Attribute& attribute);
nlohmann::json NoteToJson(const Note& note);

}  // namespace klozeo::domain
