#include "service/account_service.h"

#include <limits>

#include "core/crypto.h"
#include "core/ids.h"
#include "core/strings.h"

namespace klozeo::service {

using core::Error;
using core::Result;

std::string GenerateApiKey() { return "sk_live_" + core::RandomHex(16); }

NewKey AccountService::MakeKey(const std::string& account_id, const std::string& secret) {
  domain::ApiKey key;
  key.id = core::NewUuidV7();
  key.account_id = account_id;
  key.key_hash = core::Sha256Hex(secret);
  key.prefix = secret.substr(0, std::min<size_t>(secret.size(), 12));
  key.created_at = clock_.NowSeconds();
  return NewKey{std::move(key), secret};
}

Result<std::pair<domain::Account, NewKey>> AccountService::CreateAccount(const std::string& name,
                                                                         const std::string& plan) {
  if (core::Trim(name).empty()) return Error::BadRequest("account name must not be empty");
  if (plans_.Find(plan) == nullptr) return Error::BadRequest("unknown plan '" + plan + "'");
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_ASSIGN_OR_RETURN(auto existing, tx->accounts().FindByName(name));
  if (existing) return Error::Conflict("an account named '" + name + "' already exists");
  domain::Account account{core::NewUuidV7(), name, plan, clock_.NowSeconds()};
  KLOZEO_ASSIGN_OR_RETURN(account.key, tx->accounts().Insert(account));
  NewKey key = MakeKey(account.id, GenerateApiKey());
  KLOZEO_TRY(tx->accounts().InsertKey(key.key));
  KLOZEO_TRY(tx->Commit());
  return std::make_pair(std::move(account), std::move(key));
}

Result<std::vector<domain::Account>> AccountService::ListAccounts() {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
  return tx->accounts().List();
}

Result<domain::Account> AccountService::RequireAccount(storage::Tx& tx, const std::string& name) {
  KLOZEO_ASSIGN_OR_RETURN(auto account, tx.accounts().FindByName(name));
  if (!account) return Error::NotFound("no account named '" + name + "'");
  return *account;
}

Result<NewKey> AccountService::CreateKey(const std::string& account_name) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_ASSIGN_OR_RETURN(auto account, RequireAccount(*tx, account_name));
  NewKey key = MakeKey(account.id, GenerateApiKey());
  KLOZEO_TRY(tx->accounts().InsertKey(key.key));
  KLOZEO_TRY(tx->Commit());
  return key;
}

Result<std::vector<domain::ApiKey>> AccountService::ListKeys(const std::string& account_name) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
  KLOZEO_ASSIGN_OR_RETURN(auto account, RequireAccount(*tx, account_name));
  return tx->accounts().ListKeys(account.key);
}

core::Status AccountService::RevokeKey(const std::string& account_name, const std::string& key_id) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_ASSIGN_OR_RETURN(auto account, RequireAccount(*tx, account_name));
  KLOZEO_ASSIGN_OR_RETURN(bool revoked,
                          tx->accounts().RevokeKey(account.key, key_id, clock_.NowSeconds()));
  if (!revoked)
    return Error::NotFound("account '" + account_name + "' has no active key " + key_id);
  KLOZEO_TRY(tx->Commit());
  // This process forgets verified keys at once; other processes within auth_cache_ms.
  std::lock_guard<std::mutex> lock(cache_mu_);
  cache_.clear();
  return core::Ok();
}

Result<std::vector<domain::ApiKey>> AccountService::ListOwnKeys(const domain::Principal& caller) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
  return tx->accounts().ListKeys(caller.account_key);
}

Result<NewKey> AccountService::CreateOwnKey(const domain::Principal& caller) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  NewKey key = MakeKey(caller.account_id, GenerateApiKey());
  KLOZEO_TRY(tx->accounts().InsertKey(key.key));
  KLOZEO_TRY(tx->Commit());
  return key;
}

core::Status AccountService::RevokeOwnKey(const domain::Principal& caller,
                                          const std::string& key_id,
                                          std::string_view presented_key) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_ASSIGN_OR_RETURN(auto keys, tx->accounts().ListKeys(caller.account_key));
  const std::string presented_hash = core::Sha256Hex(presented_key);
  for (const auto& key : keys) {
    if (key.id == key_id && !key.revoked_at && key.key_hash == presented_hash) {
      return Error::Conflict(
          "a key cannot revoke itself: sign in with another key of this account to revoke it");
    }
  }
  KLOZEO_ASSIGN_OR_RETURN(
      bool revoked, tx->accounts().RevokeKey(caller.account_key, key_id, clock_.NowSeconds()));
  if (!revoked) return Error::NotFound("no active API key " + key_id.substr(0, 64));
  KLOZEO_TRY(tx->Commit());
  std::lock_guard<std::mutex> lock(cache_mu_);
  cache_.clear();
  return core::Ok();
}

