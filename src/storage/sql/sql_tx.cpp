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

namespace bulk_detail {

std::string MultiRowInsert(std::string_view single, int rows, int stride) {
  const size_t values = single.find("VALUES ");
  const std::string_view head = single.substr(0, values + 7);
  const std::string_view tuple = single.substr(values + 7);
  std::string out(head);
  out.reserve(head.size() + (tuple.size() + 16) * static_cast<size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    if (r > 0) out += ", ";
    for (size_t i = 0; i < tuple.size(); ++i) {
      out += tuple[i];
      if (tuple[i] != '?') continue;
      size_t end = i + 1;
      int n = 0;
      while (end < tuple.size() && tuple[end] >= '0' && tuple[end] <= '9') {
        n = n * 10 + (tuple[end] - '0');
        ++end;
      }
      out += std::to_string(n + r * stride);
      i = end - 1;
    }
  }
  return out;
}

}  // namespace bulk_detail

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
