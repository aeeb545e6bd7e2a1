#include "service/stats_service.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace klozeo::service {

using core::Error;
using core::Result;
using nlohmann::json;

namespace {

constexpr int64_t kSecondsPerDay = 86400;

/// YYYY-MM-DD of a day number since the Unix epoch (UTC).
std::string DateOf(int64_t day) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return text;
}

json NamedCounts(const std::vector<std::pair<std::string, int64_t>>& rows, const char* key) {
  json list = json::array();
  for (const auto& [name, count] : rows) list.push_back(json{{key, name}, {"count", count}});
  return list;
}

}  // namespace

Result<int> StatsService::ParseDays(const std::optional<std::string>& text) {
  if (!text) return kDefaultDays;
  int days = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), days);
  if (text->empty() || ec != std::errc() || ptr != text->data() + text->size() || days < 1 ||
      days > kMaxDays) {
    return Error::BadRequest("parameter 'days' must be an integer from 1 to " +
                             std::to_string(kMaxDays));
  }
  return days;
}

Result<json> StatsService::Get(const domain::Principal& who, int days) {
  if (days < 1 || days > kMaxDays) {
    return Error::BadRequest("'days' must be an integer from 1 to " + std::to_string(kMaxDays));
  }
  const int64_t today = clock_.NowSeconds() / kSecondsPerDay;
  const int64_t first_day = today - (days - 1);
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
  KLOZEO_ASSIGN_OR_RETURN(auto stats,
                          tx->leads().Stats(who.account_key, first_day * kSecondsPerDay, kTop));

  json by_status = json::object();
  for (const auto& [status, count] : stats.by_status) by_status[status] = count;
  json histogram = json::array();
  for (size_t i = 0; i < stats.score_histogram.size(); ++i) {
    const int from = static_cast<int>(i) * 10;
    histogram.push_back(json{{"from", from},
                             {"to", i + 1 == stats.score_histogram.size() ? 100 : from + 9},
                             {"count", stats.score_histogram[i]}});
  }
  json per_day = json::array();
  size_t next = 0;
  for (int64_t day = first_day; day <= today; ++day) {
    int64_t count = 0;
    while (next < stats.created_per_day.size() && stats.created_per_day[next].first < day) ++next;
    if (next < stats.created_per_day.size() && stats.created_per_day[next].first == day) {
      count = stats.created_per_day[next].second;
    }
    per_day.push_back(json{{"date", DateOf(day)}, {"count", count}});
  }
  return json{
      {"total_leads", stats.total},
      {"average_score",
       stats.average_score ? json(std::round(*stats.average_score * 100) / 100) : json(nullptr)},
      {"by_status", std::move(by_status)},
      {"by_source", NamedCounts(stats.by_source, "source")},
      {"top_cities", NamedCounts(stats.top_cities, "city")},
      {"score_histogram", std::move(histogram)},
      {"created_per_day", std::move(per_day)}};
}

}  // namespace klozeo::service
