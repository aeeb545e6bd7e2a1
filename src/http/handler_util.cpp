#include "http/handler_util.h"

namespace klozeo::http {
namespace {

struct DepthExceeded {};

}  // namespace

using core::Error;
using nlohmann::json;

/// Whether `text` opens more than kMaxJsonDepth arrays or objects inside one another, strings
/// skipped (one pass over the bytes, far cheaper than nlohmann's callback parser, which checked
/// the depth of every value).
bool TooDeep(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

core::Result<json> ParseBody(const Request& req) {
  if (req.body.empty()) return Error::BadRequest("request body is empty: expected JSON");
  try {
    if (TooDeep(req.body)) throw DepthExceeded{};
    return json::parse(req.body);
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
