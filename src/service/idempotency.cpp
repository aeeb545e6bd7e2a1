#include "service/idempotency.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/crypto.h"

namespace klozeo::service {

using core::Error;
using core::Result;
using core::Status;
using nlohmann::json;

namespace {

constexpr size_t kMaxKeyLength = 255;
// Expired records are swept at most this often (each lookup also drops its own expired key).
constexpr int64_t kPurgeEveryMs = 3600 * 1000;

StoredResponse Parse(const storage::IdempotencyRecord& record) {
  StoredResponse r;
  r.status = *record.status;
  r.body = record.body;
  json headers = json::parse(record.headers_json, nullptr, false);
  if (headers.is_array()) {
    for (const auto& h : headers) {
      if (h.is_array() && h.size() == 2 && h[0].is_string() && h[1].is_string()) {
        r.headers.emplace_back(h[0].get<std::string>(), h[1].get<std::string>());
      }
    }
  }
  return r;
}

}  // namespace

IdempotencyService::IdempotencyService(storage::Database& db, const core::Clock& clock,
                                       Options options)
    : db_(db), clock_(clock), options_(options) {}

Status IdempotencyService::ValidateKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyLength) {
    return Error::BadRequest("Idempotency-Key must be 1 to 255 characters");
  }
  for (char c : key) {
    if (c < 0x20 || c > 0x7E) {
      return Error::BadRequest("Idempotency-Key must be printable ASCII");
    }
  }
  return core::Ok();
}

std::string IdempotencyService::Fingerprint(std::string_view method, std::string_view target,
                                            std::string_view body) {
  std::string data;
  data.reserve(method.size() + target.size() + body.size() + 2);
  data.append(method).append(1, '\n').append(target).append(1, '\n').append(body);
  return core::Sha256Hex(data);
}

Result<IdempotencyService::Decision> IdempotencyService::Begin(domain::AccountKey account,
                                                               std::string_view key,
                                                               std::string_view fingerprint) {
  KLOZEO_TRY(ValidateKey(key));
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.wait_ms);
  auto pause = std::chrono::milliseconds(2);
  while (true) {
    const int64_t now = clock_.NowMillis();
    std::optional<storage::IdempotencyRecord> record;
    {
      // Look up and claim in one write transaction, so two requests never both claim.
      KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
      KLOZEO_ASSIGN_OR_RETURN(record, tx->idempotency().Get(account, key));
      const bool expired = record && record->created_at_ms <= now - options_.ttl_ms;
      const bool abandoned =
          record && !record->status && record->created_at_ms <= now - options_.abandon_ms;
      if (expired || abandoned) {
        KLOZEO_TRY(tx->idempotency().Delete(account, key));
        record.reset();
      }
      if (!record) {
        KLOZEO_ASSIGN_OR_RETURN(bool claimed,
                                tx->idempotency().Reserve(account, key, fingerprint, now));
        KLOZEO_TRY(tx->Commit());
        if (claimed) {
          MaybePurge(now);
          return Decision{Kind::kProceed, {}};
        }
        continue;  // another process claimed it between our read and insert (PostgreSQL)
      }
      KLOZEO_TRY(tx->Commit());
    }
    if (record->request_hash != fingerprint) return Decision{Kind::kConflict, {}};
    if (record->status) return Decision{Kind::kReplay, Parse(*record)};
    // The first request is still running: wait for its answer.
    if (std::chrono::steady_clock::now() >= deadline) return Decision{Kind::kInProgress, {}};
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

Status IdempotencyService::Complete(domain::AccountKey account, std::string_view key,
                                    const StoredResponse& response) {
  json headers = json::array();
  for (const auto& [name, value] : response.headers) headers.push_back(json::array({name, value}));
  KLOZEO_ASSIGN_OR_RETURN(auto tx, db_.Begin(storage::TxMode::kWrite));
  KLOZEO_TRY(tx->idempotency().Complete(
      account, key, response.status, headers.dump(-1, ' ', false, json::error_handler_t::replace),
      response.body));
  return tx->Commit();
}

void IdempotencyService::Release(domain::AccountKey account, std::string_view key) {
  auto tx = db_.Begin(storage::TxMode::kWrite);
  Status status = tx.ok() ? (*tx)->idempotency().Delete(account, key) : Status(tx.error());
  if (status.ok()) status = (*tx)->Commit();
  if (!status.ok())
    spdlog::warn("idempotency: could not release a key: {}", status.error().ForLog());
}

void IdempotencyService::MaybePurge(int64_t now_ms) {
  int64_t last = last_purge_ms_.load();
  if (now_ms - last < kPurgeEveryMs || !last_purge_ms_.compare_exchange_strong(last, now_ms)) {
    return;
  }
  auto tx = db_.Begin(storage::TxMode::kWrite);
  if (!tx.ok()) return;
  auto purged = (*tx)->idempotency().Purge(now_ms - options_.ttl_ms);
  if (purged.ok() && (*tx)->Commit().ok() && *purged > 0) {
    spdlog::debug("idempotency: purged {} expired keys", *purged);
  }
}

}  // namespace klozeo::service
