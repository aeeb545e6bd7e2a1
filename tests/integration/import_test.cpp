// `klozeo import` through the real binary: export → import round trips, failure rows, dedup,
// dry runs and the lead cap.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "export/csv_reader.h"
#include "support/command.h"
#include "support/test_server.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

CmdResult Klozeo(const std::string& args) { return RunCommand(KLOZEO_BINARY, args); }

using CsvRow = std::map<std::string, std::string>;

/// Every record of a CSV file as column name → cell.
std::vector<CsvRow> ReadCsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> header;
  std::vector<CsvRow> rows;
  auto status = exporter::ForEachCsvRecord(in, [&](exporter::CsvRecord& r) -> core::Status {
    if (header.empty()) {
      header = r.fields;
      return core::Ok();
    }
    // (A failure file may hold a row with more cells than the header.)
    CsvRow row;
    for (size_t i = 0; i < header.size() && i < r.fields.size(); ++i) row[header[i]] = r.fields[i];
    rows.push_back(std::move(row));
    return core::Ok();
  });
  EXPECT_TRUE(status.ok());
  return rows;
}

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = "'" + database_.url() + "'";  // SQLite file, or PostgreSQL in the `.pg` variant
    for (const char* name : {"a", "b"}) {
      ASSERT_EQ(
          Klozeo("accounts create --db " + db_ + " --name " + name + " --plan unlimited").exit_code,
          0);
    }
  }
  std::string Path(const std::string& name) const { return (dir_.path() / name).string(); }
  CmdResult Import(const std::string& account, const std::string& file,
                   const std::string& flags = "") {
    return Klozeo("import --db " + db_ + " --account " + account + " " + flags + " " + file);
  }
  std::vector<CsvRow> Export(const std::string& account, const std::string& file) {
    EXPECT_EQ(Klozeo("export --db " + db_ + " --account " + account + " --format csv -o " + file)
                  .exit_code,
              0);
    return ReadCsv(file);
  }
  TempDir dir_;
  TestDatabase database_;
  std::string db_;
};

const char* const kColumns[] = {
    "name",          "source",         "description", "email",      "phone",
    "website",       "address",        "city",        "state",      "country",
    "postal_code",   "latitude",       "longitude",   "rating",     "review_count",
    "category",      "tags",           "source_id",   "logo_url",   "status",
    "attr:industry", "attr:employees", "attr:active", "attr:langs", "attr:meta"};
const char* const kStatuses[] = {"new", "contacted", "qualified", "disqualified", "converted"};

/// Row i of the generated file: every column, with empty cells, quoting, line breaks,
/// formula-like text and non-ASCII text sprinkled in.
std::vector<std::string> GeneratedRow(int i) {
  std::string n = std::to_string(i);
  auto every = [&](int k, std::string v) { return i % k == 0 ? std::string() : v; };
  return {
      "Lead \"" + n + "\", Ltd",
      i % 2 ? "import" : "web",
      every(7, i % 11 == 0 ? "=SUM(A1) line\nbreak" : "Desc é " + n),
      every(5, "user" + n + "@example.com"),
      every(3, "+1 415 555 " + std::to_string(1000 + i % 9000)),
      every(4, "https://x" + n + ".example"),
      every(6, n + " Main St, Suite 1"),
      every(2, i % 3 ? "Paris" : "Zürich"),
      every(9, "CA"),
      every(8, "US"),
      every(10, "94" + std::to_string(100 + i % 900)),
      every(3, std::to_string(48.0 + i * 1e-4)),
      every(3, std::to_string(-2.0 - i * 1e-4)),
      every(4, std::to_string((i % 50) / 10.0)),
      every(5, std::to_string(i % 1000)),
      every(6, "cat" + std::to_string(i % 7)),
      every(3, "t" + std::to_string(i % 5) + ";shared;-minus"),
      "src-" + n,
      every(12, "https://logo.example/" + n + ".png"),
      kStatuses[i % 5],
      every(2, i % 13 == 0 ? "@handle" : "Industry " + std::to_string(i % 20)),
      every(3, std::to_string(i * 3)),
      every(4, i % 8 ? "true" : "false"),
      every(5, R"(["en","fr"])"),
      every(6, R"({"k":)" + n + "}"),
  };
}

