// storage::Tx for accounts and keys, leads with attributes, listings, dedup lookups, notes,
// scoring rules and idempotency records: one suite, run on SQLite and (as the `.pg` variants)
// on PostgreSQL, over the one store implementation (storage/sql/sql_tx.h).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "app/wiring.h"
#include "core/ids.h"
#include "query/cursor.h"
#include "query/filter.h"
#include "query/sort.h"
#include "service/lead_service.h"
#include "support/test_server.h"

namespace klozeo::storage {
namespace {

const domain::AccountKey acc1{1};  // the key the database gives the first account
const domain::AccountKey acc2{2};  // the key the database gives the second account

domain::Lead MakeLead(const std::string& name, const std::string& city = "San Francisco") {
  domain::Lead lead;
  lead.id = "cl_" + core::NewUuidV7();
  lead.name = name;
  lead.source = "test";
  lead.text[domain::kEmail] = " Sales@" + name + ".com";
  lead.text[domain::kPhone] = "(415) 555-2671";
  lead.text[domain::kCity] = city;
  lead.tags = {"b2b", "Hot"};
  lead.rating = 4.5;
  lead.review_count = 12;
  lead.created_at = lead.updated_at = lead.last_interaction_at = 1700000000;
  lead.attributes.push_back({"attr_1", "industry", domain::AttributeType::kText, "Software"});
  lead.attributes.push_back({"attr_2", "employees", domain::AttributeType::kNumber, 250});
  lead.attributes.push_back(
      {"attr_3", "langs", domain::AttributeType::kList, nlohmann::json::array({"C++", 2})});
  return lead;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = app::OpenDatabase(database_.url(), 2);
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(*db);
    auto tx = Begin();
    ASSERT_EQ(*tx->accounts().Insert({"acc1", "a1", "free", 1}), acc1);
    ASSERT_EQ(*tx->accounts().Insert({"acc2", "a2", "free", 2}), acc2);
    ASSERT_TRUE(tx->Commit().ok());
  }
  std::unique_ptr<Tx> Begin(TxMode mode = TxMode::kWrite) {
    auto tx = db_->Begin(mode);
    EXPECT_TRUE(tx.ok());
    return std::move(*tx);
  }
  void Insert(domain::AccountKey account, const domain::Lead& lead) {
    auto tx = Begin();
    ASSERT_TRUE(tx->leads()
                    .Insert(account, lead, service::LeadKeysOf(lead, dedup::PhoneNormalizer()))
                    .ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  testing::TestDatabase database_;
  std::unique_ptr<Database> db_;
};

TEST_F(StoreTest, AccountsAndKeys) {
  auto tx = Begin();
  auto found = tx->accounts().FindByName("a2");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, "acc2");
  EXPECT_FALSE(tx->accounts().FindByName("nobody")->has_value());
  auto all = tx->accounts().List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "acc1");
  // A second account with the same name is a conflict.
  EXPECT_EQ(tx->accounts().Insert({"acc3", "a1", "free", 3}).error().code,
            core::ErrorCode::kConflict);
}

TEST_F(StoreTest, KeysAreFoundByHashUntilRevoked) {
  {
    auto tx = Begin();
    ASSERT_TRUE(tx->accounts().InsertKey({"k1", "acc1", "hash1", "kz_1", 10, std::nullopt}).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto owner = db_->FindAccountByKeyHash("hash1");
  ASSERT_TRUE(owner.ok());
  ASSERT_TRUE(owner->has_value());
  EXPECT_EQ((*owner)->name, "a1");
  {
    auto tx = Begin();
    EXPECT_FALSE(*tx->accounts().RevokeKey(acc2, "k1", 20));  // another account's key
    EXPECT_TRUE(*tx->accounts().RevokeKey(acc1, "k1", 20));
    EXPECT_FALSE(*tx->accounts().RevokeKey(acc1, "k1", 21));  // already revoked
    auto keys = tx->accounts().ListKeys(acc1);
    ASSERT_TRUE(keys.ok());
    ASSERT_EQ(keys->size(), 1u);
    EXPECT_EQ((*keys)[0].revoked_at.value_or(0), 20);
    ASSERT_TRUE(tx->Commit().ok());
  }
  EXPECT_FALSE(db_->FindAccountByKeyHash("hash1")->has_value());
}

TEST_F(StoreTest, LeadsRoundTripWithAttributes) {
  auto lead = MakeLead("Acme");
  Insert(acc1, lead);
  auto tx = Begin(TxMode::kRead);
  auto got = tx->leads().Get(acc1, lead.id);
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_TRUE((*got)->SameContent(lead));
  EXPECT_EQ((*got)->created_at, 1700000000);
  ASSERT_EQ((*got)->attributes.size(), 3u);
  EXPECT_EQ((*got)->attributes[0].name, "industry");
  EXPECT_EQ((*got)->attributes[1].value, 250);
  EXPECT_EQ((*got)->attributes[2].value, nlohmann::json::array({"C++", 2}));
  // Tenant isolation: another account sees nothing.
  EXPECT_FALSE(tx->leads().Get(acc2, lead.id)->has_value());
  EXPECT_EQ(*tx->leads().Count(acc1, 100), 1);
  EXPECT_EQ(*tx->leads().Count(acc2, 100), 0);
}

TEST_F(StoreTest, UpdateReplacesFieldsAndAttributesAndDeleteCascades) {
  auto lead = MakeLead("Acme");
  Insert(acc1, lead);
  lead.name = "Acme Two";
  lead.text[domain::kEmail].reset();
  lead.attributes = {{"attr_9", "tier", domain::AttributeType::kBool, true}};
  {
    auto tx = Begin();
    ASSERT_TRUE(
        tx->leads().Update(acc1, lead, service::LeadKeysOf(lead, dedup::PhoneNormalizer())).ok());
    domain::Lead missing = MakeLead("Nobody");
    EXPECT_EQ(tx->leads()
                  .Update(acc1, missing, service::LeadKeysOf(missing, dedup::PhoneNormalizer()))
                  .error()
                  .code,
              core::ErrorCode::kNotFound);
    EXPECT_EQ(tx->leads()
                  .Update(acc2, lead, service::LeadKeysOf(lead, dedup::PhoneNormalizer()))
                  .error()
                  .code,
              core::ErrorCode::kNotFound);
    ASSERT_TRUE(tx->notes().Insert(acc1, {"note_1", lead.id, "hello", 5, 5}).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  {
    auto tx = Begin(TxMode::kRead);
    auto got = tx->leads().Get(acc1, lead.id);
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->name, "Acme Two");
    EXPECT_FALSE((*got)->email().has_value());
    ASSERT_EQ((*got)->attributes.size(), 1u);
    EXPECT_EQ((*got)->attributes[0].value, true);
  }
  auto tx = Begin();
  EXPECT_FALSE(*tx->leads().Delete(acc2, lead.id));
  EXPECT_TRUE(*tx->leads().Delete(acc1, lead.id));
  EXPECT_FALSE(*tx->leads().Delete(acc1, lead.id));
  EXPECT_FALSE(tx->notes().Get(acc1, "note_1")->has_value());  // notes go with their lead
}

TEST_F(StoreTest, ListingsPageFilterAndNameAttributes) {
  for (const char* name : {"Alpha", "Bravo", "Charlie"}) Insert(acc1, MakeLead(name));
  auto other = MakeLead("Delta");
  other.attributes = {{"attr_x", "secret", domain::AttributeType::kText, "x"}};
  Insert(acc2, other);
  auto tx = Begin(TxMode::kRead);
  query::ListQuery q;
  q.account_key = static_cast<int64_t>(acc1);
  q.limit = 2;
  auto page = tx->leads().List(q);
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page->leads.size(), 2u);
  EXPECT_TRUE(page->has_more);
  q.limit = 10;
  auto filter = query::ParseFilter("and.eq.name.bravo");
  ASSERT_TRUE(filter.ok());
  q.filters = {*filter};
  page = tx->leads().List(q);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->leads.size(), 1u);
  EXPECT_EQ(page->leads[0].name, "Bravo");
  EXPECT_FALSE(page->has_more);
  EXPECT_EQ(page->leads[0].attributes.size(), 3u);
  auto names = tx->leads().AttributeNames(q);
  ASSERT_TRUE(names.ok()) << names.error().message;
  EXPECT_EQ(*names, (std::vector<std::string>{"employees", "industry", "langs"}));
  q.filters = {*query::ParseFilter("and.eq.name.nobody")};
  EXPECT_TRUE(tx->leads().AttributeNames(q)->empty());
}

TEST_F(StoreTest, DedupKeysAreWrittenUpdatedAndFound) {
  auto lead = MakeLead("Acme Corporation");
  lead.text[domain::kSourceId] = "SRC-1";
  lead.text[domain::kEmail] = " Sales@ACME.com";
  Insert(acc1, lead);
  {
    auto tx = Begin(TxMode::kRead);
    EXPECT_EQ(tx->leads().FindIdByKey(acc1, DedupKey::kEmail, "sales@acme.com")->value_or(""),
              lead.id);
    EXPECT_EQ(tx->leads().FindIdByKey(acc1, DedupKey::kSourceId, "SRC-1")->value_or(""), lead.id);
    EXPECT_FALSE(tx->leads().FindIdByKey(acc1, DedupKey::kSourceId, "src-1")->has_value());
    EXPECT_EQ(tx->leads()
                  .FindIdByKey(acc1, DedupKey::kNameCity, "acme corporation\nsan francisco")
                  ->value_or(""),
              lead.id);
    auto phones = tx->dedup().FindByPhone(acc1, "+14155552671", 10);
    ASSERT_TRUE(phones.ok());
    ASSERT_EQ(phones->size(), 1u);
    EXPECT_EQ((*phones)[0].id, lead.id);
    EXPECT_EQ((*phones)[0].name, "Acme Corporation");
    EXPECT_FALSE(tx->leads().FindIdByKey(acc2, DedupKey::kSourceId, "SRC-1")->has_value());
    EXPECT_FALSE(tx->leads().FindIdByKey(acc1, DedupKey::kEmail, "")->has_value());
    EXPECT_TRUE(tx->dedup().FindByPhone(acc2, "+14155552671", 10)->empty());
  }
  lead.text[domain::kPhone] = "+44 20 7946 0958";
  {
    auto tx = Begin();
    ASSERT_TRUE(
        tx->leads().Update(acc1, lead, service::LeadKeysOf(lead, dedup::PhoneNormalizer())).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Begin(TxMode::kRead);
  EXPECT_TRUE(tx->dedup().FindByPhone(acc1, "+14155552671", 10)->empty());
  EXPECT_EQ(tx->dedup().FindByPhone(acc1, "+442079460958", 10)->size(), 1u);
}

// The per-account name-token counts and match keys (docs/DEDUP.md) follow every insert, update
// and delete, per account.
TEST_F(StoreTest, NameTokenCountsAndMatchKeysFollowEveryWrite) {
  auto counts = [&](domain::AccountKey account) {
    auto tx = Begin(TxMode::kRead);
    dedup::TokenStats stats;
    EXPECT_TRUE(tx->dedup().TokenStats(account, {"acme", "bakery", "corp", "globex"}, stats).ok());
    return stats;
  };
  auto a = MakeLead("Acme Bakery");
  a.text[domain::kAddress] = "12 Main Street";
  a.text[domain::kWebsite] = "https://www.acme.test/";
  auto b = MakeLead("Acme Corp");
  Insert(acc1, a);
  Insert(acc1, b);
  Insert(acc2, MakeLead("Globex"));
  dedup::TokenStats stats = counts(acc1);
  EXPECT_EQ(stats.names, 2);
  EXPECT_EQ(stats.counts["acme"], 2);
  EXPECT_EQ(stats.counts["bakery"], 1);
  EXPECT_FALSE(stats.counts.contains("globex"));  // another account's
  EXPECT_EQ(counts(acc2).names, 1);
  {
    auto tx = Begin(TxMode::kRead);
    auto by_address = tx->dedup().FindByMatchKey(acc1, MatchKey::kAddress, "12 main", 10);
    ASSERT_TRUE(by_address.ok());
    EXPECT_EQ(*by_address, std::vector<std::string>{a.id});
    EXPECT_EQ(*tx->dedup().FindByMatchKey(acc1, MatchKey::kDomain, "acme.test", 10),
              std::vector<std::string>{a.id});
    EXPECT_TRUE(tx->dedup().FindByMatchKey(acc2, MatchKey::kAddress, "12 main", 10)->empty());
  }
  b.name = "Globex Corp";
  a.text[domain::kAddress] = "14 Main Street";
  {
    auto tx = Begin();
    for (const auto* lead : {&a, &b}) {
      ASSERT_TRUE(tx->leads()
                      .Update(acc1, *lead, service::LeadKeysOf(*lead, dedup::PhoneNormalizer()))
                      .ok());
    }
    ASSERT_TRUE(tx->Commit().ok());
  }
  stats = counts(acc1);
  EXPECT_EQ(stats.names, 2);
  EXPECT_EQ(stats.counts["acme"], 1);
  EXPECT_EQ(stats.counts["globex"], 1);
  EXPECT_EQ(stats.counts["corp"], 1);
  {
    auto tx = Begin(TxMode::kRead);
    EXPECT_TRUE(tx->dedup().FindByMatchKey(acc1, MatchKey::kAddress, "12 main", 10)->empty());
    EXPECT_EQ(tx->dedup().FindByMatchKey(acc1, MatchKey::kAddress, "14 main", 10)->size(), 1u);
  }
  {
    auto tx = Begin();
    ASSERT_TRUE(*tx->leads().Delete(acc1, a.id));
    ASSERT_FALSE(*tx->leads().Delete(acc1, a.id));
    ASSERT_TRUE(tx->Commit().ok());
  }
  stats = counts(acc1);
  EXPECT_EQ(stats.names, 1);
  EXPECT_EQ(stats.counts["acme"], 0);
  EXPECT_EQ(stats.counts["bakery"], 0);
  auto tx = Begin(TxMode::kRead);
  EXPECT_TRUE(tx->dedup().FindByMatchKey(acc1, MatchKey::kDomain, "acme.test", 10)->empty());
}

TEST_F(StoreTest, InsertManyCountsNameTokensAndKeysLikeInsert) {
  std::vector<domain::Lead> leads = {MakeLead("Acme Bakery"), MakeLead("Acme Corp"),
                                     MakeLead("Globex 2")};
  leads[2].text[domain::kAddress] = "12 Main Street";
  std::vector<dedup::LeadKeys> keys;
  for (const auto& lead : leads)
    keys.push_back(service::LeadKeysOf(lead, dedup::PhoneNormalizer()));
  {
    auto tx = Begin();
    ASSERT_TRUE(tx->leads().InsertMany(acc1, leads, keys).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Begin(TxMode::kRead);
  dedup::TokenStats stats;
  ASSERT_TRUE(tx->dedup().TokenStats(acc1, {"acme", "bakery", "globex", "2"}, stats).ok());
  EXPECT_EQ(stats.names, 3);
  EXPECT_EQ(stats.counts["acme"], 2);
  EXPECT_EQ(stats.counts["bakery"], 1);
  EXPECT_EQ(stats.counts["globex"], 1);
  EXPECT_FALSE(stats.counts.contains("2"));  // numbers are not counted
  EXPECT_EQ(*tx->dedup().FindByMatchKey(acc1, MatchKey::kAddress, "12 main", 10),
            std::vector<std::string>{leads[2].id});
}

// The bulk path (COPY on PostgreSQL, multi-row statements on SQLite) stores every field and
// attribute as the one-row path does, whatever characters the text holds.
TEST_F(StoreTest, InsertManyStoresWhatInsertStores) {
  auto make = [](const std::string& name) {
    domain::Lead lead = MakeLead(name);
    lead.text[domain::kDescription] = "tab\there\nline\r\\N back\\slash \"q\" \u00fcn\u00ef";
    lead.text[domain::kState] = "";  // empty, not absent
    lead.text[domain::kPhone].reset();
    lead.latitude = 0.1 + 0.2;
    lead.score = 1e-7;
    lead.tags = {"t\tab", "\\N", ""};
    lead.attributes.push_back({"attr_4", "note", domain::AttributeType::kText, "x\ty\\z\n"});
    lead.attributes.push_back({"attr_5", "vip", domain::AttributeType::kBool, true});
    lead.attributes.push_back(
        {"attr_6", "meta", domain::AttributeType::kObject, {{"k", "v\n\\"}, {"n", 1.5}}});
    return lead;
  };
  const domain::Lead one = make("One \\ Lead");
  const std::vector<domain::Lead> many = {make("Many\tA"), make("Many B"), make("Many C")};
  std::vector<dedup::LeadKeys> keys;
  for (const auto& lead : many) keys.push_back(service::LeadKeysOf(lead, dedup::PhoneNormalizer()));
  Insert(acc1, one);
  {
    auto tx = Begin();
    ASSERT_TRUE(tx->leads().InsertMany(acc1, many, keys).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto tx = Begin(TxMode::kRead);
  for (const domain::Lead* lead : {&one, &many[0], &many[1], &many[2]}) {
    auto got = tx->leads().Get(acc1, lead->id);
    ASSERT_TRUE(got.ok() && got->has_value()) << lead->name;
    EXPECT_TRUE((*got)->SameContent(*lead)) << lead->name;
    EXPECT_EQ((*got)->attributes, lead->attributes) << lead->name;
    EXPECT_EQ((*got)->text[domain::kState], std::optional<std::string>("")) << lead->name;
    EXPECT_FALSE((*got)->text[domain::kPhone].has_value()) << lead->name;
    EXPECT_EQ((*got)->latitude, lead->latitude);
    EXPECT_EQ((*got)->score, lead->score);
    EXPECT_EQ((*got)->created_at, lead->created_at);
  }
  EXPECT_EQ(tx->leads().FindIdByKey(acc1, DedupKey::kEmail, keys[1].email)->value_or(""),
            many[1].id);
}

TEST_F(StoreTest, NotesCrudInIdOrder) {
  auto lead = MakeLead("Acme");
  Insert(acc1, lead);
  auto tx = Begin();
  ASSERT_TRUE(tx->notes().Insert(acc1, {"note_2", lead.id, "second", 2, 2}).ok());
  ASSERT_TRUE(tx->notes().Insert(acc1, {"note_1", lead.id, "first", 1, 1}).ok());
  ASSERT_TRUE(tx->notes().Update(acc1, {"note_1", lead.id, "edited", 1, 9}).ok());
  auto notes = tx->notes().List(acc1, lead.id);
  ASSERT_TRUE(notes.ok());
  ASSERT_EQ(notes->size(), 2u);
  EXPECT_EQ((*notes)[0].content, "edited");
  EXPECT_EQ((*notes)[0].updated_at, 9);
  EXPECT_TRUE(tx->notes().List(acc2, lead.id)->empty());
  EXPECT_FALSE(tx->notes().Get(acc2, "note_1")->has_value());
  EXPECT_FALSE(*tx->notes().Delete(acc2, "note_1"));
  EXPECT_TRUE(*tx->notes().Delete(acc1, "note_1"));
  EXPECT_EQ(tx->notes().List(acc1, lead.id)->size(), 1u);
}

TEST_F(StoreTest, ScoringRulesAndScores) {
  auto lead = MakeLead("Acme");
  Insert(acc1, lead);
  auto tx = Begin();
  domain::ScoringRule late{"r2", "late", "rating > 1", 2.5, 5, 10, 10};
  domain::ScoringRule early{"r1", "early", "true", 1, 1, 20, 20};
  ASSERT_TRUE(tx->rules().Insert(acc1, late).ok());
  ASSERT_TRUE(tx->rules().Insert(acc1, early).ok());
  auto rules = tx->rules().List(acc1);
  ASSERT_TRUE(rules.ok());
  ASSERT_EQ(rules->size(), 2u);
  EXPECT_EQ((*rules)[0].id, "r1");  // priority first
  late.name = "renamed";
  ASSERT_TRUE(tx->rules().Update(acc1, late).ok());
  EXPECT_EQ((*tx->rules().Get(acc1, "r2"))->name, "renamed");
  EXPECT_EQ(tx->rules().Update(acc2, late).error().code, core::ErrorCode::kNotFound);
  EXPECT_EQ(*tx->rules().Count(acc1), 2);
  EXPECT_TRUE(*tx->rules().Delete(acc1, "r2"));
  EXPECT_FALSE(*tx->rules().Delete(acc1, "r2"));
  ASSERT_TRUE(tx->leads().UpdateScores(acc1, {{lead.id, 42.5}, {"cl_gone", 1}}).ok());
  auto scanned =
      tx->leads().Scan(acc1, "", 10, LeadProjection{{"rating", "city"}, {"employees"}}, {});
  ASSERT_TRUE(scanned.ok()) << scanned.error().message;
  ASSERT_EQ(scanned->size(), 1u);
  EXPECT_EQ((*scanned)[0].score, 42.5);
  EXPECT_EQ((*scanned)[0].rating, 4.5);
  EXPECT_EQ((*scanned)[0].city(), "San Francisco");
  EXPECT_FALSE((*scanned)[0].email().has_value());  // not projected
  ASSERT_EQ((*scanned)[0].attributes.size(), 1u);
  EXPECT_EQ((*scanned)[0].attributes[0].value, 250);
  EXPECT_TRUE(tx->leads().Scan(acc1, lead.id, 10, {}, {})->empty());
}

// A listed lead's score is its lead_scores row's after a rescore, however the listing reads it:
// a lookup per row (small pages), one range of lead_scores merged by id (pages of 256 rows or
// more, ListQuery::score_later) or, where that range is spread past twice the page, lookups
// after it (a name sort, a filter matching one lead in four), the joined or walked lead_scores
// row (score sorts and filters).
TEST_F(StoreTest, ListedScoresAreTheRescoredOnesOnEveryPath) {
  constexpr int kLeads = 1200;
  std::vector<domain::Lead> leads;
  std::vector<dedup::LeadKeys> keys;
  for (int i = 0; i < kLeads; ++i) {
    // Names in another order than the ids; every fourth lead in Oslo.
    domain::Lead lead = MakeLead("Lead " + std::to_string((i * 7919) % kLeads),
                                 i % 4 == 0 ? "Oslo" : "San Francisco");
    lead.created_at = lead.updated_at = 1700000000 + i;
    lead.score = 3;  // as stored at creation, before the rescore below
    keys.push_back(service::LeadKeysOf(lead, dedup::PhoneNormalizer()));
    leads.push_back(std::move(lead));
  }
  std::map<std::string, double> rescored;
  std::vector<std::pair<std::string, double>> scores;
  for (int i = 0; i < kLeads; ++i) {
    const double score = 10 + (i * 37) % 500 + 0.25;
    rescored[leads[static_cast<size_t>(i)].id] = score;
    scores.emplace_back(leads[static_cast<size_t>(i)].id, score);
  }
  {
    auto tx = Begin();
    ASSERT_TRUE(tx->leads().InsertMany(acc1, leads, keys).ok());
    ASSERT_TRUE(tx->leads().UpdateScores(acc1, scores).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  Insert(acc2, MakeLead("Other account"));
  auto tx = Begin(TxMode::kRead);
  for (std::optional<int> limit : {std::optional<int>(10), std::optional<int>(300),
                                   std::optional<int>(1000), std::optional<int>()}) {
    for (const char* sort : {"created_at", "name", "score"}) {
      for (const char* filter : {"", "and.eq.city.oslo", "and.gte.score.300"}) {
        SCOPED_TRACE(std::string(sort) + " " + filter + " limit " +
                     (limit ? std::to_string(*limit) : "none"));
        query::ListQuery q;
        q.account_key = static_cast<int64_t>(acc1);
        q.limit = limit;
        auto parsed_sort = query::ParseSort(sort, "desc");
        ASSERT_TRUE(parsed_sort.ok());
        q.sort = *parsed_sort;
        if (*filter != '\0') q.filters = {*query::ParseFilter(filter)};
        size_t expected = 0;
        for (const domain::Lead& lead : leads) {
          const bool oslo = lead.city() == "Oslo";
          if ((std::string(filter) == "and.eq.city.oslo" && !oslo) ||
              (std::string(filter) == "and.gte.score.300" && rescored[lead.id] < 300)) {
            continue;
          }
          ++expected;
        }
        size_t seen = 0;
        for (int pages = 0; pages < kLeads + 1; ++pages) {
          auto page = tx->leads().List(q);
          ASSERT_TRUE(page.ok()) << page.error().message;
          for (const domain::Lead& lead : page->leads) {
            ASSERT_TRUE(rescored.contains(lead.id)) << lead.id;
            EXPECT_EQ(lead.score, rescored[lead.id]) << lead.id;
          }
          seen += page->leads.size();
          if (!page->has_more) break;
          q.after = query::CursorAfter(q.sort, page->last_sort_key, page->leads.back().id);
        }
        EXPECT_EQ(seen, expected);
      }
    }
  }
}

TEST_F(StoreTest, IdempotencyRecords) {
  auto tx = Begin();
  EXPECT_TRUE(*tx->idempotency().Reserve(acc1, "k", "h1", 100));
  EXPECT_FALSE(*tx->idempotency().Reserve(acc1, "k", "h2", 101));
  EXPECT_TRUE(*tx->idempotency().Reserve(acc2, "k", "h3", 102));
  auto pending = tx->idempotency().Get(acc1, "k");
  ASSERT_TRUE(pending.ok());
  ASSERT_TRUE(pending->has_value());
  EXPECT_EQ((*pending)->request_hash, "h1");
  EXPECT_FALSE((*pending)->status.has_value());
  ASSERT_TRUE(tx->idempotency().Complete(acc1, "k", 201, R"([["a","b"]])", "body").ok());
  auto done = tx->idempotency().Get(acc1, "k");
  EXPECT_EQ((*done)->status.value_or(0), 201);
  EXPECT_EQ((*done)->body, "body");
  EXPECT_EQ((*done)->created_at_ms, 100);
  ASSERT_TRUE(tx->idempotency().Delete(acc1, "k").ok());
  EXPECT_FALSE(tx->idempotency().Get(acc1, "k")->has_value());
  EXPECT_EQ(*tx->idempotency().Purge(103), 1);  // acc2's
}

}  // namespace
}  // namespace klozeo::storage
