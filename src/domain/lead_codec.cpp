#include "domain/lead_codec.h"

#include <charconv>
#include <cmath>

#include "core/ids.h"
#include "core/strings.h"

namespace klozeo::domain {
namespace {

using core::Error;
using nlohmann::json;

Error FieldError(std::string_view field, std::string_view problem) {
  return Error::BadRequest("field '" + std::string(field) + "' " + std::string(problem));
}

core::Result<std::optional<std::string>> ReadOptionalText(const json& v, std::string_view field) {
  if (v.is_null()) return std::optional<std::string>();
  if (!v.is_string()) return FieldError(field, "must be a string or null");
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() > kMaxTextBytes) return FieldError(field, "is longer than 65536 bytes");
  return std::optional<std::string>(s);
}

core::Result<std::optional<double>> ReadOptionalNumber(const json& v, std::string_view field) {
  if (v.is_null()) return std::optional<double>();
  if (!v.is_number()) return FieldError(field, "must be a number or null");
  double d = v.get<double>();
  if (!std::isfinite(d)) return FieldError(field, "must be a finite number");
  return std::optional<double>(d);
}

core::Result<std::string> ReadIdentity(const json& v, std::string_view field) {
  if (v.is_null()) return FieldError(field, "is required and cannot be null");
  if (!v.is_string()) return FieldError(field, "must be a string");
  const auto& s = v.get_ref<const std::string&>();
  if (core::Trim(s).empty()) return FieldError(field, "is required and cannot be empty");
  if (s.size() > kMaxTextBytes) return FieldError(field, "is longer than 65536 bytes");
  return s;
}

}  // namespace

bool IsValidAttributeName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

core::Status ValidateAttributeValue(AttributeType type, const json& value) {
  bool ok = false;
  switch (type) {
    case AttributeType::kText:
      ok = value.is_string();
      break;
    case AttributeType::kNumber:
      ok = value.is_number();
      break;
    case AttributeType::kBool:
      ok = value.is_boolean();
      break;
    case AttributeType::kList:
      ok = value.is_array();
      if (ok) {
        for (const auto& e : value) ok = ok && e.is_string();
      }
      break;
    case AttributeType::kObject:
      ok = value.is_object();
      break;
  }
  if (!ok) {
    static constexpr const char* kExpect[] = {"a string", "a number", "a boolean",
                                              "an array of strings", "an object"};
    return Error::BadRequest("attribute value must be " +
                             std::string(kExpect[static_cast<int>(type)]) + " for type '" +
                             std::string(AttributeTypeName(type)) + "'");
  }
  if (type == AttributeType::kNumber && !std::isfinite(value.get<double>())) {
    return Error::BadRequest("attribute value must be a finite number");
  }
  if (value.dump().size() > kMaxAttributeValueBytes) {
    return Error::BadRequest("attribute value is larger than 65536 bytes");
  }
  return core::Ok();
}

core::Result<Attribute> ParseAttribute(const json& body) {
  if (!body.is_object()) return Error::BadRequest("attribute must be a JSON object");
  auto name_it = body.find("name");
  if (name_it == body.end() || !name_it->is_string()) {
    return Error::BadRequest("attribute field 'name' is required and must be a string");
  }
  const auto& name = name_it->get_ref<const std::string&>();
  if (!IsValidAttributeName(name)) {
    return Error::BadRequest("attribute name '" + name.substr(0, 80) +
                             "' must match [A-Za-z0-9_]{1,64}");
  }
  auto type_it = body.find("type");
  if (type_it == body.end() || !type_it->is_string()) {
    return Error::BadRequest(
        "attribute field 'type' is required: one of text, number, bool, "
        "list, object");
  }
  auto type = ParseAttributeType(type_it->get_ref<const std::string&>());
  if (!type) {
    return Error::BadRequest("attribute type '" +
                             type_it->get_ref<const std::string&>().substr(0, 40) +
                             "' is not one of text, number, bool, list, object");
  }
  auto value_it = body.find("value");
  if (value_it == body.end()) return Error::BadRequest("attribute field 'value' is required");
  auto status = ValidateAttributeValue(*type, *value_it);
  if (!status.ok()) {
    return Error::BadRequest("attribute '" + name + "': " + status.error().message);
  }
  return Attribute{"", name, *type, *value_it};
}

