#include "export/csv_reader.h"

#include <istream>
#include <utility>

namespace klozeo::exporter {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

}  // namespace

CsvReader::CsvReader(CsvReaderOptions options) : options_(options) {}

core::Status CsvReader::Feed(std::string_view chunk) {
  if (error_) return *error_;
  if (!bom_checked_) {
    // The BOM itself may arrive split across chunks: hold bytes back until it is decided.
    while (!chunk.empty() && bom_prefix_.size() < kUtf8Bom.size()) {
      bom_prefix_ += chunk.front();
      chunk.remove_prefix(1);
      if (!kUtf8Bom.starts_with(bom_prefix_)) break;
    }
    if (bom_prefix_.size() < kUtf8Bom.size() && kUtf8Bom.starts_with(bom_prefix_)) {
      return core::Ok();  // still undecided
    }
    bom_checked_ = true;
    std::string held = bom_prefix_ == kUtf8Bom ? std::string() : std::move(bom_prefix_);
    bom_prefix_.clear();
    for (char c : held) KLOZEO_TRY(Consume(c));
  }
  for (char c : chunk) KLOZEO_TRY(Consume(c));
  return core::Ok();
}

core::Status CsvReader::Finish() {
  if (error_) return *error_;
  if (!bom_checked_) {
    bom_checked_ = true;
    std::string held = std::move(bom_prefix_);
    bom_prefix_.clear();
    for (char c : held) KLOZEO_TRY(Consume(c));
  }
  if (state_ == State::kQuoted) return Fail(quote_line_, "unterminated quoted field");
  if (record_started_) {
    EndField();
    EndRecord();
  }
  return core::Ok();
}

std::optional<CsvRecord> CsvReader::Next() {
  if (ready_.empty()) return std::nullopt;
  CsvRecord record = std::move(ready_.front());
  ready_.pop_front();
  return record;
}

core::Status CsvReader::Consume(char c) {
  const int64_t line = line_;
  // CR, LF and CRLF each end one line, inside quoted fields too.
  if (c == '\r' || (c == '\n' && !after_cr_)) ++line_;
  after_cr_ = c == '\r';
  if (std::exchange(skip_lf_, false) && c == '\n') return core::Ok();  // the LF of a CRLF end
  KLOZEO_TRY(Parse(c, line));
  skip_lf_ = c == '\r' && !record_started_;
  return core::Ok();
}

core::Status CsvReader::Parse(char c, int64_t line) {
  if (!record_started_) {
    if (c == '\r' || c == '\n') return core::Ok();  // a blank line
    record_started_ = true;
    record_line_ = line;
  }
  if (++record_bytes_ > options_.max_record_bytes) {
    return Fail(record_line_,
                "record larger than " + std::to_string(options_.max_record_bytes) + " bytes");
  }

  switch (state_) {
    case State::kFieldStart:
      if (c == '"') {
        state_ = State::kQuoted;
        quote_line_ = line;
        return core::Ok();
      }
      state_ = State::kUnquoted;
      [[fallthrough]];
    case State::kUnquoted:
      if (c == ',') {
        EndField();
      } else if (c == '\r' || c == '\n') {
        EndField();
        EndRecord();
      } else if (c == '"') {
        return Fail(line, "'\"' inside an unquoted field (quote the whole field)");
      } else {
        field_ += c;
      }
      return core::Ok();
    case State::kQuoted:
      if (c == '"') {
        state_ = State::kQuoteInQuoted;
      } else {
        field_ += c;
      }
      return core::Ok();
    case State::kQuoteInQuoted:
      if (c == '"') {  // an escaped quote
        field_ += c;
        state_ = State::kQuoted;
      } else if (c == ',') {
        EndField();
      } else if (c == '\r' || c == '\n') {
        EndField();
        EndRecord();
      } else {
        return Fail(line, "unexpected character after a closing quote");
      }
      return core::Ok();
  }
  return core::Ok();
}

core::Status CsvReader::Fail(int64_t line, std::string_view what) {
  error_ = core::Error::BadRequest("CSV line " + std::to_string(line) + ": " + std::string(what));
  return *error_;
}

void CsvReader::EndField() {
  fields_.push_back(std::move(field_));
  field_.clear();
  state_ = State::kFieldStart;
}

void CsvReader::EndRecord() {
  ready_.push_back(CsvRecord{std::move(fields_), record_line_});
  fields_.clear();
  record_started_ = false;
  record_bytes_ = 0;
}

core::Status ForEachCsvRecord(std::istream& in,
                              const std::function<core::Status(CsvRecord&)>& on_record,
                              CsvReaderOptions options) {
  CsvReader reader(options);
  std::string chunk(64 * 1024, '\0');
  auto drain = [&]() -> core::Status {
    while (std::optional<CsvRecord> record = reader.Next()) KLOZEO_TRY(on_record(*record));
    return core::Ok();
  };
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    KLOZEO_TRY(reader.Feed(std::string_view(chunk.data(), static_cast<size_t>(in.gcount()))));
    KLOZEO_TRY(drain());
  }
  if (in.bad()) return core::Error::Internal("reading CSV input failed");
  KLOZEO_TRY(reader.Finish());
  return drain();
}

}  // namespace klozeo::exporter
