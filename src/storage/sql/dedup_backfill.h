#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"
#include "dedup/normalize.h"
#include "dedup/similarity.h"
#include "dedup/tokens.h"
#include "storage/sql/sql_tx.h"
#include "storage/sql/statements.h"

namespace klozeo::storage {

/// Rebuilds dedup's derived state from the leads (docs/DEDUP.md, "Upgrades"): every account's
/// name-word counts (`name_tokens`) and every lead's match keys (`lead_match_keys`: address,
/// website domain, city + rarest word), as LeadStore's writes keep them. Runs inside the
/// migration's transaction (schema version 13) after its SQL emptied both tables, so a database
/// upgraded from the previous release (whose leads had none) or written by a build without
/// some key is consistent before the server answers. Two passes over the leads in primary-key
/// order, `kChunk` rows per read (counts first: the rarest word needs them all).
template <typename Conn>
core::Status BackfillDedup(Conn& conn) {
  constexpr int64_t kChunk = 5000;
  constexpr size_t kRowsPerInsert = 1000;
  struct Row {
    int64_t account = 0;
    std::string id, name, address, website, city;
  };
  // Calls visit(rows) for each chunk of leads.
  auto scan = [&](auto&& visit) -> core::Status {
    int64_t after_account = -1;
    std::string after_id;
    while (true) {
      std::vector<Row> rows;
      {
        KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(sql::kBackfillLeads));
        s.Bind(1, after_account).Bind(2, after_id).Bind(3, kChunk);
        KLOZEO_ASSIGN_OR_RETURN(rows, CollectRows(s, [](auto& r) {
                                  return Row{r.Int(0),
                                             r.Text(1),
                                             r.Text(2),
                                             r.IsNull(3) ? std::string() : r.Text(3),
                                             r.IsNull(4) ? std::string() : r.Text(4),
                                             r.IsNull(5) ? std::string() : r.Text(5)};
                                }));
      }
      if (rows.empty()) return core::Ok();
      after_account = rows.back().account;
      after_id = rows.back().id;
      KLOZEO_TRY(visit(rows));
      if (static_cast<int64_t>(rows.size()) < kChunk) return core::Ok();
    }
  };
  // Inserts JSON array rows with `text` (?1 the account, ?2 the array), kRowsPerInsert at once.
  auto insert = [&](const char* text, int64_t account,
                    const std::vector<nlohmann::json>& items) -> core::Status {
    for (size_t at = 0; at < items.size(); at += kRowsPerInsert) {
      nlohmann::json chunk = nlohmann::json::array();
      for (size_t i = at; i < std::min(items.size(), at + kRowsPerInsert); ++i) {
        chunk.push_back(items[i]);
      }
      KLOZEO_ASSIGN_OR_RETURN(auto s, conn.Prepare(text));
      KLOZEO_TRY(s.Bind(1, account)
                     .Bind(2, chunk.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
                     .Run());
    }
    return core::Ok();
  };

  std::map<int64_t, dedup::TokenStats> stats;
  KLOZEO_TRY(scan([&](const std::vector<Row>& rows) -> core::Status {
    for (const Row& row : rows) {
      dedup::TokenStats& s = stats[row.account];
      ++s.names;
      for (const auto& token : dedup::CountedTokens(dedup::NameTokens(row.name))) ++s.counts[token];
    }
    return core::Ok();
  }));
  for (const auto& [account, s] : stats) {
    std::vector<nlohmann::json> items;
    items.reserve(s.counts.size() + 1);
    items.push_back(nlohmann::json::array({"", s.names}));
    for (const auto& [token, n] : s.counts) items.push_back(nlohmann::json::array({token, n}));
    KLOZEO_TRY(insert(sql::kBackfillTokenCounts, account, items));
  }
  return scan([&](const std::vector<Row>& rows) -> core::Status {
    std::map<int64_t, std::vector<nlohmann::json>> keys;
    for (const Row& row : rows) {
      auto& out = keys[row.account];
      const std::vector<std::string> tokens = dedup::NameTokens(row.name);
      const std::string address = dedup::AddressKey(row.address);
      const std::string domain = dedup::WebsiteDomain(row.website);
      const std::string city_word = dedup::CityWordKey(
          dedup::NormalizeCityKey(row.city), dedup::RarestWord(tokens, stats[row.account]));
      if (!address.empty()) out.push_back(nlohmann::json::array({row.id, "address", address}));
      if (!domain.empty()) out.push_back(nlohmann::json::array({row.id, "domain", domain}));
      if (!city_word.empty()) {
        out.push_back(nlohmann::json::array({row.id, "city_word", city_word}));
      }
    }
    for (const auto& [account, items] : keys) {
      KLOZEO_TRY(insert(sql::kBackfillMatchKeys, account, items));
    }
    return core::Ok();
  });
}

}  // namespace klozeo::storage
