#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "domain/webhook.h"

namespace klozeo::domain {

/// Longest accepted webhook URL and secret, in bytes.
inline constexpr size_t kMaxWebhookUrlBytes = 2048;
inline constexpr size_t kMaxWebhookSecretBytes = 1024;

/// The keys a client sent for a webhook, each present or absent. Read-only and unknown keys
/// are ignored.
struct WebhookPatch {
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> events;  ///< empty: every event
  /// Present: set (a value) or cleared (nullopt, from `null` or "").
  std::optional<std::optional<std::string>> secret;
  std::optional<bool> active;
};

/// Reads a webhook object. With `require_url` (create), `url` must be present.
/// Errors: BadRequest naming the field (wrong type, unknown event, URL not absolute http(s)).
core::Result<WebhookPatch> ParseWebhookPatch(const nlohmann::json& body, bool require_url);

/// Applies a patch. Returns true when a stored value changed. Reactivating clears the failure
/// record, so the next failure starts a new three-day window.
bool ApplyWebhookPatch(Webhook& webhook, const WebhookPatch& patch);

/// The webhook as the API shows it (never the secret): id, url, events, active, created_at,
/// updated_at, has_secret. `iso_times` renders the timestamps as ISO-8601 UTC strings
/// (--sdk-compat) instead of Unix seconds.
nlohmann::json WebhookToJson(const Webhook& webhook, bool iso_times);

/// "2023-11-14T22:13:20Z".
std::string IsoUtc(int64_t unix_seconds);

/// A webhook URL split the way it is checked: scheme (lowercase), host (IPv6 without
/// brackets), port (the scheme's default when absent).
struct WebhookUrl {
  std::string scheme;
  std::string host;
  int port = 0;
};

/// Checks the shape of a webhook URL: absolute, http or https, a host, an optional port, no
/// spaces or control characters. Errors: BadRequest saying what is wrong.
core::Result<WebhookUrl> ParseWebhookUrl(std::string_view url);

/// Why deliveries to this IP address (text form, IPv4 or IPv6) are refused by default:
/// "loopback", "private", "link-local", "unspecified", "unique-local", "multicast",
/// "shared address space", "reserved"... IPv4-mapped and -compatible IPv6 forms are judged by
/// their IPv4 address. nullopt: a public address, or not an IP address at all.
std::optional<std::string> BlockedAddressReason(std::string_view ip);

}  // namespace klozeo::domain
