#pragma once

#include <string>
#include <string_view>

namespace klozeo::core {

/// A new time-ordered UUID (version 7), lowercase and hyphenated. Monotonic within a process.
std::string NewUuidV7();

/// True for a lowercase or uppercase hyphenated UUID of any version (36 characters).
bool IsUuid(std::string_view text);

/// `cl_<uuid>`.
std::string NewLeadId();
/// `note_<uuid>`.
std::string NewNoteId();

/// True when `id` is `prefix` followed by a UUID; lets handlers answer 404 without a query.
bool HasIdShape(std::string_view id, std::string_view prefix);

}  // namespace klozeo::core
