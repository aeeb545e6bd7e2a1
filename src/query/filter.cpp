#include "query/filter.h"

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

#include "core/strings.h"

namespace klozeo::query {
namespace {

using core::Error;
using core::Result;

constexpr std::array<std::pair<Op, std::string_view>, 20> kOpNames = {{
    {Op::kEq, "eq"},
    {Op::kNeq, "neq"},
    {Op::kContains, "contains"},
    {Op::kNotContains, "not_contains"},
    {Op::kStartsWith, "starts_with"},
    {Op::kEndsWith, "ends_with"},
    {Op::kIn, "in"},
    {Op::kGt, "gt"},
    {Op::kGte, "gte"},
    {Op::kLt, "lt"},
    {Op::kLte, "lte"},
    {Op::kIsEmpty, "is_empty"},
    {Op::kIsNotEmpty, "is_not_empty"},
    {Op::kArrayContains, "array_contains"},
    {Op::kArrayNotContains, "array_not_contains"},
    {Op::kArrayEmpty, "array_empty"},
    {Op::kArrayNotEmpty, "array_not_empty"},
    {Op::kWithinRadius, "within_radius"},
    {Op::kIsSet, "is_set"},
    {Op::kIsNotSet, "is_not_set"},
}};

// Which field kinds an operator applies to (API-CONTRACT §5), and how to say so.
struct Fit {
  bool text, number, tags, location, attribute;
  std::string_view needs;
};

Fit FitOf(Op op) {
  switch (op) {
    case Op::kEq:
    case Op::kNeq:
      return {true, true, false, false, true, "a text, number or attr: field"};
    case Op::kContains:
    case Op::kNotContains:
    case Op::kStartsWith:
    case Op::kEndsWith:
    case Op::kIsEmpty:
    case Op::kIsNotEmpty:
      return {true, false, false, false, true, "a text or attr: field"};
    case Op::kIn:
      return {true, false, false, false, false, "a text field"};
    case Op::kGt:
    case Op::kGte:
    case Op::kLt:
    case Op::kLte:
      return {false, true, false, false, true, "a number or attr: field"};
    case Op::kArrayContains:
    case Op::kArrayNotContains:
    case Op::kArrayEmpty:
    case Op::kArrayNotEmpty:
      return {false, false, true, false, true, "the tags field or an attr: field"};
    case Op::kWithinRadius:
    case Op::kIsSet:
    case Op::kIsNotSet:
      return {false, false, false, true, false, "the location field"};
  }
  return {false, false, false, false, false, "a known field"};
}

bool Fits(const Fit& fit, FieldKind kind) {
  switch (kind) {
    case FieldKind::kText:
      return fit.text;
    case FieldKind::kNumber:
      return fit.number;
    case FieldKind::kTags:
      return fit.tags;
    case FieldKind::kLocation:
      return fit.location;
    case FieldKind::kAttribute:
      return fit.attribute;
  }
  return false;
}

bool TakesNoValue(Op op) {
  return op == Op::kIsEmpty || op == Op::kIsNotEmpty || op == Op::kArrayEmpty ||
         op == Op::kArrayNotEmpty || op == Op::kIsSet || op == Op::kIsNotSet;
}

bool IsNumericComparison(Op op) {
  return op == Op::kGt || op == Op::kGte || op == Op::kLt || op == Op::kLte;
}

// Splits on commas, trimming each item.
std::vector<std::string> SplitList(std::string_view value) {
  std::vector<std::string> items;
  while (true) {
    size_t comma = value.find(',');
    items.emplace_back(core::Trim(value.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return items;
}

// Parses "lat,lng,km"; returns the reason on failure.
std::variant<GeoCircle, std::string> ParseCircle(std::string_view value) {
  std::vector<std::string> parts = SplitList(value);
  std::array<double, 3> numbers{};
  if (parts.size() != numbers.size()) {
    return "within_radius needs \"<lat>,<lng>,<km>\", got " + QuoteForMessage(value);
  }
  for (size_t i = 0; i < numbers.size(); ++i) {
    std::optional<double> number = ParseNumber(parts[i]);
    if (!number) {
      return "within_radius needs \"<lat>,<lng>,<km>\", got " + QuoteForMessage(value);
    }
    numbers[i] = *number;
  }
  GeoCircle circle{numbers[0], numbers[1], numbers[2]};
  if (circle.lat < -90 || circle.lat > 90) return "latitude must be between -90 and 90";
  if (circle.lng < -180 || circle.lng > 180) return "longitude must be between -180 and 180";
  if (!(circle.km > 0)) return "radius must be a positive number of km";
  return circle;
}

// The typed value for an operator already known to fit the field; the reason on failure.
std::variant<FilterValue, std::string> TypeValue(Op op, FieldKind kind, std::string_view raw) {
  if (TakesNoValue(op)) return FilterValue{};  // a value given anyway is ignored
  if (op == Op::kWithinRadius) {
    auto circle = ParseCircle(raw);
    if (auto* reason = std::get_if<std::string>(&circle)) return std::move(*reason);
    return FilterValue{std::get<GeoCircle>(circle)};
  }
  if (op == Op::kIn) return FilterValue{SplitList(raw)};
  if (IsNumericComparison(op) || kind == FieldKind::kNumber) {
    std::optional<double> number = ParseNumber(raw);
    if (!number) return "value " + QuoteForMessage(raw) + " is not a number";
    return FilterValue{*number};
  }
  return FilterValue{std::string(raw)};
}

Error Invalid(std::string_view text, std::string_view reason) {
  return Error::BadRequest("invalid filter " + QuoteForMessage(text) + ": " + std::string(reason));
}

}  // namespace

std::string_view OpName(Op op) {
  for (const auto& [candidate, name] : kOpNames) {
    if (candidate == op) return name;
  }
  return "?";
}

std::optional<Op> LookupOp(std::string_view name) {
  for (const auto& [op, candidate] : kOpNames) {
    if (candidate == name) return op;
  }
  return std::nullopt;
}

bool IsNegative(Op op) {
  return op == Op::kNeq || op == Op::kNotContains || op == Op::kArrayNotContains;
}

std::optional<double> ParseNumber(std::string_view text) {
  text = core::Trim(text);
  // A '+' in a query string arrives as a space once form-decoded; a literal one is fine too.
  if (text.starts_with('+') && !text.starts_with("+-")) text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

Result<Filter> ParseFilter(std::string_view text) {
  size_t dot1 = text.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : text.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) {
    return Invalid(text, "expected <logic>.<operator>.<field>[.<value>]");
  }
  size_t dot3 = text.find('.', dot2 + 1);
  std::string_view logic_text = text.substr(0, dot1);
  std::string_view op_text = text.substr(dot1 + 1, dot2 - dot1 - 1);
  std::string_view field_text = text.substr(
      dot2 + 1, dot3 == std::string_view::npos ? std::string_view::npos : dot3 - dot2 - 1);
  std::string_view raw_value =
      dot3 == std::string_view::npos ? std::string_view() : text.substr(dot3 + 1);

  Filter filter;
  if (logic_text == "and") {
    filter.logic = Logic::kAnd;
  } else if (logic_text == "or") {
    filter.logic = Logic::kOr;
  } else {
    return Invalid(text, "unknown logic " + QuoteForMessage(logic_text) + " (expected and or or)");
  }

  std::optional<Op> op = LookupOp(op_text);
  if (!op) return Invalid(text, "unknown operator " + QuoteForMessage(op_text));
  filter.op = *op;

  std::optional<FieldRef> field = LookupField(field_text);
  if (!field) {
    if (field_text.starts_with("attr:")) {
      return Invalid(text, "invalid attribute name " + QuoteForMessage(field_text.substr(5)) +
                               " (expected attr:<name>, name made of [A-Za-z0-9_], at most 64)");
    }
    return Invalid(text, "unknown field " + QuoteForMessage(field_text));
  }
  filter.field = std::move(*field);

  Fit fit = FitOf(filter.op);
  if (!Fits(fit, filter.field.kind)) {
    return Invalid(
        text, "operator " + std::string(OpName(filter.op)) + " needs " + std::string(fit.needs));
  }

  if (raw_value.size() > kMaxFilterValueBytes) {
    return Invalid(text, "value longer than " + std::to_string(kMaxFilterValueBytes) + " bytes");
  }
  if (!core::IsValidUtf8(raw_value)) return Invalid(text, "value is not valid UTF-8");

  auto value = TypeValue(filter.op, filter.field.kind, raw_value);
  if (auto* reason = std::get_if<std::string>(&value)) return Invalid(text, *reason);
  filter.value = std::move(std::get<FilterValue>(value));
  return filter;
}

Result<std::vector<Filter>> ParseFilters(std::span<const std::string> texts) {
  if (texts.size() > kMaxFilters) {
    return Error::BadRequest("too many filters: " + std::to_string(texts.size()) + " (at most " +
                             std::to_string(kMaxFilters) + ")");
  }
  std::vector<Filter> filters;
  filters.reserve(texts.size());
  for (const std::string& text : texts) {
    KLOZEO_ASSIGN_OR_RETURN(Filter filter, ParseFilter(text));
    filters.push_back(std::move(filter));
  }
  return filters;
}

bool CombineFilters(std::span<const Filter> filters,
                    const std::function<bool(const Filter&)>& holds) {
  bool any_or = false;
  bool or_held = false;
  for (const Filter& filter : filters) {
    if (filter.logic == Logic::kAnd) {
      if (!holds(filter)) return false;
    } else {
      any_or = true;
      if (!or_held) or_held = holds(filter);
    }
  }
  return !any_or || or_held;
}

}  // namespace klozeo::query
