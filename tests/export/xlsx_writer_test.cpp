#include "export/xlsx_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <regex>
#include <string>

namespace klozeo::exporter {
namespace {

namespace fs = std::filesystem;

// Each test gets its own directory for the workbook and libxlsxwriter's temporary files.
class XlsxWriterTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("klozeo_xlsx_" + std::to_string(::getpid()) + "_" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "tmp");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string PathOf(const std::string& name) const { return (dir_ / name).string(); }
  XlsxWriterOptions Options() const {
    return {.sheet_name = "Leads", .tmpdir = (dir_ / "tmp").string()};
  }

  // One member of the .xlsx (a zip), through the unzip tool.
  static std::string Unzip(const std::string& path, const std::string& member) {
    std::string command = "unzip -p '" + path + "' '" + member + "'";
    std::string out;
    if (FILE* pipe = ::popen(command.c_str(), "r")) {
      char buffer[4096];
      size_t n;
      while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
      ::pclose(pipe);
    }
    return out;
  }

  static bool HaveUnzip() { return std::system("command -v unzip >/dev/null 2>&1") == 0; }

  fs::path dir_;
};

TEST_F(XlsxWriterTest, WritesTypedCells) {
  if (!HaveUnzip()) GTEST_SKIP() << "the unzip tool is not installed: cannot inspect the xlsx";
  const std::string path = PathOf("leads.xlsx");
  core::Result<std::unique_ptr<XlsxWriter>> writer = XlsxWriter::Open(path, Options());
  ASSERT_TRUE(writer.ok()) << writer.error().message;
  ASSERT_TRUE((*writer)
                  ->WriteHeader({"name", "score", "reviews", "created_at", "ok", "empty", "nan"})
                  .ok());
  ASSERT_TRUE((*writer)
                  ->WriteRow({Cell{"Acme & <Co>"}, Cell{4.5}, Cell{int64_t{42}},
                              Cell{Timestamp{1700000000}}, Cell{true}, Cell{},
                              Cell{std::numeric_limits<double>::quiet_NaN()}})
                  .ok());
  ASSERT_TRUE((*writer)
                  ->WriteRow({Cell{"=1+1"}, Cell{-0.25}, Cell{0}, Cell{Timestamp{0}}, Cell{false}})
                  .ok());
  ASSERT_TRUE((*writer)->Close().ok());

  const std::string sheet = Unzip(path, "xl/worksheets/sheet1.xml");
  ASSERT_FALSE(sheet.empty());
  // Header: bold inline strings (constant_memory mode writes strings inline).
  EXPECT_NE(sheet.find(R"(<c r="A1" s="1" t="inlineStr"><is><t>name</t></is></c>)"),
            std::string::npos)
      << sheet;
  // Text, escaped, never neutralised (XLSX cells are typed; "=1+1" is not a formula).
  EXPECT_NE(sheet.find(R"(<c r="A2" t="inlineStr"><is><t>Acme &amp; &lt;Co&gt;</t></is></c>)"),
            std::string::npos);
  EXPECT_NE(sheet.find(R"(<c r="A3" t="inlineStr"><is><t>=1+1</t></is></c>)"), std::string::npos);
  // Numbers as <v> without a type.
  EXPECT_NE(sheet.find(R"(<c r="B2"><v>4.5</v></c>)"), std::string::npos);
  EXPECT_NE(sheet.find(R"(<c r="C2"><v>42</v></c>)"), std::string::npos);
  EXPECT_NE(sheet.find(R"(<c r="B3"><v>-0.25</v></c>)"), std::string::npos);
  EXPECT_NE(sheet.find(R"(<c r="C3"><v>0</v></c>)"), std::string::npos);
  // Booleans.
  EXPECT_NE(sheet.find(R"(<c r="E2" t="b"><v>1</v></c>)"), std::string::npos);
  EXPECT_NE(sheet.find(R"(<c r="E3" t="b"><v>0</v></c>)"), std::string::npos);
  // Empty and NaN cells are not written.
  EXPECT_EQ(sheet.find(R"(r="F2")"), std::string::npos);
  EXPECT_EQ(sheet.find(R"(r="G2")"), std::string::npos);

  // The date: an Excel serial number (days since 1899-12-30, UTC) with a date-time style.
  std::smatch date;
  ASSERT_TRUE(std::regex_search(sheet, date,
                                std::regex(R"re(<c r="D2" s="(\d+)"><v>([0-9.]+)</v></c>)re")));
  EXPECT_NEAR(std::stod(date[2]), 25569.0 + 1700000000.0 / 86400.0, 1e-9);  // 2023-11-14 22:13:20
  EXPECT_NE(sheet.find(R"(<c r="D3" s=")" + date[1].str() + R"("><v>25569</v></c>)"),
            std::string::npos);  // the Unix epoch
  const std::string styles = Unzip(path, "xl/styles.xml");
  std::smatch format;
  ASSERT_TRUE(std::regex_search(
      styles, format,
      std::regex(R"re(<numFmt numFmtId="(\d+)" formatCode="yyyy-mm-dd hh:mm:ss"/>)re")));
  // The cell's style (index into cellXfs) uses that number format.
  std::smatch xfs;
  ASSERT_TRUE(
      std::regex_search(styles, xfs, std::regex(R"re(<cellXfs count="\d+">(.*?)</cellXfs>)re")));
  const std::string list = xfs[1];
  const std::regex xf("<xf [^>]*>");
  std::sregex_iterator it(list.begin(), list.end(), xf);
  std::advance(it, std::stoi(date[1]));
  ASSERT_NE(it, std::sregex_iterator());
  EXPECT_NE(it->str().find("numFmtId=\"" + format[1].str() + "\""), std::string::npos) << it->str();
}

TEST_F(XlsxWriterTest, TruncatesTextToExcelsLimit) {
  if (!HaveUnzip()) GTEST_SKIP() << "the unzip tool is not installed: cannot inspect the xlsx";
  const std::string path = PathOf("long.xlsx");
  auto writer = XlsxWriter::Open(path, Options());
  ASSERT_TRUE(writer.ok());
  // 32766 ASCII characters then emoji (two UTF-16 units each): the first emoji no longer fits.
  std::string text = std::string(32766, 'x') + "\U0001F600\U0001F600";
  ASSERT_TRUE((*writer)->WriteRow({Cell{std::string(40000, 'y')}, Cell{text}}).ok());
  ASSERT_TRUE((*writer)->Close().ok());
  const std::string sheet = Unzip(path, "xl/worksheets/sheet1.xml");
  EXPECT_NE(sheet.find("<t>" + std::string(32767, 'y') + "</t>"), std::string::npos);
  EXPECT_EQ(sheet.find(std::string(32768, 'y')), std::string::npos);
  EXPECT_NE(sheet.find("<t>" + std::string(32766, 'x') + "</t>"), std::string::npos);
}

TEST_F(XlsxWriterTest, EnforcesExcelRowAndColumnLimits) {
  auto writer = XlsxWriter::Open(PathOf("limits.xlsx"), Options());
  ASSERT_TRUE(writer.ok());
  core::Status too_wide = (*writer)->WriteRow(std::vector<Cell>(16385, Cell{int64_t{1}}));
  ASSERT_FALSE(too_wide.ok());
  EXPECT_EQ(too_wide.error().code, core::ErrorCode::kBadRequest);
  // Rows without cells are cheap: they only advance the row counter.
  for (int row = 0; row < 1048576; ++row) ASSERT_TRUE((*writer)->WriteRow({}).ok());
  core::Status too_long = (*writer)->WriteRow({Cell{"one too many"}});
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, core::ErrorCode::kBadRequest);
}

