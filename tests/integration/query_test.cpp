// Filters, sorting, keyset paging and exports over real HTTP (the query-engine issue).
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "export/csv_reader.h"
#include "support/test_server.h"

namespace klozeo::testing {
namespace {

using nlohmann::json;

/// The names of the leads a listing returns, in order.
std::vector<std::string> Names(const HttpClient& api, const std::vector<std::string>& filters,
                               const std::string& extra = "") {
  std::string target = "/api/v1/leads?limit=1000" + extra;
  for (const auto& f : filters) target += "&filter=" + UrlEncode(f);
  auto r = api.Get(target);
  EXPECT_EQ(r.status, 200) << target << " -> " << r.body;
  std::vector<std::string> names;
  if (r.status != 200) return names;
  json body = r.json();
  for (const auto& l : body["leads"]) names.push_back(l["name"]);
  return names;
}

std::set<std::string> NameSet(const HttpClient& api, const std::vector<std::string>& filters) {
  auto v = Names(api, filters);
  return {v.begin(), v.end()};
}

class QueryApi : public ::testing::Test {
 protected:
  void SetUp() override {
    api_ = std::make_unique<HttpClient>(server_.NewAccount());
    auto add = [&](json lead) {
      server_.clock().AdvanceMillis(1000);
      auto r = api_->Post("/api/v1/leads", lead);
      ASSERT_EQ(r.status, 201) << r.body;
    };
    add({{"name", "Alpha"},
         {"source", "web"},
         {"city", "Z\xC3\xBCrich"},
         {"rating", 4.5},
         {"review_count", 120},
         {"email", "a@acme.com"},
         {"tags", {"VIP", "b2b"}},
         {"latitude", 47.3769},
         {"longitude", 8.5417},
         {"status", "qualified"},
         {"attributes",
          {{{"name", "industry"}, {"type", "text"}, {"value", "Software"}},
           {{"name", "employees"}, {"type", "number"}, {"value", 500}},
           {{"name", "verified"}, {"type", "bool"}, {"value", true}},
           {{"name", "products"}, {"type", "list"}, {"value", {"CRM", "ERP"}}}}}});
    add({{"name", "Bravo"},
         {"source", "maps"},
         {"city", "ZURICH"},
         {"rating", 3.0},
         {"review_count", 10},
         {"email", "b@bravo.io"},
         {"tags", {"b2c"}},
         {"latitude", 47.40},
         {"longitude", 8.60},
         {"attributes",
          {{{"name", "industry"}, {"type", "text"}, {"value", "Retail"}},
           {{"name", "employees"}, {"type", "number"}, {"value", 20}}}}});
    add({{"name", "Charlie"},
         {"source", "web"},
         {"city", "Paris"},
         {"rating", 5},
         {"review_count", 999},
         {"tags", json::array()},
         {"latitude", 48.8566},
         {"longitude", 2.3522},
         {"status", "contacted"},
         {"attributes",
          {{{"name", "employees"}, {"type", "number"}, {"value", 5000}},
           {{"name", "verified"}, {"type", "bool"}, {"value", false}}}}});
    add({{"name", "Delta"}, {"source", "import"}, {"description", "100% organic"}, {"email", ""}});
  }

