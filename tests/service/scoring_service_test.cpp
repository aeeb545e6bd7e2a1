// The scoring service: score arithmetic, binding a domain::Lead to expression slots, the
// explain view, rule CRUD limits, the compiled-rule cache and whole-account rescoring, over a
// real SQLite file.
#include "service/scoring_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <thread>

#include "app/wiring.h"
#include "core/clock.h"
#include "core/ids.h"
#include "service/lead_service.h"
#include "support/test_server.h"

namespace klozeo::service {
namespace {

using domain::AttributeType;
using domain::Lead;
using domain::ScoringRule;
using nlohmann::json;

constexpr int64_t kNow = 1'700'000'000;
constexpr int64_t kDay = 86'400;

ScoringRule Rule(std::string expression, double weight = 1.0, std::string name = "r") {
  ScoringRule rule;
  rule.id = core::NewUuidV7();
  rule.name = std::move(name);
  rule.expression = std::move(expression);
  rule.weight = weight;
  return rule;
}

// One rule of weight 1: its value as the explain view reports it.
std::optional<double> ValueOf(const std::string& expression, const Lead& lead) {
  RuleSet rules = RuleSet::FromRules({Rule(expression)});
  ScoreExplanation e = rules.Explain(lead, kNow);
  EXPECT_EQ(e.rules.size(), 1u);
  return e.rules[0].value;
}

// Every kind of lead field and all five attribute types.
Lead FullLead() {
  Lead lead;
  lead.id = core::NewLeadId();
  lead.name = "Acme Bakery";
  lead.source = "maps";
  lead.text[domain::kEmail] = "contact@acme.fr";
  lead.text[domain::kCity] = "Paris";
  lead.text[domain::kPostalCode] = "75001";
  lead.latitude = 48.86;
  lead.longitude = 2.35;
  lead.rating = 4.5;
  lead.review_count = 120;
  lead.tags = {"vip", "b2b"};
  lead.status = domain::LeadStatus::kQualified;
  lead.score = 12.5;
  lead.created_at = kNow - 40 * kDay;
  lead.updated_at = kNow - 10 * kDay;
  lead.last_interaction_at = kNow - 3 * kDay;
  lead.attributes = {
      {core::NewUuidV7(), "industry", AttributeType::kText, "Software"},
      {core::NewUuidV7(), "employees", AttributeType::kNumber, 800},
      {core::NewUuidV7(), "verified", AttributeType::kBool, true},
      {core::NewUuidV7(), "products", AttributeType::kList, json::array({"CRM", "ERP"})},
      {core::NewUuidV7(), "social", AttributeType::kObject, json{{"linkedin", "x"}}},
      {core::NewUuidV7(), "size", AttributeType::kText, "21"},
  };
  return lead;
}

TEST(FinalScore, ClampsAndRoundsToTwoDecimals) {
  const std::pair<double, double> cases[] = {
      {0, 0},           {42, 42},        {100, 100},
      {100.001, 100},   {250, 100},      {-5, 0},
      {-0.001, 0},      {1.0 / 3, 0.33}, {2.0 / 3, 0.67},
      {0.1 + 0.2, 0.3}, {99.994, 99.99}, {99.996, 100},
      {12.346, 12.35},  {0.004, 0},      {0.005, 0.01},
      {1e300, 100},     {-1e300, 0},     {std::numeric_limits<double>::infinity(), 100},
  };
  for (const auto& [total, expected] : cases) {
    EXPECT_DOUBLE_EQ(FinalScore(total), expected) << total;
  }
  EXPECT_EQ(FinalScore(std::nan("")), 0);
  EXPECT_FALSE(std::signbit(FinalScore(-0.0))) << "never -0";
  EXPECT_FALSE(std::signbit(FinalScore(-0.001)));
}

TEST(ScoringBinding, LeadFieldsBindByType) {
  const Lead lead = FullLead();
  const std::pair<std::string, double> cases[] = {
      {"name == \"acme bakery\"", 1},
      {"source == \"MAPS\"", 1},
      {"email != nil", 1},
      {"phone == nil", 1},  // absent optional text is nil
      {"city == \"Paris\"", 1},
      {"postal_code == 75001", 1},
      {"website == nil", 1},
      {"status == \"qualified\"", 1},
      {"status == \"new\"", 0},
      {"latitude", 48.86},
      {"longitude", 2.35},
      {"rating * 20", 90},
      {"review_count", 120},
      {"score", 12.5},  // the stored score
      {"created_at", static_cast<double>(kNow - 40 * kDay)},
      {"updated_at", static_cast<double>(kNow - 10 * kDay)},
      {"days_since(last_interaction_at)", 3},
      {"days_since(created_at)", 40},
      {"len(tags)", 2},
      {"\"VIP\" in tags", 1},
      {"\"b2c\" in tags", 0},
  };
  for (const auto& [expression, expected] : cases) {
    auto value = ValueOf(expression, lead);
    ASSERT_TRUE(value.has_value()) << expression;
    EXPECT_DOUBLE_EQ(*value, expected) << expression;
  }
}

TEST(ScoringBinding, AttributesBindByTheirType) {
  const Lead lead = FullLead();
  const std::pair<std::string, double> cases[] = {
      {"attr_industry == \"software\"", 1},  // text, case-insensitive
      {"\"soft\" in attr_industry", 1},
      {"attr_employees > 500 ? 40 : 20", 40},  // number
      {"attr_employees / 100", 8},
      {"attr_verified", 1},  // bool
      {"attr_verified * 5", 5},
      {"\"crm\" in attr_products", 1},  // list
      {"len(attr_products)", 2},
      {"attr_social != nil", 1},  // object: present, opaque
      {"attr_social == nil", 0},
      {"attr_social", 0},
      {"attr_size * 2", 42},  // numeric text
      {"attr_missing == nil", 1},
      {"attr_missing > 500 ? 40 : 20", 20},
      {"attr_Industry == nil", 1},  // names are case-sensitive
  };
  for (const auto& [expression, expected] : cases) {
    auto value = ValueOf(expression, lead);
    ASSERT_TRUE(value.has_value()) << expression;
    EXPECT_DOUBLE_EQ(*value, expected) << expression;
  }
}

TEST(ScoringBinding, EmptyLeadReadsMissingFieldsAsNil) {
  Lead lead;
  lead.name = "x";
  lead.source = "y";
  lead.created_at = lead.updated_at = lead.last_interaction_at = kNow;
  const std::pair<std::string, double> cases[] = {
      {"rating * 20", 0},
      {"rating == nil", 1},
      {"review_count > 100 ? 30 : 0", 0},
      {"(email != nil ? 30 : 0) + (phone != nil ? 30 : 0)", 0},
      {"tags == nil", 1},
      {"len(tags)", 0},
      {"status == \"new\"", 1},
      {"days_since(created_at)", 0},
  };
  for (const auto& [expression, expected] : cases) {
    auto value = ValueOf(expression, lead);
    ASSERT_TRUE(value.has_value()) << expression;
    EXPECT_DOUBLE_EQ(*value, expected) << expression;
  }
}

TEST(RuleSetScore, WeightedSumClampedAndRounded) {
  Lead lead = FullLead();  // rating 4.5, review_count 120
  EXPECT_EQ(RuleSet().Score(lead, kNow), 0) << "no rules: 0";
  EXPECT_DOUBLE_EQ(RuleSet::FromRules({Rule("rating * 10")}).Score(lead, kNow), 45);
  EXPECT_DOUBLE_EQ(RuleSet::FromRules({Rule("rating * 10", 1.5)}).Score(lead, kNow), 67.5);
  EXPECT_DOUBLE_EQ(
      RuleSet::FromRules({Rule("rating * 10", 1), Rule("review_count > 100 ? 30 : 0", 0.5)})
          .Score(lead, kNow),
      45 + 15);
  // ... which clamps: 105 -> 100.
  EXPECT_DOUBLE_EQ(RuleSet::FromRules({Rule("rating * 10", 2), Rule("30", 0.5)}).Score(lead, kNow),
                   100);
  // Negative weights subtract; below 0 clamps to 0.
  EXPECT_DOUBLE_EQ(RuleSet::FromRules({Rule("50"), Rule("rating", -2)}).Score(lead, kNow), 41);
  EXPECT_DOUBLE_EQ(RuleSet::FromRules({Rule("10"), Rule("rating * 10", -1)}).Score(lead, kNow), 0);
  // Two decimals.
  EXPECT_DOUBLE_EQ(RuleSet::FromRules({Rule("10 / 3")}).Score(lead, kNow), 3.33);
  EXPECT_DOUBLE_EQ(RuleSet::FromRules({Rule("1", 0.1), Rule("1", 0.2)}).Score(lead, kNow), 0.3);
  // Booleans count 1/0.
  EXPECT_DOUBLE_EQ(RuleSet::FromRules({Rule("\"vip\" in tags", 25)}).Score(lead, kNow), 25);
}

TEST(RuleSetScore, FailingRuleContributesZero) {
  Lead lead = FullLead();
  RuleSet rules = RuleSet::FromRules({Rule("name * 2"), Rule("rating * 10")});
  EXPECT_DOUBLE_EQ(rules.Score(lead, kNow), 45);
  ScoreExplanation e = rules.Explain(lead, kNow);
  ASSERT_EQ(e.rules.size(), 2u);
  EXPECT_FALSE(e.rules[0].value.has_value());
  EXPECT_EQ(e.rules[0].contribution, 0);
  ASSERT_TRUE(e.rules[0].error.has_value());
  EXPECT_EQ(*e.rules[0].error, "cannot use text as a number in '*' at column 6");
  EXPECT_DOUBLE_EQ(*e.rules[1].value, 45);
  EXPECT_FALSE(e.rules[1].error.has_value());
}

TEST(RuleSetScore, StoredExpressionThatNoLongerCompilesContributesZero) {
  Lead lead = FullLead();
  RuleSet rules = RuleSet::FromRules({Rule("rating *"), Rule("7")});
  EXPECT_DOUBLE_EQ(rules.Score(lead, kNow), 7);
  ScoreExplanation e = rules.Explain(lead, kNow);
  ASSERT_TRUE(e.rules[0].error.has_value());
  EXPECT_EQ(e.rules[0].error->rfind("invalid expression: ", 0), 0u) << *e.rules[0].error;
}

TEST(RuleSetScore, NonFiniteContributionContributesZero) {
  Lead lead = FullLead();
  RuleSet rules = RuleSet::FromRules({Rule("1e308", 10), Rule("5")});
  EXPECT_DOUBLE_EQ(rules.Score(lead, kNow), 5);
  ScoreExplanation e = rules.Explain(lead, kNow);
  EXPECT_TRUE(e.rules[0].error.has_value());
  EXPECT_EQ(e.rules[0].contribution, 0);
}

TEST(RuleSetExplain, ReportsEveryRuleAndTheTotalBeforeClamping) {
  Lead lead = FullLead();
  RuleSet rules = RuleSet::FromRules(
      {Rule("rating * 20", 1, "rating"), Rule("review_count > 100 ? 30 : 0", 2, "reviews")});
  ScoreExplanation e = rules.Explain(lead, kNow);
  EXPECT_EQ(e.lead_id, lead.id);
  EXPECT_EQ(e.stored_score, 12.5);
  EXPECT_EQ(e.evaluated_at, kNow);
  ASSERT_EQ(e.rules.size(), 2u);
  EXPECT_EQ(e.rules[0].rule.name, "rating");
  EXPECT_DOUBLE_EQ(*e.rules[0].value, 90);
  EXPECT_DOUBLE_EQ(e.rules[0].contribution, 90);
  EXPECT_EQ(e.rules[1].rule.name, "reviews");
  EXPECT_DOUBLE_EQ(*e.rules[1].value, 30);
  EXPECT_DOUBLE_EQ(e.rules[1].contribution, 60);
  EXPECT_DOUBLE_EQ(e.total, 150);
  EXPECT_DOUBLE_EQ(e.score, 100);
  EXPECT_DOUBLE_EQ(e.score, rules.Score(lead, kNow));
}

TEST(RuleSetProjection, ListsWhatTheRulesReadOnce) {
  RuleSet rules = RuleSet::FromRules({Rule("rating * 20 + score"), Rule("attr_employees > rating"),
                                      Rule("\"vip\" in tags && attr_tier == 'gold'"),
                                      Rule("email != nil"), Rule("rating *")});
  storage::LeadProjection projection = rules.Projection();
  EXPECT_EQ(projection.fields, (std::vector<std::string>{"rating", "tags", "email"}))
      << "score is always read; a rule that does not compile reads nothing";
  EXPECT_EQ(projection.attributes, (std::vector<std::string>{"employees", "tier"}));
  EXPECT_TRUE(RuleSet().Projection().fields.empty());
}

TEST(CompileExpression, ErrorsCarryTheColumn) {
  auto bad = CompileExpression("review_count > 100 ? 30");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, core::ErrorCode::kBadRequest);
  EXPECT_EQ(bad.error().message, "invalid expression: expected ':' after '?' at column 24");
  EXPECT_TRUE(CompileExpression("rating * 20").ok());
}

// ---- the service over a real database ----

class ScoringServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = Open();
    auto tx = std::move(db_->Begin(storage::TxMode::kWrite).value());
    who_.account_key = *tx->accounts().Insert({who_.account_id, "a", "unlimited", kNow});
    other_.account_key = *tx->accounts().Insert({other_.account_id, "b", "unlimited", kNow});
    ASSERT_TRUE(tx->Commit().ok());
  }

  // SQLite, or PostgreSQL for the `.pg` variants (testing::TestDatabase); a second Open is a
  // second process on the same database.
  std::unique_ptr<storage::Database> Open() {
    auto db = app::OpenDatabase(database_.url(), 2);
    EXPECT_TRUE(db.ok()) << db.error().message;
    return std::move(*db);
  }

  // Inserts `n` leads with ratings 0, 1, 2, ... (mod 5) straight through the store.
  std::vector<std::string> InsertLeads(const domain::Principal& owner, int n) {
    std::vector<std::string> ids;
    auto tx = std::move(db_->Begin(storage::TxMode::kWrite).value());
    for (int i = 0; i < n; ++i) {
      Lead lead;
      lead.id = core::NewLeadId();
      lead.name = "Lead " + std::to_string(i);
      lead.source = "test";
      lead.rating = i % 5;
      lead.created_at = lead.updated_at = lead.last_interaction_at = kNow;
      EXPECT_TRUE(
          tx->leads()
              .Insert(owner.account_key, lead, service::LeadKeysOf(lead, dedup::PhoneNormalizer()))
              .ok());
      ids.push_back(lead.id);
    }
    EXPECT_TRUE(tx->Commit().ok());
    return ids;
  }

  double StoredScore(const domain::Principal& owner, const std::string& id) {
    auto tx = std::move(db_->Begin(storage::TxMode::kRead).value());
    auto lead = *tx->leads().Get(owner.account_key, id);
    EXPECT_TRUE(lead.has_value());
    return lead ? lead->score : -1;
  }

  static domain::ScoringRulePatch Patch(std::string name, std::string expression) {
    domain::ScoringRulePatch p;
    p.name = std::move(name);
    p.expression = std::move(expression);
    return p;
  }

  testing::TestDatabase database_;
  core::ManualClock clock_{kNow * 1000};
  std::unique_ptr<storage::Database> db_;
  domain::Principal who_{core::NewUuidV7(), "unlimited", {}};
  domain::Principal other_{core::NewUuidV7(), "unlimited", {}};
};