/// Cells equal as the column's type (numbers and JSON compare by value).
void ExpectSameCell(const std::string& column, const std::string& want, const std::string& got,
                    const std::string& where) {
  if (want.empty() || got.empty()) {
    EXPECT_EQ(want, got) << column << " " << where;
    return;
  }
  static const std::set<std::string> kNumbers = {"latitude", "longitude", "rating", "review_count",
                                                 "attr:employees"};
  if (kNumbers.count(column)) {
    EXPECT_DOUBLE_EQ(std::stod(want), std::stod(got)) << column << " " << where;
  } else if (column == "attr:langs" || column == "attr:meta") {
    EXPECT_EQ(json::parse(want), json::parse(got)) << column << " " << where;
  } else {
    EXPECT_EQ(want, got) << column << " " << where;
  }
}

/// The export writes formula-like text with a leading apostrophe; the import strips it.
std::string Unneutralized(const std::string& cell) {
  if (cell.size() >= 2 && cell[0] == '\'' &&
      std::string("=+-@\t\r").find(cell[1]) != std::string::npos) {
    return cell.substr(1);
  }
  return cell;
}

TEST_F(ImportTest, CsvExportImportRoundTripsTenThousandLeadsFieldByField) {
  constexpr int kLeads = 10000;
  const std::string source = Path("leads.csv");
  {
    std::ofstream out(source, std::ios::binary);
    for (size_t c = 0; c < std::size(kColumns); ++c) out << (c ? "," : "") << kColumns[c];
    out << ",id,score,created_at\r\n";  // read-only columns are ignored
    for (int i = 0; i < kLeads; ++i) {
      auto row = GeneratedRow(i);
      for (size_t c = 0; c < row.size(); ++c) out << (c ? "," : "") << Quote(row[c]);
      out << ",cl_bogus,99,1\r\n";
    }
  }
  CmdResult imported = Import("a", source);
  ASSERT_EQ(imported.exit_code, 0) << imported.out;
  EXPECT_NE(imported.out.find("rows 10000, created 10000, merged 0, failed 0"), std::string::npos)
      << imported.out;

  auto first = Export("a", Path("a.csv"));
  ASSERT_EQ(first.size(), static_cast<size_t>(kLeads));
  // Export → import → export is the identity on every non-read-only column.
  CmdResult again = Import("b", Path("a.csv"));
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("created 10000"), std::string::npos) << again.out;
  auto second = Export("b", Path("b.csv"));
  ASSERT_EQ(second.size(), static_cast<size_t>(kLeads));

  std::map<std::string, const CsvRow*> by_source_first, by_source_second;
  for (const auto& r : first) by_source_first[r.at("source_id")] = &r;
  for (const auto& r : second) by_source_second[r.at("source_id")] = &r;
  ASSERT_EQ(by_source_first.size(), static_cast<size_t>(kLeads));
  ASSERT_EQ(by_source_second.size(), static_cast<size_t>(kLeads));
  for (int i = 0; i < kLeads; ++i) {
    const std::string key = "src-" + std::to_string(i);
    const CsvRow& a = *by_source_first.at(key);
    const CsvRow& b = *by_source_second.at(key);
    auto generated = GeneratedRow(i);
    for (size_t c = 0; c < std::size(kColumns); ++c) {
      const std::string column = kColumns[c];
      ASSERT_TRUE(a.count(column)) << column;
      ASSERT_TRUE(b.count(column)) << column;
      // The source file against the first export (read through the export's neutralisation).
      ExpectSameCell(column, generated[c], Unneutralized(a.at(column)), key);
      // The two exports are identical, byte for byte.
      EXPECT_EQ(a.at(column), b.at(column)) << column << " " << key;
    }
    EXPECT_NE(a.at("id"), "cl_bogus");
    EXPECT_NE(a.at("id"), b.at("id"));
  }
}

TEST_F(ImportTest, FailedRowsGoToASideFileWithTheirReason) {
  const std::string source = Path("bad.csv");
  {
    std::ofstream out(source, std::ios::binary);
    out << "name,source,rating,status,review_count\n"
        << "Good,web,4,new,1\n"
        << ",web,,,\n"                 // line 3: no name
        << "Bad rating,web,abc,,\n"    // line 4
        << "Bad status,web,,bogus,\n"  // line 5
        << "Too,many,1,new,1,extra\n"  // line 6
        << "Negative,web,,,-3\n"       // line 7
        << "Also good,web,,,\n";
  }
  CmdResult r = Import("a", source);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("rows 7, created 2, merged 0, failed 5"), std::string::npos) << r.out;
  auto failed = ReadCsv(source + ".failed.csv");
  ASSERT_EQ(failed.size(), 5u);
  EXPECT_EQ(failed[0].at("name"), "");
  EXPECT_NE(failed[0].at("error").find("line 3"), std::string::npos);
  EXPECT_NE(failed[0].at("error").find("name"), std::string::npos);
  EXPECT_EQ(failed[1].at("name"), "Bad rating");
  EXPECT_NE(failed[1].at("error").find("rating"), std::string::npos);
  EXPECT_NE(failed[2].at("error").find("status"), std::string::npos);
  EXPECT_NE(failed[3].at("error").find("fields"), std::string::npos);
  EXPECT_NE(failed[4].at("error").find("review_count"), std::string::npos);
  EXPECT_EQ(Export("a", Path("out.csv")).size(), 2u);
}