  TestServer server_;
  std::unique_ptr<HttpClient> api_;
};

TEST_F(QueryApi, TextOperatorsAreUnicodeCaseInsensitive) {
  using S = std::set<std::string>;
  EXPECT_EQ(NameSet(*api_, {"and.eq.city.z\xC3\xBCrich"}), (S{"Alpha"}));
  EXPECT_EQ(NameSet(*api_, {"and.eq.city.Z\xC3\x9CRICH"}), (S{"Alpha"}));
  EXPECT_EQ(NameSet(*api_, {"and.neq.city.paris"}), (S{"Alpha", "Bravo", "Delta"}))
      << "negative operators include leads without the field";
  EXPECT_EQ(NameSet(*api_, {"and.contains.email.ACME"}), (S{"Alpha"}));
  EXPECT_EQ(NameSet(*api_, {"and.not_contains.email.acme"}), (S{"Bravo", "Charlie", "Delta"}));
  EXPECT_EQ(NameSet(*api_, {"and.starts_with.name.al"}), (S{"Alpha"}));
  EXPECT_EQ(NameSet(*api_, {"and.ends_with.email..io"}), (S{"Bravo"}));
  EXPECT_EQ(NameSet(*api_, {"and.contains.description.100%"}), (S{"Delta"})) << "% is literal";
  EXPECT_EQ(NameSet(*api_, {"and.in.source.web,IMPORT"}), (S{"Alpha", "Charlie", "Delta"}));
  EXPECT_EQ(NameSet(*api_, {"and.is_empty.email"}), (S{"Charlie", "Delta"}));
  EXPECT_EQ(NameSet(*api_, {"and.is_not_empty.email"}), (S{"Alpha", "Bravo"}));
  EXPECT_EQ(NameSet(*api_, {"and.eq.status.QUALIFIED"}), (S{"Alpha"}));
  EXPECT_EQ(NameSet(*api_, {"and.eq.email.a@acme.com"}), (S{"Alpha"})) << "value holds dots";
}

TEST_F(QueryApi, NumberTagsLocationAndCombinations) {
  using S = std::set<std::string>;
  EXPECT_EQ(NameSet(*api_, {"and.gte.rating.4.5"}), (S{"Alpha", "Charlie"}));
  EXPECT_EQ(NameSet(*api_, {"and.gt.rating.4.5"}), (S{"Charlie"}));
  EXPECT_EQ(NameSet(*api_, {"and.lt.review_count.100"}), (S{"Bravo"}));
  EXPECT_EQ(NameSet(*api_, {"and.lte.review_count.1e3"}), (S{"Alpha", "Bravo", "Charlie"}));
  EXPECT_EQ(NameSet(*api_, {"and.eq.rating.5"}), (S{"Charlie"}));
  EXPECT_EQ(NameSet(*api_, {"and.array_contains.tags.vip"}), (S{"Alpha"}));
  EXPECT_EQ(NameSet(*api_, {"and.array_not_contains.tags.vip"}), (S{"Bravo", "Charlie", "Delta"}));
  EXPECT_EQ(NameSet(*api_, {"and.array_empty.tags"}), (S{"Charlie", "Delta"}));
  EXPECT_EQ(NameSet(*api_, {"and.array_not_empty.tags"}), (S{"Alpha", "Bravo"}));
  EXPECT_EQ(NameSet(*api_, {"and.within_radius.location.47.37,8.54,10"}), (S{"Alpha", "Bravo"}));
  EXPECT_EQ(NameSet(*api_, {"and.within_radius.location.47.37,8.54,1"}), (S{"Alpha"}));
  EXPECT_EQ(NameSet(*api_, {"and.is_set.location"}), (S{"Alpha", "Bravo", "Charlie"}));
  EXPECT_EQ(NameSet(*api_, {"and.is_not_set.location"}), (S{"Delta"}));
  // and/or: every and must hold, and at least one or.
  EXPECT_EQ(NameSet(*api_, {"and.eq.source.web", "or.eq.city.paris", "or.gt.rating.4"}),
            (S{"Alpha", "Charlie"}));
  EXPECT_EQ(NameSet(*api_, {"or.eq.city.paris", "or.eq.source.maps"}), (S{"Bravo", "Charlie"}));
  EXPECT_EQ(NameSet(*api_, {"and.eq.source.web", "and.eq.city.paris"}), (S{"Charlie"}));
}

TEST_F(QueryApi, AttributeFiltersOfEachType) {
  using S = std::set<std::string>;
  EXPECT_EQ(NameSet(*api_, {"and.eq.attr:industry.software"}), (S{"Alpha"}));
  EXPECT_EQ(NameSet(*api_, {"and.contains.attr:industry.tai"}), (S{"Bravo"}));
  EXPECT_EQ(NameSet(*api_, {"and.gt.attr:employees.100"}), (S{"Alpha", "Charlie"}));
  EXPECT_EQ(NameSet(*api_, {"and.lte.attr:employees.20"}), (S{"Bravo"}));
  EXPECT_EQ(NameSet(*api_, {"and.eq.attr:employees.500"}), (S{"Alpha"}));
  EXPECT_EQ(NameSet(*api_, {"and.eq.attr:verified.true"}), (S{"Alpha"}));
  EXPECT_EQ(NameSet(*api_, {"and.eq.attr:verified.false"}), (S{"Charlie"}));
  EXPECT_EQ(NameSet(*api_, {"and.array_contains.attr:products.crm"}), (S{"Alpha"}));
  EXPECT_EQ(NameSet(*api_, {"and.is_not_empty.attr:industry"}), (S{"Alpha", "Bravo"}));
  EXPECT_TRUE(NameSet(*api_, {"and.gt.attr:nonexistent.1"}).empty());
}

TEST_F(QueryApi, SortingNullsLastAndByAttribute) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Names(*api_, {}), (V{"Alpha", "Bravo", "Charlie", "Delta"})) << "created_at asc";
  EXPECT_EQ(Names(*api_, {}, "&sort_by=rating&sort_order=desc"),
            (V{"Charlie", "Alpha", "Bravo", "Delta"}));
  EXPECT_EQ(Names(*api_, {}, "&sort_by=rating&sort_order=Asc"),
            (V{"Bravo", "Alpha", "Charlie", "Delta"}))
      << "nulls last in both directions";
  // Folded text order: "paris" < "zurich" < "z\u00fcrich" (byte order of the folded text).
  EXPECT_EQ(Names(*api_, {}, "&sort_by=city"), (V{"Charlie", "Bravo", "Alpha", "Delta"}));
  EXPECT_EQ(Names(*api_, {}, "&sort_by=attr:employees&sort_order=DESC"),
            (V{"Charlie", "Alpha", "Bravo", "Delta"}));
  EXPECT_EQ(Names(*api_, {}, "&sort_by=created_at&sort_order=desc"),
            (V{"Delta", "Charlie", "Bravo", "Alpha"}));
}

