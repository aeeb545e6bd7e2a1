#include "export/csv_reader.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "export/csv_writer.h"

namespace klozeo::exporter {
namespace {

using Rows = std::vector<std::vector<std::string>>;

// Parses `input` fed `chunk_size` bytes at a time; on error returns the error message.
core::Result<Rows> Parse(std::string_view input, size_t chunk_size = 4096,
                         CsvReaderOptions options = {}) {
  CsvReader reader(options);
  Rows rows;
  for (size_t i = 0; i < input.size(); i += chunk_size) {
    KLOZEO_TRY(reader.Feed(input.substr(i, chunk_size)));
    while (std::optional<CsvRecord> record = reader.Next()) rows.push_back(record->fields);
  }
  KLOZEO_TRY(reader.Finish());
  while (std::optional<CsvRecord> record = reader.Next()) rows.push_back(record->fields);
  return rows;
}

std::string ErrorOf(std::string_view input, size_t chunk_size = 4096,
                    CsvReaderOptions options = {}) {
  core::Result<Rows> rows = Parse(input, chunk_size, options);
  if (rows.ok()) return "no error";
  EXPECT_EQ(rows.error().code, core::ErrorCode::kBadRequest);
  return rows.error().message;
}

// Tricky values for round trips: each is written by CsvWriter and must read back the same.
const std::vector<std::string> kTrickyValues = {
    "plain",
    "",
    "a,b",
    "\"quoted\"",
    "\"",
    "multi\nline",
    "multi\r\nline\r\n",
    "\r",
    ",,,",
    " spaced ",
    "caf\u00e9 \u6771\u4eac \U0001F600",
    "trailing quote\"",
};

TEST(CsvReader, ParsesBasicRecords) {
  core::Result<Rows> rows = Parse("a,b,c\r\n1,2,3\r\n");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_EQ(*rows, (Rows{{"a", "b", "c"}, {"1", "2", "3"}}));
}

TEST(CsvReader, HandlesLineEndsBlankLinesAndMissingFinalNewline) {
  struct Case {
    const char* input;
    Rows want;
  } cases[] = {
      {"a,b\nc,d\n", {{"a", "b"}, {"c", "d"}}},
      {"a,b\r\nc,d", {{"a", "b"}, {"c", "d"}}},
      {"a,b\rc,d\r", {{"a", "b"}, {"c", "d"}}},  // lone CR (old Mac)
      {"a\n\n\r\n\nb\n", {{"a"}, {"b"}}},        // blank lines skipped
      {"a,\n,b\n,\n", {{"a", ""}, {"", "b"}, {"", ""}}},
      {"\"\"\n", {{""}}},
      {"", {}},
      {"\n\n", {}},
      {"\"a\"\"b\",\"c,d\",\"e\nf\"\n", {{"a\"b", "c,d", "e\nf"}}},
      {"\"x\"\r\n\"y\"", {{"x"}, {"y"}}},
  };
  for (const Case& c : cases) {
    core::Result<Rows> rows = Parse(c.input);
    ASSERT_TRUE(rows.ok()) << c.input << ": " << rows.error().message;
    EXPECT_EQ(*rows, c.want) << c.input;
  }
}

TEST(CsvReader, DropsByteOrderMarkOnlyAtTheStart) {
  core::Result<Rows> rows = Parse("\xEF\xBB\xBFname,city\r\nAcme,\xEF\xBB\xBFParis\r\n");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, (Rows{{"name", "city"}, {"Acme", "\xEF\xBB\xBFParis"}}));
  // Bytes that start like a BOM but are not one are kept.
  rows = Parse(
      "\xEF\xBB"
      "x\n",
      1);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, (Rows{{"\xEF\xBB"
                          "x"}}));
  rows = Parse("\xEF", 1);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, (Rows{{"\xEF"}}));
}

