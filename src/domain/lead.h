#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace klozeo::domain {

/// The five custom attribute types.
enum class AttributeType { kText, kNumber, kBool, kList, kObject };

std::string_view AttributeTypeName(AttributeType type);
std::optional<AttributeType> ParseAttributeType(std::string_view name);

/// A custom attribute of a lead. `value` always matches `type`.
struct Attribute {
  std::string id;  ///< plain UUID
  std::string name;
  AttributeType type = AttributeType::kText;
  nlohmann::json value;

  bool operator==(const Attribute&) const = default;
};

/// Pipeline status of a lead.
enum class LeadStatus { kNew, kContacted, kQualified, kDisqualified, kConverted };

std::string_view LeadStatusName(LeadStatus status);
std::optional<LeadStatus> ParseLeadStatus(std::string_view name);

/// Text fields of a lead, in the order of API-CONTRACT section 3 (after name/source).
/// Indexes into Lead::text.
enum TextField : int {
  kDescription = 0,
  kEmail,
  kPhone,
  kWebsite,
  kAddress,
  kCity,
  kState,
  kCountry,
  kPostalCode,
  kCategory,
  kSourceId,
  kLogoUrl,
  kTextFieldCount,
};

/// JSON names of the optional text fields, indexed by TextField.
extern const char* const kTextFieldNames[kTextFieldCount];

/// A lead, as stored.
struct Lead {
  std::string id;  ///< cl_<uuid>
  std::string name;
  std::string source;
  std::optional<std::string> text[kTextFieldCount];
  std::optional<double> latitude;
  std::optional<double> longitude;
  std::optional<double> rating;
  std::optional<int64_t> review_count;
  std::vector<std::string> tags;
  LeadStatus status = LeadStatus::kNew;
  std::vector<Attribute> attributes;
  double score = 0;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t last_interaction_at = 0;

  const std::optional<std::string>& email() const { return text[kEmail]; }
  const std::optional<std::string>& city() const { return text[kCity]; }
  const std::optional<std::string>& phone() const { return text[kPhone]; }
  const std::optional<std::string>& source_id() const { return text[kSourceId]; }

  /// True when every stored field except the three timestamps and the score is equal.
  bool SameContent(const Lead& other) const;
};

/// A free-text note on a lead.
struct Note {
  std::string id;  ///< note_<uuid>
  std::string lead_id;
  std::string content;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

/// Tags as stored: trimmed, empty ones dropped, duplicates removed keeping first order.
std::vector<std::string> NormalizeTags(const std::vector<std::string>& tags);

/// Inserts or replaces `attr` by name in `list` (keeping the existing id on replace).
/// Returns true when something changed.
bool UpsertAttributeByName(std::vector<Attribute>& list, const Attribute& attr);

}  // namespace klozeo::domain
