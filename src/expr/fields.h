#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace klozeo::expr {

/// How the caller should bind a lead field: as Value::Text, Value::Number or Value::List
/// (or Value::Nil when the lead has no value for it).
enum class FieldType : uint8_t { kText, kNumber, kTextList };

/// A lead field an expression may name by its bare identifier.
struct LeadField {
  std::string_view name;
  FieldType type;
};

/// Identifiers starting with this prefix name a custom attribute: `attr_employees` reads the
/// attribute `employees`.
inline constexpr std::string_view kAttributePrefix = "attr_";

/// Every lead field an expression may name, in a fixed order.
std::span<const LeadField> LeadFields();

/// The lead field called `name`, or nullptr when there is none.
const LeadField* FindLeadField(std::string_view name);

/// The attribute name of an `attr_<name>` identifier, or an empty view for any other name.
std::string_view AttributeName(std::string_view identifier);

}  // namespace klozeo::expr
