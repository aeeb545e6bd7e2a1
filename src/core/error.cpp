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
    case ErrorCode::kStorageFull:
      return "insufficient_storage";
    case ErrorCode::kStorageReadOnly:
      return "storage_read_only";
    case ErrorCode::kIdempotencyConflict:
      return "idempotency_conflict";
  }
  return "internal_error";
}

std::string_view ClientMessageFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kConflict:
      return "the request conflicts with data already stored";
    case ErrorCode::kUnavailable:
      return "the database is temporarily unavailable; retry shortly";
    case ErrorCode::kStorageFull:
      return "the database's disk is full: writes fail until space is freed; reads still work";
    case ErrorCode::kStorageReadOnly:
      return "the database refuses writes (read-only or failing storage); reads still work";
    default:
      return "internal server error; the request id identifies it in the server log";
  }
}

Error Error::Storage(ErrorCode code, std::string detail) {
  return {code, std::string(ClientMessageFor(code)), std::move(detail)};
}

}  // namespace klozeo::core
