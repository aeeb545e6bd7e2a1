#include "export/xlsx_writer.h"

#include <xlsxwriter.h>

#include <cmath>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace klozeo::exporter {
namespace {

constexpr size_t kMaxCellChars = 32767;  // Excel's limit, in UTF-16 code units

core::Error LibraryError(std::string_view what, lxw_error error) {
  return core::Error::Internal("xlsx: " + std::string(what) + ": " + lxw_strerror(error));
}

// The longest prefix of `text` that Excel accepts in a cell, cut between characters.
std::string_view TruncateForExcel(std::string_view text) {
  if (text.size() <= kMaxCellChars) return text;  // every character is at least one byte
  size_t units = 0;
  size_t i = 0;
  while (i < text.size()) {
    auto lead = static_cast<unsigned char>(text[i]);
    size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    size_t width = length == 4 ? 2 : 1;  // characters beyond the BMP take two UTF-16 units
    if (units + width > kMaxCellChars || i + length > text.size()) break;
    units += width;
    i += length;
  }
  return text.substr(0, i);
}

}  // namespace

core::Result<std::unique_ptr<XlsxWriter>> XlsxWriter::Open(const std::string& path,
                                                           XlsxWriterOptions options) {
  std::unique_ptr<XlsxWriter> writer(new XlsxWriter());
  writer->path_ = path;
  writer->tmpdir_ = std::move(options.tmpdir);
  lxw_workbook_options workbook_options{};
  workbook_options.constant_memory = LXW_TRUE;
  workbook_options.tmpdir = writer->tmpdir_.empty() ? nullptr : writer->tmpdir_.data();
  writer->workbook_ = workbook_new_opt(path.c_str(), &workbook_options);
  if (writer->workbook_ == nullptr) {
    return core::Error::Internal("xlsx: cannot start a workbook (temporary files?)");
  }
  writer->worksheet_ = workbook_add_worksheet(writer->workbook_, options.sheet_name.c_str());
  if (writer->worksheet_ == nullptr) {
    return core::Error::Internal("xlsx: invalid worksheet name '" + options.sheet_name + "'");
  }
  writer->header_format_ = workbook_add_format(writer->workbook_);
  writer->datetime_format_ = workbook_add_format(writer->workbook_);
  if (writer->header_format_ == nullptr || writer->datetime_format_ == nullptr) {
    return core::Error::Internal("xlsx: cannot create cell formats");
  }
  format_set_bold(writer->header_format_);
  format_set_num_format(writer->datetime_format_, "yyyy-mm-dd hh:mm:ss");
  return writer;
}

XlsxWriter::~XlsxWriter() {
  if (workbook_ == nullptr) return;
  // libxlsxwriter has no way to abandon a workbook that also releases its temporary file, so
  // the workbook is written out and the file removed.
  (void)workbook_close(workbook_);
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

core::Status XlsxWriter::StartRow(size_t columns) {
  if (workbook_ == nullptr) return core::Error::Internal("xlsx: writer already closed");
  if (next_row_ >= LXW_ROW_MAX) {
    return core::Error::BadRequest("too many rows for XLSX (at most " +
                                   std::to_string(LXW_ROW_MAX) + ")");
  }
  if (columns > LXW_COL_MAX) {
    return core::Error::BadRequest("too many columns for XLSX (at most " +
                                   std::to_string(LXW_COL_MAX) + ")");
  }
  return core::Ok();
}

core::Status XlsxWriter::WriteHeader(const std::vector<std::string>& names) {
  KLOZEO_TRY(StartRow(names.size()));
  for (size_t i = 0; i < names.size(); ++i) {
    std::string text(TruncateForExcel(names[i]));
    lxw_error error = worksheet_write_string(worksheet_, next_row_, static_cast<lxw_col_t>(i),
                                             text.c_str(), header_format_);
    if (error != LXW_NO_ERROR) return LibraryError("writing the header", error);
  }
  ++next_row_;
  return core::Ok();
}

core::Status XlsxWriter::WriteRow(const std::vector<Cell>& cells) {
  KLOZEO_TRY(StartRow(cells.size()));
  for (size_t i = 0; i < cells.size(); ++i) {
    const auto col = static_cast<lxw_col_t>(i);
    lxw_error error = std::visit(
        [&](const auto& value) -> lxw_error {
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, std::string>) {
            std::string text(TruncateForExcel(value));
            return worksheet_write_string(worksheet_, next_row_, col, text.c_str(), nullptr);
          } else if constexpr (std::is_same_v<T, double>) {
            if (!std::isfinite(value)) return LXW_NO_ERROR;
            return worksheet_write_number(worksheet_, next_row_, col, value, nullptr);
          } else if constexpr (std::is_same_v<T, int64_t>) {
            return worksheet_write_number(worksheet_, next_row_, col, static_cast<double>(value),
                                          nullptr);
          } else if constexpr (std::is_same_v<T, Timestamp>) {
            return worksheet_write_unixtime(worksheet_, next_row_, col, value.unix_seconds,
                                            datetime_format_);
          } else if constexpr (std::is_same_v<T, bool>) {
            return worksheet_write_boolean(worksheet_, next_row_, col, value ? 1 : 0, nullptr);
          } else {
            return LXW_NO_ERROR;  // empty: no cell at all
          }
        },
        cells[i].value);
    if (error != LXW_NO_ERROR) {
      return LibraryError("writing row " + std::to_string(next_row_ + 1), error);
    }
  }
  ++next_row_;
  return core::Ok();
}

core::Status XlsxWriter::Close() {
  if (workbook_ == nullptr) return core::Error::Internal("xlsx: writer already closed");
  lxw_error error = workbook_close(workbook_);
  workbook_ = nullptr;
  worksheet_ = nullptr;
  if (error != LXW_NO_ERROR) {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
    return LibraryError("writing the file", error);
  }
  return core::Ok();
}

}  // namespace klozeo::exporter
