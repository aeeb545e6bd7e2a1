#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "query/sort.h"
#include "query/sql_value.h"

namespace klozeo::query {

/// A keyset position: the last row of a page, and the sort it belongs to.
struct Cursor {
  std::string sort_field;  ///< FieldName() of the sort ("created_at", "attr:industry")
  SortDirection direction = SortDirection::kAsc;
  SqlValue last_value;  ///< the last row's `sort_key` column, as read (NULL allowed)
  std::string last_id;  ///< the last row's lead id

  bool operator==(const Cursor&) const = default;
};

/// Longest cursor text DecodeCursor accepts.
inline constexpr size_t kMaxCursorBytes = 4096;

/// The cursor that continues after a row: `sort_key` and `id` are the row's columns.
Cursor CursorAfter(const Sort& sort, SqlValue sort_key, std::string id);

/// Opaque, tamper-evident text: base64url(JSON payload) "." base64url(HMAC-SHA256(secret,
/// payload text)). The payload is {"s": field, "d": "asc"|"desc", "v": value, "i": id}.
std::string EncodeCursor(const Cursor& cursor, std::string_view secret);

/// Verifies and reads a cursor made by EncodeCursor with the same secret.
/// Errors: BadRequest when it is malformed, forged or altered, or was made for another sort
/// field or direction than `expected`.
core::Result<Cursor> DecodeCursor(std::string_view text, std::string_view secret,
                                  const Sort& expected);

}  // namespace klozeo::query