TEST_F(ScoringServiceTest, CreateAppliesDefaultsAndListsInPriorityOrder) {
  ScoringService scoring(*db_, clock_);
  auto a = scoring.CreateRule(who_, Patch("a", "1"));
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->weight, 1.0);
  EXPECT_EQ(a->priority, 0);
  EXPECT_EQ(a->created_at, kNow);
  EXPECT_TRUE(core::IsUuid(a->id));
  auto p = Patch("b", "2");
  p.priority = -1;
  p.weight = 2.5;
  auto b = scoring.CreateRule(who_, p);
  ASSERT_TRUE(b.ok());
  auto c = scoring.CreateRule(who_, Patch("c", "3"));
  ASSERT_TRUE(c.ok());
  auto list = *scoring.ListRules(who_);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].name, "b");
  EXPECT_EQ(list[0].weight, 2.5);
  EXPECT_EQ(list[1].name, "a");
  EXPECT_EQ(list[2].name, "c");
  EXPECT_TRUE(scoring.ListRules(other_)->empty());
  EXPECT_EQ(scoring.GetRule(other_, a->id).error().code, core::ErrorCode::kNotFound);
  EXPECT_EQ(scoring.GetRule(who_, "nope").error().code, core::ErrorCode::kNotFound);
}

TEST_F(ScoringServiceTest, AtMostOneHundredRulesPerAccount) {
  ScoringService scoring(*db_, clock_);
  std::string first;
  for (int i = 0; i < domain::kMaxScoringRules; ++i) {
    auto r = scoring.CreateRule(who_, Patch("r" + std::to_string(i), "1"));
    ASSERT_TRUE(r.ok()) << i << ": " << r.error().message;
    if (i == 0) first = r->id;
  }
  auto over = scoring.CreateRule(who_, Patch("over", "1"));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, core::ErrorCode::kBadRequest);
  EXPECT_NE(over.error().message.find("100"), std::string::npos);
  EXPECT_TRUE(scoring.CreateRule(other_, Patch("other", "1")).ok()) << "the cap is per account";
  ASSERT_TRUE(scoring.DeleteRule(who_, first).ok());
  EXPECT_TRUE(scoring.CreateRule(who_, Patch("again", "1")).ok());
}

