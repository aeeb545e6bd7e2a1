#include "storage/sql/sql_tx.h"

namespace klozeo::storage {

std::string TextArrayLiteral(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string TokensJson(const std::vector<std::string>& tokens) {
  return nlohmann::json(tokens).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace scan_detail {

bool IsScanColumn(std::string_view field) {
  static constexpr std::string_view kFixed[] = {
      "name",   "source",       "status",     "latitude",   "longitude",
      "rating", "review_count", "created_at", "updated_at", "last_interaction_at",
      "tags"};
  for (auto name : kFixed) {
    if (name == field) return true;
  }
  for (int i = 0; i < domain::kTextFieldCount; ++i) {
    if (field == domain::kTextFieldNames[i]) return true;
  }
  return false;
}

}  // namespace scan_detail
}  // namespace klozeo::storage
