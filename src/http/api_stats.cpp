// GET /api/v1/stats: lead statistics of the caller's account (docs/API.md "Statistics").
#include "http/api.h"
#include "http/handler_util.h"

namespace klozeo::http {

using core::Result;

void Api::AddStatsRoutes(service::StatsService& stats) {
  Add("GET", "/api/v1/stats", true, [&stats](Context& c) -> Result<Response> {
    KLOZEO_ASSIGN_OR_RETURN(int days, service::StatsService::ParseDays(c.request.Query("days")));
    KLOZEO_ASSIGN_OR_RETURN(auto body, stats.Get(c.principal, days));
    return Json(200, body);
  });
}

}  // namespace klozeo::http