TEST_F(ScoringServiceTest, UpdateRecompilesAndMovesUpdatedAtOnlyOnChange) {
  ScoringService scoring(*db_, clock_);
  auto ids = InsertLeads(who_, 1);
  auto rule = *scoring.CreateRule(who_, Patch("r", "rating * 10"));
  clock_.AdvanceMillis(5000);
  domain::ScoringRulePatch same;
  same.expression = "rating * 10";
  EXPECT_EQ(scoring.UpdateRule(who_, rule.id, same)->updated_at, kNow);
  domain::ScoringRulePatch bad;
  bad.expression = "rating *";
  EXPECT_EQ(scoring.UpdateRule(who_, rule.id, bad).error().code, core::ErrorCode::kBadRequest);
  domain::ScoringRulePatch change;
  change.expression = "rating * 15";
  auto updated = scoring.UpdateRule(who_, rule.id, change);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->updated_at, kNow + 5);
  EXPECT_EQ(updated->created_at, kNow);
  EXPECT_EQ(scoring.GetRule(who_, rule.id)->expression, "rating * 15");
  EXPECT_EQ(scoring.UpdateRule(other_, rule.id, change).error().code, core::ErrorCode::kNotFound);
}

TEST_F(ScoringServiceTest, CacheSeesRulesChangedByAnotherProcess) {
  ScoringService scoring(*db_, clock_);
  auto ids = InsertLeads(who_, 5);  // ids[3] has rating 3
  auto rule = *scoring.CreateRule(who_, Patch("r", "rating * 10"));
  EXPECT_DOUBLE_EQ(*scoring.RescoreLead(who_, ids[3]), 30);
  // A second server process on the same file changes the rule within the same second.
  {
    auto elsewhere_db = Open();
    ScoringService elsewhere(*elsewhere_db, clock_);
    domain::ScoringRulePatch change;
    change.expression = "rating * 20";
    change.weight = 0.5;
    ASSERT_TRUE(elsewhere.UpdateRule(who_, rule.id, change).ok());
    ASSERT_TRUE(elsewhere.CreateRule(who_, Patch("extra", "1")).ok());
  }
  EXPECT_DOUBLE_EQ(*scoring.RescoreLead(who_, ids[3]), 31) << "3 * 20 * 0.5 + 1";
  EXPECT_DOUBLE_EQ(StoredScore(who_, ids[3]), 31);
  {
    auto elsewhere_db = Open();
    ScoringService elsewhere(*elsewhere_db, clock_);
    auto rules = elsewhere.ListRules(who_);
    ASSERT_TRUE(rules.ok());
    for (const auto& r : *rules) ASSERT_TRUE(elsewhere.DeleteRule(who_, r.id).ok());
  }
  EXPECT_DOUBLE_EQ(*scoring.RescoreLead(who_, ids[3]), 0);
}

