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

namespace bulk {

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

std::string CopyFrom(std::string_view insert) {
  const size_t values = insert.find(" VALUES ");
  return "COPY " + std::string(insert.substr(12, values - 12)) + " FROM STDIN";  // INSERT INTO
}

std::vector<std::string> SplitList(std::string_view list) {
  std::vector<std::string> out;
  for (size_t at = 0; at <= list.size();) {
    size_t comma = std::min(list.find(", ", at), list.size());
    out.emplace_back(list.substr(at, comma - at));
    at = comma + 2;
  }
  return out;
}

}  // namespace bulk

std::string TokensJson(const std::vector<std::string>& tokens) {
  return nlohmann::json(tokens).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace klozeo::storage
