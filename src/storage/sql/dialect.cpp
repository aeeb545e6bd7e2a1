#include "storage/sql/dialect.h"

#include <cctype>

namespace klozeo::storage {

std::string RenderSql(std::string_view sql, Dialect dialect) {
  const bool pg = dialect == Dialect::kPostgres;
  std::string out;
  out.reserve(sql.size() + 16);
  bool in_literal = false;
  // Depth of an open {sqlite:...}/{postgres:...} block and whether its text is kept.
  bool in_block = false;
  bool keep_block = true;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (in_block && !in_literal && c == '}') {
      in_block = false;
      keep_block = true;
      continue;
    }
    if (!keep_block) continue;
    if (c == '\'') {
      in_literal = !in_literal;
      out += c;
      continue;
    }
    if (in_literal) {
      out += c;
      continue;
    }
    if (c == '{' && !in_block) {
      for (std::string_view tag : {std::string_view("sqlite:"), std::string_view("postgres:")}) {
        if (sql.substr(i + 1, tag.size()) == tag) {
          in_block = true;
          keep_block = (tag == "postgres:") == pg;
          i += tag.size();
          break;
        }
      }
      if (in_block) continue;
    }
    if (c == '?' && i + 1 < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      out += pg ? '$' : '?';
      continue;
    }
    if (c == ':' && i + 1 < sql.size() && sql[i + 1] == ':' && !pg) {
      // Drop the cast: `::name` and an optional `[]`.
      size_t j = i + 2;
      while (j < sql.size() &&
             (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_')) {
        ++j;
      }
      if (sql.substr(j, 2) == "[]") j += 2;
      i = j - 1;
      continue;
    }
    out += c;
  }
  return out;
}

std::string SchemaSql(const char* sql, Dialect dialect) {
  std::string out = RenderSql(sql, dialect);
  if (dialect != Dialect::kPostgres) return out;
  // A TEXT type is " TEXT" followed by a space, a comma or the end of a line.
  for (size_t at = out.find(" TEXT"); at != std::string::npos; at = out.find(" TEXT", at + 5)) {
    const char next = at + 5 < out.size() ? out[at + 5] : '\n';
    if (next == ' ' || next == ',' || next == '\n') out.insert(at + 5, " COLLATE \"C\"");
  }
  return out;
}

}  // namespace klozeo::storage
