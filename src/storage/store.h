#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "domain/account.h"
#include "domain/lead.h"

namespace klozeo::storage {

/// A position in the default lead order (created_at, id), for keyset paging.
struct LeadKey {
  int64_t created_at = 0;
  std::string id;
};

/// One page request over an account's leads in the default order.
struct LeadPageQuery {
  int limit = 50;
  std::optional<LeadKey> after;  ///< start strictly after this row
};

struct LeadPage {
  std::vector<domain::Lead> leads;
  bool has_more = false;
};

/// A unit of work on the database. Every method is scoped by account id where the data is
/// tenant data. Destroying a Tx that was not committed rolls it back.
/// Errors: kUnavailable when the database cannot be reached or stays busy, kInternal otherwise.
class Tx {
 public:
  virtual ~Tx() = default;
  /// Makes the work durable. After Commit the Tx must not be used again.
  virtual core::Status Commit() = 0;

  // --- accounts and keys (not tenant-scoped: they define the tenants) ---
  virtual core::Status InsertAccount(const domain::Account& account) = 0;
  virtual core::Result<std::optional<domain::Account>> FindAccountByName(std::string_view name) = 0;
  virtual core::Result<std::vector<domain::Account>> ListAccounts() = 0;
  virtual core::Status InsertApiKey(const domain::ApiKey& key) = 0;
  virtual core::Result<std::vector<domain::ApiKey>> ListApiKeys(std::string_view account_id) = 0;
  /// Marks the key revoked; false when the account has no such (unrevoked) key.
  virtual core::Result<bool> RevokeApiKey(std::string_view account_id, std::string_view key_id,
                                          int64_t now) = 0;
  /// The account owning an unrevoked key with this hash.
  virtual core::Result<std::optional<domain::Account>> FindAccountByKeyHash(
      std::string_view key_hash) = 0;

  // --- leads (with their attributes) ---
  virtual core::Status InsertLead(std::string_view account_id, const domain::Lead& lead) = 0;
  virtual core::Result<std::optional<domain::Lead>> GetLead(std::string_view account_id,
                                                            std::string_view id) = 0;
  /// Rewrites every stored field of an existing lead and replaces its attribute set.
  virtual core::Status UpdateLead(std::string_view account_id, const domain::Lead& lead) = 0;
  /// Deletes the lead, its attributes and notes; false when there was no such lead.
  virtual core::Result<bool> DeleteLead(std::string_view account_id, std::string_view id) = 0;
  /// Number of leads of the account, counting no further than `up_to`.
  virtual core::Result<int64_t> CountLeads(std::string_view account_id, int64_t up_to) = 0;
  virtual core::Result<LeadPage> ListLeads(std::string_view account_id,
                                           const LeadPageQuery& query) = 0;

  // --- notes ---
  virtual core::Status InsertNote(std::string_view account_id, const domain::Note& note) = 0;
  virtual core::Result<std::optional<domain::Note>> GetNote(std::string_view account_id,
                                                            std::string_view note_id) = 0;
  virtual core::Result<std::vector<domain::Note>> ListNotes(std::string_view account_id,
                                                            std::string_view lead_id) = 0;
  virtual core::Status UpdateNote(std::string_view account_id, const domain::Note& note) = 0;
  virtual core::Result<bool> DeleteNote(std::string_view account_id, std::string_view note_id) = 0;
};

/// kWrite: one atomic, isolated unit of work holding the write lock. kRead: every statement
/// sees a consistent snapshot by itself; a lead is always read with its attributes at once.
enum class TxMode { kRead, kWrite };

/// A database: hands out transactions. Thread-safe.
class Database {
 public:
  virtual ~Database() = default;
  virtual core::Result<std::unique_ptr<Tx>> Begin(TxMode mode) = 0;
  /// Cheap reachability check for /healthz.
  virtual core::Status Ping() = 0;
  /// A server-wide secret, created on first use and shared by every process on the database
  /// (signs pagination cursors).
  virtual core::Result<std::string> Secret(std::string_view name) = 0;
  /// The account owning an unrevoked key with this hash, read outside any transaction (the
  /// hot path of every request).
  virtual core::Result<std::optional<domain::Account>> FindAccountByKeyHash(
      std::string_view key_hash) = 0;
  /// "sqlite" or "postgres".
  virtual std::string_view Dialect() const = 0;
};

}  // namespace klozeo::storage
