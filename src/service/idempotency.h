#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "storage/store.h"

namespace klozeo::service {

/// A stored response, replayed to a retry with the same Idempotency-Key.
struct StoredResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  ///< incl. content-type
  std::string body;
};

/// Idempotency-Key semantics (Stripe's): the first response to (account, key) is stored for
/// `ttl_ms`; a retry with the same request gets it again without the work being redone; the
/// same key on a different request is a conflict; concurrent requests with one key wait for
/// the first (across processes too: the wait polls the database).
class IdempotencyService {
 public:
  struct Options {
    int64_t ttl_ms = 24LL * 3600 * 1000;  ///< how long a response is kept
    /// An in-flight record older than this is taken to be abandoned (its process died).
    int64_t abandon_ms = 10LL * 60 * 1000;
    /// How long a concurrent duplicate waits for the first request before giving up.
    int64_t wait_ms = 30000;
  };

  enum class Kind {
    kProceed,     ///< the caller owns the key: do the work, then Complete or Release
    kReplay,      ///< the first request finished: answer `replay`
    kConflict,    ///< the key was used for a different request
    kInProgress,  ///< the first request is still running after `wait_ms`
  };
  struct Decision {
    Kind kind = Kind::kProceed;
    StoredResponse replay;
  };

  IdempotencyService(storage::Database& db, const core::Clock& clock, Options options);
  IdempotencyService(storage::Database& db, const core::Clock& clock)
      : IdempotencyService(db, clock, Options{}) {}

  /// Checks a key's form: 1 to 255 printable ASCII characters. Errors: BadRequest.
  static core::Status ValidateKey(std::string_view key);
  /// The request's fingerprint: SHA-256 of method, target (path and query) and body bytes.
  static std::string Fingerprint(std::string_view method, std::string_view target,
                                 std::string_view body);

  /// Claims (account, key) for a request with this fingerprint, or says what to answer.
  /// Errors: BadRequest for a malformed key; Unavailable/Internal from the database.
  core::Result<Decision> Begin(domain::AccountKey account, std::string_view key,
                               std::string_view fingerprint);
  /// Stores the owner's response. Errors: from the database.
  core::Status Complete(domain::AccountKey account, std::string_view key,
                        const StoredResponse& response);
  /// Gives the key up without a stored response (a server error, a streamed body): the next
  /// request with it does the work. Best effort.
  void Release(domain::AccountKey account, std::string_view key);

 private:
  void MaybePurge(int64_t now_ms);

  storage::Database& db_;
  const core::Clock& clock_;
  Options options_;
  std::atomic<int64_t> last_purge_ms_{0};
};

}  // namespace klozeo::service
