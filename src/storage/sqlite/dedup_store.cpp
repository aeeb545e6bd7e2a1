#include "storage/sqlite/dedup_store.h"

#include <sqlite3.h>

#include <memory>

#include "core/fold.h"
#include "dedup/keys.h"
#include "dedup/normalize.h"
#include "dedup/phone.h"

namespace klozeo::storage::sqlite::dedup_keys {
namespace {

using core::Error;
using core::Result;

// Oldest match first: ids are time-ordered UUIDv7, so "ORDER BY id" is creation order (the
// indexes end with the primary key, so no sort). INDEXED BY: without statistics the planner
// may prefer walking the primary key in id order, which scans the whole account.
constexpr const char* kFindByEmailKey =
    "SELECT id FROM leads INDEXED BY leads_email_key WHERE account_id = ?1 AND email_key = ?2 "
    "ORDER BY id LIMIT 1";
// source_id is exact; its folded copy's index narrows the rows (equal texts fold equally).
constexpr const char* kFindBySourceId =
    "SELECT id FROM leads INDEXED BY leads_source_id_fold WHERE account_id = ?1 AND "
    "source_id_fold = ?3 AND source_id = ?2 ORDER BY id LIMIT 1";
constexpr const char* kFindByNameCityKey =
    "SELECT id FROM leads INDEXED BY leads_name_city_key WHERE account_id = ?1 AND name_city_key = "
    "?2 ORDER BY id LIMIT 1";
constexpr const char* kFindByPhoneKey =
    "SELECT id, name FROM leads INDEXED BY leads_phone_key WHERE account_id = ?1 AND phone_key = "
    "?2 ORDER BY id LIMIT ?3";

std::string_view ArgText(sqlite3_value* v) {
  if (sqlite3_value_type(v) == SQLITE_NULL) return {};
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(v));
  if (text == nullptr) return {};
  return std::string_view(text, static_cast<size_t>(sqlite3_value_bytes(v)));
}

void ResultKey(sqlite3_context* context, const std::string& key) {
  if (key.empty()) {
    sqlite3_result_null(context);
  } else {
    sqlite3_result_text64(context, key.data(), key.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
}

void EmailKeyFunction(sqlite3_context* context, int /*argc*/, sqlite3_value** argv) {
  ResultKey(context, dedup::NormalizeEmail(ArgText(argv[0])));
}

void PhoneKeyFunction(sqlite3_context* context, int /*argc*/, sqlite3_value** argv) {
  const auto* phones = static_cast<const dedup::PhoneNormalizer*>(sqlite3_user_data(context));
  ResultKey(context, phones->Normalize(ArgText(argv[0])));
}

void NameCityKeyFunction(sqlite3_context* context, int /*argc*/, sqlite3_value** argv) {
  ResultKey(context, dedup::NameCityKey(ArgText(argv[0]), ArgText(argv[1])));
}

void DeletePhoneNormalizer(void* p) { delete static_cast<dedup::PhoneNormalizer*>(p); }

core::Status Check(int rc, const char* name) {
  if (rc == SQLITE_OK) return core::Ok();
  return Error::Internal(std::string("registering ") + name + ": " + sqlite3_errstr(rc));
}

}  // namespace

core::Status RegisterFunctions(Connection& conn, const std::string& phone_region) {
  constexpr int kFlags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
  KLOZEO_TRY(Check(sqlite3_create_function_v2(conn.raw(), "klozeo_email_key", 1, kFlags, nullptr,
                                              EmailKeyFunction, nullptr, nullptr, nullptr),
                   "klozeo_email_key"));
  KLOZEO_TRY(
      Check(sqlite3_create_function_v2(conn.raw(), "klozeo_phone_key", 1, kFlags,
                                       new dedup::PhoneNormalizer(phone_region), PhoneKeyFunction,
                                       nullptr, nullptr, DeletePhoneNormalizer),
            "klozeo_phone_key"));
  return Check(sqlite3_create_function_v2(conn.raw(), "klozeo_name_city_key", 2, kFlags, nullptr,
                                          NameCityKeyFunction, nullptr, nullptr, nullptr),
               "klozeo_name_city_key");
}

void BindKeys(Statement& s, int first, const domain::Lead& lead, const std::string& phone_region) {
  auto text = [](const std::optional<std::string>& v) {
    return v ? std::string_view(*v) : std::string_view();
  };
  dedup::LeadKeys keys =
      dedup::ComputeLeadKeys(lead.name, text(lead.email()), text(lead.phone()), text(lead.city()),
                             dedup::PhoneNormalizer(phone_region));
  auto bind = [&](int index, const std::string& key) {
    if (key.empty()) {
      s.BindNull(index);
    } else {
      s.Bind(index, key);
    }
  };
  bind(first, keys.email);
  bind(first + 1, keys.phone);
  bind(first + 2, keys.name_city);
}

Result<std::optional<std::string>> FindLeadIdByKey(Connection& conn, std::string_view account_id,
                                                   DedupKey kind, std::string_view key) {
  if (key.empty()) return std::optional<std::string>();
  const char* sql = kind == DedupKey::kEmail      ? kFindByEmailKey
                    : kind == DedupKey::kSourceId ? kFindBySourceId
                                                  : kFindByNameCityKey;
  KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(sql));
  s.Bind(1, account_id).Bind(2, key);
  if (kind == DedupKey::kSourceId) s.Bind(3, core::FoldText(key));
  KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(s.Text(0));
}

Result<std::vector<std::pair<std::string, std::string>>> FindLeadsByPhoneKey(
    Connection& conn, std::string_view account_id, std::string_view phone_key, int limit) {
  std::vector<std::pair<std::string, std::string>> out;
  if (phone_key.empty()) return out;
  KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(kFindByPhoneKey));
  s.Bind(1, account_id).Bind(2, phone_key).Bind(3, static_cast<int64_t>(limit));
  while (true) {
    KLOZEO_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.emplace_back(s.Text(0), s.Text(1));
  }
  return out;
}

}  // namespace klozeo::storage::sqlite::dedup_keys