TEST_F(ScoringServiceTest, RescoreAllCoversEveryLeadInChunksAndStoresScores) {
  ScoringService scoring(*db_, clock_);
  const int n = 2 * ScoringService::kChunkSize + 137;
  auto ids = InsertLeads(who_, n);
  auto foreign = InsertLeads(other_, 3);
  ASSERT_TRUE(scoring.CreateRule(who_, Patch("r", "rating * 10")).ok());
  std::vector<std::pair<std::string, double>> seen;
  auto count = scoring.RescoreAll(
      who_, [&seen](std::string_view id, double score) { seen.emplace_back(id, score); });
  ASSERT_TRUE(count.ok()) << count.error().message;
  EXPECT_EQ(*count, n);
  ASSERT_EQ(seen.size(), static_cast<size_t>(n));
  std::set<std::string> unique;
  for (size_t i = 0; i < seen.size(); ++i) {
    unique.insert(seen[i].first);
    if (i > 0) {
      EXPECT_LT(seen[i - 1].first, seen[i].first) << "id order";
    }
  }
  EXPECT_EQ(unique, std::set<std::string>(ids.begin(), ids.end()));
  for (int i = 0; i < n; i += 97) {
    EXPECT_DOUBLE_EQ(StoredScore(who_, ids[static_cast<size_t>(i)]), (i % 5) * 10.0) << i;
  }
  EXPECT_EQ(StoredScore(other_, foreign[2]), 0) << "another account's leads are untouched";
  // A second run changes nothing and reports the same scores.
  std::vector<std::pair<std::string, double>> again;
  ASSERT_EQ(*scoring.RescoreAll(who_, [&again](std::string_view id,
                                               double score) { again.emplace_back(id, score); }),
            n);
  EXPECT_EQ(again, seen);
}

