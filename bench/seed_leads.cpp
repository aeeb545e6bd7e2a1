// Seeds an account with N synthetic leads straight through the storage layer (fast), for
// benchmarks: 1,000 a batch, stored as POST /leads/batch stores them (no dedup). Prints the
// account's API key on stdout; writes a sample of lead ids to a file.
//   seed_leads DB_URL COUNT IDS_FILE
//
// The data looks like a real lead list (docs/QUERY-PERFORMANCE.md, "Bench data"): five
// statuses in skewed proportions, 60 cities on a Zipf curve (Paris about a sixth of the
// account), sparse optional fields (e-mail 70 %, phone 60 %, website 50 %, description 20 %,
// rating and review count 80 %, coordinates 90 %, jittered around the city), 0-4 tags out of
// 20, timestamps spread over two years, and attributes of four types: `employees` (number) and
// `industry` (text) on every lead, `verified` (bool) on 30 %, `channels` (list) on 5 %. Names
// are word combinations (chains repeat); about one lead in 20,000 has the rare word "Quokka".
// Scores start at 0: the benchmarks rescore the account with their rules.
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <libpq-fe.h>

#include "app/wiring.h"
#include "core/ids.h"
#include "service/lead_service.h"

namespace {

struct City {
  const char* name;
  const char* country;
  double lat;
  double lng;
};

// Ordered by weight: city i has weight 1 / (i + 1)^1.1.
constexpr City kCities[] = {
    {"Paris", "France", 48.857, 2.352},
    {"London", "United Kingdom", 51.507, -0.128},
    {"New York", "United States", 40.713, -74.006},
    {"Berlin", "Germany", 52.520, 13.405},
    {"Madrid", "Spain", 40.417, -3.704},
    {"Z\xC3\xBCrich", "Switzerland", 47.377, 8.542},
    {"Lyon", "France", 45.764, 4.836},
    {"Tokyo", "Japan", 35.690, 139.692},
    {"S\xC3\xA3o Paulo", "Brazil", -23.551, -46.633},
    {"Athens", "Greece", 37.984, 23.728},
    {"Lisbon", "Portugal", 38.722, -9.139},
    {"San Francisco", "United States", 37.775, -122.419},
    {"K\xC3\xB6ln", "Germany", 50.938, 6.960},
    {"Marseille", "France", 43.296, 5.370},
    {"Barcelona", "Spain", 41.385, 2.173},
    {"Amsterdam", "Netherlands", 52.368, 4.904},
    {"Brussels", "Belgium", 50.850, 4.352},
    {"Vienna", "Austria", 48.208, 16.373},
    {"Montr\xC3\xA9"
     "al",
     "Canada", 45.502, -73.567},
    {"Chicago", "United States", 41.878, -87.630},
    {"Toronto", "Canada", 43.653, -79.383},
    {"Milan", "Italy", 45.464, 9.190},
    {"Rome", "Italy", 41.903, 12.496},
    {"Munich", "Germany", 48.135, 11.582},
    {"Dublin", "Ireland", 53.350, -6.260},
    {"Copenhagen", "Denmark", 55.676, 12.568},
    {"Stockholm", "Sweden", 59.329, 18.069},
    {"Oslo", "Norway", 59.914, 10.752},
    {"Helsinki", "Finland", 60.170, 24.938},
    {"Warsaw", "Poland", 52.230, 21.012},
    {"Prague", "Czechia", 50.076, 14.438},
    {"Budapest", "Hungary", 47.498, 19.040},
    {"Bordeaux", "France", 44.838, -0.579},
    {"Toulouse", "France", 43.605, 1.444},
    {"Nantes", "France", 47.218, -1.554},
    {"Lille", "France", 50.629, 3.057},
    {"Geneva", "Switzerland", 46.204, 6.143},
    {"Seville", "Spain", 37.389, -5.984},
    {"Valencia", "Spain", 39.470, -0.376},
    {"Porto", "Portugal", 41.158, -8.629},
    {"Boston", "United States", 42.360, -71.059},
    {"Seattle", "United States", 47.606, -122.332},
    {"Austin", "United States", 30.267, -97.743},
    {"Denver", "United States", 39.739, -104.990},
    {"Osaka", "Japan", 34.694, 135.502},
    {"Sydney", "Australia", -33.869, 151.209},
    {"Melbourne", "Australia", -37.814, 144.963},
    {"Auckland", "New Zealand", -36.849, 174.763},
    {"Cape Town", "South Africa", -33.925, 18.424},
    {"Nairobi", "Kenya", -1.292, 36.822},
    {"Cairo", "Egypt", 30.044, 31.236},
    {"Istanbul", "T\xC3\xBCrkiye", 41.008, 28.978},
    {"Dubai", "United Arab Emirates", 25.205, 55.271},
    {"Mumbai", "India", 19.076, 72.878},
    {"Singapore", "Singapore", 1.352, 103.820},
    {"Seoul", "South Korea", 37.567, 126.978},
    {"Mexico City", "Mexico", 19.433, -99.133},
    {"Buenos Aires", "Argentina", -34.604, -58.382},
    {"Bogot\xC3\xA1", "Colombia", 4.711, -74.072},
    {"Reykjav\xC3\xADk", "Iceland", 64.147, -21.942},
};

constexpr const char* kAdjectives[] = {"Blue",
                                       "Golden",
                                       "Green",
                                       "Silver",
                                       "Royal",
                                       "Urban",
                                       "Sunny",
                                       "Happy",
                                       "Bright",
                                       "Little",
                                       "Grand",
                                       "Modern",
                                       "Classic",
                                       "Fresh",
                                       "Wild",
                                       "Quiet",
                                       "North",
                                       "South",
                                       "East",
                                       "West",
                                       "Central",
                                       "Old",
                                       "New",
                                       "Red",
                                       "Stone",
                                       "Iron",
                                       "Crystal",
                                       "Maple",
                                       "Cedar",
                                       "Ocean",
                                       "River",
                                       "Lake",
                                       "Caf\xC3\xA9",
                                       "B\xC3\xA4"
                                       "ckerei",
                                       "\xC3\x89"
                                       "toile",
                                       "Pr\xC3\xADma",
                                       "Alpine",
                                       "Coastal",
                                       "Prime",
                                       "Metro"};
constexpr const char* kNouns[] = {"Harbor", "Oak",    "Bridge",  "Garden",  "Peak",   "Valley",
                                  "Tower",  "Square", "Market",  "Lane",    "Field",  "Forge",
                                  "Anchor", "Crown",  "Lantern", "Compass", "Summit", "Grove",
                                  "Mill",   "Works",  "Point",   "Gate",    "Hill",   "Bay",
                                  "Spring", "Wharf",  "Arrow",   "Beacon",  "Canyon", "Meadow"};
constexpr const char* kKinds[] = {
    "Bakery",  "Plumbing", "Dental",   "Consulting", "Studio",   "Bistro", "Motors",  "Realty",
    "Fitness", "Florist",  "Pharmacy", "Hardware",   "Books",    "Coffee", "Law",     "Insurance",
    "Salon",   "Tailors",  "Brewing",  "Logistics",  "Software", "Clinic", "Gallery", "Hotel",
    "Print",   "Roofing",  "Catering", "Optics",     "Cycles",   "Pets"};
constexpr const char* kCategories[] = {
    "Retail",        "Restaurant", "Healthcare", "Professional Services",
    "Construction",  "Beauty",     "Automotive", "Real Estate",
    "Hospitality",   "Technology", "Education",  "Finance",
    "Manufacturing", "Wholesale",  "Fitness"};
constexpr const char* kIndustries[] = {
    "retail",     "food & drink", "health", "services", "construction", "beauty",
    "automotive", "property",     "travel", "software", "education",    "finance",
    "industry",   "trade",        "sport",  "media",    "energy",       "agri_food"};
constexpr const char* kSources[] = {"website", "google_maps", "import", "linkedin", "referral"};
constexpr const char* kTags[] = {"b2b",     "b2c",       "enterprise", "smb",       "hot",
                                 "cold",    "partner",   "newsletter", "event",     "trial",
                                 "churned", "vip",       "follow-up",  "wholesale", "local",
                                 "online",  "franchise", "seasonal",   "eco",       "premium"};
constexpr const char* kChannels[] = {"email", "phone", "sms", "whatsapp", "visit", "post"};
constexpr const char* kDescriptions[] = {
    "Family-run business serving the neighbourhood since the 1990s.",
    "Looking for a new supplier; asked for a quote last spring.",
    "Multi-site operator, decision maker is the regional manager.",
    "Met at the trade fair; interested in the premium offer.",
    "100% organic products, open seven days a week.",
    "Owner prefers e-mail; do not call before 10am."};

// Cumulative weights of a Zipf distribution over n items.
std::vector<double> ZipfCdf(size_t n, double s) {
  std::vector<double> cdf(n);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) cdf[i] = (sum += 1.0 / std::pow(static_cast<double>(i + 1), s));
  for (double& c : cdf) c /= sum;
  return cdf;
}

