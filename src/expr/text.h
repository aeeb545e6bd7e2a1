#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

// Text helpers for the expression language. "Ignoring case" means comparing core::FoldText
// copies (Unicode case folding), with an allocation-free path when both sides are ASCII.
namespace klozeo::expr {

/// True when `a` and `b` are equal ignoring case.
bool TextEquals(std::string_view a, std::string_view b);

/// True when `needle` occurs in `haystack` ignoring case. An empty needle always occurs.
bool TextContains(std::string_view haystack, std::string_view needle);

/// True when `s` starts with `prefix` ignoring case.
bool TextStartsWith(std::string_view s, std::string_view prefix);

/// Number of characters in UTF-8 text (bytes that are not continuation bytes).
size_t CharacterCount(std::string_view s);

/// The number written in `s` (decimal, optional sign and exponent, ASCII spaces around), or
/// nullopt when `s` is anything else or not finite ("12" → 12, " -1.5e2 " → -150, "12a" → none).
std::optional<double> ParseNumber(std::string_view s);

}  // namespace klozeo::expr
