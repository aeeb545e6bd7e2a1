#include "export/json_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace klozeo::exporter {
namespace {

TEST(JsonArrayWriter, StreamsAnArray) {
  JsonArrayWriter writer;
  std::string out = writer.TakeOutput();
  writer.WriteElement({{"id", "cl_1"}, {"score", 4.5}});
  out += writer.TakeOutput();
  writer.WriteElement({{"id", "cl_2"}, {"tags", nlohmann::json::array()}});
  writer.Finish();
  out += writer.TakeOutput();
  EXPECT_EQ(out, R"([{"id":"cl_1","score":4.5},{"id":"cl_2","tags":[]}])"
                 "\n");
  EXPECT_EQ(nlohmann::json::parse(out).size(), 2u);
}

TEST(JsonArrayWriter, EmptyArrayAndInvalidUtf8) {
  JsonArrayWriter empty;
  empty.Finish();
  EXPECT_EQ(empty.TakeOutput(), "[]\n");

  JsonArrayWriter writer;
  writer.WriteElement({{"name", "bad\xFF"}});
  writer.Finish();
  EXPECT_EQ(writer.TakeOutput(), "[{\"name\":\"bad\xEF\xBF\xBD\"}]\n");
}

}  // namespace
}  // namespace klozeo::exporter