TEST(CsvReader, RoundTripsWriterOutputAtEveryChunkSize) {
  CsvWriter writer(CsvWriterOptions{.neutralize_formulas = false, .utf8_bom = true});
  std::vector<std::string> header = {"name", "note", "n"};
  writer.WriteHeader(header);
  Rows want = {header};
  for (size_t i = 0; i < kTrickyValues.size(); ++i) {
    const std::string& value = kTrickyValues[i];
    writer.WriteRow(
        {Cell{value}, Cell{kTrickyValues[kTrickyValues.size() - 1 - i]}, Cell{int64_t(i)}});
    want.push_back({value, kTrickyValues[kTrickyValues.size() - 1 - i], std::to_string(i)});
  }
  const std::string csv = writer.TakeOutput();
  // Chunk size 1 puts a boundary inside every quoted field, every CRLF and the BOM.
  for (size_t chunk_size : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, csv.size()}) {
    core::Result<Rows> rows = Parse(csv, chunk_size);
    ASSERT_TRUE(rows.ok()) << "chunk " << chunk_size << ": " << rows.error().message;
    EXPECT_EQ(*rows, want) << "chunk " << chunk_size;
  }
}

TEST(CsvReader, ReportsLineOfEachRecord) {
  CsvReader reader;
  ASSERT_TRUE(reader.Feed("a\r\n\"multi\r\nline\"\r\n\r\nb\nc").ok());
  ASSERT_TRUE(reader.Finish().ok());
  std::vector<int64_t> lines;
  while (std::optional<CsvRecord> record = reader.Next()) lines.push_back(record->line);
  EXPECT_EQ(lines, (std::vector<int64_t>{1, 2, 5, 6}));
}

TEST(CsvReader, ReportsMalformedInputWithLine) {
  EXPECT_EQ(ErrorOf("a,b\n\"open,field\nmore\n"), "CSV line 2: unterminated quoted field");
  EXPECT_EQ(ErrorOf("a,b\n\"open", 1), "CSV line 2: unterminated quoted field");
  EXPECT_EQ(ErrorOf("a\nb\nab\"c\n"),
            "CSV line 3: '\"' inside an unquoted field (quote the whole field)");
  EXPECT_EQ(ErrorOf("a\r\n\"x\"y\r\n"), "CSV line 2: unexpected character after a closing quote");
  EXPECT_EQ(ErrorOf("ok\n0123456789\n", 4096, CsvReaderOptions{.max_record_bytes = 8}),
            "CSV line 2: record larger than 8 bytes");
}

TEST(CsvReader, StaysFailedAfterAnError) {
  CsvReader reader;
  EXPECT_FALSE(reader.Feed("a\"b\n").ok());
  EXPECT_FALSE(reader.Feed("fine\n").ok());
  EXPECT_FALSE(reader.Finish().ok());
  EXPECT_FALSE(reader.Next().has_value());
}

TEST(CsvReader, ForEachRecordReadsAStream) {
  std::string big = "id,text\n";
  for (int i = 0; i < 5000; ++i) big += std::to_string(i) + ",\"row\n" + std::to_string(i) + "\"\n";
  std::istringstream in(big);
  int64_t count = 0;
  core::Status status = ForEachCsvRecord(in, [&](CsvRecord& record) -> core::Status {
    if (record.line > 1) {
      EXPECT_EQ(record.fields[1], "row\n" + record.fields[0]);
      EXPECT_EQ(record.line, 2 + 2 * std::stoll(record.fields[0]));
    }
    ++count;
    return core::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(count, 5001);

  std::istringstream stop("a\nb\nc\n");
  count = 0;
  status = ForEachCsvRecord(stop, [&](CsvRecord& record) -> core::Status {
    ++count;
    if (record.fields[0] == "b") return core::Error::BadRequest("stop at b");
    return core::Ok();
  });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message, "stop at b");
  EXPECT_EQ(count, 2);

  std::istringstream bad("a\n\"unterminated\n");
  status = ForEachCsvRecord(bad, [](CsvRecord&) { return core::Ok(); });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message, "CSV line 2: unterminated quoted field");
}

}  // namespace
}  // namespace klozeo::exporter