TEST_F(QueryApi, BadFiltersSortsAndCursorsAre400NamingTheProblem) {
  for (std::string bad :
       {"and.gt.city.3", "xor.eq.city.x", "and.like.city.x", "and.eq.nosuchfield.x",
        "and.gt.rating.high", "and.within_radius.location.1,2", "and.contains.rating.4",
        "and.eq.attr:bad-name.x", "and"}) {
    auto r = api_->Get("/api/v1/leads?filter=" + UrlEncode(bad));
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_NE(r.json()["message"].get<std::string>().find(bad.substr(0, 8)), std::string::npos)
        << r.body;
  }
  EXPECT_EQ(api_->Get("/api/v1/leads?sort_by=nosuch").status, 400);
  EXPECT_EQ(api_->Get("/api/v1/leads?sort_order=sideways").status, 400);
  std::string cursor = api_->Get("/api/v1/leads?limit=1&sort_by=rating").json()["next_cursor"];
  auto foreign = api_->Get("/api/v1/leads?limit=1&sort_by=city&cursor=" + cursor);
  EXPECT_EQ(foreign.status, 400) << "a cursor from another sort";
  EXPECT_EQ(api_->Get("/api/v1/leads?limit=1&sort_by=rating&cursor=" + cursor).status, 200);
}

