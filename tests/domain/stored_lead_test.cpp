#include "domain/stored_lead.h"

#include <gtest/gtest.h>

#include "domain/lead_codec.h"

namespace klozeo::domain {
namespace {

using nlohmann::json;

// What the JSON parser reads from the same text: the readers must agree with it exactly.
std::vector<Attribute> ParsedByJson(const std::string& text) {
  std::vector<Attribute> out;
  json array = json::parse(text, nullptr, false);
  if (!array.is_array()) return out;
  for (auto& a : array) {
    if (!a.is_array() || a.size() != 4) continue;
    out.push_back(Attribute{
        a[0].get<std::string>(), a[1].get<std::string>(),
        ParseAttributeType(a[2].get<std::string>()).value_or(AttributeType::kText), a[3]});
  }
  return out;
}

TEST(StoredLead, AttributesAgreeWithTheJsonParser) {
  const std::vector<std::string> cases = {
      "[]",
      R"([["a1","employees","number",1234]])",
      R"([["a1","n","number",-7],["a2","x","number",4.5],["a3","e","number",1e21]])",
      R"([["a1","n","number",18446744073709551615],["a2","m","number",-9223372036854775808]])",
      R"([["a1","big","number",123456789012345678901234567890]])",
      R"([["a1","t","text","caf\u00e9 \"quoted\" \\ back"],["a2","u","text","plain"]])",
      R"([["a1","b","bool",true],["a2","c","bool",false],["a3","z","text",null]])",
      R"([["a1","l","list",["email","sms"]],["a2","o","object",{"k":[1,{"x":"]"}]}]])",
      // PostgreSQL writes jsonb with spaces.
      R"([["a1", "l", "list", ["a", "b"]], ["a2", "n", "number", 2.0]])",
      R"([["a1","w","weird",1]])",
  };
  for (const auto& text : cases) {
    std::vector<Attribute> read;
    ReadStoredAttributes(text, read);
    std::vector<Attribute> expected = ParsedByJson(text);
    ASSERT_EQ(read.size(), expected.size()) << text;
    for (size_t i = 0; i < read.size(); ++i) {
      EXPECT_EQ(read[i].id, expected[i].id) << text;
      EXPECT_EQ(read[i].name, expected[i].name) << text;
      EXPECT_EQ(read[i].type, expected[i].type) << text;
      // Same JSON type (an integer stays an integer) and the same text when written back.
      EXPECT_EQ(read[i].value.type(), expected[i].value.type()) << text;
      EXPECT_EQ(read[i].value.dump(), expected[i].value.dump()) << text;
    }
  }
}

TEST(StoredLead, MalformedAttributesAreSkippedNotThrown) {
  std::vector<Attribute> read;
  ReadStoredAttributes("not json", read);
  EXPECT_TRUE(read.empty());
  ReadStoredAttributes(R"([["a1","n","number",1],["short"],["a2","m","text","x"]])", read);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[1].value, "x");
  read.clear();
  ReadStoredAttributes(R"([["a1","n","number",1])", read);  // unterminated
  EXPECT_TRUE(read.empty());
}

TEST(StoredLead, TagsAgreeWithTheJsonParser) {
  EXPECT_EQ(ReadStoredTags("[]"), std::vector<std::string>{});
  EXPECT_EQ(ReadStoredTags(R"(["b2b","vip"])"), (std::vector<std::string>{"b2b", "vip"}));
  EXPECT_EQ(ReadStoredTags(R"(["b2b", "vip"])"), (std::vector<std::string>{"b2b", "vip"}));
  EXPECT_EQ(ReadStoredTags(R"(["a\"b","c\\d","\u00e9"])"),
            (std::vector<std::string>{"a\"b", "c\\d", "\xC3\xA9"}));
  EXPECT_EQ(ReadStoredTags(R"(["a",1,"b"])"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ReadStoredTags("{}"), std::vector<std::string>{});
  EXPECT_EQ(ReadStoredTags(""), std::vector<std::string>{});
}

TEST(StoredLead, JsonStringEscapesWhatJsonNeeds) {
  std::string out;
  AppendJsonString(out, "plain caf\xC3\xA9");
  EXPECT_EQ(out, "\"plain caf\xC3\xA9\"");
  out.clear();
  std::string text = "q\"b\\n\nr\rt\tz";
  text += '\x01';
  AppendJsonString(out, text);
  EXPECT_EQ(out, R"("q\"b\\n\nr\rt\tz\u0001")");
  EXPECT_EQ(json::parse(out), text);
}

}  // namespace
}  // namespace klozeo::domain
