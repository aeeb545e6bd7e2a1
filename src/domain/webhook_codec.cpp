#include "domain/webhook_codec.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <ctime>

namespace klozeo::domain {
namespace {

using core::Error;
using nlohmann::json;

Error FieldError(std::string_view field, std::string_view problem) {
  return Error::BadRequest("field '" + std::string(field) + "' " + std::string(problem));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::string> ReasonV4(const uint8_t* b) {
  if (b[0] == 127) return "loopback";
  if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168)) {
    return "private";
  }
  if (b[0] == 169 && b[1] == 254) return "link-local";
  if (b[0] == 0) return "unspecified";
  if (b[0] == 100 && (b[1] & 0xC0) == 64) return "shared address space";
  if (b[0] >= 224) return std::string(b[0] < 240 ? "multicast" : "reserved");
  if (b[0] == 192 && b[1] == 0 && b[2] == 0) return "reserved";
  if (b[0] == 198 && (b[1] & 0xFE) == 18) return "benchmarking";
  return std::nullopt;
}

std::optional<std::string> ReasonV6(const uint8_t* b) {
  static constexpr uint8_t kZero[16] = {};
  if (std::memcmp(b, kZero, 15) == 0) {
    if (b[15] == 0) return "unspecified";
    if (b[15] == 1) return "loopback";
  }
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible), 64:ff9b::a.b.c.d (NAT64): the IPv4 inside
  // decides.
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static constexpr uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b, kMapped, 12) == 0 || std::memcmp(b, kZero, 12) == 0 ||
      std::memcmp(b, kNat64, 12) == 0) {
    return ReasonV4(b + 12);
  }
  if ((b[0] & 0xFE) == 0xFC) return "unique-local";
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return "link-local";
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0) return "site-local";
  if (b[0] == 0xFF) return "multicast";
  if (b[0] == 0x20 && b[1] == 0x02) {  // 6to4: 2002:a.b.c.d::/48
    return ReasonV4(b + 2);
  }
  return std::nullopt;
}

}  // namespace

core::Result<WebhookPatch> ParseWebhookPatch(const json& body, bool require_url) {
  if (!body.is_object()) return Error::BadRequest("request body must be a JSON object");
  WebhookPatch patch;
  if (auto it = body.find("url"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) return FieldError("url", "must be a string");
    const auto& url = it->get_ref<const std::string&>();
    if (url.size() > kMaxWebhookUrlBytes) return FieldError("url", "is longer than 2048 bytes");
    auto parsed = ParseWebhookUrl(url);
    if (!parsed.ok()) return FieldError("url", parsed.error().message);
    patch.url = url;
  } else if (require_url) {
    return FieldError("url", "is required");
  }
  if (auto it = body.find("events"); it != body.end()) {
    std::vector<std::string> events;
    if (!it->is_null()) {
      if (!it->is_array()) return FieldError("events", "must be an array of event names");
      for (const auto& e : *it) {
        if (!e.is_string()) return FieldError("events", "must be an array of event names");
        const auto& name = e.get_ref<const std::string&>();
        if (!IsWebhookEvent(name)) {
          std::string known;
          for (auto k : kWebhookEvents) known += (known.empty() ? "" : ", ") + std::string(k);
          return FieldError("events",
                            "holds unknown event '" + name.substr(0, 64) + "'; known: " + known);
        }
        if (std::find(events.begin(), events.end(), name) == events.end()) {
          events.push_back(name);
        }
      }
    }
    patch.events = std::move(events);
  }
  if (auto it = body.find("secret"); it != body.end()) {
    if (it->is_null()) {
      patch.secret = std::optional<std::string>();
    } else if (!it->is_string()) {
      return FieldError("secret", "must be a string or null");
    } else {
      const auto& secret = it->get_ref<const std::string&>();
      if (secret.size() > kMaxWebhookSecretBytes) {
        return FieldError("secret", "is longer than 1024 bytes");
      }
      patch.secret = secret.empty() ? std::optional<std::string>() : secret;
    }
  }
  if (auto it = body.find("active"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) return FieldError("active", "must be true or false");
    patch.active = it->get<bool>();
  }
  return patch;
}

bool ApplyWebhookPatch(Webhook& w, const WebhookPatch& patch) {
  bool changed = false;
  if (patch.url && *patch.url != w.url) {
    w.url = *patch.url;
    changed = true;
  }
  if (patch.events && *patch.events != w.events) {
    w.events = *patch.events;
    changed = true;
  }
  if (patch.secret && *patch.secret != w.secret) {
    w.secret = *patch.secret;
    changed = true;
  }
  if (patch.active && *patch.active != w.active) {
    w.active = *patch.active;
    if (w.active) w.failing_since_ms.reset();
    changed = true;
  }
  return changed;
}

std::string IsoUtc(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json WebhookToJson(const Webhook& w, bool iso_times) {
  auto time = [iso_times](int64_t t) { return iso_times ? json(IsoUtc(t)) : json(t); };
  return json{{"id", w.id},
              {"url", w.url},
              {"events", w.events},
              {"active", w.active},
              {"has_secret", w.secret.has_value()},
              {"created_at", time(w.created_at)},
              {"updated_at", time(w.updated_at)}};
}

core::Result<WebhookUrl> ParseWebhookUrl(std::string_view url) {
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) {
      return Error::BadRequest("must not contain spaces or control characters");
    }
  }
  WebhookUrl out;
  auto sep = url.find("://");
  if (sep == std::string_view::npos) {
    return Error::BadRequest("must be an absolute http or https URL");
  }
  out.scheme = Lower(url.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") {
    return Error::BadRequest("must use http or https, not '" + out.scheme.substr(0, 16) + "'");
  }
  std::string_view rest = url.substr(sep + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return Error::BadRequest("has an unclosed '[' in host");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Error::BadRequest("has junk after the IPv6 host");
      port_text = after.substr(1);
    }
    in6_addr a6{};
    if (inet_pton(AF_INET6, out.host.c_str(), &a6) != 1) {
      return Error::BadRequest("has an invalid IPv6 address");
    }
  } else {
    auto colon = authority.find(':');
    out.host = Lower(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return Error::BadRequest("has no host");
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    int port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      return Error::BadRequest("has an invalid port");
    }
    out.port = port;
  }
  return out;
}

std::optional<std::string> BlockedAddressReason(std::string_view ip) {
  std::string text(ip);
  uint8_t bytes[16];
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) return ReasonV4(bytes);
  if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) return ReasonV6(bytes);
  return std::nullopt;
}

}  // namespace klozeo::domain
