#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace klozeo::exporter {

/// One CSV record and the line it starts on (1-based; quoted fields may span lines).
struct CsvRecord {
  std::vector<std::string> fields;
  int64_t line = 0;
};

/// Options of CsvReader.
struct CsvReaderOptions {
  /// A record larger than this is an error. Bounds memory on hostile input, such as an
  /// opening quote that is never closed.
  size_t max_record_bytes = 4 * 1024 * 1024;
};

/// Streaming RFC 4180 parser: feed it chunks of any size (a quoted field may straddle chunk
/// boundaries), take complete records with Next(), and call Finish() at end of input. Memory
/// stays bounded by the chunk size plus the largest record.
///
/// Accepts CRLF, LF or lone CR record ends, a UTF-8 byte order mark at the very start (dropped),
/// quoted fields holding ',', '"' (doubled) and line breaks, and a last record without a line
/// end. Blank lines are skipped. Records may have different field counts; checking them is
/// the caller's job. Malformed input is a kBadRequest Error naming the line: an unterminated
/// quoted field, a '"' inside an unquoted field, text after a closing quote, or a record over
/// max_record_bytes. After an error the reader keeps returning it.
class CsvReader {
 public:
  explicit CsvReader(CsvReaderOptions options = {});

  /// Parses the next chunk of input. Errors: malformed input (see above).
  core::Status Feed(std::string_view chunk);
  /// Marks the end of input, completing the last record. Errors: malformed input, notably an
  /// unterminated quoted field.
  core::Status Finish();
  /// Takes the oldest complete record, if any.
  std::optional<CsvRecord> Next();

 private:
  enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted };

  core::Status Consume(char c);
  core::Status Parse(char c, int64_t line);
  core::Status Fail(int64_t line, std::string_view what);
  void EndField();
  void EndRecord();

  CsvReaderOptions options_;
  State state_ = State::kFieldStart;
  std::string bom_prefix_;  // leading bytes that may still turn out to be a BOM
  bool bom_checked_ = false;
  bool after_cr_ = false;  // the previous character was a CR
  bool skip_lf_ = false;   // a CR just ended a record; a following LF belongs to it
  bool record_started_ = false;
  int64_t line_ = 1;         // line of the next character
  int64_t record_line_ = 1;  // line the current record started on
  int64_t quote_line_ = 1;   // line the current quoted field started on
  size_t record_bytes_ = 0;
  std::string field_;
  std::vector<std::string> fields_;
  std::deque<CsvRecord> ready_;
  std::optional<core::Error> error_;
};

/// Reads `in` to its end in 64 KiB chunks and calls `on_record` for each record, in order.
/// Stops at the first Error, from the parser or from `on_record`, and returns it; a read
/// failure of `in` is kInternal.
core::Status ForEachCsvRecord(std::istream& in,
                              const std::function<core::Status(CsvRecord&)>& on_record,
                              CsvReaderOptions options = {});

}  // namespace klozeo::exporter
