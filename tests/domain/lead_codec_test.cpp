#include "domain/lead_codec.h"

#include <gtest/gtest.h>

namespace klozeo::domain {
namespace {

using nlohmann::json;

TEST(LeadCodec, CreateRequiresNameAndSource) {
  auto r = ParseLeadPatch(json{{"source", "web"}}, true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("'name'"), std::string::npos);
  r = ParseLeadPatch(json{{"name", "Acme"}}, true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("'source'"), std::string::npos);
  r = ParseLeadPatch(json{{"name", "  "}, {"source", "web"}}, true);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(ParseLeadPatch(json{{"name", "Acme"}, {"source", "web"}}, true).ok());
}

struct BadField {
  const char* body;
  const char* field;
};

class LeadCodecBadField : public ::testing::TestWithParam<BadField> {};

TEST_P(LeadCodecBadField, NamesTheField) {
  json body = json::parse(GetParam().body);
  body["name"] = body.value("name", json("Acme"));
  body["source"] = body.value("source", json("web"));
  auto r = ParseLeadPatch(body, true);
  ASSERT_FALSE(r.ok()) << GetParam().body;
  EXPECT_EQ(r.error().code, core::ErrorCode::kBadRequest);
  EXPECT_NE(r.error().message.find(GetParam().field), std::string::npos) << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, LeadCodecBadField,
    ::testing::Values(
        BadField{R"({"email": 5})", "email"}, BadField{R"({"name": 5})", "name"},
        BadField{R"({"name": null})", "name"}, BadField{R"({"source": ""})", "source"},
        BadField{R"({"rating": "high"})", "rating"},
        BadField{R"({"review_count": -1})", "review_count"},
        BadField{R"({"review_count": 2.5})", "review_count"},
        BadField{R"({"review_count": "3"})", "review_count"},
        BadField{R"({"latitude": 91})", "latitude"},
        BadField{R"({"longitude": -181})", "longitude"}, BadField{R"({"tags": "vip"})", "tags"},
        BadField{R"({"tags": [1]})", "tags"}, BadField{R"({"status": "won"})", "status"},
        BadField{R"({"status": 1})", "status"}, BadField{R"({"attributes": {}})", "attributes"},
        BadField{R"({"attributes": [{"name": "x", "type": "number", "value": "5"}]})",
                 "attributes[0]"},
        BadField{R"({"attributes": [{"name": "bad name", "type": "text", "value": "v"}]})",
                 "attributes[0]"},
        BadField{R"({"attributes": [{"name": "x", "type": "date", "value": "v"}]})",
                 "attributes[0]"},
        BadField{R"({"attributes": [{"name": "x", "type": "list", "value": [1]}]})",
                 "attributes[0]"}));

TEST(LeadCodec, ReadOnlyAndUnknownFieldsAreIgnored) {
  auto r = ParseLeadPatch(json{{"name", "Acme"},
                               {"source", "web"},
                               {"id", "cl_x"},
                               {"score", 99},
                               {"created_at", 5},
                               {"whatever", true}},
                          true);
  ASSERT_TRUE(r.ok());
  Lead lead;
  ApplyPatch(lead, *r);
  EXPECT_EQ(lead.name, "Acme");
  EXPECT_EQ(lead.score, 0);
}

TEST(LeadCodec, TagsAreTrimmedDedupedAndOrdered) {
  auto r = ParseLeadPatch(json{{"tags", json::array({" vip ", "", "b2b", "vip", "  "})}}, false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->tags, (std::vector<std::string>{"vip", "b2b"}));
}

TEST(LeadCodec, PatchNullClearsAndReportsChange) {
  Lead lead;
  lead.name = "Acme";
  lead.source = "web";
  lead.text[kCity] = "Paris";
  auto r = ParseLeadPatch(json{{"city", nullptr}}, false);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(ApplyPatch(lead, *r));
  EXPECT_FALSE(lead.text[kCity].has_value());
  EXPECT_FALSE(ApplyPatch(lead, *r)) << "clearing twice is no change";
}

TEST(LeadCodec, MergeKeepsStoredValuesForEmptyIncoming) {
  Lead lead;
  lead.name = "Acme";
  lead.source = "web";
  lead.text[kCity] = "Paris";
  lead.text[kPhone] = "123";
  auto r = ParseLeadPatch(json{{"city", ""}, {"phone", nullptr}, {"email", "a@b.c"}}, false);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(ApplyMerge(lead, *r));
  EXPECT_EQ(lead.text[kCity], "Paris");
  EXPECT_EQ(lead.text[kPhone], "123");
  EXPECT_EQ(lead.text[kEmail], "a@b.c");
}

TEST(LeadCodec, AttributesUpsertByNameKeepingId) {
  Lead lead;
  auto r = ParseLeadPatch(json::parse(R"({"attributes": [
      {"name": "industry", "type": "text", "value": "Software"},
      {"name": "employees", "type": "number", "value": 500}]})"),
                          false);
  ASSERT_TRUE(r.ok());
  ApplyPatch(lead, *r);
  ASSERT_EQ(lead.attributes.size(), 2u);
  std::string id = lead.attributes[0].id;
  EXPECT_FALSE(id.empty());
  auto r2 = ParseLeadPatch(json::parse(R"({"attributes": [
      {"name": "industry", "type": "list", "value": ["CRM"]}]})"),
                           false);
  ASSERT_TRUE(r2.ok());
  EXPECT_TRUE(ApplyPatch(lead, *r2));
  ASSERT_EQ(lead.attributes.size(), 2u);
  EXPECT_EQ(lead.attributes[0].id, id);
  EXPECT_EQ(lead.attributes[0].type, AttributeType::kList);
}

