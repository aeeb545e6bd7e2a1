// `klozeo import`: streams a CSV, JSON or JSONL file of leads into an account.
#include "app/import.h"

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "core/strings.h"
#include "domain/lead_codec.h"
#include "export/csv_reader.h"
#include "export/csv_writer.h"

namespace klozeo::app {
namespace {

using core::Error;
using core::Result;
using core::Status;
using nlohmann::json;

enum class Format { kCsv, kJson, kJsonl };

/// One input row: its parsed lead and what the failure file needs to reproduce it.
struct Row {
  Result<domain::LeadPatch> patch;
  int64_t position = 0;                 ///< CSV line, or 1-based JSON element / JSONL line
  std::vector<std::string> csv_fields;  ///< CSV: the original cells
  json original;                        ///< JSON(L): the original value
};

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// ---- CSV columns: the export's own names (service/lead_export.cpp) ----

enum class ColumnKind { kIgnore, kText, kNumber, kInteger, kTags, kAttribute };

struct Column {
  ColumnKind kind = ColumnKind::kIgnore;
  std::string key;  ///< the lead's JSON key, or the attribute name
};

Column ColumnFor(std::string_view header) {
  std::string name(core::Trim(header));
  if (name.rfind("attr:", 0) == 0) return {ColumnKind::kAttribute, name.substr(5)};
  if (name == "name" || name == "source" || name == "status") return {ColumnKind::kText, name};
  for (const char* field : domain::kTextFieldNames) {
    if (name == field) return {ColumnKind::kText, name};
  }
  if (name == "latitude" || name == "longitude" || name == "rating") {
    return {ColumnKind::kNumber, name};
  }
  if (name == "review_count") return {ColumnKind::kInteger, name};
  if (name == "tags") return {ColumnKind::kTags, name};
  // id, score and the timestamps are read-only; unknown columns are not lead data.
  return {};
}

/// Undoes the export's formula neutralisation: a leading apostrophe before = + - @ TAB CR.
bool Neutralized(std::string_view cell) {
  return cell.size() >= 2 && cell[0] == '\'' && std::strchr("=+-@\t\r", cell[1]) != nullptr;
}
std::string CellText(std::string_view cell) {
  return std::string(Neutralized(cell) ? cell.substr(1) : cell);
}

std::optional<double> ParseDouble(std::string_view s) {
  double d = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

/// An `attr:<name>` cell as an attribute: true/false → bool; a number → number; a JSON array
/// of strings → list; a JSON object → object; anything else (and any neutralised cell) → text.
json AttributeFromCell(const std::string& name, std::string_view cell) {
  auto attribute = [&](const char* type, json value) {
    return json{{"name", name}, {"type", type}, {"value", std::move(value)}};
  };
  if (!Neutralized(cell)) {
    if (cell == "true" || cell == "false") return attribute("bool", cell == "true");
    if (auto d = ParseDouble(cell)) return attribute("number", *d);
    if (cell.front() == '[' || cell.front() == '{') {
      json parsed = json::parse(cell, nullptr, false);
      if (parsed.is_object()) return attribute("object", std::move(parsed));
      if (parsed.is_array() &&
          std::all_of(parsed.begin(), parsed.end(), [](const json& v) { return v.is_string(); })) {
        return attribute("list", std::move(parsed));
      }
    }
  }
  return attribute("text", CellText(cell));
}

/// A CSV record as a lead object (empty cells are absent), then validated as POST /leads does.
Result<domain::LeadPatch> PatchFromCsv(const std::vector<Column>& columns,
                                       const std::vector<std::string>& fields) {
  if (fields.size() != columns.size()) {
    return Error::BadRequest("row has " + std::to_string(fields.size()) +
                             " fields; the header has " + std::to_string(columns.size()));
  }
  json lead = json::object();
  json attributes = json::array();
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string& cell = fields[i];
    const Column& column = columns[i];
    if (cell.empty() || column.kind == ColumnKind::kIgnore) continue;
    switch (column.kind) {
      case ColumnKind::kText:
        lead[column.key] = CellText(cell);
        break;
      case ColumnKind::kNumber:
        if (auto d = ParseDouble(cell)) {
          lead[column.key] = *d;
        } else {
          lead[column.key] = cell;  // rejected by validation, naming the field
        }
        break;
      case ColumnKind::kInteger: {
        int64_t n = 0;
        auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), n);
        if (ec == std::errc() && end == cell.data() + cell.size()) {
          lead[column.key] = n;
        } else {
          lead[column.key] = cell;
        }
        break;
      }
      case ColumnKind::kTags: {
        json tags = json::array();
        std::string_view rest = cell;
        while (true) {
          auto semi = rest.find(';');
          tags.push_back(std::string(rest.substr(0, semi)));
          if (semi == std::string_view::npos) break;
          rest.remove_prefix(semi + 1);
        }
        lead["tags"] = std::move(tags);
        break;
      }
      case ColumnKind::kAttribute:
        attributes.push_back(AttributeFromCell(column.key, cell));
        break;
      case ColumnKind::kIgnore:
        break;
    }
  }
  if (!attributes.empty()) lead["attributes"] = std::move(attributes);
  return domain::ParseLeadPatch(lead, true);
}

