#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "http/message.h"

namespace klozeo::http {

/// One file of the web console, embedded at build time (web/, by embed_console.cmake).
struct ConsoleAsset {
  std::string_view path;          ///< "/index.html" or "/assets/<content hash>/..."
  std::string_view content_type;  ///< with charset for text
  std::string_view body;          ///< the file
  std::string_view gzip;          ///< the same, gzip-compressed at build time
};

/// Every embedded console file (generated console_assets.cpp).
std::span<const ConsoleAsset> ConsoleAssets();

/// Answers a GET or HEAD of the console: `/` and `/index.html` (revalidated on every load) and
/// the content-hashed `/assets/...` files (cached for a year, immutable), gzip-compressed when
/// the client accepts it, with a strict Content-Security-Policy. nullopt for any other request,
/// which the API then answers (404 JSON).
std::optional<Response> ServeConsole(const Request& req);

}  // namespace klozeo::http
