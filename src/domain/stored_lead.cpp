#include "domain/stored_lead.h"

#include <charconv>
#include <cstdint>
#include <optional>

namespace klozeo::domain {

using nlohmann::json;

namespace {

/// A forward reader over JSON text that handles the shapes the store writes; each method
/// returns false (or nullopt) on anything else, and the caller then uses the JSON parser.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  bool AtEnd() {
    SkipSpace();
    return i_ == s_.size();
  }
  bool Eat(char c) {
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }

  /// A string without escapes or control characters.
  std::optional<std::string_view> PlainString() {
    SkipSpace();
    if (i_ >= s_.size() || s_[i_] != '"') return std::nullopt;
    for (size_t j = i_ + 1; j < s_.size(); ++j) {
      const auto c = static_cast<unsigned char>(s_[j]);
      if (c == '"') {
        std::string_view out = s_.substr(i_ + 1, j - i_ - 1);
        i_ = j + 1;
        return out;
      }
      if (c == '\\' || c < 0x20) return std::nullopt;
    }
    return std::nullopt;
  }

  /// Any one JSON value, as the parser would read it.
  std::optional<json> Value() {
    SkipSpace();
    if (i_ >= s_.size()) return std::nullopt;
    const char c = s_[i_];
    if (c == '"') {
      if (auto plain = PlainString()) return json(std::string(*plain));
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      if (auto number = Number()) return number;
    } else if (Word("true")) {
      return json(true);
    } else if (Word("false")) {
      return json(false);
    } else if (Word("null")) {
      return json(nullptr);
    }
    // Escaped strings, arrays, objects, unusual numbers: the parser reads the value's text.
    const size_t start = i_;
    if (!SkipValue()) return std::nullopt;
    json value = json::parse(s_.substr(start, i_ - start), nullptr, false);
    if (value.is_discarded()) return std::nullopt;
    return value;
  }

 private:
  void SkipSpace() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) {
      ++i_;
    }
  }

  bool Word(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  /// A number with the parser's types: an integer is unsigned when not negative, signed when
  /// negative; a fraction or an exponent makes a double.
  std::optional<json> Number() {
    size_t j = i_;
    bool integral = true;
    while (j < s_.size()) {
      const char c = s_[j];
      if (c == '.' || c == 'e' || c == 'E' || c == '+') {
        integral = false;
      } else if (!(c == '-' || (c >= '0' && c <= '9'))) {
        break;
      }
      ++j;
    }
    const char* first = s_.data() + i_;
    const char* last = s_.data() + j;
    json out;
    std::from_chars_result r{};
    if (!integral) {
      double d = 0;
      r = std::from_chars(first, last, d);
      out = d;
    } else if (*first == '-') {
      int64_t v = 0;
      r = std::from_chars(first, last, v);
      out = v;
    } else {
      uint64_t v = 0;
      r = std::from_chars(first, last, v);
      out = v;
    }
    if (r.ec != std::errc() || r.ptr != last) return std::nullopt;  // out of range, or odd
    i_ = j;
    return out;
  }

  /// Moves past one value of any kind (strings with escapes, nested arrays and objects).
  bool SkipValue() {
    int depth = 0;
    bool in_string = false;
    for (; i_ < s_.size(); ++i_) {
      const char c = s_[i_];
      if (in_string) {
        if (c == '\\') {
          ++i_;
        } else if (c == '"') {
          in_string = false;
          if (depth == 0) {
            ++i_;
            return true;
          }
        }
        continue;
      }
      if (c == '"') {
        in_string = true;
      } else if (c == '[' || c == '{') {
        ++depth;
      } else if (c == ']' || c == '}') {
        if (depth == 0) return true;  // the end of the enclosing array
        if (--depth == 0) {
          ++i_;
          return true;
        }
      } else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
        return true;
      }
    }
    return depth == 0 && !in_string;
  }

  std::string_view s_;
  size_t i_ = 0;
};

std::vector<std::string> ParsedTags(std::string_view text) {
  std::vector<std::string> tags;
  json array = json::parse(text, nullptr, false);
  for (auto& t : array.is_array() ? array : json::array()) {
    if (t.is_string()) tags.push_back(t.get<std::string>());
  }
  return tags;
}

void ParsedAttributes(std::string_view text, std::vector<Attribute>& out) {
  json attributes = json::parse(text, nullptr, false);
  if (!attributes.is_array()) return;
  for (auto& a : attributes) {
    if (!a.is_array() || a.size() != 4 || !a[0].is_string() || !a[1].is_string() ||
        !a[2].is_string()) {
      continue;
    }
    Attribute attr;
    attr.id = a[0].get<std::string>();
    attr.name = a[1].get<std::string>();
    attr.type = ParseAttributeType(a[2].get<std::string>()).value_or(AttributeType::kText);
    attr.value = std::move(a[3]);
    out.push_back(std::move(attr));
  }
}

}  // namespace

std::vector<std::string> ReadStoredTags(std::string_view text) {
  Reader r(text);
  std::vector<std::string> tags;
  if (!r.Eat('[')) return ParsedTags(text);
  if (!r.Eat(']')) {
    do {
      auto tag = r.PlainString();
      if (!tag) return ParsedTags(text);
      tags.emplace_back(*tag);
    } while (r.Eat(','));
    if (!r.Eat(']')) return ParsedTags(text);
  }
  if (!r.AtEnd()) return ParsedTags(text);
  return tags;
}

void ReadStoredAttributes(std::string_view text, std::vector<Attribute>& out) {
  const size_t before = out.size();
  auto fallback = [&] {
    out.resize(before);
    ParsedAttributes(text, out);
  };
  Reader r(text);
  if (!r.Eat('[')) return fallback();
  if (!r.Eat(']')) {
    do {
      if (!r.Eat('[')) return fallback();
      auto id = r.PlainString();
      if (!id || !r.Eat(',')) return fallback();
      auto name = r.PlainString();
      if (!name || !r.Eat(',')) return fallback();
      auto type = r.PlainString();
      if (!type || !r.Eat(',')) return fallback();
      auto value = r.Value();
      if (!value || !r.Eat(']')) return fallback();
      Attribute& a = out.emplace_back();
      a.id = std::string(*id);
      a.name = std::string(*name);
      a.type = ParseAttributeType(*type).value_or(AttributeType::kText);
      a.value = std::move(*value);
    } while (r.Eat(','));
    if (!r.Eat(']')) return fallback();
  }
  if (!r.AtEnd()) return fallback();
}

}  // namespace klozeo::domain