TEST(LeadCodec, LeadJsonAlwaysHasArraysAndTimestamps) {
  Lead lead;
  lead.id = "cl_x";
  lead.name = "Acme";
  lead.source = "web";
  std::string text;
  AppendLeadJson(text, lead);
  json j = json::parse(text);
  EXPECT_TRUE(j["tags"].is_array());
  EXPECT_TRUE(j["attributes"].is_array());
  EXPECT_TRUE(j["created_at"].is_number_integer());
  EXPECT_TRUE(j["last_interaction_at"].is_number_integer());
  EXPECT_EQ(j["status"], "new");
  EXPECT_TRUE(j["email"].is_null());
}

TEST(LeadCodec, AttributeValueTypes) {
  EXPECT_TRUE(ValidateAttributeValue(AttributeType::kText, "x").ok());
  EXPECT_FALSE(ValidateAttributeValue(AttributeType::kText, 1).ok());
  EXPECT_TRUE(ValidateAttributeValue(AttributeType::kNumber, 1.5).ok());
  EXPECT_FALSE(ValidateAttributeValue(AttributeType::kNumber, true).ok());
  EXPECT_TRUE(ValidateAttributeValue(AttributeType::kBool, false).ok());
  EXPECT_FALSE(ValidateAttributeValue(AttributeType::kBool, 0).ok());
  EXPECT_TRUE(ValidateAttributeValue(AttributeType::kList, json::array({"a"})).ok());
  EXPECT_FALSE(ValidateAttributeValue(AttributeType::kList, json::array({1})).ok());
  EXPECT_TRUE(ValidateAttributeValue(AttributeType::kObject, json::object()).ok());
  EXPECT_FALSE(ValidateAttributeValue(AttributeType::kObject, json::array()).ok());
  EXPECT_TRUE(IsValidAttributeName("employees_2"));
  EXPECT_FALSE(IsValidAttributeName("a-b"));
  EXPECT_FALSE(IsValidAttributeName(std::string(65, 'a')));
}

TEST(LeadCodec, NoteContent) {
  EXPECT_TRUE(ParseNoteContent(json{{"content", "hi"}}).ok());
  EXPECT_FALSE(ParseNoteContent(json{{"content", ""}}).ok());
  EXPECT_FALSE(ParseNoteContent(json{{"content", 5}}).ok());
  EXPECT_FALSE(ParseNoteContent(json::object()).ok());
}

}  // namespace
}  // namespace klozeo::domain

namespace klozeo::domain {
namespace {

TEST(LeadCodec, JsonTextEscapesAndMatchesTheStructuredForm) {
  Lead lead;
  lead.id = "cl_x";
  lead.name = "Quote \" backslash \\ newline \n tab \t bell \x07 caf\xC3\xA9";
  lead.source = "s";
  lead.text[kCity] = "Z\xC3\xBCrich";
  lead.rating = 4.5;
  lead.latitude = -33.8688;
  lead.review_count = 12;
  lead.score = 87.25;
  lead.tags = {"a\"b", "vip"};
  lead.attributes.push_back({"id1", "n", AttributeType::kObject, json{{"k", {1, 2.5, "x"}}}});
  lead.created_at = 1703520000;
  std::string text;
  AppendLeadJson(text, lead);
  json parsed = json::parse(text);
  EXPECT_EQ(parsed["name"], lead.name);
  EXPECT_EQ(parsed["city"], "Z\xC3\xBCrich");
  EXPECT_EQ(parsed["rating"], 4.5);
  EXPECT_EQ(parsed["latitude"], -33.8688);
  EXPECT_EQ(parsed["review_count"], 12);
  EXPECT_EQ(parsed["score"], 87.25);
  EXPECT_EQ(parsed["tags"], json::array({"a\"b", "vip"}));
  EXPECT_EQ(parsed["attributes"][0]["value"], json({{"k", {1, 2.5, "x"}}}));
  EXPECT_TRUE(parsed["email"].is_null());
  EXPECT_TRUE(parsed["longitude"].is_null());
  EXPECT_NE(text.find("\"created_at\":1703520000"), std::string::npos) << "integer timestamps";
  EXPECT_EQ(parsed.size(), 26u) << "every field, always";
}

}  // namespace
}  // namespace klozeo::domain

namespace klozeo::domain {
namespace {

TEST(LeadCodec, ScoresAreWrittenAsNlohmannWritesThem) {
  for (double score : {0.0, 1.0, 60.0, 65.5, 87.25, 99.99, 100.0, 0.01, 33.33}) {
    std::string out;
    AppendScoreJson(out, score);
    EXPECT_EQ(out, json(score).dump()) << score;
  }
}

}  // namespace
}  // namespace klozeo::domain
