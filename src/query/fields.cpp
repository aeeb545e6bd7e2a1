#include "query/fields.h"

#include <array>

#include "core/strings.h"

namespace klozeo::query {
namespace {

constexpr std::array<std::string_view, 15> kTextFields = {
    "name",  "source",  "description", "email",    "phone",     "website",  "address", "city",
    "state", "country", "postal_code", "category", "source_id", "logo_url", "status"};

constexpr std::array<std::string_view, 8> kNumberFields = {
    "rating",     "review_count",        "score",    "created_at",
    "updated_at", "last_interaction_at", "latitude", "longitude"};

constexpr std::array<std::string_view, 7> kNeverNull = {
    "name", "source", "status", "score", "created_at", "updated_at", "last_interaction_at"};

constexpr std::string_view kAttrPrefix = "attr:";
constexpr size_t kMaxQuotedBytes = 120;

bool Contains(std::span<const std::string_view> list, std::string_view name) {
  for (std::string_view item : list) {
    if (item == name) return true;
  }
  return false;
}

// Byte length of the UTF-8 sequence starting with `lead`, 0 when it cannot start one.
size_t SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 0;
}

}  // namespace

std::span<const std::string_view> TextFields() { return kTextFields; }
std::span<const std::string_view> NumberFields() { return kNumberFields; }

bool IsValidAttributeName(std::string_view name) {
  if (name.empty() || name.size() > kMaxAttributeNameLength) return false;
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::optional<FieldRef> LookupField(std::string_view text) {
  if (text.starts_with(kAttrPrefix)) {
    std::string_view name = text.substr(kAttrPrefix.size());
    if (!IsValidAttributeName(name)) return std::nullopt;
    return FieldRef{FieldKind::kAttribute, std::string(name)};
  }
  if (Contains(kTextFields, text)) return FieldRef{FieldKind::kText, std::string(text)};
  if (Contains(kNumberFields, text)) return FieldRef{FieldKind::kNumber, std::string(text)};
  if (text == "tags") return FieldRef{FieldKind::kTags, "tags"};
  if (text == "location") return FieldRef{FieldKind::kLocation, "location"};
  return std::nullopt;
}

std::string FieldName(const FieldRef& field) {
  if (field.kind == FieldKind::kAttribute) return std::string(kAttrPrefix) + field.name;
  return field.name;
}

bool IsNeverNull(const FieldRef& field) {
  return field.kind != FieldKind::kAttribute && Contains(kNeverNull, field.name);
}

std::string QuoteForMessage(std::string_view text) {
  std::string out = "\"";
  size_t i = 0;
  while (i < text.size()) {
    if (i >= kMaxQuotedBytes) {
      out += "...";
      break;
    }
    auto lead = static_cast<unsigned char>(text[i]);
    size_t len = SequenceLength(lead);
    if (len == 1) {
      out += (lead < 0x20 || lead == 0x7F) ? '?' : text[i];
      ++i;
    } else if (len > 1 && i + len <= text.size() && core::IsValidUtf8(text.substr(i, len))) {
      out += text.substr(i, len);
      i += len;
    } else {
      out += '?';
      ++i;
    }
  }
  out += '"';
  return out;
}

}  // namespace klozeo::query
