#include "query/cursor.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <utility>

#include "core/crypto.h"

namespace klozeo::query {
namespace {

using core::Error;
using nlohmann::json;

Error BadCursor(std::string_view why) {
  return Error::BadRequest("invalid cursor: " + std::string(why));
}

std::string Sign(std::string_view payload, std::string_view secret) {
  return core::Base64UrlEncode(core::HmacSha256(secret, payload));
}

}  // namespace

Cursor CursorAfter(const Sort& sort, SqlValue sort_key, std::string id) {
  return Cursor{FieldName(sort.field), sort.direction, std::move(sort_key), std::move(id)};
}

std::string EncodeCursor(const Cursor& cursor, std::string_view secret) {
  json value = nullptr;
  if (const auto* i = std::get_if<std::int64_t>(&cursor.last_value)) value = *i;
  if (const auto* d = std::get_if<double>(&cursor.last_value)) {
    // SQLite never stores NaN; a non-finite value has no JSON form, so treat it as NULL.
    if (std::isfinite(*d)) value = *d;
  }
  if (const auto* s = std::get_if<std::string>(&cursor.last_value)) value = *s;
  json payload = {{"s", cursor.sort_field},
                  {"d", DirectionName(cursor.direction)},
                  {"v", std::move(value)},
                  {"i", cursor.last_id}};
  // Replacement instead of an exception for invalid UTF-8: the signature still binds the bytes.
  std::string body =
      core::Base64UrlEncode(payload.dump(-1, ' ', false, json::error_handler_t::replace));
  return body + "." + Sign(body, secret);
}

core::Result<Cursor> DecodeCursor(std::string_view text, std::string_view secret,
                                  const Sort& expected) {
  if (text.size() > kMaxCursorBytes) return BadCursor("too long");
  size_t dot = text.find('.');
  if (dot == std::string_view::npos) return BadCursor("malformed");
  std::string_view body = text.substr(0, dot);
  std::string_view signature = text.substr(dot + 1);
  // Compare the canonical encoding, so no alternative spelling of the MAC is accepted.
  if (!core::ConstantTimeEquals(signature, Sign(body, secret))) {
    return BadCursor("signature mismatch");
  }
  std::string payload_text;
  if (!core::Base64UrlDecode(body, &payload_text)) return BadCursor("malformed");
  json payload = json::parse(payload_text, nullptr, /*allow_exceptions=*/false);
  if (!payload.is_object()) return BadCursor("malformed");
  auto s = payload.find("s");
  auto d = payload.find("d");
  auto v = payload.find("v");
  auto i = payload.find("i");
  if (s == payload.end() || d == payload.end() || v == payload.end() || i == payload.end() ||
      !s->is_string() || !d->is_string() || !i->is_string()) {
    return BadCursor("malformed");
  }
  Cursor cursor;
  cursor.sort_field = s->get<std::string>();
  std::string direction = d->get<std::string>();
  if (direction == "asc") {
    cursor.direction = SortDirection::kAsc;
  } else if (direction == "desc") {
    cursor.direction = SortDirection::kDesc;
  } else {
    return BadCursor("malformed");
  }
  if (v->is_null()) {
    cursor.last_value = nullptr;
  } else if (v->is_number_integer()) {
    cursor.last_value = v->get<std::int64_t>();
  } else if (v->is_number_float()) {
    cursor.last_value = v->get<double>();
  } else if (v->is_string()) {
    cursor.last_value = v->get<std::string>();
  } else {
    return BadCursor("malformed");
  }
  cursor.last_id = i->get<std::string>();
  if (cursor.sort_field != FieldName(expected.field) || cursor.direction != expected.direction) {
    return BadCursor("it belongs to another sort_by or sort_order");
  }
  return cursor;
}

}  // namespace klozeo::query