core::Result<LeadPatch> ParseLeadPatch(const json& body, bool require_identity) {
  if (!body.is_object()) return Error::BadRequest("request body must be a JSON object");
  LeadPatch p;
  if (auto it = body.find("name"); it != body.end()) {
    KLOZEO_ASSIGN_OR_RETURN(p.name, ReadIdentity(*it, "name"));
  } else if (require_identity) {
    return FieldError("name", "is required");
  }
  if (auto it = body.find("source"); it != body.end()) {
    KLOZEO_ASSIGN_OR_RETURN(p.source, ReadIdentity(*it, "source"));
  } else if (require_identity) {
    return FieldError("source", "is required");
  }
  for (int i = 0; i < kTextFieldCount; ++i) {
    if (auto it = body.find(kTextFieldNames[i]); it != body.end()) {
      KLOZEO_ASSIGN_OR_RETURN(p.text[i], ReadOptionalText(*it, kTextFieldNames[i]));
    }
  }
  if (auto it = body.find("latitude"); it != body.end()) {
    KLOZEO_ASSIGN_OR_RETURN(p.latitude, ReadOptionalNumber(*it, "latitude"));
    if (*p.latitude && std::fabs(**p.latitude) > 90) {
      return FieldError("latitude", "must be between -90 and 90");
    }
  }
  if (auto it = body.find("longitude"); it != body.end()) {
    KLOZEO_ASSIGN_OR_RETURN(p.longitude, ReadOptionalNumber(*it, "longitude"));
    if (*p.longitude && std::fabs(**p.longitude) > 180) {
      return FieldError("longitude", "must be between -180 and 180");
    }
  }
  if (auto it = body.find("rating"); it != body.end()) {
    KLOZEO_ASSIGN_OR_RETURN(p.rating, ReadOptionalNumber(*it, "rating"));
  }
  if (auto it = body.find("review_count"); it != body.end()) {
    if (it->is_null()) {
      p.review_count = std::optional<int64_t>();
    } else if (it->is_number_unsigned()) {
      if (it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
        return FieldError("review_count", "is too large");
      }
      p.review_count = static_cast<int64_t>(it->get<uint64_t>());
    } else if (it->is_number_integer()) {
      if (it->get<int64_t>() < 0) return FieldError("review_count", "must not be negative");
      p.review_count = it->get<int64_t>();
    } else if (it->is_number_float()) {
      double d = it->get<double>();
      if (!(d >= 0 && d <= 9.0e18 && std::floor(d) == d)) {
        return FieldError("review_count", "must be a non-negative integer");
      }
      p.review_count = static_cast<int64_t>(d);
    } else {
      return FieldError("review_count", "must be a non-negative integer or null");
    }
  }
  if (auto it = body.find("tags"); it != body.end()) {
    std::vector<std::string> tags;
    if (!it->is_null()) {
      if (!it->is_array()) return FieldError("tags", "must be an array of strings");
      if (it->size() > kMaxTags) return FieldError("tags", "has more than 200 entries");
      for (const auto& t : *it) {
        if (!t.is_string()) return FieldError("tags", "must be an array of strings");
        if (t.get_ref<const std::string&>().size() > kMaxTagBytes) {
          return FieldError("tags", "has an entry longer than 256 bytes");
        }
        tags.push_back(t.get<std::string>());
      }
    }
    p.tags = NormalizeTags(tags);
  }
  if (auto it = body.find("status"); it != body.end()) {
    if (!it->is_string()) {
      return FieldError("status",
                        "must be one of new, contacted, qualified, disqualified, "
                        "converted");
    }
    auto status = ParseLeadStatus(it->get_ref<const std::string&>());
    if (!status) {
      return FieldError("status",
                        "must be one of new, contacted, qualified, disqualified, "
                        "converted");
    }
    p.status = *status;
  }
  if (auto it = body.find("attributes"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return FieldError("attributes", "must be an array of attribute objects");
    if (it->size() > kMaxAttributes) return FieldError("attributes", "has more than 200 entries");
    for (size_t i = 0; i < it->size(); ++i) {
      auto attr = ParseAttribute((*it)[i]);
      if (!attr.ok()) {
        return Error::BadRequest("field 'attributes[" + std::to_string(i) +
                                 "]': " + attr.error().message);
      }
      // Later entries with the same name win, as an upsert would.
      UpsertAttributeByName(p.attributes, *attr);
    }
  }
  return p;
}

namespace {

void UpsertAttributes(Lead& lead, const LeadPatch& patch, bool& changed) {
  for (const auto& attr : patch.attributes) {
    Attribute a = attr;
    a.id = core::NewUuidV7();
    changed |= UpsertAttributeByName(lead.attributes, a);
  }
}

template <typename T>
void Assign(T& field, const T& value, bool& changed) {
  if (!(field == value)) {
    field = value;
    changed = true;
  }
}

}  // namespace

bool ApplyPatch(Lead& lead, const LeadPatch& p) {
  bool changed = false;
  if (p.name) Assign(lead.name, *p.name, changed);
  if (p.source) Assign(lead.source, *p.source, changed);
  for (int i = 0; i < kTextFieldCount; ++i) {
    if (p.text[i]) Assign(lead.text[i], *p.text[i], changed);
  }
  if (p.latitude) Assign(lead.latitude, *p.latitude, changed);
  if (p.longitude) Assign(lead.longitude, *p.longitude, changed);
  if (p.rating) Assign(lead.rating, *p.rating, changed);
  if (p.review_count) Assign(lead.review_count, *p.review_count, changed);
  if (p.tags) Assign(lead.tags, *p.tags, changed);
  if (p.status) Assign(lead.status, *p.status, changed);
  UpsertAttributes(lead, p, changed);
  return changed;
}

bool ApplyMerge(Lead& lead, const LeadPatch& p) {
  bool changed = false;
  if (p.name) Assign(lead.name, *p.name, changed);
  if (p.source) Assign(lead.source, *p.source, changed);
  for (int i = 0; i < kTextFieldCount; ++i) {
    if (p.text[i] && *p.text[i] && !core::Trim(**p.text[i]).empty()) {
      Assign(lead.text[i], *p.text[i], changed);
    }
  }
  if (p.latitude && *p.latitude) Assign(lead.latitude, *p.latitude, changed);
  if (p.longitude && *p.longitude) Assign(lead.longitude, *p.longitude, changed);
  if (p.rating && *p.rating) Assign(lead.rating, *p.rating, changed);
  if (p.review_count && *p.review_count) Assign(lead.review_count, *p.review_count, changed);
  if (p.tags && !p.tags->empty()) Assign(lead.tags, *p.tags, changed);
  if (p.status) Assign(lead.status, *p.status, changed);
  UpsertAttributes(lead, p, changed);
  return changed;
}

core::Result<std::string> ParseNoteContent(const json& body) {
  if (!body.is_object()) return Error::BadRequest("request body must be a JSON object");
  auto it = body.find("content");
  if (it == body.end() || it->is_null()) return FieldError("content", "is required");
  if (!it->is_string()) return FieldError("content", "must be a string");
  const auto& s = it->get_ref<const std::string&>();
  if (core::Trim(s).empty()) return FieldError("content", "cannot be empty");
  if (s.size() > kMaxNoteBytes) return FieldError("content", "is longer than 65536 bytes");
  return s;
}

json AttributeToJson(const Attribute& a) {
  return json{
      {"id", a.id}, {"name", a.name}, {"type", AttributeTypeName(a.type)}, {"value", a.value}};
}

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  // Runs of characters that need no escape are copied at once.
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out.push_back(kHex[(c >> 4) & 0xF]);
        out.push_back(kHex[c & 0xF]);
    }
  }
  // Stored text is valid UTF-8 (validated on the way in): bytes >= 0x80 pass as they are.
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