size_t Pick(const std::vector<double>& cdf, double u) {
  size_t i = 0;
  while (i + 1 < cdf.size() && cdf[i] < u) ++i;
  return i;
}

template <size_t N>
const char* Any(const char* const (&items)[N], std::mt19937_64& rng) {
  return items[rng() % N];
}

klozeo::domain::LeadStatus PickStatus(double u) {
  using S = klozeo::domain::LeadStatus;
  if (u < 0.50) return S::kNew;
  if (u < 0.75) return S::kContacted;
  if (u < 0.87) return S::kQualified;
  if (u < 0.95) return S::kDisqualified;
  return S::kConverted;
}

// PostgreSQL: the secondary indexes of the tables a lead writes (none backing a constraint, so
// the primary keys, uniques and foreign keys stay and are checked), as the schema made them.
// The seed drops them and builds them again at the end (pg_get_indexdef's text): a bulk build
// sorts once instead of inserting a million entries one by one into 20-odd b-trees and GINs.
// The rows stored are the same; only the indexes' physical layout differs.
constexpr const char* kSecondaryIndexes =
    "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
    "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
    "WHERE n.nspname = current_schema() AND t.relname IN ('leads', 'lead_attributes', "
    "'lead_match_keys', 'lead_scores') AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE "
    "c.conindid = i.indexrelid) ORDER BY 1";