// A step that writes nothing has no commit to share: it ends after its first chunk, so a
// streamed rescore sends those scores at once instead of after the whole account (issue 18).
TEST_F(ScoringServiceTest, RescoreStepEndsAfterAChunkThatChangedNothing) {
  ScoringService scoring(*db_, clock_);
  const int n = 3 * ScoringService::kChunkSize + 10;
  InsertLeads(who_, n);
  ASSERT_TRUE(scoring.CreateRule(who_, Patch("r", "rating * 10")).ok());
  ASSERT_EQ(*scoring.RescoreAll(who_, [](std::string_view, double) {}), n);
  // Nothing changes now: every step is one chunk, each fed to the sink before the next begins
  // (PostgreSQL: its whole chunks at once, a step of lanes, then the last chunk).
  const bool postgres = db_->Dialect() == "postgres";
  const int lanes = ScoringService::PgLanes(db_->PoolUsage().size);
  std::string after;
  int64_t total = 0;
  int steps = 0;
  while (true) {
    int64_t fed = 0;
    auto step = scoring.RescoreStep(who_, &after, [&fed](std::string_view, double) { ++fed; });
    ASSERT_TRUE(step.ok()) << step.error().message;
    EXPECT_EQ(fed, step->count);
    ++steps;
    total += step->count;
    if (step->done) {
      EXPECT_EQ(step->count, 10);
      break;
    }
    if (postgres) {  // whole chunks, as many as the step's lanes
      EXPECT_EQ(step->count % ScoringService::kChunkSize, 0) << "step " << steps;
      EXPECT_LE(step->count, lanes * ScoringService::kChunkSize) << "step " << steps;
    } else {
      EXPECT_EQ(step->count, ScoringService::kChunkSize) << "step " << steps;
    }
  }
  EXPECT_EQ(total, n);
  if (postgres) {
    EXPECT_LT(steps, 4);
  } else {
    EXPECT_EQ(steps, 4);
  }
}

