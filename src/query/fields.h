#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace klozeo::query {

/// What a field holds, which decides the operators it accepts and the SQL it compiles to.
enum class FieldKind {
  kText,       ///< a TEXT column with a `<name>_fold` twin (case-insensitive matching)
  kNumber,     ///< a REAL or INTEGER column
  kTags,       ///< the `tags` JSON array (matched through `tags_fold`)
  kLocation,   ///< the latitude/longitude pair
  kAttribute,  ///< `attr:<name>`, a row of lead_attributes
};

/// A field named in a filter or in `sort_by`.
struct FieldRef {
  FieldKind kind = FieldKind::kText;
  /// The lead column ("city", "rating", "tags", "location"), or for kAttribute the attribute
  /// name without the `attr:` prefix ("industry").
  std::string name;

  bool operator==(const FieldRef&) const = default;
};

/// Longest attribute name accepted in `attr:<name>`.
inline constexpr size_t kMaxAttributeNameLength = 64;

/// The text fields, in the contract's order.
std::span<const std::string_view> TextFields();
/// The number fields (latitude and longitude included), in the contract's order.
std::span<const std::string_view> NumberFields();

/// True when `name` matches [A-Za-z0-9_]{1,64}.
bool IsValidAttributeName(std::string_view name);

/// Resolves a field as written by a client: "city", "rating", "tags", "location" or
/// "attr:<name>". nullopt for an unknown field or an invalid attribute name.
std::optional<FieldRef> LookupField(std::string_view text);

/// The field as a client writes it ("city", "attr:industry"); the inverse of LookupField.
std::string FieldName(const FieldRef& field);

/// True for lead columns the schema declares NOT NULL (name, source, status, score and the
/// three timestamps). The compiler relies on it to emit index-friendly ordering and keyset
/// conditions; the storage must never leave these NULL.
bool IsNeverNull(const FieldRef& field);

/// Quotes client text for an error message: at most 120 bytes, cut on a character boundary,
/// control characters and invalid UTF-8 bytes replaced by '?', so the message is always
/// printable, valid UTF-8 that a JSON encoder accepts.
std::string QuoteForMessage(std::string_view text);

}  // namespace klozeo::query