bool PgExec(PGconn* conn, const std::string& sql) {
  PGresult* r = PQexec(conn, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok) std::cerr << sql << ": " << PQerrorMessage(conn) << "\n";
  PQclear(r);
  return ok;
}

std::string Slug(const std::string& name) {
  std::string out;
  for (char c : name) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
      out += c;
    else if (c >= 'A' && c <= 'Z')
      out += static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: seed_leads DB_URL COUNT IDS_FILE\n";
    return 2;
  }
  using klozeo::domain::Attribute;
  using klozeo::domain::AttributeType;
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
  // The storage backends' internals are private to them (storage/sql/guard.h): plain libpq.
  std::unique_ptr<PGconn, decltype(&PQfinish)> pg(nullptr, &PQfinish);
  std::vector<std::string> index_defs;  // to build again once the leads are in
  const bool postgres =
      db_url.rfind("postgres://", 0) == 0 || db_url.rfind("postgresql://", 0) == 0;
  if (postgres && count > 0) {
    pg.reset(PQconnectdb(db_url.c_str()));
    std::vector<std::string> names;
    if (PQstatus(pg.get()) == CONNECTION_OK) {
      PGresult* r = PQexec(pg.get(), kSecondaryIndexes);
      if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        for (int i = 0; i < PQntuples(r); ++i) {
          names.emplace_back(PQgetvalue(r, i, 0));
          index_defs.emplace_back(PQgetvalue(r, i, 1));
        }
      }
      PQclear(r);
    }
    if (index_defs.empty()) {
      std::cerr << "cannot read the indexes: " << PQerrorMessage(pg.get()) << "\n";
      return 1;
    }
    for (const auto& name : names) {
      if (!PgExec(pg.get(), "DROP INDEX " + name)) return 1;
    }
  }
  std::ofstream ids(argv[3]);
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> jitter(0.0, 0.05);
  const std::vector<double> city_cdf = ZipfCdf(std::size(kCities), 1.1);
  const std::vector<double> tag_cdf = ZipfCdf(std::size(kTags), 0.8);
  const std::vector<double> source_cdf = ZipfCdf(std::size(kSources), 1.0);
  const int64_t now = clock.NowSeconds();
  const int64_t two_years = 2 * 365 * 86400;
  // Leads go in as POST /leads/batch stores them (LeadStore::InsertMany), kBatch at a time
  // (the unlimited plan's batch size), 10,000 a transaction. One Insert a lead cost about eight
  // statements a lead on PostgreSQL (the lead, its score, the name-token counts, the match keys,
  // the attributes, each a round trip and a foreign-key check) and ran 100 leads/s here.
  constexpr size_t kBatch = 1000;
  long done = 0;
  while (done < count) {
    auto tx = (*services)->db().Begin(klozeo::storage::TxMode::kWrite);
    if (!tx.ok()) {
      std::cerr << tx.error().message << "\n";
      return 1;
    }
    std::vector<klozeo::domain::Lead> batch;
    std::vector<klozeo::dedup::LeadKeys> batch_keys;
    for (long i = 0; i < 10000 && done < count; ++i, ++done) {
      namespace d = klozeo::domain;
      d::Lead lead;
      lead.id = klozeo::core::NewLeadId();
      std::string kind = Any(kKinds, rng);
      lead.name = std::string(Any(kAdjectives, rng)) + " " + Any(kNouns, rng) + " " + kind;
      if (rng() % 20000 == 0) lead.name += " Quokka";
      if (rng() % 4 == 0) lead.name += " " + std::to_string(rng() % 500 + 1);
      lead.source = kSources[Pick(source_cdf, unit(rng))];
      lead.status = PickStatus(unit(rng));
      const City& city = kCities[Pick(city_cdf, unit(rng))];
      if (unit(rng) < 0.95) {
        lead.text[d::kCity] = city.name;
        lead.text[d::kCountry] = city.country;
      }
      if (unit(rng) < 0.90) {
        lead.latitude = city.lat + jitter(rng);
        lead.longitude = city.lng + jitter(rng);
      }
      const std::string slug = Slug(lead.name) + std::to_string(done);
      if (unit(rng) < 0.70) lead.text[d::kEmail] = "contact@" + slug + ".example.com";
      if (unit(rng) < 0.60) {
        lead.text[d::kPhone] = "+3314" + std::to_string(10000000 + (rng() % 89999999));
      }
      if (unit(rng) < 0.50) lead.text[d::kWebsite] = "https://" + slug + ".example.com";
      if (unit(rng) < 0.20) lead.text[d::kDescription] = Any(kDescriptions, rng);
      if (unit(rng) < 0.60) {
        lead.text[d::kAddress] =
            std::to_string(rng() % 200 + 1) + " " + Any(kNouns, rng) + " Street";
        lead.text[d::kPostalCode] = std::to_string(10000 + rng() % 89999);
      }
      if (unit(rng) < 0.90) lead.text[d::kCategory] = Any(kCategories, rng);
      if (unit(rng) < 0.80) {
        // Skewed towards good ratings, as review sites are.
        lead.rating =
            std::round(std::min(5.0, std::max(1.0, 5.2 - std::abs(jitter(rng) * 24))) * 10) / 10;
        lead.review_count = static_cast<int64_t>(std::exp(unit(rng) * 8.5)) - 1;
      }
      const int tag_count = static_cast<int>(rng() % 5);
      for (int t = 0; t < tag_count; ++t) lead.tags.push_back(kTags[Pick(tag_cdf, unit(rng))]);
      lead.tags = d::NormalizeTags(lead.tags);
      lead.attributes.push_back({klozeo::core::NewUuidV7(), "employees", AttributeType::kNumber,
                                 static_cast<int>(std::exp(unit(rng) * 9.2))});
      lead.attributes.push_back(
          {klozeo::core::NewUuidV7(), "industry", AttributeType::kText, Any(kIndustries, rng)});
      if (unit(rng) < 0.30) {
        lead.attributes.push_back(
            {klozeo::core::NewUuidV7(), "verified", AttributeType::kBool, rng() % 3 != 0});
      }
      if (unit(rng) < 0.05) {
        nlohmann::json channels = nlohmann::json::array({Any(kChannels, rng)});
        if (rng() % 2) channels.push_back(Any(kChannels, rng));
        lead.attributes.push_back(
            {klozeo::core::NewUuidV7(), "channels", AttributeType::kList, channels});
      }
      lead.created_at = now - two_years + (two_years * done) / std::max(count, 1L);
      lead.updated_at =
          lead.created_at +
          static_cast<int64_t>(unit(rng) * static_cast<double>(now - lead.created_at));
      lead.last_interaction_at =
          lead.updated_at +
          static_cast<int64_t>(unit(rng) * static_cast<double>(now - lead.updated_at));
      if (done % 10 == 0) ids << lead.id << "\n";
      batch_keys.push_back(klozeo::service::LeadKeysOf(lead, klozeo::dedup::PhoneNormalizer()));
      batch.push_back(std::move(lead));
      if (batch.size() == kBatch || done + 1 == count || i + 1 == 10000) {
        auto status = (*tx)->leads().InsertMany(account, batch, batch_keys);
        if (!status.ok()) {
          std::cerr << status.error().message << "\n";
          return 1;
        }
        batch.clear();
        batch_keys.clear();
      }
    }
    auto committed = (*tx)->Commit();
    if (!committed.ok()) {
      std::cerr << committed.error().message << "\n";
      return 1;
    }
    std::cerr << "\rseeded " << done << " / " << count << std::flush;
  }
  std::cerr << "\n";
  if (pg != nullptr) {
    if (!PgExec(pg.get(), "SET maintenance_work_mem = '256MB'")) return 1;
    for (const auto& def : index_defs) {
      if (!PgExec(pg.get(), def)) return 1;
    }
    std::cerr << "built " << index_defs.size() << " indexes again\n";
  }
  std::cout << created->second.secret << std::endl;
  return 0;
}
