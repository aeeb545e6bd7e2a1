#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "export/cell.h"

namespace klozeo::exporter {

/// Options of CsvWriter.
struct CsvWriterOptions {
  /// OWASP CSV-injection defence: a text cell starting with '=', '+', '-', '@', TAB or CR is
  /// written with a leading single quote ("=1+1" -> "'=1+1"), so spreadsheets show it as text
  /// instead of evaluating it. Numbers are typed cells and are never touched.
  bool neutralize_formulas = true;
  /// Start the output with a UTF-8 byte order mark (helps old Excel versions detect UTF-8).
  bool utf8_bom = false;
};

/// RFC 4180 CSV writer that streams: rows are appended to an internal buffer which the caller
/// drains with TakeOutput() whenever it suits (for example each time buffered_size() passes
/// 64 KiB, as one HTTP chunk), so memory holds at most the rows since the last drain.
///
/// Format: UTF-8, CRLF after every record, fields quoted only when they contain ',', '"', CR
/// or LF, with '"' doubled inside quotes. Cells: empty -> empty field; text as is (see
/// neutralize_formulas); double in shortest round-trip form ("4.5", "100", "1e+21"; NaN and
/// infinities as an empty field); int64 in decimal; Timestamp as integer Unix seconds;
/// bool as "true" / "false".
class CsvWriter {
 public:
  explicit CsvWriter(CsvWriterOptions options = {});

  /// Appends the header record: one text field per column name, escaped like text cells.
  void WriteHeader(const std::vector<std::string>& names);
  /// Appends one record.
  void WriteRow(const std::vector<Cell>& cells);

  /// Bytes written and not yet taken.
  size_t buffered_size() const { return buffer_.size(); }
  /// Returns the bytes written since the last call and empties the buffer.
  std::string TakeOutput();

 private:
  void AppendText(std::string_view text);
  void AppendCell(const Cell& cell);

  CsvWriterOptions options_;
  std::string buffer_;
};

}  // namespace klozeo::exporter
