#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "export/cell.h"

// libxlsxwriter's types, kept out of this header.
struct lxw_workbook;
struct lxw_worksheet;
struct lxw_format;

namespace klozeo::exporter {

/// Options of XlsxWriter.
struct XlsxWriterOptions {
  /// Name of the single worksheet.
  std::string sheet_name = "Leads";
  /// Directory for libxlsxwriter's temporary files; empty means the system default.
  std::string tmpdir;
};

/// XLSX writer over libxlsxwriter in constant_memory mode: each row goes to a temporary file
/// as soon as the next one starts, so memory stays flat however many rows are written. Rows
/// must therefore be written in order: the header first (optional), then the rows. The
/// workbook is assembled at `path` by Close(); the caller streams that file afterwards.
///
/// Cells: text as inline strings (Excel's limit is 32767 characters: longer text is cut at a
/// character boundary to fit); double and int64 as numbers (int64 beyond 2^53 loses
/// precision, as in Excel itself; NaN and infinities become empty cells); Timestamp as a real
/// date-time (UTC) shown "yyyy-mm-dd hh:mm:ss"; bool as a boolean; empty as no cell.
/// The header row is bold.
class XlsxWriter {
 public:
  /// Starts a workbook to be written at `path`. Errors: kInternal when libxlsxwriter cannot
  /// start (for example its temporary files cannot be created). An unwritable `path` is only
  /// detected by Close().
  static core::Result<std::unique_ptr<XlsxWriter>> Open(const std::string& path,
                                                        XlsxWriterOptions options = {});

  XlsxWriter(const XlsxWriter&) = delete;
  XlsxWriter& operator=(const XlsxWriter&) = delete;
  /// Without a successful Close(), discards the workbook: nothing is left at `path`.
  ~XlsxWriter();

  /// Writes the column names as the next row (bold). Errors: as WriteRow.
  core::Status WriteHeader(const std::vector<std::string>& names);
  /// Writes the next row. Errors: kBadRequest past Excel's 1,048,576 rows or 16,384 columns;
  /// kInternal when libxlsxwriter fails or the writer is closed.
  core::Status WriteRow(const std::vector<Cell>& cells);
  /// Assembles the .xlsx file at `path` and frees the workbook; no more rows can be written.
  /// Errors: kInternal when the file cannot be written (nothing is left at `path`) or the
  /// writer is already closed.
  core::Status Close();

 private:
  XlsxWriter() = default;
  core::Status StartRow(size_t columns);

  std::string path_;
  std::string tmpdir_;  // must outlive the workbook
  lxw_workbook* workbook_ = nullptr;
  lxw_worksheet* worksheet_ = nullptr;
  lxw_format* header_format_ = nullptr;
  lxw_format* datetime_format_ = nullptr;
  uint32_t next_row_ = 0;
};

}  // namespace klozeo::exporter