TEST(QueryPaging, TenPagesStayCorrectUnderConcurrentInsertsAndDeletes) {
  TestServer server;
  auto api = server.NewAccount();
  std::vector<std::string> original;
  for (int i = 0; i < 120; ++i) {
    if (i % 7 == 0) server.clock().AdvanceMillis(1000);
    auto r = api.Post(
        "/api/v1/leads",
        json{{"name", "L" + std::to_string(i)}, {"source", "s"}, {"rating", (i * 37) % 50 / 10.0}});
    original.push_back(r.json()["id"]);
  }
  // Another client keeps writing: new leads (later created_at) and deletions of a few others.
  std::set<std::string> deleted = {original[5], original[50], original[111]};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    int n = 0;
    for (const auto& id : deleted) EXPECT_EQ(api.Delete("/api/v1/leads/" + id).status, 204);
    while (!stop.load() && n < 200) {
      api.Post("/api/v1/leads", json{{"name", "new" + std::to_string(n++)}, {"source", "s"}});
    }
  });
  for (std::string sort : {"", "&sort_by=rating&sort_order=desc"}) {
    std::vector<std::string> seen;
    std::string cursor;
    int pages = 0;
    while (true) {
      std::string target =
          "/api/v1/leads?limit=10" + sort + (cursor.empty() ? "" : "&cursor=" + cursor);
      auto r = api.Get(target);
      ASSERT_EQ(r.status, 200) << r.body;
      json page = r.json();
      ++pages;
      for (auto& l : page["leads"]) seen.push_back(l["id"]);
      if (!page["has_more"].get<bool>()) {
        EXPECT_TRUE(page["next_cursor"].is_null());
        break;
      }
      cursor = page["next_cursor"];
    }
    EXPECT_GE(pages, 10);
    std::set<std::string> unique(seen.begin(), seen.end());
    EXPECT_EQ(unique.size(), seen.size()) << "no lead twice";
    for (const auto& id : original) {
      if (deleted.count(id)) continue;
      EXPECT_TRUE(unique.count(id)) << "every lead that stayed is listed: " << id;
    }
  }
  stop = true;
  writer.join();
}

std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::vector<std::string>> rows;
  auto status = exporter::ForEachCsvRecord(in, [&](exporter::CsvRecord& r) {
    rows.push_back(r.fields);
    return core::Ok();
  });
  EXPECT_TRUE(status.ok());
  return rows;
}

