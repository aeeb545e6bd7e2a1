#pragma once

#include <any>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace klozeo::http {

/// An HTTP request as handlers see it: independent of the HTTP library.
struct Request {
  std::string method;                                        ///< "GET", "POST", ...
  std::string target;                                        ///< raw request target
  std::string path;                                          ///< target without the query string
  std::vector<std::pair<std::string, std::string>> query;    ///< form-decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  ///< names lowercased
  std::string body;
  std::string remote;  ///< peer address
  /// `body` already decoded by whoever looked at it first (Api::RunsOnWriteThreads decodes
  /// the JSON of a POST /mcp), so the handler does not decode it again; empty otherwise.
  std::any decoded_body;

  /// The first header with this lowercase name, or "" when absent.
  std::string_view Header(std::string_view lower_name) const;
  /// The first query parameter with this name.
  std::optional<std::string> Query(std::string_view name) const;
  /// Every value of a repeated query parameter, in order.
  std::vector<std::string> QueryAll(std::string_view name) const;
};

/// Produces a streamed body piece by piece: appends the next piece to `out` and returns true
/// while more follows, false after the last piece. An error after the headers were sent can
/// only end the connection early (the client sees an incomplete chunked body).
using BodyProducer = std::function<core::Result<bool>(std::string& out)>;

/// An HTTP response. JSON unless `content_type` says otherwise.
struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// When set, `body` is ignored and the body is sent with chunked transfer encoding.
  BodyProducer stream;

  void SetHeader(std::string name, std::string value);
};

/// Splits `target` into path and form-decoded query parameters (`+` is a space, `%2B` a plus).
void ParseTarget(std::string_view target, std::string* path,
                 std::vector<std::pair<std::string, std::string>>* query);

/// Percent-decoding; with `plus_is_space`, `+` becomes a space (query strings).
std::string PercentDecode(std::string_view in, bool plus_is_space);

}  // namespace klozeo::http
