#include "export/csv_writer.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace klozeo::exporter {
namespace {

// One cell written alone: the record without its CRLF.
std::string WriteOne(const Cell& cell, CsvWriterOptions options = {}) {
  CsvWriter writer(options);
  writer.WriteRow({cell});
  std::string out = writer.TakeOutput();
  EXPECT_TRUE(out.ends_with("\r\n"));
  return out.substr(0, out.size() - 2);
}

struct EscapeCase {
  const char* text;
  const char* want;
};

TEST(CsvWriter, EscapesText) {
  const EscapeCase cases[] = {
      {"plain", "plain"},
      {"", ""},
      {"with space ", "with space "},
      {"a,b", "\"a,b\""},
      {"say \"hi\"", "\"say \"\"hi\"\"\""},
      {"\"", "\"\"\"\""},
      {"line1\nline2", "\"line1\nline2\""},
      {"line1\r\nline2", "\"line1\r\nline2\""},
      {"caf\u00e9 \u6771\u4eac", "caf\u00e9 \u6771\u4eac"},  // UTF-8 passes through
      // Formula neutralisation (OWASP): a leading quote makes spreadsheets show text.
      {"=1+1", "'=1+1"},
      {"+14155552671", "'+14155552671"},
      {"-5", "'-5"},
      {"@SUM(A1)", "'@SUM(A1)"},
      {"\tcmd", "'\tcmd"},
      {"\rcmd", "\"'\rcmd\""},  // neutralised, then quoted for the CR
      {"=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
      {"a=b", "a=b"},  // only the first character counts
  };
  for (const EscapeCase& c : cases) EXPECT_EQ(WriteOne(Cell{c.text}), c.want) << c.text;
}

TEST(CsvWriter, NeutralisationCanBeTurnedOff) {
  CsvWriterOptions raw{.neutralize_formulas = false};
  EXPECT_EQ(WriteOne(Cell{"=1+1"}, raw), "=1+1");
  EXPECT_EQ(WriteOne(Cell{"+14155552671"}, raw), "+14155552671");
  EXPECT_EQ(WriteOne(Cell{"-5,5"}, raw), "\"-5,5\"");
}

TEST(CsvWriter, WritesTypedCells) {
  EXPECT_EQ(WriteOne(Cell{}), "");
  EXPECT_EQ(WriteOne(Cell{4.5}), "4.5");
  EXPECT_EQ(WriteOne(Cell{100.0}), "100");
  EXPECT_EQ(WriteOne(Cell{1e21}), "1e+21");
  EXPECT_EQ(WriteOne(Cell{0.1}), "0.1");
  EXPECT_EQ(WriteOne(Cell{-2.5}), "-2.5");  // a number, never neutralised
  EXPECT_EQ(WriteOne(Cell{std::numeric_limits<double>::quiet_NaN()}), "");
  EXPECT_EQ(WriteOne(Cell{std::numeric_limits<double>::infinity()}), "");
  EXPECT_EQ(WriteOne(Cell{int64_t{42}}), "42");
  EXPECT_EQ(WriteOne(Cell{7}), "7");  // a plain int is an int64 cell
  EXPECT_EQ(WriteOne(Cell{std::numeric_limits<int64_t>::min()}), "-9223372036854775808");
  EXPECT_EQ(WriteOne(Cell{Timestamp{1700000000}}), "1700000000");
  EXPECT_EQ(WriteOne(Cell{true}), "true");
  EXPECT_EQ(WriteOne(Cell{false}), "false");
}

TEST(CsvWriter, WritesRecordsWithCrlfAndStreamsThroughTheBuffer) {
  CsvWriter writer;
  writer.WriteHeader({"name", "score", "tags"});
  writer.WriteRow({Cell{"Acme, Inc."}, Cell{87.5}, Cell{"a;b"}});
  const size_t buffered = writer.buffered_size();
  EXPECT_EQ(writer.TakeOutput().size(), buffered);
  EXPECT_EQ(writer.buffered_size(), 0u);
  writer.WriteRow({Cell{}, Cell{int64_t{0}}, Cell{""}});
  EXPECT_EQ(writer.TakeOutput(), ",0,\r\n");

  CsvWriter whole;
  whole.WriteHeader({"name", "score", "tags"});
  whole.WriteRow({Cell{"Acme, Inc."}, Cell{87.5}, Cell{"a;b"}});
  EXPECT_EQ(whole.TakeOutput(), "name,score,tags\r\n\"Acme, Inc.\",87.5,a;b\r\n");
}

TEST(CsvWriter, OptionalByteOrderMark) {
  CsvWriter writer(CsvWriterOptions{.utf8_bom = true});
  writer.WriteHeader({"name"});
  EXPECT_EQ(writer.TakeOutput(), "\xEF\xBB\xBFname\r\n");
}

}  // namespace
}  // namespace klozeo::exporter
