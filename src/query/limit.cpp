#include "query/limit.h"

#include <string>

#include "core/strings.h"
#include "query/fields.h"

namespace klozeo::query {

core::Result<int> ParseLimit(std::optional<std::string_view> text) {
  if (!text || text->empty()) return kDefaultLimit;
  std::string_view digits = core::Trim(*text);
  bool negative = digits.starts_with('-');
  if (negative || digits.starts_with('+')) digits.remove_prefix(1);
  bool numeric = !digits.empty();
  long long value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      numeric = false;
      break;
    }
    // Saturate: anything above kMaxLimit is clamped anyway.
    if (value <= kMaxLimit) value = value * 10 + (c - '0');
  }
  if (!numeric) {
    return core::Error::BadRequest("invalid limit " + QuoteForMessage(*text) +
                                   ": expected a whole number from 1 to " +
                                   std::to_string(kMaxLimit));
  }
  if (negative || value < 1) {
    return core::Error::BadRequest("invalid limit " + QuoteForMessage(*text) +
                                   ": must be at least 1");
  }
  return value > kMaxLimit ? kMaxLimit : static_cast<int>(value);
}

}  // namespace klozeo::query
