#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "domain/webhook.h"

namespace klozeo::webhooks {

/// What one attempt came to.
struct AttemptOutcome {
  domain::DeliveryJob job;
  int64_t started_clock_ms = 0;
  int64_t duration_ms = 0;
  std::optional<int64_t> status_code;
  std::optional<std::string> error;
  bool success = false;  ///< a 2xx
};

/// The HTTP side of deliveries: POSTs them concurrently with libcurl's multi interface. Before
/// connecting it resolves the host, refuses blocked addresses (unless `allow_private`) and pins
/// libcurl to the address it checked; it never follows redirects, uses no proxy and speaks only
/// http and https. Not thread-safe, except Wakeup.
class Transport {
 public:
  /// `clock` stamps the attempts and the signature timestamp.
  Transport(const core::Clock& clock, bool allow_private, int64_t timeout_ms);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  /// Sets up libcurl's multi handle. Errors: Internal.
  core::Status Open();
  /// Abandons every transfer and frees the multi handle. Idempotent.
  void Close();
  bool open() const { return multi_ != nullptr; }

  /// Starts the POST of `job`. One that cannot be attempted (a bad URL, a blocked address)
  /// finishes at once: its outcome comes out of the next Collect.
  void Start(domain::DeliveryJob job);
  /// Drives the transfers and appends the attempts that finished to `done`.
  void Collect(std::vector<AttemptOutcome>& done);
  /// Waits up to `timeout_ms` for a socket, libcurl's next timer or a Wakeup.
  void Wait(int timeout_ms);
  /// Cuts a Wait short. Thread-safe while open.
  void Wakeup();
  /// libcurl's next timer in ms, or -1 when it has none.
  long NextTimerMs();
  size_t in_flight() const { return in_flight_.size(); }
  /// Abandons the transfers in flight (no outcome); returns their delivery ids.
  std::vector<std::string> Abandon();

 private:
  struct Transfer;
  void Finish(Transfer& t, std::optional<int64_t> status, std::optional<std::string> error);
  /// The checked address to connect to for `bare_host:port` (nullopt: libcurl resolves, with
  /// allow_private); an error text when the delivery must not be attempted.
  core::Result<std::optional<std::string>> Pin(const std::string& bare_host,
                                               const std::string& port);

  const core::Clock& clock_;
  bool allow_private_;
  int64_t timeout_ms_;
  void* multi_ = nullptr;  // CURLM*, kept out of this header
  std::unordered_map<void*, std::unique_ptr<Transfer>> in_flight_;  // by CURL* easy handle
  std::vector<AttemptOutcome> finished_;  // finished at Start, handed out by Collect
  /// "host:port" -> the checked address and until when it may be reused. glibc does not cache
  /// lookups, and a blocking getaddrinfo per delivery would stall the dispatcher's thread.
  struct Resolved {
    std::optional<std::string> address;
    std::chrono::steady_clock::time_point until;
  };
  std::unordered_map<std::string, Resolved> resolved_;
};

}  // namespace klozeo::webhooks
