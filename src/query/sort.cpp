#include "query/sort.h"

#include <string>

#include "core/strings.h"

namespace klozeo::query {

std::string_view DirectionName(SortDirection direction) {
  return direction == SortDirection::kAsc ? "asc" : "desc";
}

core::Result<Sort> ParseSort(std::optional<std::string_view> sort_by,
                             std::optional<std::string_view> sort_order) {
  Sort sort;
  if (sort_by && !sort_by->empty()) {
    std::optional<FieldRef> field = LookupField(*sort_by);
    if (!field || field->kind == FieldKind::kTags || field->kind == FieldKind::kLocation) {
      return core::Error::BadRequest("invalid sort_by " + QuoteForMessage(*sort_by) +
                                     ": expected a text or number field, or attr:<name>");
    }
    sort.field = std::move(*field);
  }
  if (sort_order && !sort_order->empty()) {
    std::string order = core::AsciiLower(*sort_order);
    if (order == "asc") {
      sort.direction = SortDirection::kAsc;
    } else if (order == "desc") {
      sort.direction = SortDirection::kDesc;
    } else {
      return core::Error::BadRequest("invalid sort_order " + QuoteForMessage(*sort_order) +
                                     ": expected ASC or DESC");
    }
  }
  return sort;
}

}  // namespace klozeo::query