/// Takes rows, writes them in chunks, counts, and records failures.
class Importer {
 public:
  Importer(Services& services, domain::Principal who, const ImportOptions& options, Format format,
           const std::function<void(const ImportReport&)>& progress)
      : services_(services),
        who_(std::move(who)),
        options_(options),
        format_(format),
        progress_(progress) {
    report_.failed_path = options.path + (format == Format::kCsv ? ".failed.csv" : ".failed.jsonl");
    std::error_code ec;
    std::filesystem::remove(report_.failed_path, ec);  // a stale file from an earlier run
  }

  void SetCsvHeader(std::vector<std::string> header) { csv_header_ = std::move(header); }

  Status Add(Row row) {
    pending_.push_back(std::move(row));
    if (pending_.size() >= static_cast<size_t>(std::max(1, options_.batch_size))) return Flush();
    return core::Ok();
  }

  Result<ImportReport> Finish() {
    KLOZEO_TRY(Flush());
    if (failed_out_.is_open()) {
      failed_out_.close();
      if (!failed_out_) return Error::Internal("cannot write " + report_.failed_path);
    }
    if (report_.failed == 0) report_.failed_path.clear();
    return report_;
  }

  const ImportReport& report() const { return report_; }

 private:
  Status Flush() {
    if (pending_.empty()) return core::Ok();
    if (options_.dry_run) {
      for (const auto& row : pending_) {
        if (row.patch.ok()) {
          ++report_.created;
        } else {
          KLOZEO_TRY(Fail(row, row.patch.error().message));
        }
      }
    } else if (options_.dedup) {
      KLOZEO_TRY(FlushWithDedup());
    } else {
      KLOZEO_TRY(FlushAsBatch());
    }
    report_.rows += static_cast<int64_t>(pending_.size());
    pending_.clear();
    if (progress_) progress_(report_);
    return core::Ok();
  }

  static bool IsRowError(const Error& e) {
    return e.code != core::ErrorCode::kInternal && e.code != core::ErrorCode::kUnavailable &&
           e.code != core::ErrorCode::kStorageFull && e.code != core::ErrorCode::kStorageReadOnly;
  }

  static std::string Reason(const Error& e) {
    return e.code == core::ErrorCode::kLeadsLimitReached ? "leads_limit_reached: " + e.message
                                                         : e.message;
  }

  Status FlushWithDedup() {
    for (const auto& row : pending_) {
      if (!row.patch.ok()) {
        KLOZEO_TRY(Fail(row, row.patch.error().message));
        continue;
      }
      auto outcome = services_.leads().Create(who_, *row.patch);
      if (!outcome.ok()) {
        if (!IsRowError(outcome.error())) return std::move(outcome).error();
        KLOZEO_TRY(Fail(row, Reason(outcome.error())));
      } else if (outcome->duplicate) {
        ++report_.merged;
      } else {
        ++report_.created;
      }
    }
    return core::Ok();
  }

