#include "storage/postgres/stats_store.h"

#include <algorithm>
#include <map>

namespace klozeo::storage::postgres::stats {

using core::Result;

namespace {

// Status and score bucket in one pass: the total, the average and both breakdowns.
constexpr const char* kStatusBuckets =
    "SELECT status, CASE WHEN score >= 90 THEN 9 WHEN score < 10 THEN 0 "
    "ELSE floor(score / 10)::bigint END AS bucket, COUNT(*), SUM(score) "
    "FROM leads WHERE account_id = $1 GROUP BY status, bucket";
// Sources and cities group case-insensitively (as filters match), ties by folded name
// (bytewise, as on SQLite). Sources show their smallest spelling; cities are counted on the
// (account_id, city_fold) index and show the spelling of the group's oldest lead.
constexpr const char* kTopSources =
    "SELECT MIN(source COLLATE \"C\"), COUNT(*) AS n FROM leads WHERE account_id = $1 "
    "GROUP BY source_fold ORDER BY n DESC, source_fold LIMIT $2";
constexpr const char* kTopCities =
    "SELECT (SELECT city FROM leads c WHERE c.account_id = $1 AND c.city_fold = t.city_fold "
    "ORDER BY c.id LIMIT 1), n FROM (SELECT city_fold, COUNT(*) AS n FROM leads "
    "WHERE account_id = $1 AND city_fold IS NOT NULL AND city_fold <> '' GROUP BY city_fold "
    "ORDER BY n DESC, city_fold LIMIT $2) t ORDER BY n DESC, city_fold";
constexpr const char* kCreatedPerDay =
    "SELECT created_at / 86400 AS day, COUNT(*) FROM leads "
    "WHERE account_id = $1 AND created_at >= $2 GROUP BY day ORDER BY day";

Result<std::vector<std::pair<std::string, int64_t>>> Top(Connection& conn, const char* sql,
                                                         std::string_view account_id, int top) {
  auto s = conn.Query(sql);
  s.Bind(1, account_id).Bind(2, static_cast<int64_t>(top));
  std::vector<std::pair<std::string, int64_t>> out;
  while (true) {
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.emplace_back(s.Text(0), s.Int(1));
  }
  return out;
}

}  // namespace

Result<LeadStats> Compute(Connection& conn, std::string_view account_id, int64_t since_seconds,
                          int top) {
  LeadStats stats;
  double score_sum = 0;
  std::map<std::string, int64_t> by_status;
  {
    auto s = conn.Query(kStatusBuckets);
    s.Bind(1, account_id);
    while (true) {
      KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      const int64_t bucket = s.Int(1);
      const int64_t count = s.Int(2);
      stats.total += count;
      score_sum += s.Double(3);
      stats.score_histogram[static_cast<size_t>(std::clamp<int64_t>(bucket, 0, 9))] += count;
      by_status[s.Text(0)] += count;
    }
  }
  stats.by_status.assign(by_status.begin(), by_status.end());
  if (stats.total > 0) stats.average_score = score_sum / static_cast<double>(stats.total);
  KLOZEO_ASSIGN_OR_RETURN(stats.by_source, Top(conn, kTopSources, account_id, top));
  KLOZEO_ASSIGN_OR_RETURN(stats.top_cities, Top(conn, kTopCities, account_id, top));
  auto s = conn.Query(kCreatedPerDay);
  s.Bind(1, account_id).Bind(2, since_seconds);
  while (true) {
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    stats.created_per_day.emplace_back(s.Int(0), s.Int(1));
  }
  return stats;
}

}  // namespace klozeo::storage::postgres::stats