namespace {

void AppendString(std::string& out, std::string_view s) { AppendJsonString(out, s); }

void AppendNumber(std::string& out, double d) {
  // nlohmann's own formatting, so numbers read exactly as they would from json::dump.
  out += json(d).dump();
}

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void AppendKey(std::string& out, std::string_view key) {
  out.push_back('"');
  out += key;
  out += "\":";
}

}  // namespace

void AppendScoreJson(std::string& out, double score) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, score);
  if (ec != std::errc()) {
    out += json(score).dump();
    return;
  }
  std::string_view text(buf, static_cast<size_t>(end - buf));
  out += text;
  if (text.find_first_of(".eEn") == std::string_view::npos) out += ".0";
}

void AppendLeadJson(std::string& out, const Lead& lead) {
  out += "{";
  AppendKey(out, "id");
  AppendString(out, lead.id);
  out += ",";
  AppendKey(out, "name");
  AppendString(out, lead.name);
  out += ",";
  AppendKey(out, "source");
  AppendString(out, lead.source);
  for (int i = 0; i < kTextFieldCount; ++i) {
    out += ",";
    AppendKey(out, kTextFieldNames[i]);
    if (lead.text[i]) {
      AppendString(out, *lead.text[i]);
    } else {
      out += "null";
    }
  }
  auto opt_number = [&](std::string_view key, const std::optional<double>& v) {
    out += ",";
    AppendKey(out, key);
    if (v) {
      AppendNumber(out, *v);
    } else {
      out += "null";
    }
  };
  opt_number("latitude", lead.latitude);
  opt_number("longitude", lead.longitude);
  opt_number("rating", lead.rating);
  out += ",";
  AppendKey(out, "review_count");
  if (lead.review_count) {
    AppendInt(out, *lead.review_count);
  } else {
    out += "null";
  }
  out += ",";
  AppendKey(out, "tags");
  out += "[";
  for (size_t i = 0; i < lead.tags.size(); ++i) {
    if (i > 0) out += ",";
    AppendString(out, lead.tags[i]);
  }
  out += "],";
  AppendKey(out, "status");
  AppendString(out, LeadStatusName(lead.status));
  out += ",";
  AppendKey(out, "attributes");
  out += "[";
  for (size_t i = 0; i < lead.attributes.size(); ++i) {
    const auto& a = lead.attributes[i];
    if (i > 0) out += ",";
    out += "{";
    AppendKey(out, "id");
    AppendString(out, a.id);
    out += ",";
    AppendKey(out, "name");
    AppendString(out, a.name);
    out += ",";
    AppendKey(out, "type");
    AppendString(out, AttributeTypeName(a.type));
    out += ",";
    AppendKey(out, "value");
    out += a.value.dump(-1, ' ', false, json::error_handler_t::replace);
    out += "}";
  }
  out += "],";
  AppendKey(out, "score");
  AppendScoreJson(out, lead.score);
  out += ",";
  AppendKey(out, "created_at");
  AppendInt(out, lead.created_at);
  out += ",";
  AppendKey(out, "updated_at");
  AppendInt(out, lead.updated_at);
  out += ",";
  AppendKey(out, "last_interaction_at");
  AppendInt(out, lead.last_interaction_at);
  out += "}";
}

json NoteToJson(const Note& n) {
  return json{{"id", n.id},
              {"lead_id", n.lead_id},
              {"content", n.content},
              {"created_at", n.created_at},
              {"updated_at", n.updated_at}};
}

}  // namespace klozeo::domain
