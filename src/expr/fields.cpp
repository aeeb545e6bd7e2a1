#include "expr/fields.h"

#include <array>

namespace klozeo::expr {
namespace {

constexpr std::array kLeadFields = {
    LeadField{"name", FieldType::kText},
    LeadField{"source", FieldType::kText},
    LeadField{"description", FieldType::kText},
    LeadField{"email", FieldType::kText},
    LeadField{"phone", FieldType::kText},
    LeadField{"website", FieldType::kText},
    LeadField{"address", FieldType::kText},
    LeadField{"city", FieldType::kText},
    LeadField{"state", FieldType::kText},
    LeadField{"country", FieldType::kText},
    LeadField{"postal_code", FieldType::kText},
    LeadField{"category", FieldType::kText},
    LeadField{"source_id", FieldType::kText},
    LeadField{"logo_url", FieldType::kText},
    LeadField{"status", FieldType::kText},
    LeadField{"latitude", FieldType::kNumber},
    LeadField{"longitude", FieldType::kNumber},
    LeadField{"rating", FieldType::kNumber},
    LeadField{"review_count", FieldType::kNumber},
    LeadField{"score", FieldType::kNumber},
    LeadField{"created_at", FieldType::kNumber},
    LeadField{"updated_at", FieldType::kNumber},
    LeadField{"last_interaction_at", FieldType::kNumber},
    LeadField{"tags", FieldType::kTextList},
};

}  // namespace

std::span<const LeadField> LeadFields() { return kLeadFields; }

const LeadField* FindLeadField(std::string_view name) {
  for (const LeadField& field : kLeadFields) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

std::string_view AttributeName(std::string_view identifier) {
  if (!identifier.starts_with(kAttributePrefix)) return {};
  return identifier.substr(kAttributePrefix.size());
}

}  // namespace klozeo::expr
