#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "domain/lead.h"
#include "service/lead_service.h"

namespace klozeo::service {

enum class ExportFormat { kCsv, kJson, kXlsx };

/// Reads `csv`, `json` or `xlsx`. Errors: BadRequest for anything else or nothing.
core::Result<ExportFormat> ParseExportFormat(const std::optional<std::string>& text);

/// File extension and Content-Type of a format.
std::string_view ExportExtension(ExportFormat format);
std::string_view ExportContentType(ExportFormat format);

struct ExportOptions {
  ExportFormat format = ExportFormat::kCsv;
  /// CSV: prefix cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR) with '.
  bool neutralize_formulas = true;
  /// XLSX: where the workbook is assembled before it is sent (constant-memory mode).
  std::string tmpdir = "/tmp";
};

/// The export columns (API-CONTRACT section 6): the lead fields in contract order, `tags`
/// joined with ";", then `attr:<name>` for each attribute name present in the result.
std::vector<std::string> ExportColumns(const std::vector<std::string>& attribute_names);

/// A streamed export: each call appends the next piece of the file to `out` and says whether
/// more follows. Memory holds one chunk of leads at a time, whatever the number of matches.
class ExportStream {
 public:
  virtual ~ExportStream() = default;
  virtual core::Result<bool> Next(std::string& out) = 0;
  /// Leads written so far (progress).
  virtual int64_t leads_written() const = 0;
};

/// Opens an export of every lead matching `params` (filters and sort).
/// Errors: BadRequest for bad filters or sort.
core::Result<std::unique_ptr<ExportStream>> OpenExport(LeadService& leads, storage::Database& db,
                                                       const domain::Principal& who,
                                                       const ListParams& params,
                                                       const ExportOptions& options);

}  // namespace klozeo::service
