#pragma once

#include <string>
#include <string_view>

namespace klozeo::core {

/// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
/// Raw 32-byte HMAC-SHA256.
std::string HmacSha256(std::string_view key, std::string_view data);
/// Lowercase hex HMAC-SHA256 (the webhook signature format).
std::string HmacSha256Hex(std::string_view key, std::string_view data);
/// `n_bytes` bytes from the OS CSPRNG, hex encoded (2 * n_bytes characters).
std::string RandomHex(size_t n_bytes);
/// Constant-time comparison.
bool ConstantTimeEquals(std::string_view a, std::string_view b);
/// Hex encoding of raw bytes.
std::string HexEncode(std::string_view bytes);
/// URL-safe base64 without padding, and its inverse (false on bad input).
std::string Base64UrlEncode(std::string_view bytes);
bool Base64UrlDecode(std::string_view text, std::string* out);

}  // namespace klozeo::core
