#include "service/lead_export.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "core/ids.h"
#include "domain/lead_codec.h"
#include "export/csv_writer.h"
#include "export/xlsx_writer.h"

namespace klozeo::service {

using core::Error;
using core::Result;
using domain::Lead;
using exporter::Cell;

Result<ExportFormat> ParseExportFormat(const std::optional<std::string>& text) {
  if (text && *text == "csv") return ExportFormat::kCsv;
  if (text && *text == "json") return ExportFormat::kJson;
  if (text && *text == "xlsx") return ExportFormat::kXlsx;
  return Error::BadRequest("format must be one of csv, json, xlsx");
}

std::string_view ExportExtension(ExportFormat format) {
  switch (format) {
    case ExportFormat::kCsv:
      return "csv";
    case ExportFormat::kJson:
      return "json";
    case ExportFormat::kXlsx:
      return "xlsx";
  }
  return "csv";
}

std::string_view ExportContentType(ExportFormat format) {
  switch (format) {
    case ExportFormat::kCsv:
      return "text/csv; charset=utf-8";
    case ExportFormat::kJson:
      return "application/json";
    case ExportFormat::kXlsx:
      return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  }
  return "text/csv";
}

namespace {

// Lead fields in API-CONTRACT section 3 order (attributes become the trailing columns).
constexpr const char* kLeadColumns[] = {
    "id",           "name",        "source",     "description", "email",
    "phone",        "website",     "address",    "city",        "state",
    "country",      "postal_code", "latitude",   "longitude",   "rating",
    "review_count", "category",    "tags",       "source_id",   "logo_url",
    "status",       "score",       "created_at", "updated_at",  "last_interaction_at"};

Cell Text(std::optional<std::string>& v) {
  Cell c;
  if (v) c.value.emplace<std::string>(std::move(*v));
  return c;
}
Cell Number(const std::optional<double>& v) {
  Cell c;
  if (v) c.value.emplace<double>(*v);
  return c;
}

/// The export row of `lead` into `row` (cleared first; its capacity is reused). The lead's
/// strings are moved into the cells: the lead is written once, then dropped.
void RowOf(Lead& lead, const std::vector<std::string>& attribute_names, std::vector<Cell>& row) {
  using domain::TextField;
  row.clear();
  row.reserve(std::size(kLeadColumns) + attribute_names.size());
  row.push_back(Cell{std::move(lead.id)});
  row.push_back(Cell{std::move(lead.name)});
  row.push_back(Cell{std::move(lead.source)});
  for (TextField f :
       {domain::kDescription, domain::kEmail, domain::kPhone, domain::kWebsite, domain::kAddress,
        domain::kCity, domain::kState, domain::kCountry, domain::kPostalCode}) {
    row.push_back(Text(lead.text[f]));
  }
  row.push_back(Number(lead.latitude));
  row.push_back(Number(lead.longitude));
  row.push_back(Number(lead.rating));
  Cell reviews;
  if (lead.review_count) reviews.value.emplace<int64_t>(*lead.review_count);
  row.push_back(std::move(reviews));
  row.push_back(Text(lead.text[domain::kCategory]));
  std::string tags;
  for (size_t i = 0; i < lead.tags.size(); ++i) {
    if (i > 0) tags += ";";
    tags += lead.tags[i];
  }
  row.push_back(Cell{std::move(tags)});
  row.push_back(Text(lead.text[domain::kSourceId]));
  row.push_back(Text(lead.text[domain::kLogoUrl]));
  row.push_back(Cell{std::string(domain::LeadStatusName(lead.status))});
  row.push_back(Cell{lead.score});
  row.push_back(Cell{exporter::Timestamp{lead.created_at}});
  row.push_back(Cell{exporter::Timestamp{lead.updated_at}});
  row.push_back(Cell{exporter::Timestamp{lead.last_interaction_at}});
  for (const auto& name : attribute_names) {
    domain::Attribute* found = nullptr;
    for (auto& a : lead.attributes) {
      if (a.name == name) found = &a;
    }
    if (found == nullptr) {
      row.push_back(Cell{});
      continue;
    }
    switch (found->type) {
      case domain::AttributeType::kText:
        row.push_back(Cell{std::move(found->value.get_ref<std::string&>())});
        break;
      case domain::AttributeType::kNumber:
        row.push_back(Cell{found->value.get<double>()});
        break;
      case domain::AttributeType::kBool:
        row.push_back(Cell{found->value.get<bool>()});
        break;
      default:
        row.push_back(Cell{found->value.dump()});
        break;  // list, object: JSON text
    }
  }
}

/// Reads the scan and hands each chunk to `write_chunk`.
class ScanningStream : public ExportStream {
 public:
  ScanningStream(std::unique_ptr<LeadScan> scan, std::vector<std::string> attribute_names)
      : scan_(std::move(scan)), attribute_names_(std::move(attribute_names)) {}
  int64_t leads_written() const override { return written_; }

 protected:
  /// The next chunk of leads, or an empty vector at the end.
  Result<std::vector<Lead>> NextChunk() {
    if (finished_) return std::vector<Lead>();
    KLOZEO_ASSIGN_OR_RETURN(auto chunk, scan_->Next());
    if (chunk.empty()) finished_ = true;
    written_ += static_cast<int64_t>(chunk.size());
    return chunk;
  }