// On PostgreSQL a step scores kPgLanes whole chunks at once (each in its own transaction, on its
// own connection); the account's last chunks go one per step. Every lead is scored once, fed in
// id order, stored, and the one leads.scored event lists them all in that order.
TEST_F(ScoringServiceTest, RescoreInLanesCoversEveryLeadOnceInIdOrder) {
  WebhookOutbox outbox(clock_);
  ScoringService scoring(*db_, clock_, &outbox);
  const int n = (ScoringService::kPgLanes + 1) * ScoringService::kChunkSize + 3;
  auto ids = InsertLeads(who_, n);
  auto foreign = InsertLeads(other_, 3);
  {
    auto tx = std::move(db_->Begin(storage::TxMode::kWrite).value());
    domain::Webhook hook;
    hook.id = core::NewUuidV7();
    hook.url = "http://127.0.0.1:9/hook";
    hook.events = {"leads.scored"};
    ASSERT_TRUE(tx->webhooks().Insert(who_.account_key, hook).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  ASSERT_TRUE(scoring.CreateRule(who_, Patch("r", "rating * 10 + 1")).ok());
  std::vector<std::pair<std::string, double>> seen;
  auto sink = [&seen](std::string_view id, double score) { seen.emplace_back(id, score); };
  // The first step from the start: on PostgreSQL the lanes.
  std::string after;
  RescoreEvent event;
  auto first = scoring.RescoreStep(who_, &after, sink, &event);
  ASSERT_TRUE(first.ok()) << first.error().message;
  if (db_->Dialect() == "postgres") {
    EXPECT_FALSE(first->done);
    EXPECT_EQ(first->count,
              ScoringService::PgLanes(db_->PoolUsage().size) * ScoringService::kChunkSize);
  }
  int64_t count = first->count;
  while (!first->done) {  // (SQLite: one step of several chunks, the whole account here)
    auto step = scoring.RescoreStep(who_, &after, sink, &event);
    ASSERT_TRUE(step.ok()) << step.error().message;
    count += step->count;
    if (step->done) break;
  }
  EXPECT_EQ(count, n);
  ASSERT_EQ(seen.size(), static_cast<size_t>(n));
  std::vector<std::string> sorted_ids = ids;
  std::sort(sorted_ids.begin(), sorted_ids.end());
  for (size_t i = 0; i < seen.size(); ++i) {
    ASSERT_EQ(seen[i].first, sorted_ids[i]) << "each lead once, in id order: " << i;
  }
  std::map<std::string, double> expected;
  for (int i = 0; i < n; ++i) expected[ids[static_cast<size_t>(i)]] = (i % 5) * 10.0 + 1;
  for (const auto& [id, score] : seen) EXPECT_DOUBLE_EQ(score, expected[id]) << id;
  {
    // Every stored score, read back in chunks (the scan reads lead_scores).
    auto tx = std::move(db_->Begin(storage::TxMode::kRead).value());
    std::string at;
    size_t read = 0;
    while (true) {
      auto chunk = tx->leads().Scan(who_.account_key, at, 1000, {}, {});
      ASSERT_TRUE(chunk.ok()) << chunk.error().message;
      if (chunk->empty()) break;
      for (const Lead& lead : *chunk) EXPECT_DOUBLE_EQ(lead.score, expected[lead.id]) << lead.id;
      read += chunk->size();
      at = chunk->back().id;
    }
    EXPECT_EQ(read, static_cast<size_t>(n));
  }
  EXPECT_EQ(StoredScore(other_, foreign[1]), 0) << "another account's leads are untouched";
  // One grouped event, with every lead in id order.
  auto tx = std::move(db_->Begin(storage::TxMode::kWrite).value());
  auto jobs = tx->webhooks().ClaimDeliveries("t", kNow * 1000 * 10, kNow * 1000 * 10 + 1, 10);
  ASSERT_TRUE(jobs.ok()) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].event_type, "leads.scored");
  json body = json::parse((*jobs)[0].body);
  ASSERT_EQ(body["data"]["leads"].size(), static_cast<size_t>(n));
  EXPECT_EQ(body["data"]["leads"][0]["id"], sorted_ids[0]);
  EXPECT_EQ(body["data"]["leads"][static_cast<size_t>(n - 1)]["id"], sorted_ids.back());
}