  Status FlushAsBatch() {
    std::vector<Result<domain::LeadPatch>> items;
    items.reserve(pending_.size());
    for (auto& row : pending_) items.push_back(std::move(row.patch));
    auto outcome = services_.leads().CreateBatch(who_, items);
    if (!outcome.ok()) {
      if (!IsRowError(outcome.error())) return std::move(outcome).error();
      for (size_t i = 0; i < pending_.size(); ++i) {
        KLOZEO_TRY(
            Fail(pending_[i], items[i].ok() ? Reason(outcome.error()) : items[i].error().message));
      }
      return core::Ok();
    }
    report_.created += static_cast<int64_t>(outcome->created.size());
    for (const auto& [index, message] : outcome->errors) {
      KLOZEO_TRY(Fail(pending_[index], message));
    }
    return core::Ok();
  }

  Status Fail(const Row& row, const std::string& reason) {
    ++report_.failed;
    if (!failed_out_.is_open()) {
      failed_out_.open(report_.failed_path, std::ios::binary | std::ios::trunc);
      if (!failed_out_) return Error::BadRequest("cannot write " + report_.failed_path);
      if (format_ == Format::kCsv) {
        // The reason first: a row with the wrong number of cells still lines it up.
        std::vector<std::string> header{"error"};
        header.insert(header.end(), csv_header_.begin(), csv_header_.end());
        writer_.WriteHeader(header);
      }
    }
    if (format_ == Format::kCsv) {
      std::vector<exporter::Cell> cells;
      cells.reserve(row.csv_fields.size() + 1);
      cells.push_back(exporter::Cell{"line " + std::to_string(row.position) + ": " + reason});
      for (const auto& f : row.csv_fields) cells.push_back(exporter::Cell{f});
      writer_.WriteRow(cells);
      std::string out = writer_.TakeOutput();
      failed_out_.write(out.data(), static_cast<std::streamsize>(out.size()));
    } else {
      json line{{"row", row.position}, {"error", reason}, {"lead", row.original}};
      failed_out_ << line.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    }
    return core::Ok();
  }

  Services& services_;
  domain::Principal who_;
  const ImportOptions& options_;
  Format format_;
  const std::function<void(const ImportReport&)>& progress_;
  ImportReport report_;
  std::vector<Row> pending_;
  std::vector<std::string> csv_header_;
  std::ofstream failed_out_;
  // Failed rows are written as they are (no formula neutralisation), to be fixed and re-imported.
  exporter::CsvWriter writer_{exporter::CsvWriterOptions{.neutralize_formulas = false}};
};

Status ImportCsv(std::istream& in, Importer& importer) {
  std::vector<Column> columns;
  bool header_read = false;
  return exporter::ForEachCsvRecord(in, [&](exporter::CsvRecord& record) -> Status {
    if (!header_read) {
      header_read = true;
      for (const auto& name : record.fields) columns.push_back(ColumnFor(name));
      importer.SetCsvHeader(record.fields);
      return core::Ok();
    }
    Row row{PatchFromCsv(columns, record.fields), record.line, std::move(record.fields), {}};
    return importer.Add(std::move(row));
  });
}

Row RowFromJson(json value, int64_t position) {
  Result<domain::LeadPatch> patch =
      value.is_object()
          ? domain::ParseLeadPatch(value, true)
          : Result<domain::LeadPatch>(Error::BadRequest("a lead must be a JSON object"));
  return Row{std::move(patch), position, {}, std::move(value)};
}

Status ImportJsonl(std::istream& in, Importer& importer) {
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (core::Trim(line).empty()) continue;
    json value = json::parse(line, nullptr, false);
    if (value.is_discarded()) {
      Row row{Error::BadRequest("invalid JSON"), number, {}, json(line)};
      KLOZEO_TRY(importer.Add(std::move(row)));
      continue;
    }
    KLOZEO_TRY(importer.Add(RowFromJson(std::move(value), number)));
  }
  if (in.bad()) return Error::Internal("read error");
  return core::Ok();
}

