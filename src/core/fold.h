#pragma once

#include <string>
#include <string_view>

namespace klozeo::core {

/// Unicode NFC + full case folding (utf8proc), so FoldText("ZÜRICH") == FoldText("zürich").
/// This is the one definition of "case-insensitive" in the server: the folded copies of text
/// columns, filters, dedup keys and the expression language all use it. Invalid UTF-8 falls
/// back to ASCII lowercase of the bytes.
std::string FoldText(std::string_view utf8);

}  // namespace klozeo::core