// Leads updated while the account is rescored, by this process and by another one rescoring it
// too, end with the score of their current values: a rescore never writes a score read from a
// lead before a concurrent update.
TEST_F(ScoringServiceTest, ConcurrentUpdatesDuringRescoresEndWithTheirScores) {
  ScoringService scoring(*db_, clock_);
  auto other_db = Open();  // a second process on the same database
  ScoringService other_scoring(*other_db, clock_);
  auto updates_db = Open();  // the updates' own connections
  ScoringService updates_scoring(*updates_db, clock_);
  LeadService leads(*updates_db, clock_, &updates_scoring);
  const int n = 5 * ScoringService::kChunkSize + 17;
  auto ids = InsertLeads(who_, n);
  auto rule = scoring.CreateRule(who_, Patch("r", "rating + 0.1"));
  ASSERT_TRUE(rule.ok());
  // Three rounds each; before each of its rounds the first changes the rule's weight (10, 11,
  // 12), so every round rewrites most scores while the leads are being updated. Its last round
  // starts after the last change: every lead ends scored with weight 12, by it or by an update.
  constexpr int kRounds = 3;
  std::atomic<int> running{2};
  auto rescore = [&running, &rule, this](ScoringService& s, bool reweigh, core::Status* status) {
    for (int round = 0; round < kRounds && status->ok(); ++round) {
      if (reweigh) {
        domain::ScoringRulePatch patch;
        patch.weight = 10.0 + round;
        auto updated = s.UpdateRule(who_, rule->id, patch);
        if (!updated.ok()) *status = std::move(updated).error();
      }
      auto count = s.RescoreAll(who_, [](std::string_view, double) {});
      if (!count.ok()) *status = std::move(count).error();
    }
    --running;
  };
  core::Status first = core::Ok();
  core::Status second = core::Ok();
  std::thread a(rescore, std::ref(scoring), true, &first);
  std::thread b(rescore, std::ref(other_scoring), false, &second);
  // Updates across the whole account while the rescores run.
  int updates = 0;
  uint32_t state = 12345;
  while (running.load() > 0) {
    state = state * 1103515245u + 12345u;
    const std::string& id = ids[(state >> 8) % ids.size()];
    domain::LeadPatch patch;
    patch.rating = std::optional<double>(static_cast<double>((state >> 4) % 50) / 10.0);
    auto updated = leads.Update(who_, id, patch);
    ASSERT_TRUE(updated.ok()) << updated.error().message;
    ++updates;
  }
  a.join();
  b.join();
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_GT(updates, 10) << "updates ran during the rescores";
  auto tx = std::move(db_->Begin(storage::TxMode::kRead).value());
  std::string at;
  size_t read = 0;
  int wrong = 0;
  while (true) {
    auto chunk = tx->leads().Scan(who_.account_key, at, 1000, {{"rating"}, {}}, {});
    ASSERT_TRUE(chunk.ok()) << chunk.error().message;
    if (chunk->empty()) break;
    for (const Lead& lead : *chunk) {
      const double expected = FinalScore((lead.rating.value_or(0) + 0.1) * 12.0);
      if (lead.score != expected) {
        ++wrong;
        ADD_FAILURE() << lead.id << ": rating " << lead.rating.value_or(-1) << ", score "
                      << lead.score << ", expected " << expected;
        if (wrong > 5) return;
      }
    }
    read += chunk->size();
    at = chunk->back().id;
  }
  EXPECT_EQ(read, static_cast<size_t>(n));
}

// The first kSoloChunks chunks of a rescore are steps of one chunk each, writes included (each
// committed and sent on its own, as the old release did); past them, steps share commits.
TEST_F(ScoringServiceTest, StepChunksScoresSmallAccountsChunkByChunk) {
  ScoringService scoring(*db_, clock_);
  const int n = 3 * ScoringService::kChunkSize + 10;
  auto ids = InsertLeads(who_, n);
  ASSERT_TRUE(scoring.CreateRule(who_, Patch("r", "rating * 10")).ok());  // every score moves
  std::string after;
  int64_t done = 0;
  int steps = 0;
  while (true) {
    auto step = scoring.RescoreStep(
        who_, &after, [](std::string_view, double) {}, nullptr, ScoringService::StepChunks(done));
    ASSERT_TRUE(step.ok()) << step.error().message;
    ++steps;
    done += step->count;
    if (step->done) break;
    EXPECT_EQ(step->count, ScoringService::kChunkSize) << "step " << steps;
  }
  EXPECT_EQ(done, n);
  EXPECT_EQ(steps, 4);
  EXPECT_DOUBLE_EQ(StoredScore(who_, ids[1]), 10.0);
  EXPECT_DOUBLE_EQ(StoredScore(who_, ids.back()), ((n - 1) % 5) * 10.0);
  EXPECT_EQ(ScoringService::StepChunks(0), 1);
  EXPECT_EQ(
      ScoringService::StepChunks(int64_t{ScoringService::kSoloChunks} * ScoringService::kChunkSize),
      0)
      << "deep into a big account, the default (shared commits)";
}