// Thrown from the parser callback to stop parsing when writing fails (the callback cannot
// return an error); caught right below.
struct StopParsing {
  core::Error error;
};

Status ImportJsonArray(std::istream& in, Importer& importer) {
  using Event = json::parse_event_t;
  int64_t index = 0;
  try {
    // Each element is handed over when complete and then discarded from the array (the
    // callback returns false), so only one element is in memory at a time.
    json rest = json::parse(in, [&](int depth, Event event, json& parsed) {
      if (depth == 0 && (event == Event::object_start || event == Event::value)) {
        throw StopParsing{Error::BadRequest("a JSON import file must hold an array of leads")};
      }
      if (depth != 1) return true;
      if (event != Event::object_end && event != Event::array_end && event != Event::value) {
        return true;
      }
      Status added = importer.Add(RowFromJson(std::move(parsed), ++index));
      if (!added.ok()) throw StopParsing{std::move(added).error()};
      return false;
    });
    if (!rest.is_array()) {
      return Error::BadRequest("a JSON import file must hold an array of leads");
    }
  } catch (const StopParsing& stop) {
    return stop.error;
  } catch (const json::exception& e) {
    return Error::BadRequest(std::string("malformed JSON after element ") + std::to_string(index) +
                             ": " + e.what());
  }
  return core::Ok();
}

}  // namespace

Result<ImportReport> Import(Services& services, const ImportOptions& options,
                            const std::function<void(const ImportReport&)>& progress) {
  Format format;
  if (EndsWith(options.path, ".csv")) {
    format = Format::kCsv;
  } else if (EndsWith(options.path, ".jsonl") || EndsWith(options.path, ".ndjson")) {
    format = Format::kJsonl;
  } else if (EndsWith(options.path, ".json")) {
    format = Format::kJson;
  } else {
    return Error::BadRequest("cannot tell the format of '" + options.path +
                             "': name it .csv, .json or .jsonl");
  }
  KLOZEO_ASSIGN_OR_RETURN(auto who, services.accounts().PrincipalFor(options.account));
  std::ifstream in(options.path, std::ios::binary);
  if (!in) return Error::BadRequest("cannot read " + options.path);
  Importer importer(services, std::move(who), options, format, progress);
  Status status = format == Format::kCsv     ? ImportCsv(in, importer)
                  : format == Format::kJsonl ? ImportJsonl(in, importer)
                                             : ImportJsonArray(in, importer);
  // Whatever was read before a syntax error is still written.
  auto report = importer.Finish();
  KLOZEO_TRY(status);
  return report;
}

int RunImportCommand(Services& services, const ImportOptions& options) {
  const bool tty = isatty(STDERR_FILENO) != 0;
  const auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  auto report = Import(services, options, [&](const ImportReport& r) {
    if (!tty) return;
    std::cerr << "\rimporting: " << r.rows << " rows, "
              << static_cast<int64_t>(static_cast<double>(r.rows) / std::max(elapsed(), 1e-3))
              << " rows/s" << std::flush;
  });
  if (tty) std::cerr << "\n";
  if (!report.ok()) {
    std::cerr << "klozeo: import failed: " << report.error().ForLog() << std::endl;
    return report.error().code == core::ErrorCode::kBadRequest ||
                   report.error().code == core::ErrorCode::kNotFound
               ? 2
               : 1;
  }
  std::cout << (options.dry_run ? "dry run: " : "") << "rows " << report->rows << ", "
            << (options.dry_run ? "valid " : "created ") << report->created << ", merged "
            << report->merged << ", failed " << report->failed << " in " << elapsed() << " s"
            << std::endl;
  if (!report->failed_path.empty()) {
    std::cout << "failed rows and their reasons: " << report->failed_path << std::endl;
  }
  return 0;
}

}  // namespace klozeo::app
