#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace klozeo::testing {

/// One request the receiver got.
struct Received {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  ///< names lowercased
  std::string body;                            ///< the exact bytes
  std::chrono::steady_clock::time_point at;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

/// How the receiver answers one request: a status, after stalling this long.
struct Reply {
  int status = 200;
  int stall_ms = 0;
};

/// A real HTTP/1.1 webhook receiver on 127.0.0.1:<free port> (Boost.Beast, a thread per
/// connection, keep-alive): records every request, answers planned replies in order and then
/// the default, and can stall past the sender's timeout.
class WebhookReceiver {
 public:
  WebhookReceiver();
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  uint16_t port() const { return port_; }
  /// "http://127.0.0.1:<port><path>".
  std::string Url(const std::string& path = "/hook") const;
  /// The answer once planned replies are used up (200 at first).
  void SetDefault(Reply reply);
  /// Answers for the next requests, in order.
  void Plan(std::vector<Reply> replies);
  std::vector<Received> Requests() const;
  size_t Count() const;
  /// Waits up to `timeout_ms` until `done` holds for the requests so far (checked on each
  /// arrival; `done` runs under the receiver's lock, so it must not call back into it).
  bool WaitFor(const std::function<bool(const std::vector<Received>&)>& done,
               int timeout_ms = 20000) const;
  /// Waits until at least `n` requests arrived.
  bool WaitForCount(size_t n, int timeout_ms = 20000) const;
  /// Closes the listener and every connection; idempotent.
  void Stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
  uint16_t port_ = 0;
  std::thread acceptor_;
};

}  // namespace klozeo::testing
