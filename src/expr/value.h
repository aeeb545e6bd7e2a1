#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace klozeo::expr {

/// The kind of a Value.
enum class ValueKind : uint8_t {
  kNil,     ///< missing: an absent field or attribute, or the literal `nil` / `null`
  kBool,    ///< `boolean`
  kNumber,  ///< `number`
  kText,    ///< `text`
  kList,    ///< `list`: a list of strings (tags, list attributes)
  kObject,  ///< an object attribute: opaque, only `== nil` / `!= nil` see it as present
};

/// One value seen by an expression: a slot bound by the caller, a literal or an intermediate
/// result. A Value does not own its text or list: whatever `text` and `list` point at must
/// outlive the Evaluate call that reads it.
struct Value {
  ValueKind kind = ValueKind::kNil;
  bool boolean = false;               ///< kBool only
  double number = 0;                  ///< kNumber only
  std::string_view text;              ///< kText only
  std::span<const std::string> list;  ///< kList only

  /// A missing value.
  static Value Nil() { return {}; }
  /// `true` or `false`.
  static Value Bool(bool b) {
    Value v;
    v.kind = ValueKind::kBool;
    v.boolean = b;
    return v;
  }
  /// A number.
  static Value Number(double n) {
    Value v;
    v.kind = ValueKind::kNumber;
    v.number = n;
    return v;
  }
  /// A text viewing `s` (not copied).
  static Value Text(std::string_view s) {
    Value v;
    v.kind = ValueKind::kText;
    v.text = s;
    return v;
  }
  /// A list of strings viewing `items` (not copied).
  static Value List(std::span<const std::string> items) {
    Value v;
    v.kind = ValueKind::kList;
    v.list = items;
    return v;
  }
  /// An object attribute (its content is not visible to expressions).
  static Value Object() {
    Value v;
    v.kind = ValueKind::kObject;
    return v;
  }
};

}  // namespace klozeo::expr
