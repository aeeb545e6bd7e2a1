#include "core/error.h"

namespace klozeo::core {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadRequest:
      return "bad_request";
    case ErrorCode::kUnauthorized:
      return "unauthorized";
    case ErrorCode::kLeadsLimitReached:
      return "leads_limit_reached";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kMethodNotAllowed:
      return "method_not_allowed";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kPayloadTooLarge:
      return "payload_too_large";
    case ErrorCode::kRateLimited:
      return "rate_limit_exceeded";
    case ErrorCode::kUnavailable:
      return "service_unavailable";
    case ErrorCode::kInternal:
      return "internal_error";
  }
  return "internal_error";
}

}  // namespace klozeo::core