TEST_F(QueryApi, ExportsMatchTheListInEveryFormat) {
  const std::string query = "&filter=and.is_set.location&sort_by=rating&sort_order=desc";
  json listed = api_->Get("/api/v1/leads?limit=1000" + query).json()["leads"];
  ASSERT_EQ(listed.size(), 3u);

  // JSON: an array of full leads, equal to the list's.
  auto j = api_->Get("/api/v1/leads/export?format=json" + query);
  ASSERT_EQ(j.status, 200) << j.body;
  EXPECT_EQ(j.header("content-type"), "application/json");
  EXPECT_EQ(j.header("transfer-encoding"), "chunked");
  EXPECT_EQ(j.header("content-disposition"), "attachment; filename=\"leads.json\"");
  EXPECT_EQ(j.json(), listed);

  // CSV: contract column order, tags joined with ';', attribute columns for names present.
  auto c = api_->Get("/api/v1/leads/export?format=csv" + query);
  ASSERT_EQ(c.status, 200);
  EXPECT_EQ(c.header("content-disposition"), "attachment; filename=\"leads.csv\"");
  auto rows = ParseCsv(c.body);
  ASSERT_EQ(rows.size(), 4u);
  std::vector<std::string> header = rows[0];
  EXPECT_EQ(header[0], "id");
  EXPECT_EQ(header[12], "latitude");
  EXPECT_EQ(header[17], "tags");
  EXPECT_EQ(header[24], "last_interaction_at");
  std::vector<std::string> attrs(header.begin() + 25, header.end());
  EXPECT_EQ(attrs, (std::vector<std::string>{"attr:employees", "attr:industry", "attr:products",
                                             "attr:verified"}));
  for (size_t i = 0; i < listed.size(); ++i) {
    const auto& row = rows[i + 1];
    EXPECT_EQ(row[0], listed[i]["id"]);
    EXPECT_EQ(row[1], listed[i]["name"]);
    EXPECT_EQ(std::stod(row[14]), listed[i]["rating"].get<double>());
    EXPECT_EQ(row[22], std::to_string(listed[i]["created_at"].get<int64_t>()));
  }
  EXPECT_EQ(rows[2][17], "VIP;b2b") << "Alpha is second by rating";
  EXPECT_EQ(rows[2][26], "Software");
  EXPECT_EQ(rows[2][27], "[\"CRM\",\"ERP\"]");

  // XLSX: unzip the sheet and check cells: numbers as numbers, timestamps as dates.
  auto x = api_->Get("/api/v1/leads/export?format=xlsx" + query);
  ASSERT_EQ(x.status, 200);
  EXPECT_EQ(x.header("content-type"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  TempDir dir;
  std::string path = (dir.path() / "leads.xlsx").string();
  std::ofstream(path, std::ios::binary) << x.body;
  std::string cmd = "unzip -p " + path + " xl/worksheets/sheet1.xml";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string xml;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) xml.append(buf, n);
  ASSERT_EQ(pclose(p), 0) << "unzip could not read the workbook";
  for (const auto& lead : listed) {
    EXPECT_NE(xml.find(lead["id"].get<std::string>()), std::string::npos);
  }
  // Row 2 (Charlie, rating 5): the rating cell is numeric, created_at a styled number.
  EXPECT_NE(xml.find("<c r=\"O2\"><v>5</v></c>"), std::string::npos) << xml.substr(0, 3000);
  EXPECT_NE(xml.find("r=\"W2\" s=\""), std::string::npos) << "created_at carries a date format";
  // rows: header + 3
  EXPECT_NE(xml.find("<row r=\"4\""), std::string::npos);
  EXPECT_EQ(xml.find("<row r=\"5\""), std::string::npos);
}

TEST_F(QueryApi, ExportFormatAndFormulaNeutralisation) {
  EXPECT_EQ(api_->Get("/api/v1/leads/export").status, 400);
  EXPECT_EQ(api_->Get("/api/v1/leads/export?format=pdf").status, 400);
  EXPECT_EQ(api_->Get("/api/v1/leads/export?format=csv&filter=and.bad").status, 400);
  api_->Post("/api/v1/leads", json{{"name", "=HYPERLINK(\"x\")"}, {"source", "@evil"}});
  std::string safe = api_->Get("/api/v1/leads/export?format=csv&filter=and.eq.source.@evil").body;
  EXPECT_NE(safe.find("'=HYPERLINK"), std::string::npos) << safe;
  EXPECT_NE(safe.find(",'@evil,"), std::string::npos) << safe;
  std::string raw = api_->Get(
                            "/api/v1/leads/export?format=csv&neutralize_formulas=false"
                            "&filter=and.eq.source.@evil")
                        .body;
  EXPECT_EQ(raw.find("'=HYPERLINK"), std::string::npos) << raw;
  // No match: a header only, an empty JSON array.
  auto none = "&filter=and.eq.city.nowhere";
  EXPECT_EQ(ParseCsv(api_->Get(std::string("/api/v1/leads/export?format=csv") + none).body).size(),
            1u);
  EXPECT_EQ(api_->Get(std::string("/api/v1/leads/export?format=json") + none).json(),
            json::array());
}

TEST(QueryTenancy, ListsAndExportsNeverShowAnotherAccount) {
  TestServer server;
  auto alice = server.NewAccount();
  auto bob = server.NewAccount();
  alice.Post("/api/v1/leads", json{{"name", "Secret"}, {"source", "s"}, {"city", "Paris"}});
  EXPECT_EQ(bob.Get("/api/v1/leads?filter=and.eq.city.paris").json()["count"], 0);
  EXPECT_EQ(bob.Get("/api/v1/leads/export?format=json").json(), json::array());
  EXPECT_EQ(bob.Get("/api/v1/leads/export?format=csv").body.find("Secret"), std::string::npos);
}

}  // namespace
}  // namespace klozeo::testing