// The batch reads only the projected fields (and merges the attributes it needs from a separate
// range read): its scores must equal scoring the full leads.
TEST_F(ScoringServiceTest, RescoreAllScoresLikeTheFullLead) {
  ScoringService scoring(*db_, clock_);
  std::vector<std::string> ids;
  {
    auto tx = std::move(db_->Begin(storage::TxMode::kWrite).value());
    for (int i = 0; i < 2 * ScoringService::kChunkSize + 50; ++i) {
      Lead lead = FullLead();
      lead.score = 0;
      lead.name = "Lead " + std::to_string(i);
      lead.rating = i % 7;
      lead.review_count = (i % 3 == 0) ? std::optional<int64_t>() : std::optional<int64_t>(i);
      if (i % 4 == 0) lead.text[domain::kEmail].reset();
      lead.tags = (i % 5 == 0) ? std::vector<std::string>{"VIP"} : std::vector<std::string>{};
      lead.status = static_cast<domain::LeadStatus>(i % 5);
      // Attribute sets differ: none, some, all, and names the rules do not read.
      lead.attributes.clear();
      if (i % 2 == 0) {
        lead.attributes.push_back({core::NewUuidV7(), "employees", AttributeType::kNumber, i});
      }
      if (i % 3 == 0) {
        lead.attributes.push_back({core::NewUuidV7(), "zzz", AttributeType::kText, "ignored"});
        lead.attributes.push_back(
            {core::NewUuidV7(), "products", AttributeType::kList, json::array({"CRM", "x"})});
      }
      if (i % 6 == 1) {
        lead.attributes.push_back({core::NewUuidV7(), "verified", AttributeType::kBool, true});
        lead.attributes.push_back({core::NewUuidV7(), "aaa", AttributeType::kNumber, 1});
      }
      EXPECT_TRUE(
          tx->leads()
              .Insert(who_.account_key, lead, service::LeadKeysOf(lead, dedup::PhoneNormalizer()))
              .ok());
      ids.push_back(lead.id);
    }
    ASSERT_TRUE(tx->Commit().ok());
  }
  const std::vector<std::string> expressions = {
      "rating * 3 + (review_count > 500 ? 7 : 0)",
      "(email != nil ? 5 : 0) + len(name) / 10",
      "\"vip\" in tags ? 11 : 0",
      "status == \"qualified\" ? 4 : 0",
      "attr_employees > 1000 ? 9 : (attr_employees == nil ? 1 : 2)",
      "\"crm\" in attr_products ? 3 : 0",
      "attr_verified * 6",
      "days_since(last_interaction_at) < 7 ? 0.5 : 0",
      "latitude > 48 ? 0.25 : 0",
  };
  std::vector<ScoringRule> rules;
  for (const auto& e : expressions) {
    auto created = scoring.CreateRule(who_, Patch(e, e));
    ASSERT_TRUE(created.ok()) << e << ": " << created.error().message;
    rules.push_back(*created);
  }
  std::map<std::string, double> batch;
  ASSERT_TRUE(scoring
                  .RescoreAll(who_, [&batch](std::string_view id,
                                             double score) { batch[std::string(id)] = score; })
                  .ok());
  ASSERT_EQ(batch.size(), ids.size());
  const RuleSet full_rules = RuleSet::FromRules(rules);
  auto tx = std::move(db_->Begin(storage::TxMode::kRead).value());
  std::set<double> distinct;
  for (const std::string& id : ids) {
    auto lead = tx->leads().Get(who_.account_key, id);
    ASSERT_TRUE(lead.ok() && lead->has_value());
    const double expected = full_rules.Score(**lead, kNow);
    EXPECT_DOUBLE_EQ(batch[id], expected) << id;
    EXPECT_DOUBLE_EQ((*lead)->score, expected) << "stored";
    distinct.insert(expected);
  }
  EXPECT_GT(distinct.size(), 20u) << "the rules tell the leads apart";
}

TEST_F(ScoringServiceTest, ScanRejectsUnknownFields) {
  auto tx = std::move(db_->Begin(storage::TxMode::kRead).value());
  storage::LeadProjection projection;
  projection.fields = {"rating", "name; DROP TABLE leads"};
  auto scanned = tx->leads().Scan(who_.account_key, "", 10, projection, {});
  ASSERT_FALSE(scanned.ok());
  EXPECT_EQ(scanned.error().code, core::ErrorCode::kInternal);
}

TEST_F(ScoringServiceTest, RescoreAllWithoutLeadsIsEmpty) {
  ScoringService scoring(*db_, clock_);
  int calls = 0;
  auto count = scoring.RescoreAll(who_, [&calls](std::string_view, double) { ++calls; });
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 0);
  EXPECT_EQ(calls, 0);
}

TEST_F(ScoringServiceTest, ScoreInTxUsesTheTransactionsView) {
  ScoringService scoring(*db_, clock_);
  Lead lead = FullLead();
  auto tx = std::move(db_->Begin(storage::TxMode::kWrite).value());
  EXPECT_DOUBLE_EQ(*scoring.ScoreInTx(*tx, who_.account_key, lead), 0) << "no rules yet";
  ScoringRule rule = Rule("rating * 20");
  ASSERT_TRUE(tx->rules().Insert(who_.account_key, rule).ok());
  EXPECT_DOUBLE_EQ(*scoring.ScoreInTx(*tx, who_.account_key, lead), 90)
      << "a rule written earlier in the same transaction counts";
  EXPECT_DOUBLE_EQ(*scoring.ScoreInTx(*tx, other_.account_key, lead), 0);
}

TEST_F(ScoringServiceTest, RescoreAndExplainCheckOwnership) {
  ScoringService scoring(*db_, clock_);
  auto ids = InsertLeads(who_, 1);
  EXPECT_EQ(scoring.RescoreLead(other_, ids[0]).error().code, core::ErrorCode::kNotFound);
  EXPECT_EQ(scoring.Explain(other_, ids[0]).error().code, core::ErrorCode::kNotFound);
  EXPECT_EQ(scoring.RescoreLead(who_, "cl_nope").error().code, core::ErrorCode::kNotFound);
  EXPECT_TRUE(scoring.Explain(who_, ids[0]).ok());
}

}  // namespace
}  // namespace klozeo::service