  std::unique_ptr<LeadScan> scan_;
  std::vector<std::string> attribute_names_;
  bool finished_ = false;
  int64_t written_ = 0;
};

class CsvStream final : public ScanningStream {
 public:
  CsvStream(std::unique_ptr<LeadScan> scan, std::vector<std::string> names, bool neutralize)
      : ScanningStream(std::move(scan), std::move(names)),
        writer_(exporter::CsvWriterOptions{neutralize, false}) {
    writer_.WriteHeader(ExportColumns(attribute_names_));
  }

  Result<bool> Next(std::string& out) override {
    KLOZEO_ASSIGN_OR_RETURN(auto chunk, NextChunk());
    for (auto& lead : chunk) {
      RowOf(lead, attribute_names_, row_);
      writer_.WriteRow(row_);
    }
    if (out.empty()) {
      out = writer_.TakeOutput();
    } else {
      out += writer_.TakeOutput();
    }
    return !chunk.empty();
  }

 private:
  exporter::CsvWriter writer_;
  std::vector<Cell> row_;
};

class JsonStream final : public ScanningStream {
 public:
  using ScanningStream::ScanningStream;

  Result<bool> Next(std::string& out) override {
    if (!started_) {
      out += "[";
      started_ = true;
    }
    KLOZEO_ASSIGN_OR_RETURN(auto chunk, NextChunk());
    for (const auto& lead : chunk) {
      if (any_) out += ",";
      any_ = true;
      domain::AppendLeadJson(out, lead);
    }
    if (chunk.empty()) {
      out += "]";
      return false;
    }
    return true;
  }

 private:
  bool started_ = false;
  bool any_ = false;
};

/// Rows go into a constant-memory workbook on disk, chunk by chunk (one producer call each, so
/// other connections are served in between); once complete, the file is sent in pieces.
class XlsxStream final : public ScanningStream {
 public:
  XlsxStream(std::unique_ptr<LeadScan> scan, std::vector<std::string> names, std::string path,
             std::unique_ptr<exporter::XlsxWriter> writer)
      : ScanningStream(std::move(scan), std::move(names)),
        path_(std::move(path)),
        writer_(std::move(writer)) {}
  ~XlsxStream() override {
    writer_.reset();
    std::remove(path_.c_str());
  }

  Result<bool> Next(std::string& out) override {
    if (writer_) {
      if (!header_written_) {
        KLOZEO_TRY(writer_->WriteHeader(ExportColumns(attribute_names_)));
        header_written_ = true;
      }
      KLOZEO_ASSIGN_OR_RETURN(auto chunk, NextChunk());
      for (auto& lead : chunk) {
        RowOf(lead, attribute_names_, row_);
        KLOZEO_TRY(writer_->WriteRow(row_));
      }
      if (!chunk.empty()) return true;
      KLOZEO_TRY(writer_->Close());
      writer_.reset();
      file_.open(path_, std::ios::binary);
      if (!file_) return Error::Internal("cannot reopen workbook " + path_);
    }
    char buf[1 << 16];
    file_.read(buf, sizeof buf);
    out.append(buf, static_cast<size_t>(file_.gcount()));
    return !file_.eof();
  }

 private:
  std::string path_;
  std::unique_ptr<exporter::XlsxWriter> writer_;
  bool header_written_ = false;
  std::ifstream file_;
  std::vector<Cell> row_;
};

}  // namespace

std::vector<std::string> ExportColumns(const std::vector<std::string>& attribute_names) {
  std::vector<std::string> columns(std::begin(kLeadColumns), std::end(kLeadColumns));
  for (const auto& name : attribute_names) columns.push_back("attr:" + name);
  return columns;
}

Result<std::unique_ptr<ExportStream>> OpenExport(LeadService& leads, storage::Database& db,
                                                 const domain::Principal& who,
                                                 const ListParams& params,
                                                 const ExportOptions& options) {
  KLOZEO_ASSIGN_OR_RETURN(auto scan, leads.Scan(who, params));
  std::vector<std::string> names;
  {
    KLOZEO_ASSIGN_OR_RETURN(auto tx, db.Begin(storage::TxMode::kRead));
    KLOZEO_ASSIGN_OR_RETURN(names, tx->leads().AttributeNames(scan->query()));
  }
  switch (options.format) {
    case ExportFormat::kCsv:
      return std::unique_ptr<ExportStream>(
          new CsvStream(std::move(scan), std::move(names), options.neutralize_formulas));
    case ExportFormat::kJson:
      return std::unique_ptr<ExportStream>(new JsonStream(std::move(scan), std::move(names)));
    case ExportFormat::kXlsx: {
      std::string path = options.tmpdir + "/klozeo-export-" + core::NewUuidV7() + ".xlsx";
      exporter::XlsxWriterOptions xo;
      xo.tmpdir = options.tmpdir;
      KLOZEO_ASSIGN_OR_RETURN(auto writer, exporter::XlsxWriter::Open(path, xo));
      return std::unique_ptr<ExportStream>(
          new XlsxStream(std::move(scan), std::move(names), path, std::move(writer)));
    }
  }
  return Error::Internal("unknown export format");
}

}  // namespace klozeo::service
