// Seeds an account with N synthetic leads straight through the storage layer (fast), for
// benchmarks. Prints the account's API key on stdout; writes a sample of lead ids to a file.
//   seed_leads DB_URL COUNT IDS_FILE
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>

#include "app/wiring.h"
#include "core/ids.h"
#include "service/lead_service.h"

namespace {

const char* const kCities[] = {"Paris",  "London",   "Z\xC3\xBCrich", "Berlin", "Athens",
                               "Lisbon", "New York", "San Francisco", "Tokyo",  "Madrid"};
const char* const kSources[] = {"website", "maps", "import", "linkedin", "referral"};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: seed_leads DB_URL COUNT IDS_FILE\n";
    return 2;
  }
  const std::string db_url = argv[1];
  const long count = std::stol(argv[2]);
  klozeo::core::SystemClock clock;
  auto services = klozeo::app::Services::Open(db_url, 2, {}, clock);
  if (!services.ok()) {
    std::cerr << services.error().message << "\n";
    return 1;
  }
  auto created = (*services)->accounts().CreateAccount("bench", "unlimited");
  if (!created.ok()) {
    std::cerr << created.error().message << "\n";
    return 1;
  }
  const klozeo::domain::AccountKey account = created->first.key;
  std::ofstream ids(argv[3]);
  std::mt19937_64 rng(42);
  const int64_t now = clock.NowSeconds();
  long done = 0;
  while (done < count) {
    auto tx = (*services)->db().Begin(klozeo::storage::TxMode::kWrite);
    if (!tx.ok()) {
      std::cerr << tx.error().message << "\n";
      return 1;
    }
    for (long i = 0; i < 10000 && done < count; ++i, ++done) {
      klozeo::domain::Lead lead;
      lead.id = klozeo::core::NewLeadId();
      lead.name = "Company " + std::to_string(done);
      lead.source = kSources[rng() % 5];
      lead.text[klozeo::domain::kEmail] = "contact" + std::to_string(done) + "@example.com";
      lead.text[klozeo::domain::kCity] = kCities[rng() % 10];
      lead.text[klozeo::domain::kPhone] = "+1415555" + std::to_string(1000000 + done).substr(1);
      lead.rating = static_cast<double>(rng() % 50) / 10.0;
      lead.review_count = static_cast<int64_t>(rng() % 1000);
      lead.latitude = 40.0 + static_cast<double>(rng() % 1000) / 100.0;
      lead.longitude = -5.0 + static_cast<double>(rng() % 1000) / 100.0;
      lead.tags = {"seed", rng() % 2 ? "b2b" : "b2c"};
      lead.attributes.push_back({klozeo::core::NewUuidV7(), "employees",
                                 klozeo::domain::AttributeType::kNumber,
                                 static_cast<int>(rng() % 5000)});
      lead.created_at = lead.updated_at = lead.last_interaction_at = now - (count - done);
      auto status = (*tx)->leads().Insert(
          account, lead, klozeo::service::LeadKeysOf(lead, klozeo::dedup::PhoneNormalizer()));
      if (!status.ok()) {
        std::cerr << status.error().message << "\n";
        return 1;
      }
      if (done % 10 == 0) ids << lead.id << "\n";
    }
    auto committed = (*tx)->Commit();
    if (!committed.ok()) {
      std::cerr << committed.error().message << "\n";
      return 1;
    }
    std::cerr << "\rseeded " << done << " / " << count << std::flush;
  }
  std::cerr << "\n";
  std::cout << created->second.secret << std::endl;
  return 0;
}
