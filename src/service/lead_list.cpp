// Listing and scanning leads: filters, sort, keyset cursors (the query engine's use case).
#include "query/cursor.h"
#include "query/filter.h"
#include "query/limit.h"
#include "query/sort.h"
#include "service/lead_service.h"

namespace klozeo::service {

using core::Error;
using core::Result;

namespace {
constexpr const char* kCursorSecretName = "cursor_hmac";
}  // namespace

Result<query::ListQuery> LeadService::ParseListQuery(const domain::Principal& who,
                                                     const ListParams& params, bool paged) {
  query::ListQuery q;
  q.account_key = static_cast<int64_t>(who.account_key);
  KLOZEO_ASSIGN_OR_RETURN(q.filters, query::ParseFilters(params.filters));
  auto view = [](const std::optional<std::string>& s) -> std::optional<std::string_view> {
    if (!s) return std::nullopt;
    return std::string_view(*s);
  };
  KLOZEO_ASSIGN_OR_RETURN(q.sort, query::ParseSort(view(params.sort_by), view(params.sort_order)));
  if (paged) {
    KLOZEO_ASSIGN_OR_RETURN(int limit, query::ParseLimit(view(params.limit)));
    q.limit = limit;
    if (params.cursor && !params.cursor->empty()) {
      KLOZEO_ASSIGN_OR_RETURN(std::string secret, db_.Secret(kCursorSecretName));
      KLOZEO_ASSIGN_OR_RETURN(q.after, query::DecodeCursor(*params.cursor, secret, q.sort));
    }
  }
  return q;
}

Result<LeadList> LeadService::List(const domain::Principal& who, const ListParams& params) {
  KLOZEO_ASSIGN_OR_RETURN(query::ListQuery q, ParseListQuery(who, params, true));
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
  KLOZEO_ASSIGN_OR_RETURN(storage::LeadPage page, tx->leads().List(q));
  LeadList out;
  if (page.has_more && !page.leads.empty()) {
    KLOZEO_ASSIGN_OR_RETURN(std::string secret, db_.Secret(kCursorSecretName));
    out.next_cursor = query::EncodeCursor(
        query::CursorAfter(q.sort, page.last_sort_key, page.leads.back().id), secret);
  }
  out.leads = std::move(page.leads);
  return out;
}

Result<std::unique_ptr<LeadScan>> LeadService::Scan(const domain::Principal& who,
                                                    const ListParams& params, int chunk) {
  KLOZEO_ASSIGN_OR_RETURN(query::ListQuery q, ParseListQuery(who, params, false));
  return std::make_unique<LeadScan>(db_, std::move(q), chunk);
}

Result<std::vector<domain::Lead>> LeadScan::Next() {
  if (done_) return std::vector<domain::Lead>();
  query_.limit = chunk_;
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
  KLOZEO_ASSIGN_OR_RETURN(storage::LeadPage page, tx->leads().List(query_));
  if (!page.has_more) {
    done_ = true;
  } else {
    query_.after = query::CursorAfter(query_.sort, page.last_sort_key, page.leads.back().id);
  }
  return std::move(page.leads);
}

}  // namespace klozeo::service
