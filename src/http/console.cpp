#include "http/console.h"

#include <string>

namespace klozeo::http {

namespace {

// No inline script or style, nothing from another origin, never framed; `connect-src 'self'` is
// the REST API. (The charts are SVG elements in the page, not images.)
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

/// True when Accept-Encoding lists gzip without refusing it (`gzip;q=0`).
bool AcceptsGzip(std::string_view accept_encoding) {
  size_t at = accept_encoding.find("gzip");
  if (at == std::string_view::npos) return false;
  std::string_view rest = accept_encoding.substr(at + 4);
  size_t end = rest.find(',');
  std::string_view params = rest.substr(0, end);
  std::string compact;
  for (char c : params) {
    if (c != ' ') compact += c;
  }
  return compact != ";q=0" && compact != ";q=0.0" && compact != ";q=0.00" && compact != ";q=0.000";
}

}  // namespace

std::optional<Response> ServeConsole(const Request& req) {
  if (req.method != "GET" && req.method != "HEAD") return std::nullopt;
  std::string_view path = req.path;
  if (path == "/") path = "/index.html";
  for (const ConsoleAsset& asset : ConsoleAssets()) {
    if (asset.path != path) continue;
    Response r;
    r.content_type = std::string(asset.content_type);
    const bool index = asset.path == "/index.html";
    r.SetHeader("Cache-Control", index ? "no-cache" : "public, max-age=31536000, immutable");
    r.SetHeader("Vary", "Accept-Encoding");
    if (AcceptsGzip(req.Header("accept-encoding"))) {
      r.SetHeader("Content-Encoding", "gzip");
      r.body = std::string(asset.gzip);
    } else {
      r.body = std::string(asset.body);
    }
    r.SetHeader("Content-Security-Policy", kContentSecurityPolicy);
    r.SetHeader("X-Content-Type-Options", "nosniff");
    r.SetHeader("X-Frame-Options", "DENY");
    r.SetHeader("Referrer-Policy", "no-referrer");
    return r;
  }
  return std::nullopt;
}

}  // namespace klozeo::http
