#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "http/message.h"

// Helpers shared by the route handlers (api.cpp, api_scoring.cpp). Internal to http/.
namespace klozeo::http {

/// Deepest JSON nesting accepted in a request body.
inline constexpr int kMaxJsonDepth = 64;

/// Parses a JSON request body, bounding nesting depth. Errors: BadRequest with the position
/// (empty body, invalid JSON, a number out of range, nesting deeper than kMaxJsonDepth).
core::Result<nlohmann::json> ParseBody(const Request& req);

/// Compact JSON text; invalid UTF-8 in strings is replaced, never thrown on.
std::string Dump(const nlohmann::json& j);

/// A JSON response with `status`.
Response Json(int status, const nlohmann::json& body);

/// The API key a request presents: `X-API-Key`, else `Authorization: Bearer`; "" when none.
std::string_view PresentedKey(const Request& req);

/// 204 with an empty body.
Response NoContent();

}  // namespace klozeo::http