TEST_F(XlsxWriterTest, AbandonedOrFailedWorkbooksLeaveNoFile) {
  const std::string path = PathOf("abandoned.xlsx");
  {
    auto writer = XlsxWriter::Open(path, Options());
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->WriteRow({Cell{"partial"}}).ok());
  }
  EXPECT_FALSE(fs::exists(path));

  auto unwritable = XlsxWriter::Open(PathOf("missing-dir/x.xlsx"), Options());
  ASSERT_TRUE(unwritable.ok());  // libxlsxwriter only opens the target in Close()
  core::Status closed = (*unwritable)->Close();
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(closed.error().code, core::ErrorCode::kInternal);

  auto done = XlsxWriter::Open(PathOf("done.xlsx"), Options());
  ASSERT_TRUE(done.ok());
  ASSERT_TRUE((*done)->Close().ok());
  EXPECT_TRUE(fs::exists(PathOf("done.xlsx")));
  EXPECT_FALSE((*done)->Close().ok());
  EXPECT_FALSE((*done)->WriteRow({Cell{1.0}}).ok());
}

TEST_F(XlsxWriterTest, ReleasesTemporaryFiles) {
  auto open_descriptors = [] {
    return std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator());
  };
  const auto before = open_descriptors();
  for (int i = 0; i < 10; ++i) {
    auto closed = XlsxWriter::Open(PathOf("closed.xlsx"), Options());
    ASSERT_TRUE(closed.ok());
    ASSERT_TRUE((*closed)->WriteRow({Cell{"x"}}).ok());
    ASSERT_TRUE((*closed)->Close().ok());
    auto abandoned = XlsxWriter::Open(PathOf("abandoned.xlsx"), Options());
    ASSERT_TRUE(abandoned.ok());
    ASSERT_TRUE((*abandoned)->WriteRow({Cell{"x"}}).ok());
  }
  EXPECT_EQ(open_descriptors(), before);
  EXPECT_TRUE(fs::is_empty(dir_ / "tmp"));
}

}  // namespace
}  // namespace klozeo::exporter
