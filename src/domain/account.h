#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace klozeo::domain {

/// An account's integer surrogate key, assigned by the database when the account is stored:
/// every tenant row and index is keyed by it (an 8-byte integer compare instead of a 36-byte
/// text one). Internal: the API shows the text id. Resolved once per request, with the API key.
enum class AccountKey : int64_t {};

/// A tenant. Every stored object belongs to exactly one account.
struct Account {
  std::string id;  ///< plain UUID
  std::string name;
  std::string plan;  ///< a plan name known to the configuration
  int64_t created_at = 0;
  AccountKey key{};  ///< set when read from the store (0 before it is stored)
};

/// An API key's stored form: only the SHA-256 of the secret is kept.
struct ApiKey {
  std::string id;  ///< plain UUID
  std::string account_id;
  std::string key_hash;  ///< hex SHA-256 of the full key
  std::string prefix;    ///< first characters of the key, to recognise it in listings
  int64_t created_at = 0;
  std::optional<int64_t> revoked_at;
};

/// The limits of a plan. A value of 0 means "no limit" for leads and requests.
struct PlanLimits {
  int64_t max_leads = 0;
  int64_t requests_per_window = 0;
  int64_t window_seconds = 600;
  int64_t max_batch = 1000;
};

/// The caller of a request, once its key is verified.
struct Principal {
  std::string account_id;
  std::string plan;
  PlanLimits limits;
  AccountKey account_key{};  ///< what the stores are keyed by
};

}  // namespace klozeo::domain