Result<int64_t> AccountService::LeadsUsed(const domain::Principal& caller) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
  return tx->leads().Count(caller.account_key, std::numeric_limits<int64_t>::max());
}

Result<domain::Principal> AccountService::PrincipalFor(const std::string& account_name) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kRead));
  KLOZEO_ASSIGN_OR_RETURN(auto account, RequireAccount(*tx, account_name));
  const domain::PlanLimits* limits = plans_.Find(account.plan);
  if (limits == nullptr) return Error::Internal("account is on unknown plan " + account.plan);
  return domain::Principal{account.id, account.plan, *limits, account.key};
}

Result<domain::Principal> AccountService::Authenticate(std::string_view presented_key) {
  if (presented_key.empty()) {
    return Error::Unauthorized("missing API key: send it in the X-API-Key header");
  }
  if (presented_key.size() > 256) return Error::Unauthorized("invalid or revoked API key");
  const int64_t now = clock_.NowMillis();
  // The cache is keyed by the presented key itself (memory only, never stored), so a hit
  // costs no hashing.
  std::string cache_key(presented_key);
  if (auth_cache_ms_ > 0) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_.find(cache_key);
    if (it != cache_.end() && it->second.expires_ms > now) return it->second.principal;
  }
  std::string hash = core::Sha256Hex(presented_key);
  KLOZEO_ASSIGN_OR_RETURN(auto account, db_.FindAccountByKeyHash(hash));
  if (!account) return Error::Unauthorized("invalid or revoked API key");
  const domain::PlanLimits* limits = plans_.Find(account->plan);
  if (limits == nullptr) {
    return Error::Internal("account " + account->id + " is on unknown plan " + account->plan);
  }
  domain::Principal principal{account->id, account->plan, *limits, account->key};
  if (auth_cache_ms_ > 0) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    // Bounded: a flood of distinct valid keys cannot grow it without limit.
    if (cache_.size() >= 10000) cache_.clear();
    cache_[std::move(cache_key)] = CachedPrincipal{principal, now + auth_cache_ms_};
  }
  return principal;
}

Result<std::optional<std::string>> AccountService::Bootstrap(
    const std::optional<std::string>& bootstrap_key) {
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_ASSIGN_OR_RETURN(auto existing, tx->accounts().FindByName("default"));
  if (bootstrap_key) {
    if (bootstrap_key->size() < 16 || bootstrap_key->size() > 256) {
      return Error::BadRequest("KLOZEO_BOOTSTRAP_KEY must be 16 to 256 characters long");
    }
    domain::Account account;
    if (existing) {
      account = *existing;
    } else {
      account = domain::Account{core::NewUuidV7(), "default", "unlimited", clock_.NowSeconds()};
      KLOZEO_ASSIGN_OR_RETURN(account.key, tx->accounts().Insert(account));
    }
    KLOZEO_ASSIGN_OR_RETURN(auto holder,
                            tx->accounts().FindByKeyHash(core::Sha256Hex(*bootstrap_key)));
    if (holder && holder->id != account.id) {
      return Error::Conflict("KLOZEO_BOOTSTRAP_KEY already belongs to account '" + holder->name +
                             "'");
    }
    if (!holder) KLOZEO_TRY(tx->accounts().InsertKey(MakeKey(account.id, *bootstrap_key).key));
    KLOZEO_TRY(tx->Commit());
    return std::optional<std::string>();
  }
  KLOZEO_ASSIGN_OR_RETURN(auto accounts, tx->accounts().List());
  if (!accounts.empty()) return std::optional<std::string>();
  domain::Account account{core::NewUuidV7(), "default", "unlimited", clock_.NowSeconds()};
  KLOZEO_ASSIGN_OR_RETURN(account.key, tx->accounts().Insert(account));
  NewKey key = MakeKey(account.id, GenerateApiKey());
  KLOZEO_TRY(tx->accounts().InsertKey(key.key));
  KLOZEO_TRY(tx->Commit());
  return std::optional<std::string>(key.secret);
}

}  // namespace klozeo::service
