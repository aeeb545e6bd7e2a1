#pragma once

#include "core/fold.h"

namespace klozeo::query {

/// Unicode NFC + case folding (utf8proc), the server's one definition of "case-insensitive":
/// FoldText("ZÜRICH") == FoldText("zürich"); invalid UTF-8 falls back to ASCII lowercase.
/// Every `<field>_fold` column, `tags_fold` element and attribute `value_fold` must be written
/// with it, and the compiler folds filter values with it. It lives in core/ so that dedup and
/// storage share it; this alias keeps query code reading `query::FoldText`.
using core::FoldText;

}  // namespace klozeo::query
