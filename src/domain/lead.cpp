#include "domain/lead.h"

#include <algorithm>

#include "core/strings.h"

namespace klozeo::domain {

const char* const kTextFieldNames[kTextFieldCount] = {
    "description", "email",   "phone",       "website",  "address",   "city",
    "state",       "country", "postal_code", "category", "source_id", "logo_url",
};

std::string_view AttributeTypeName(AttributeType type) {
  switch (type) {
    case AttributeType::kText:
      return "text";
    case AttributeType::kNumber:
      return "number";
    case AttributeType::kBool:
      return "bool";
    case AttributeType::kList:
      return "list";
    case AttributeType::kObject:
      return "object";
  }
  return "text";
}

std::optional<AttributeType> ParseAttributeType(std::string_view name) {
  if (name == "text") return AttributeType::kText;
  if (name == "number") return AttributeType::kNumber;
  if (name == "bool") return AttributeType::kBool;
  if (name == "list") return AttributeType::kList;
  if (name == "object") return AttributeType::kObject;
  return std::nullopt;
}

std::string_view LeadStatusName(LeadStatus status) {
  switch (status) {
    case LeadStatus::kNew:
      return "new";
    case LeadStatus::kContacted:
      return "contacted";
    case LeadStatus::kQualified:
      return "qualified";
    case LeadStatus::kDisqualified:
      return "disqualified";
    case LeadStatus::kConverted:
      return "converted";
  }
  return "new";
}

std::optional<LeadStatus> ParseLeadStatus(std::string_view name) {
  if (name == "new") return LeadStatus::kNew;
  if (name == "contacted") return LeadStatus::kContacted;
  if (name == "qualified") return LeadStatus::kQualified;
  if (name == "disqualified") return LeadStatus::kDisqualified;
  if (name == "converted") return LeadStatus::kConverted;
  return std::nullopt;
}

bool Lead::SameContent(const Lead& o) const {
  for (int i = 0; i < kTextFieldCount; ++i) {
    if (text[i] != o.text[i]) return false;
  }
  return name == o.name && source == o.source && latitude == o.latitude &&
         longitude == o.longitude && rating == o.rating && review_count == o.review_count &&
         tags == o.tags && status == o.status && attributes == o.attributes;
}

std::vector<std::string> NormalizeTags(const std::vector<std::string>& tags) {
  std::vector<std::string> out;
  out.reserve(tags.size());
  for (const auto& tag : tags) {
    std::string_view trimmed = core::Trim(tag);
    if (trimmed.empty()) continue;
    if (std::find(out.begin(), out.end(), trimmed) != out.end()) continue;
    out.emplace_back(trimmed);
  }
  return out;
}

bool UpsertAttributeByName(std::vector<Attribute>& list, const Attribute& attr) {
  for (auto& existing : list) {
    if (existing.name == attr.name) {
      if (existing.type == attr.type && existing.value == attr.value) return false;
      existing.type = attr.type;
      existing.value = attr.value;
      return true;
    }
  }
  list.push_back(attr);
  return true;
}

}  // namespace klozeo::domain
