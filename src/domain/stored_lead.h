#pragma once

#include <string_view>
#include <vector>

#include "domain/lead.h"

// Readers of the two JSON forms a lead row holds (storage/sql/statements.h): the `tags` column,
// a JSON array of strings, and the attributes a lead SELECT concatenates, a JSON array of
// [id, name, type, value]. Every lead read goes through them (point reads, lists, exports), so
// the common shapes are read directly; anything else goes through the JSON parser, with the
// same result.
namespace klozeo::domain {

/// The strings of a JSON array of strings; elements that are not strings are skipped, and
/// anything that is not an array gives none.
std::vector<std::string> ReadStoredTags(std::string_view text);

/// Appends the attributes of a JSON array of [id, name, type, value]; malformed elements are
/// skipped, an unknown type reads as text. Values are the JSON values the parser would give
/// (an integer stays an integer).
void ReadStoredAttributes(std::string_view text, std::vector<Attribute>& out);

}  // namespace klozeo::domain
