#pragma once

#include <string>
#include <string_view>

namespace klozeo::core {

/// Neutral error codes. `http/` maps each to one HTTP status and wire code.
enum class ErrorCode {
  kBadRequest,           ///< invalid body, parameter, filter, cursor, expression
  kUnauthorized,         ///< missing, unknown or revoked API key
  kLeadsLimitReached,    ///< the plan's stored-lead cap
  kNotFound,             ///< missing, malformed or another account's object
  kMethodNotAllowed,     ///< route exists, method does not
  kConflict,             ///< a uniqueness or idempotency conflict
  kPayloadTooLarge,      ///< request body above the configured limit
  kRateLimited,          ///< the plan's request budget is spent
  kUnavailable,          ///< the database cannot be reached
  kInternal,             ///< a bug or an unexpected library failure
  kStorageFull,          ///< the database's disk is full: writes fail, reads still work
  kStorageReadOnly,      ///< the database refuses writes (read-only, or an I/O error)
  kIdempotencyConflict,  ///< an Idempotency-Key reused for another request, or still running
};

/// An expected failure: a code, a message meant for the person who sent the request, and a
/// detail meant only for the server log (a database's own error text goes there, never into
/// `message`).
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string detail;  ///< log-only; empty when the message says it all

  static Error BadRequest(std::string message) {
    return {ErrorCode::kBadRequest, std::move(message)};
  }
  static Error NotFound(std::string message) { return {ErrorCode::kNotFound, std::move(message)}; }
  static Error Unauthorized(std::string message) {
    return {ErrorCode::kUnauthorized, std::move(message)};
  }
  static Error Conflict(std::string message) { return {ErrorCode::kConflict, std::move(message)}; }
  static Error Internal(std::string message) { return {ErrorCode::kInternal, std::move(message)}; }
  static Error Unavailable(std::string message) {
    return {ErrorCode::kUnavailable, std::move(message)};
  }
  /// A failure reported by the database: the client sees the code's fixed message
  /// (ClientMessageFor), the log sees `detail` (the driver's text).
  static Error Storage(ErrorCode code, std::string detail);

  /// What the log shows: the message, then the detail when there is one.
  std::string ForLog() const { return detail.empty() ? message : message + " (" + detail + ")"; }
};

/// The fixed client message of a failure reported by the database.
std::string_view ClientMessageFor(ErrorCode code);

/// A stable name for a code, for logs and tests ("bad_request", ...).
std::string_view ErrorCodeName(ErrorCode code);

}  // namespace klozeo::core
