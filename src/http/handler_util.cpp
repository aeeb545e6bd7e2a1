#include "http/handler_util.h"

namespace klozeo::http {
namespace {

struct DepthExceeded {};

}  // namespace

using core::Error;
using nlohmann::json;

core::Result<json> ParseBody(const Request& req) {
  if (req.body.empty()) return Error::BadRequest("request body is empty: expected JSON");
  try {
    json::parser_callback_t depth_guard = [](int depth, json::parse_event_t, json&) {
      if (depth > kMaxJsonDepth) throw DepthExceeded{};
      return true;
    };
    return json::parse(req.body, depth_guard);
  } catch (const json::parse_error& e) {
    return Error::BadRequest("request body is not valid JSON (byte " + std::to_string(e.byte) +
                             ")");
  } catch (const json::exception&) {
    // out_of_range: a number too large for a double (1e999).
    return Error::BadRequest("request body holds a number out of range");
  } catch (const DepthExceeded&) {
    return Error::BadRequest("request body nests deeper than 64 levels");
  }
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Response Json(int status, const json& body) {
  Response r;
  r.status = status;
  r.body = Dump(body);
  return r;
}

Response NoContent() {
  Response r;
  r.status = 204;
  return r;
}

std::string_view PresentedKey(const Request& req) {
  std::string_view key = req.Header("x-api-key");
  if (!key.empty()) return key;
  std::string_view auth = req.Header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() > kBearer.size() && auth.substr(0, kBearer.size()) == kBearer) {
    return auth.substr(kBearer.size());
  }
  return {};
}

}  // namespace klozeo::http
