#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "domain/account.h"
#include "service/plans.h"
#include "storage/store.h"

namespace klozeo::service {

/// A key just created: the stored record and the secret, which is shown once and never again.
struct NewKey {
  domain::ApiKey key;
  std::string secret;
};

/// Accounts, API keys and authentication.
class AccountService {
 public:
  /// `auth_cache_ms`: how long a verified key is trusted without asking the database again
  /// (0 disables the cache). A key revoked from another process stops working within it.
  AccountService(storage::Database& db, const core::Clock& clock, const Plans& plans,
                 int64_t auth_cache_ms = 0)
      : db_(db), clock_(clock), plans_(plans), auth_cache_ms_(auth_cache_ms) {}

  /// Creates an account and its first key. Errors: BadRequest (empty name, unknown plan),
  /// Conflict (name taken).
  core::Result<std::pair<domain::Account, NewKey>> CreateAccount(const std::string& name,
                                                                 const std::string& plan);
  core::Result<std::vector<domain::Account>> ListAccounts();
  /// Errors: NotFound for an unknown account name.
  core::Result<NewKey> CreateKey(const std::string& account_name);
  core::Result<std::vector<domain::ApiKey>> ListKeys(const std::string& account_name);
  core::Status RevokeKey(const std::string& account_name, const std::string& key_id);

  // --- the same, for the caller's own account (GET/POST/DELETE /api/v1/keys) ---
  /// Every key of the caller's account, revoked ones included, oldest first.
  core::Result<std::vector<domain::ApiKey>> ListOwnKeys(const domain::Principal& caller);
  /// A new key for the caller's account; its secret is returned once.
  core::Result<NewKey> CreateOwnKey(const domain::Principal& caller);
  /// Revokes a key of the caller's account. `presented_key` is the key the caller used: a key
  /// cannot revoke itself (Conflict), so an account always keeps a working key in the hands of
  /// whoever revokes. Errors: NotFound (no such active key in this account, whoever owns it).
  core::Status RevokeOwnKey(const domain::Principal& caller, const std::string& key_id,
                            std::string_view presented_key);
  /// The number of leads the caller's account stores (the plan's cap counts these).
  core::Result<int64_t> LeadsUsed(const domain::Principal& caller);

  /// The account named `account_name` as a caller (command-line tools acting for it).
  /// Errors: NotFound.
  core::Result<domain::Principal> PrincipalFor(const std::string& account_name);

  /// The caller behind a presented key. Errors: Unauthorized for a missing, unknown or revoked
  /// key (one message for all three, so keys cannot be probed).
  core::Result<domain::Principal> Authenticate(std::string_view presented_key);

  /// Start-up: with `bootstrap_key`, make sure account `default` (plan unlimited) holds it;
  /// without one and with no account at all, create `default` and return its new key so it
  /// can be printed once. Idempotent.
  core::Result<std::optional<std::string>> Bootstrap(
      const std::optional<std::string>& bootstrap_key);

 private:
  core::Result<domain::Account> RequireAccount(storage::Tx& tx, const std::string& name);
  NewKey MakeKey(const std::string& account_id, const std::string& secret);

  storage::Database& db_;
  const core::Clock& clock_;
  const Plans& plans_;
  const int64_t auth_cache_ms_;
  struct CachedPrincipal {
    domain::Principal principal;
    int64_t expires_ms;
  };
  std::mutex cache_mu_;
  std::unordered_map<std::string, CachedPrincipal> cache_;  ///< by presented key
};

/// `sk_live_` + 32 random hex characters.
std::string GenerateApiKey();

}  // namespace klozeo::service
