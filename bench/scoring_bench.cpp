// What rescoring one lead costs in the service: RuleSet::Score over a domain::Lead (slot binding
// by precomputed plan, five rules, clamping and rounding). items_per_second counts rule
// evaluations, like expr_bench, so the two compare directly.

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "core/ids.h"
#include "service/scoring_service.h"

namespace {

using klozeo::domain::AttributeType;
using klozeo::domain::Lead;
using klozeo::domain::ScoringRule;
using klozeo::service::RuleSet;

constexpr int64_t kNow = 1'700'000'000;

// The five rules bench/run.sh also uses for the batch benchmark.
const char* const kRules[] = {
    "rating * 20",
    "review_count > 100 ? 30 : 0",
    "(email != nil ? 10 : 0) + (phone != nil ? 10 : 0)",
    "days_since(last_interaction_at) < 7 ? 20 : 0",
    "attr_employees > 500 ? 10 : 0",
};

Lead SampleLead() {
  Lead lead;
  lead.id = klozeo::core::NewLeadId();
  lead.name = "Acme Bakery";
  lead.source = "maps";
  lead.text[klozeo::domain::kEmail] = "contact@acme.fr";
  lead.text[klozeo::domain::kCity] = "Paris";
  lead.rating = 4.5;
  lead.review_count = 120;
  lead.tags = {"vip", "b2b"};
  lead.last_interaction_at = kNow - 3 * 86400;
  lead.attributes.push_back({klozeo::core::NewUuidV7(), "employees", AttributeType::kNumber, 800});
  return lead;
}

RuleSet FiveRules() {
  std::vector<ScoringRule> rules;
  for (const char* expression : kRules) {
    ScoringRule rule;
    rule.id = klozeo::core::NewUuidV7();
    rule.name = expression;
    rule.expression = expression;
    rule.weight = 0.5;
    rules.push_back(rule);
  }
  return RuleSet::FromRules(std::move(rules));
}

void BM_ServiceScoreFiveRules(benchmark::State& state) {
  const Lead lead = SampleLead();
  const RuleSet rules = FiveRules();
  for (auto _ : state) benchmark::DoNotOptimize(rules.Score(lead, kNow));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(std::size(kRules)));
}
BENCHMARK(BM_ServiceScoreFiveRules);

}  // namespace

BENCHMARK_MAIN();
