#include "http/errors.h"

#include <nlohmann/json.hpp>

namespace klozeo::http {
namespace {

std::string_view TitleFor(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    case 507:
      return "Insufficient Storage";
    default:
      return "Internal Server Error";
  }
}

}  // namespace

int StatusFor(core::ErrorCode code) {
  using core::ErrorCode;
  switch (code) {
    case ErrorCode::kBadRequest:
      return 400;
    case ErrorCode::kUnauthorized:
      return 401;
    case ErrorCode::kLeadsLimitReached:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kMethodNotAllowed:
      return 405;
    case ErrorCode::kConflict:
    case ErrorCode::kIdempotencyConflict:
      return 409;
    case ErrorCode::kPayloadTooLarge:
      return 413;
    case ErrorCode::kRateLimited:
      return 429;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInternal:
      return 500;
    case ErrorCode::kStorageFull:
      return 507;
    case ErrorCode::kStorageReadOnly:
      return 503;
  }
  return 500;
}

Response TransportError(int status, std::string_view code, std::string_view message) {
  Response r;
  r.status = status;
  r.body = nlohmann::json{{"error", TitleFor(status)}, {"message", message}, {"code", code}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response ErrorResponse(const core::Error& error) {
  int status = StatusFor(error.code);
  // `detail` never leaves the server; internal and unavailable errors keep their message in the
  // log too (it may name a library's failure).
  std::string_view message = error.message;
  if (error.code == core::ErrorCode::kInternal || error.code == core::ErrorCode::kUnavailable) {
    message = core::ClientMessageFor(error.code);
  }
  return TransportError(status, core::ErrorCodeName(error.code), message);
}

}  // namespace klozeo::http
