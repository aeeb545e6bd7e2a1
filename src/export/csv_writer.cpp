#include "export/csv_writer.h"

#include <charconv>
#include <cmath>
#include <type_traits>

namespace klozeo::exporter {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::string_view kRecordEnd = "\r\n";

bool StartsLikeFormula(std::string_view text) {
  if (text.empty()) return false;
  switch (text.front()) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
      return true;
    default:
      return false;
  }
}

template <typename Number>
void AppendNumber(std::string& out, Number value) {
  char digits[32];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  // 32 bytes hold any int64 and any shortest double ("-2.2250738585072014e-308" is 24).
  if (ec == std::errc()) out.append(digits, end);
}

}  // namespace

CsvWriter::CsvWriter(CsvWriterOptions options) : options_(options) {
  if (options_.utf8_bom) buffer_ += kUtf8Bom;
}

void CsvWriter::WriteHeader(const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) buffer_ += ',';
    AppendText(names[i]);
  }
  buffer_ += kRecordEnd;
}

void CsvWriter::WriteRow(const std::vector<Cell>& cells) {
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) buffer_ += ',';
    AppendCell(cells[i]);
  }
  buffer_ += kRecordEnd;
}

std::string CsvWriter::TakeOutput() {
  std::string out;
  out.swap(buffer_);
  return out;
}

void CsvWriter::AppendText(std::string_view text) {
  const bool neutralize = options_.neutralize_formulas && StartsLikeFormula(text);
  bool quote = false;
  for (char c : text) {  // (find_first_of calls memchr once per character)
    if (c == ',' || c == '"' || c == '\r' || c == '\n') {
      quote = true;
      break;
    }
  }
  if (quote) buffer_ += '"';
  if (neutralize) buffer_ += '\'';
  // Quotes are doubled; the runs between them are copied at once.
  size_t quote_at = quote ? text.find('"') : std::string_view::npos;
  while (quote_at != std::string_view::npos) {
    buffer_.append(text.data(), quote_at + 1);
    buffer_ += '"';
    text.remove_prefix(quote_at + 1);
    quote_at = text.find('"');
  }
  buffer_ += text;
  if (quote) buffer_ += '"';
}

void CsvWriter::AppendCell(const Cell& cell) {
  std::visit(
      [this](const auto& value) {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, std::string>) {
          AppendText(value);
        } else if constexpr (std::is_same_v<T, double>) {
          if (std::isfinite(value)) AppendNumber(buffer_, value);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          AppendNumber(buffer_, value);
        } else if constexpr (std::is_same_v<T, Timestamp>) {
          AppendNumber(buffer_, value.unix_seconds);
        } else if constexpr (std::is_same_v<T, bool>) {
          buffer_ += value ? "true" : "false";
        }
        // std::monostate: an empty field.
      },
      cell.value);
}

}  // namespace klozeo::exporter
