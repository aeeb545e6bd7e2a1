#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace klozeo::testing {

/// A response as the test sees it.
struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< names lowercased
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

/// A plain HTTP/1.1 client over loopback (Boost.Beast, synchronous, one connection per call).
class HttpClient {
 public:
  explicit HttpClient(uint16_t port, std::string api_key = "")
      : port_(port), key_(std::move(api_key)) {}

  HttpResult Get(const std::string& target) const { return Send("GET", target, ""); }
  HttpResult Delete(const std::string& target, const std::string& body = "") const {
    return Send("DELETE", target, body);
  }
  HttpResult Post(const std::string& target, const nlohmann::json& body) const {
    return Send("POST", target, body.dump());
  }
  HttpResult Put(const std::string& target, const nlohmann::json& body) const {
    return Send("PUT", target, body.dump());
  }
  /// Sends `body` verbatim with the key (if any) and extra headers.
  HttpResult Send(const std::string& method, const std::string& target, const std::string& body,
                  const std::vector<std::pair<std::string, std::string>>& headers = {}) const;

  const std::string& key() const { return key_; }
  uint16_t port() const { return port_; }

 private:
  uint16_t port_;
  std::string key_;
};

/// `s` percent-encoded for a query string (letters, digits and `.-_:,` kept as they are).
std::string UrlEncode(const std::string& s);

/// Writes raw bytes to the port and returns whatever comes back before the server closes or
/// `timeout_ms` passes (for malformed-HTTP tests).
std::string RawExchange(uint16_t port, const std::string& bytes, int timeout_ms = 3000);

/// One request where the caller needs to know how far it got (crash and stop tests).
struct Attempt {
  enum class Outcome {
    kRefused,   ///< the connection was never established
    kCutOff,    ///< connected, but no complete response came back (reset, EOF, timeout)
    kAnswered,  ///< a complete response: see `response`
  };
  Outcome outcome = Outcome::kRefused;
  HttpResult response;
  std::string error;  ///< for kRefused and kCutOff
};

/// Sends one request on a fresh connection and reports how far it got; never throws.
Attempt TrySend(uint16_t port, const std::string& api_key, const std::string& method,
                const std::string& target, const std::string& body = "", int timeout_ms = 30000);

}  // namespace klozeo::testing