TEST_F(ImportTest, JsonArrayAndJsonlWithDedupAndDryRun) {
  const std::string array = Path("leads.json");
  {
    std::ofstream out(array);
    json list = json::array();
    for (int i = 0; i < 30; ++i) {
      list.push_back(json{{"name", "L" + std::to_string(i)},
                          {"source", "s"},
                          {"email", "l" + std::to_string(i) + "@x.io"},
                          {"tags", {"a"}},
                          {"attributes", {{{"name", "n"}, {"type", "number"}, {"value", i}}}}});
    }
    list.push_back(7);
    out << list.dump();
  }
  CmdResult dry = Import("a", array, "--dry-run");
  ASSERT_EQ(dry.exit_code, 0);
  EXPECT_NE(dry.out.find("valid 30"), std::string::npos) << dry.out;
  EXPECT_TRUE(Export("a", Path("e0.csv")).empty());

  CmdResult r = Import("a", array);
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("created 30, merged 0, failed 1"), std::string::npos) << r.out;
  std::ifstream failed(array + ".failed.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(failed, line));
  EXPECT_EQ(json::parse(line)["row"], 31);

  // The same leads again as JSONL with --dedup: every one merges by e-mail.
  const std::string lines = Path("leads.jsonl");
  {
    std::ofstream out(lines);
    for (int i = 0; i < 30; ++i) {
      out << json{{"name", "L" + std::to_string(i)},
                  {"source", "s"},
                  {"email", "L" + std::to_string(i) + "@X.IO"},
                  {"city", "Oslo"}}
                 .dump()
          << "\n";
    }
    out << "{broken\n";
  }
  CmdResult merged = Import("a", lines, "--dedup");
  ASSERT_EQ(merged.exit_code, 0);
  EXPECT_NE(merged.out.find("created 0, merged 30, failed 1"), std::string::npos) << merged.out;
  auto rows = Export("a", Path("e1.csv"));
  ASSERT_EQ(rows.size(), 30u);
  for (const auto& row : rows) EXPECT_EQ(row.at("city"), "Oslo");
  // Without --dedup the same file creates new leads.
  CmdResult plain = Import("a", lines);
  EXPECT_NE(plain.out.find("created 30"), std::string::npos) << plain.out;
}

TEST_F(ImportTest, LeadCapFailsTheRowsBeyondIt) {
  ASSERT_EQ(Klozeo("accounts create --db " + db_ + " --name f --plan free").exit_code, 0);
  const std::string source = Path("many.jsonl");
  {
    std::ofstream out(source);
    for (int i = 0; i < 130; ++i) {
      out << json{{"name", "L" + std::to_string(i)}, {"source", "s"}}.dump() << "\n";
    }
  }
  CmdResult r = Import("f", source);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("created 100, merged 0, failed 30"), std::string::npos) << r.out;
  std::ifstream failed(source + ".failed.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(failed, line));
  EXPECT_NE(line.find("leads_limit_reached"), std::string::npos) << line;
}

TEST_F(ImportTest, BadArgumentsExitWith2) {
  EXPECT_EQ(Import("a", Path("missing.csv")).exit_code, 2);
  EXPECT_EQ(Import("nobody", Path("x.csv")).exit_code, 2);
  std::ofstream(Path("x.txt")) << "name\n";
  EXPECT_EQ(Import("a", Path("x.txt")).exit_code, 2);
  std::ofstream(Path("ok.csv")) << "name,source\nA,b\n";
  EXPECT_EQ(Import("a", Path("ok.csv"), "--phone-region ZZ").exit_code, 2);
  EXPECT_EQ(Klozeo("serve --db " + db_ + " --listen 127.0.0.1:0 --phone-region ZZ").exit_code, 2);
  EXPECT_EQ(Klozeo("serve --db " + db_ + " --listen 127.0.0.1:0 --name-similarity 1.5").exit_code,
            2);
  EXPECT_EQ(Import("a", Path("ok.csv"), "--phone-region gb").exit_code, 0);
}

}  // namespace
}  // namespace klozeo::testing
