#pragma once

#include <string>
#include <string_view>

namespace klozeo::core {

/// `s` without leading and trailing ASCII white space.
std::string_view Trim(std::string_view s);
/// ASCII lowercase copy.
std::string AsciiLower(std::string_view s);
/// True when `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(std::string_view s);

}  // namespace klozeo::core
