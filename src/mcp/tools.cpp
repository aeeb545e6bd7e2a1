#include "mcp/tools.h"

#include <spdlog/spdlog.h>

#include <limits>
#include <utility>

#include "core/crypto.h"
#include "domain/lead_codec.h"
#include "domain/scoring_rule_codec.h"
#include "domain/webhook_codec.h"
#include "service/lead_export.h"
#include "service/views.h"

namespace klozeo::mcp {

using core::Error;
using core::Result;
using nlohmann::json;

struct Tools::Tool {
  std::string name;
  json definition;
  bool read_only = false;  ///< from definition's readOnlyHint (set once all are registered)
  std::function<CallOutcome(const domain::Principal&, const json&)> call;
};

namespace {

// --- results ------------------------------------------------------------------------------

/// A successful CallToolResult: the structured content, and its JSON text for clients that
/// read only `content` (as the specification recommends).
json Ok(json structured) {
  json text{{"type", "text"},
            {"text", structured.dump(-1, ' ', false, json::error_handler_t::replace)}};
  return json{{"content", json::array({std::move(text)})},
              {"structuredContent", std::move(structured)},
              {"isError", false}};
}

/// A failed CallToolResult carrying the API's own message, for the model to correct itself.
json Fail(const Error& e) {
  std::string text = e.message;
  if (e.code == core::ErrorCode::kInternal) {
    spdlog::error("mcp tool failed: {}", e.message);
    text = "internal error (logged on the server)";
  }
  return json{{"content", json::array({json{{"type", "text"}, {"text", text}}})},
              {"isError", true}};
}

CallOutcome Done(json result) { return CallOutcome{std::move(result), nullptr, std::nullopt}; }

/// A successful CallToolResult like Ok's, from the structured content's JSON text: written
/// directly, no JSON value built (get_lead, the MCP point read).
CallOutcome DoneText(const std::string& structured) {
  std::string out;
  out.reserve(2 * structured.size() + 96);
  out += R"({"content":[{"type":"text","text":)";
  domain::AppendJsonString(out, structured);
  out += R"(}],"structuredContent":)";
  out += structured;
  out += R"(,"isError":false})";
  return CallOutcome{std::nullopt, nullptr, std::move(out)};
}

CallOutcome From(Result<json> r) { return Done(r.ok() ? Ok(std::move(*r)) : Fail(r.error())); }

// --- arguments ----------------------------------------------------------------------------

Result<std::string> StringArg(const json& args, const char* name) {
  auto it = args.find(name);
  if (it == args.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return Error::BadRequest(std::string("'") + name + "' is required and must be a string");
  }
  return it->get<std::string>();
}

/// `args` without the keys the tool consumed itself (ids, confirm): the request body.
json Without(const json& args, std::initializer_list<const char*> keys) {
  json body = args;
  for (const char* k : keys) body.erase(k);
  return body;
}

/// Destructive tools run only with `"confirm": true`.
Result<bool> Confirmed(const json& args, std::string_view tool, std::string_view effect) {
  auto it = args.find("confirm");
  if (it != args.end() && it->is_boolean() && it->get<bool>()) return true;
  return Error::BadRequest(std::string(tool) + " was not run: it " + std::string(effect) +
                           ". Nothing was changed. Call it again with \"confirm\": true to " +
                           "proceed.");
}

/// A filter given as an object {logic, operator, field, value} in the REST string form
/// `logic.operator.field[.value]` (the one parser validates both).
Result<std::string> FilterString(const json& f, size_t index) {
  if (f.is_string()) return f.get<std::string>();
  const std::string where = "filters[" + std::to_string(index) + "]";
  if (!f.is_object()) {
    return Error::BadRequest(where + " must be a string such as \"and.eq.city.Paris\" or an " +
                             "object {logic, operator, field, value}");
  }
  auto text = [&](const char* key, const char* fallback) -> Result<std::string> {
    auto it = f.find(key);
    if (it == f.end() || it->is_null()) {
      if (fallback) return std::string(fallback);
      return Error::BadRequest(where + "." + key + " is required");
    }
    if (!it->is_string()) return Error::BadRequest(where + "." + key + " must be a string");
    return it->get<std::string>();
  };
  KLOZEO_ASSIGN_OR_RETURN(std::string logic, text("logic", "and"));
  KLOZEO_ASSIGN_OR_RETURN(std::string op, text("operator", nullptr));
  KLOZEO_ASSIGN_OR_RETURN(std::string field, text("field", nullptr));
  std::string out = logic + "." + op + "." + field;
  auto v = f.find("value");
  if (v == f.end() || v->is_null()) return out;
  auto scalar = [](const json& x) -> std::string {
    if (x.is_string()) return x.get<std::string>();
    return x.dump();
  };
  if (v->is_array()) {
    std::string joined;
    for (size_t i = 0; i < v->size(); ++i) joined += (i ? "," : "") + scalar((*v)[i]);
    return out + "." + joined;
  }
  if (v->is_object()) return Error::BadRequest(where + ".value must be a string, number or list");
  return out + "." + scalar(*v);
}

Result<service::ListParams> ListParamsOf(const json& args) {
  service::ListParams p;
  if (auto it = args.find("filters"); it != args.end() && !it->is_null()) {
    if (!it->is_array()) return Error::BadRequest("'filters' must be an array");
    for (size_t i = 0; i < it->size(); ++i) {
      KLOZEO_ASSIGN_OR_RETURN(std::string f, FilterString((*it)[i], i));
      p.filters.push_back(std::move(f));
    }
  }
  auto text = [&](const char* key) -> Result<std::optional<std::string>> {
    auto it = args.find(key);
    if (it == args.end() || it->is_null()) return std::optional<std::string>();
    if (it->is_string()) return std::optional<std::string>(it->get<std::string>());
    if (it->is_number_integer()) return std::optional<std::string>(it->dump());
    return Error::BadRequest(std::string("'") + key + "' must be a string");
  };
  KLOZEO_ASSIGN_OR_RETURN(p.sort_by, text("sort_by"));
  KLOZEO_ASSIGN_OR_RETURN(p.sort_order, text("sort_order"));
  KLOZEO_ASSIGN_OR_RETURN(p.limit, text("limit"));
  KLOZEO_ASSIGN_OR_RETURN(p.cursor, text("cursor"));
  return p;
}

json LeadJson(const domain::Lead& lead) {
  std::string text;
  text.reserve(1024);
  domain::AppendLeadJson(text, lead);
  return json::parse(text);
}

json Listed(const char* key, json list) {
  const size_t n = list.size();
  return json{{key, std::move(list)}, {"count", n}};
}

json BatchResults(const std::vector<std::string>& ids,
                  const std::vector<service::BatchItemResult>& results) {
  json list = json::array();
  size_t success = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    json item{{"index", i}, {"id", ids[i]}, {"success", results[i].success}};
    if (results[i].success) {
      ++success;
    } else {
      item["message"] = results[i].message;
    }
    list.push_back(std::move(item));
  }
  return json{{"results", std::move(list)},
              {"total", results.size()},
              {"success", success},
              {"failed", results.size() - success}};
}

/// Standard base64 (the MCP `blob` encoding) from the URL-safe form core provides.
std::string Base64(std::string_view bytes) {
  std::string out = core::Base64UrlEncode(bytes);
  for (char& c : out) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (out.size() % 4 != 0) out += '=';
  return out;
}

// --- schemas ------------------------------------------------------------------------------

json Str(const std::string& d) { return json{{"type", "string"}, {"description", d}}; }
json Int(const std::string& d) { return json{{"type", "integer"}, {"description", d}}; }
json Num(const std::string& d) { return json{{"type", "number"}, {"description", d}}; }
json Bool(const std::string& d) { return json{{"type", "boolean"}, {"description", d}}; }
json Enum(std::vector<std::string> values, const std::string& d) {
  return json{{"type", "string"}, {"enum", std::move(values)}, {"description", d}};
}
json Arr(json items, const std::string& d) {
  return json{{"type", "array"}, {"items", std::move(items)}, {"description", d}};
}
json Obj(json properties, std::vector<std::string> required = {}) {
  json o{{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) o["required"] = std::move(required);
  return o;
}
json Confirm() {
  return Bool("Must be true: this tool deletes data. Without it nothing is changed.");
}

const std::vector<std::string> kStatuses = {"new", "contacted", "qualified", "disqualified",
                                            "converted"};
const std::vector<std::string> kAttributeTypes = {"text", "number", "bool", "list", "object"};
const std::vector<std::string> kOperators = {"eq",
                                             "neq",
                                             "contains",
                                             "not_contains",
                                             "starts_with",
                                             "ends_with",
                                             "in",
                                             "gt",
                                             "gte",
                                             "lt",
                                             "lte",
                                             "is_empty",
                                             "is_not_empty",
                                             "array_contains",
                                             "array_not_contains",
                                             "array_empty",
                                             "array_not_empty",
                                             "within_radius",
                                             "is_set",
                                             "is_not_set"};
const std::vector<std::string> kEvents = {"lead.created",  "lead.updated",  "lead.deleted",
                                          "lead.scored",   "leads.created", "leads.updated",
                                          "leads.deleted", "leads.scored"};

json AttributeInputSchema() {
  return Obj(json{{"name", Str("Attribute name (letters, digits, _ and -)")},
                  {"type", Enum(kAttributeTypes, "Value type")},
                  {"value", json{{"description", "The value, matching the type"}}}},
             {"name", "type", "value"});
}

/// The lead fields a create or update accepts (the POST /leads body).
json LeadFields() {
  json p = json::object();
  for (const char* f : {"description", "email", "phone", "website", "address", "city", "state",
                        "country", "postal_code", "category", "source_id", "logo_url"}) {
    p[f] = Str(std::string("Lead ") + f);
  }
  p["name"] = Str("Company or person name");
  p["source"] = Str("Where the lead came from (e.g. website, linkedin)");
  p["status"] = Enum(kStatuses, "Pipeline status");
  p["latitude"] = Num("Latitude in degrees");
  p["longitude"] = Num("Longitude in degrees");
  p["rating"] = Num("Rating (e.g. 0-5)");
  p["review_count"] = Int("Number of reviews");
  p["tags"] = Arr(json{{"type", "string"}}, "Tags (replace the lead's tags on update)");
  p["attributes"] = Arr(AttributeInputSchema(), "Custom attributes, set by name");
  return p;
}

json LeadOutput() {
  return json{{"type", "object"},
              {"properties",
               {{"id", Str("Lead id (cl_...)")},
                {"name", Str("Name")},
                {"source", Str("Source")},
                {"status", Str("Status")},
                {"score", Num("Score 0-100")},
                {"tags", Arr(json{{"type", "string"}}, "Tags")},
                {"attributes", Arr(json{{"type", "object"}}, "Custom attributes")},
                {"created_at", Int("Unix seconds")},
                {"updated_at", Int("Unix seconds")}}},
              {"required", {"id", "name", "source"}}};
}

json ListOutput(const char* key, json item) {
  return Obj(json{{key, Arr(std::move(item), std::string("The ") + key)},
                  {"count", Int("How many are listed")}},
             {key, "count"});
}

json ObjectOutput(std::vector<std::string> required) {
  json o{{"type", "object"}};
  if (!required.empty()) o["required"] = std::move(required);
  return o;
}

json DeletedOutput() {
  return Obj(json{{"deleted", Bool("True")}, {"id", Str("The deleted object's id")}},
             {"deleted", "id"});
}

json BatchOutput() {
  return Obj(json{{"results", Arr(ObjectOutput({"index", "success"}), "One per id, in order")},
                  {"total", Int("Ids given")},
                  {"success", Int("Ids done")},
                  {"failed", Int("Ids not done")}},
             {"results", "total", "success", "failed"});
}

json FilterSchema() {
  return Arr(
      json{{"anyOf",
            {Str("REST form logic.operator.field[.value], e.g. \"and.eq.city.Paris\", "
                 "\"or.gte.rating.4\", \"and.array_contains.tags.vip\", "
                 "\"and.eq.attr:industry.SaaS\", \"and.within_radius.location.48.85,2.35,10\""),
             Obj(json{{"logic", Enum({"and", "or"},
                                     "and (default): must hold; or: at least "
                                     "one of the or-filters must hold")},
                      {"operator", Enum(kOperators, "Comparison")},
                      {"field", Str("A lead field (name, city, rating, tags, location, "
                                    "score, created_at, ...) or attr:<name>")},
                      {"value", json{{"description",
                                      "Compared value; a list for in; lat,lng,km for "
                                      "within_radius; omitted for is_empty and the like"}}}},
                 {"operator", "field"})}}},
      "Filters; every and-filter must hold, and at least one or-filter when any is given");
}

json ListingProperties() {
  return json{{"filters", FilterSchema()},
              {"sort_by", Str("Field to sort by (any text or number field, or attr:<name>); "
                              "default created_at")},
              {"sort_order", Enum({"ASC", "DESC"}, "Sort direction; default ASC")}};
}

json Annotations(const std::string& title, bool read_only, bool destructive, bool idempotent) {
  return json{{"title", title},
              {"readOnlyHint", read_only},
              {"destructiveHint", destructive},
              {"idempotentHint", idempotent},
              {"openWorldHint", false}};
}

/// recalculate_all_scores: one step of the rescore (one write transaction) per Step, with a
/// progress notification per chunk of leads (ScoringService::kChunkSize) once its step is
/// committed, and one for the last, shorter chunk.
class RescoreRun final : public ToolRun {
 public:
  RescoreRun(service::ScoringService& scoring, domain::Principal who, int64_t total)
      : scoring_(scoring), who_(std::move(who)), total_(total) {}

  std::optional<json> Step(const ProgressSink& progress) override {
    auto report = [&] {
      sent_ = count_;
      progress(static_cast<double>(count_), static_cast<double>(std::max(total_, count_)),
               "scored " + std::to_string(count_) + " of " + std::to_string(total_) + " leads");
    };
    auto step = scoring_.RescoreStep(
        who_, &after_,
        [&](std::string_view, double) {
          ++count_;
          if (progress && count_ % service::ScoringService::kChunkSize == 0) report();
        },
        &event_, service::ScoringService::StepChunks(count_));
    if (!step.ok()) return Fail(step.error());
    if (progress && sent_ != count_) report();
    if (step->done) return Ok(json{{"count", count_}, {"message", "scores recalculated"}});
    return std::nullopt;
  }

 private:
  service::ScoringService& scoring_;
  domain::Principal who_;
  int64_t total_;
  std::string after_;
  int64_t count_ = 0;
  int64_t sent_ = -1;  ///< the count last reported; -1 before the first notification
  service::RescoreEvent event_;
};

/// The largest export returned inline; larger ones ask for filters or the REST export.
constexpr size_t kMaxExportBytes = 5 * 1024 * 1024;

}  // namespace

Tools::Tools(ToolServices services) : s_(services) {
  Register();
  json list = json::array();
  for (const auto& t : tools_) {
    t->read_only = t->definition["annotations"].value("readOnlyHint", false);
    list.push_back(t->definition);
  }
  list_ = json{{"tools", std::move(list)}};
}

Tools::~Tools() = default;

bool Tools::Has(std::string_view name) const {
  for (const auto& t : tools_) {
    if (t->name == name) return true;
  }
  return false;
}

bool Tools::IsReadOnly(std::string_view name) const {
  for (const auto& t : tools_) {
    if (t->name == name) return t->read_only;
  }
  return false;
}

CallOutcome Tools::Call(std::string_view name, const domain::Principal& who,
                        const json& arguments) {
  for (const auto& t : tools_) {
    if (t->name == name) return t->call(who, arguments);
  }
  return Done(Fail(Error::NotFound("unknown tool " + std::string(name))));
}

void Tools::Register() {
  using Handler = std::function<Result<json>(const domain::Principal&, const json&)>;
  auto add = [this](std::string name, std::string description, json input, json output,
                    json annotations, Handler handler) {
    auto t = std::make_unique<Tool>();
    t->name = name;
    if (!input.contains("type")) input = Obj(std::move(input));
    t->definition = json{{"name", name},
                         {"title", annotations["title"]},
                         {"description", std::move(description)},
                         {"inputSchema", std::move(input)},
                         {"outputSchema", std::move(output)},
                         {"annotations", std::move(annotations)}};
    t->call = [handler = std::move(handler)](const domain::Principal& who, const json& args) {
      return From(handler(who, args));
    };
    tools_.push_back(std::move(t));
  };
  auto& leads = s_.leads;
  auto& scoring = s_.scoring;
  auto& webhooks = s_.webhooks;

  // --- leads ---
  {
    json in = ListingProperties();
    in["limit"] = Int("Leads per page, 1-1000 (default 50)");
    in["cursor"] = Str("next_cursor of the previous page (send the same filters and sort)");
    add("list_leads",
        "List the account's leads, filtered, sorted and paged (read-only). Filters use every "
        "operator and field of the REST API, including attr:<name> custom attributes.",
        in,
        Obj(json{{"leads", Arr(LeadOutput(), "This page")},
                 {"next_cursor", json{{"type", {"string", "null"}}}},
                 {"has_more", Bool("More pages follow")},
                 {"count", Int("Leads on this page")}},
            {"leads", "next_cursor", "has_more", "count"}),
        Annotations("List leads", true, false, true),
        [&leads](const domain::Principal& who, const json& args) -> Result<json> {
          KLOZEO_ASSIGN_OR_RETURN(auto params, ListParamsOf(args));
          KLOZEO_ASSIGN_OR_RETURN(auto page, leads.List(who, params));
          json list = json::array();
          for (const auto& l : page.leads) list.push_back(LeadJson(l));
          const size_t n = list.size();
          return json{{"leads", std::move(list)},
                      {"next_cursor", page.next_cursor ? json(*page.next_cursor) : json(nullptr)},
                      {"has_more", page.next_cursor.has_value()},
                      {"count", n}};
        });
  }
  add("get_lead", "Get one lead with its custom attributes (read-only).",
      Obj(json{{"id", Str("Lead id (cl_...)")}}, {"id"}), LeadOutput(),
      Annotations("Get lead", true, false, true), nullptr);
  // The MCP point read writes its result as text straight from the lead, as GET /leads/{id}
  // does: no JSON value is built for the lead or the result.
  tools_.back()->call = [&leads](const domain::Principal& who, const json& args) {
    auto id = StringArg(args, "id");
    if (!id.ok()) return Done(Fail(id.error()));
    auto lead = leads.Get(who, *id);
    if (!lead.ok()) return Done(Fail(lead.error()));
    std::string structured;
    structured.reserve(1024);
    domain::AppendLeadJson(structured, *lead);
    return DoneText(structured);
  };
  add("create_lead",
      "Create a lead. Deduplicates like POST /leads: a lead with the same e-mail, source_id, or "
      "phone and similar name is merged into the existing one instead (duplicate: true in the "
      "result); fires lead.created or lead.updated webhooks.",
      Obj(LeadFields(), {"name", "source"}),
      Obj(json{{"id", Str("The created or merged lead")},
               {"created_at", Int("Unix seconds")},
               {"message", Str("What happened")},
               {"duplicate", Bool("Merged into an existing lead")},
               {"potential_duplicate_id", Str("A lead that may be the same (created anyway)")},
               {"lead", LeadOutput()}},
          {"id", "duplicate", "message", "lead"}),
      Annotations("Create lead", false, false, false),
      [&leads](const domain::Principal& who, const json& args) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(auto patch, domain::ParseLeadPatch(args, true));
        KLOZEO_ASSIGN_OR_RETURN(auto outcome, leads.Create(who, patch));
        json out{{"id", outcome.lead.id},
                 {"created_at", outcome.lead.created_at},
                 {"duplicate", outcome.duplicate},
                 {"message", outcome.duplicate ? "Duplicate detected, existing lead updated"
                                               : "Lead created successfully"},
                 {"lead", LeadJson(outcome.lead)}};
        if (outcome.potential_duplicate_id) {
          out["potential_duplicate_id"] = *outcome.potential_duplicate_id;
        }
        return out;
      });
  {
    json in = LeadFields();
    in["id"] = Str("Lead id (cl_...)");
    add("update_lead",
        "Update some fields of a lead (others are kept; tags and attributes given replace or "
        "upsert); fires lead.updated.",
        Obj(in, {"id"}), LeadOutput(), Annotations("Update lead", false, false, true),
        [&leads](const domain::Principal& who, const json& args) -> Result<json> {
          KLOZEO_ASSIGN_OR_RETURN(std::string id, StringArg(args, "id"));
          KLOZEO_ASSIGN_OR_RETURN(auto patch, domain::ParseLeadPatch(Without(args, {"id"}), false));
          KLOZEO_ASSIGN_OR_RETURN(auto lead, leads.Update(who, id, patch));
          return LeadJson(lead);
        });
  }
  add("delete_lead",
      "Delete a lead with its attributes and notes, permanently; fires lead.deleted. Requires "
      "confirm: true.",
      Obj(json{{"id", Str("Lead id (cl_...)")}, {"confirm", Confirm()}}, {"id", "confirm"}),
      DeletedOutput(), Annotations("Delete lead", false, true, true),
      [&leads](const domain::Principal& who, const json& args) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(std::string id, StringArg(args, "id"));
        KLOZEO_TRY(Confirmed(args, "delete_lead", "deletes the lead with its notes"));
        KLOZEO_TRY(leads.Delete(who, id));
        return json{{"deleted", true}, {"id", id}};
      });
  auto tag_tool = [&leads](bool add_tag) {
    return [&leads, add_tag](const domain::Principal& who, const json& args) -> Result<json> {
      KLOZEO_ASSIGN_OR_RETURN(std::string id, StringArg(args, "id"));
      KLOZEO_ASSIGN_OR_RETURN(std::string tag, StringArg(args, "tag"));
      KLOZEO_ASSIGN_OR_RETURN(auto lead, leads.Get(who, id));
      std::vector<std::string> tags;
      bool present = false;
      for (const auto& t : lead.tags) {
        if (t == tag) {
          present = true;
          if (!add_tag) continue;
        }
        tags.push_back(t);
      }
      if (present == add_tag) return LeadJson(lead);  // nothing to change
      if (add_tag) tags.push_back(tag);
      KLOZEO_ASSIGN_OR_RETURN(auto patch, domain::ParseLeadPatch(json{{"tags", tags}}, false));
      KLOZEO_ASSIGN_OR_RETURN(auto updated, leads.Update(who, id, patch));
      return LeadJson(updated);
    };
  };
  add("create_lead_tag",
      "Add a tag to a lead; idempotent (a tag already there changes nothing); fires "
      "lead.updated when added.",
      Obj(json{{"id", Str("Lead id (cl_...)")}, {"tag", Str("The tag")}}, {"id", "tag"}),
      LeadOutput(), Annotations("Tag lead", false, false, true), tag_tool(true));
  add("remove_lead_tag",
      "Remove a tag from a lead (nothing changes when it is absent); fires lead.updated when "
      "removed.",
      Obj(json{{"id", Str("Lead id (cl_...)")}, {"tag", Str("The tag")}}, {"id", "tag"}),
      LeadOutput(), Annotations("Untag lead", false, false, true), tag_tool(false));

  // --- batches ---
  add("batch_create_leads",
      "Create many leads, each deduplicated like create_lead (a duplicate is merged into the "
      "existing lead); per-item outcome; at most the plan's batch size.",
      Obj(json{{"leads", Arr(Obj(LeadFields(), {"name", "source"}), "The leads to create")}},
          {"leads"}),
      Obj(json{{"results", Arr(ObjectOutput({"index", "outcome"}),
                               "One per lead: outcome created, duplicate or error")},
               {"total", Int("Leads given")},
               {"created", Int("New leads")},
               {"duplicates", Int("Merged into existing leads")},
               {"failed", Int("Leads refused")}},
          {"results", "total", "created", "duplicates", "failed"}),
      Annotations("Create leads", false, false, false),
      [&leads](const domain::Principal& who, const json& args) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(const json* list, service::BatchList(args, "leads", who));
        json results = json::array();
        int64_t created = 0, duplicates = 0, failed = 0;
        for (size_t i = 0; i < list->size(); ++i) {
          json item{{"index", i}};
          auto patch = domain::ParseLeadPatch((*list)[i], true);
          auto outcome = patch.ok() ? leads.Create(who, *patch)
                                    : Result<service::CreateOutcome>(patch.error());
          if (!outcome.ok()) {
            if (outcome.error().code == core::ErrorCode::kInternal ||
                outcome.error().code == core::ErrorCode::kUnavailable) {
              return outcome.error();
            }
            ++failed;
            item["outcome"] = "error";
            item["message"] = outcome.error().message;
          } else {
            item["id"] = outcome->lead.id;
            item["outcome"] = outcome->duplicate ? "duplicate" : "created";
            ++(outcome->duplicate ? duplicates : created);
          }
          results.push_back(std::move(item));
        }
        return json{{"results", std::move(results)},
                    {"total", list->size()},
                    {"created", created},
                    {"duplicates", duplicates},
                    {"failed", failed}};
      });
  add("batch_update_leads",
      "Apply the same field changes to many leads in one transaction; unknown ids fail per "
      "item; fires leads.updated.",
      Obj(json{{"ids", Arr(Str("Lead id"), "Lead ids")},
               {"data",
                [] {
                  json d = Obj(LeadFields());
                  d["description"] = "The fields to set on every listed lead";
                  return d;
                }()}},
          {"ids", "data"}),
      BatchOutput(), Annotations("Update leads", false, false, true),
      [&leads](const domain::Principal& who, const json& args) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(const json* ids, service::BatchList(args, "ids", who));
        auto data = args.find("data");
        if (data == args.end() || !data->is_object()) {
          return Error::BadRequest("'data' must be a JSON object");
        }
        KLOZEO_ASSIGN_OR_RETURN(auto patch, domain::ParseLeadPatch(*data, false));
        auto id_list = service::BatchIds(*ids);
        KLOZEO_ASSIGN_OR_RETURN(auto results, leads.UpdateBatch(who, id_list, patch));
        return BatchResults(id_list, results);
      });
  add("batch_delete_leads",
      "Delete many leads (with their attributes and notes) in one transaction, permanently; "
      "unknown ids fail per item; fires leads.deleted. Requires confirm: true.",
      Obj(json{{"ids", Arr(Str("Lead id"), "Lead ids")}, {"confirm", Confirm()}},
          {"ids", "confirm"}),
      BatchOutput(), Annotations("Delete leads", false, true, true),
      [&leads](const domain::Principal& who, const json& args) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(const json* ids, service::BatchList(args, "ids", who));
        KLOZEO_TRY(Confirmed(args, "batch_delete_leads", "deletes every listed lead"));
        auto id_list = service::BatchIds(*ids);
        KLOZEO_ASSIGN_OR_RETURN(auto results, leads.DeleteBatch(who, id_list));
        return BatchResults(id_list, results);
      });

  // --- notes ---
  json note_out = Obj(json{{"id", Str("Note id")},
                           {"lead_id", Str("Lead id")},
                           {"content", Str("Text")},
                           {"created_at", Int("Unix seconds")},
                           {"updated_at", Int("Unix seconds")}},
                      {"id", "lead_id", "content"});
  add("create_note", "Add a free-text note to a lead.",
      Obj(json{{"lead_id", Str("Lead id (cl_...)")}, {"content", Str("The note's text")}},
          {"lead_id", "content"}),
      note_out, Annotations("Create note", false, false, false),
      [&leads](const domain::Principal& who, const json& args) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(std::string lead_id, StringArg(args, "lead_id"));
        KLOZEO_ASSIGN_OR_RETURN(std::string content,
                                domain::ParseNoteContent(Without(args, {"lead_id"})));
        KLOZEO_ASSIGN_OR_RETURN(auto note, leads.CreateNote(who, lead_id, content));
        return domain::NoteToJson(note);
      });
  add("list_notes", "List a lead's notes (read-only).",
      Obj(json{{"lead_id", Str("Lead id (cl_...)")}}, {"lead_id"}), ListOutput("notes", note_out),
      Annotations("List notes", true, false, true),
      [&leads](const domain::Principal& who, const json& args) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(std::string lead_id, StringArg(args, "lead_id"));
        KLOZEO_ASSIGN_OR_RETURN(auto notes, leads.ListNotes(who, lead_id));
        json list = json::array();
        for (const auto& n : notes) list.push_back(domain::NoteToJson(n));
        return Listed("notes", std::move(list));
      });
  add("update_note", "Replace the text of a note.",
      Obj(json{{"note_id", Str("Note id")}, {"content", Str("The new text")}},
          {"note_id", "content"}),
      note_out, Annotations("Update note", false, false, true),
      [&leads](const domain::Principal& who, const json& args) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(std::string note_id, StringArg(args, "note_id"));
        KLOZEO_ASSIGN_OR_RETURN(std::string content,
                                domain::ParseNoteContent(Without(args, {"note_id"})));
        KLOZEO_ASSIGN_OR_RETURN(auto note, leads.UpdateNote(who, note_id, content));
        return domain::NoteToJson(note);
      });
  add("delete_note", "Delete a note permanently. Requires confirm: true.",
      Obj(json{{"note_id", Str("Note id")}, {"confirm", Confirm()}}, {"note_id", "confirm"}),
      DeletedOutput(), Annotations("Delete note", false, true, true),
      [&leads](const domain::Principal& who, const json& args) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(std::string note_id, StringArg(args, "note_id"));
        KLOZEO_TRY(Confirmed(args, "delete_note", "deletes the note"));
        KLOZEO_TRY(leads.DeleteNote(who, note_id));
        return json{{"deleted", true}, {"id", note_id}};
      });

  // --- attributes ---
  json attr_out = Obj(json{{"id", Str("Attribute id")},
                           {"name", Str("Name")},
                           {"type", Enum(kAttributeTypes, "Type")},
                           {"value", json{{"description", "Value"}}}},
                      {"id", "name", "type"});
  add("list_attributes", "List a lead's custom attributes (read-only).",
      Obj(json{{"lead_id", Str("Lead id (cl_...)")}}, {"lead_id"}),
      ListOutput("attributes", attr_out), Annotations("List attributes", true, false, true),
      [&leads](const domain::Principal& who, const json& args) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(std::string lead_id, StringArg(args, "lead_id"));
        KLOZEO_ASSIGN_OR_RETURN(auto attrs, leads.ListAttributes(who, lead_id));
        json list = json::array();
        for (const auto& a : attrs) list.push_back(domain::AttributeToJson(a));
        return Listed("attributes", std::move(list));
      });
  {
    json in = AttributeInputSchema();
    in["properties"]["lead_id"] = Str("Lead id (cl_...)");
    in["required"] = {"lead_id", "name", "type", "value"};
    add("create_attribute",
        "Set a custom attribute on a lead (replaces the value of an attribute with the same "
        "name); rescores the lead and fires lead.updated.",
        in, attr_out, Annotations("Set attribute", false, false, true),
        [&leads](const domain::Principal& who, const json& args) -> Result<json> {
          KLOZEO_ASSIGN_OR_RETURN(std::string lead_id, StringArg(args, "lead_id"));
          KLOZEO_ASSIGN_OR_RETURN(auto attr, domain::ParseAttribute(Without(args, {"lead_id"})));
          KLOZEO_ASSIGN_OR_RETURN(auto stored, leads.PutAttribute(who, lead_id, attr));
          return domain::AttributeToJson(stored);
        });
  }
  add("update_attribute",
      "Change the value of a lead's attribute (checked against its type); rescores the lead.",
      Obj(json{{"lead_id", Str("Lead id (cl_...)")},
               {"attribute_id", Str("Attribute id")},
               {"value", json{{"description", "The new value, matching the attribute's type"}}}},
          {"lead_id", "attribute_id", "value"}),
      attr_out, Annotations("Update attribute", false, false, true),
      [&leads](const domain::Principal& who, const json& args) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(std::string lead_id, StringArg(args, "lead_id"));
        KLOZEO_ASSIGN_OR_RETURN(std::string attr_id, StringArg(args, "attribute_id"));
        if (!args.contains("value")) return Error::BadRequest("'value' is required");
        KLOZEO_ASSIGN_OR_RETURN(auto stored,
                                leads.UpdateAttributeValue(who, lead_id, attr_id, args["value"]));
        return domain::AttributeToJson(stored);
      });
  add("delete_attribute",
      "Remove a custom attribute from a lead permanently. Requires confirm: true.",
      Obj(json{{"lead_id", Str("Lead id (cl_...)")},
               {"attribute_id", Str("Attribute id")},
               {"confirm", Confirm()}},
          {"lead_id", "attribute_id", "confirm"}),
      DeletedOutput(), Annotations("Delete attribute", false, true, true),
      [&leads](const domain::Principal& who, const json& args) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(std::string lead_id, StringArg(args, "lead_id"));
        KLOZEO_ASSIGN_OR_RETURN(std::string attr_id, StringArg(args, "attribute_id"));
        KLOZEO_TRY(Confirmed(args, "delete_attribute", "deletes the attribute"));
        KLOZEO_TRY(leads.DeleteAttribute(who, lead_id, attr_id));
        return json{{"deleted", true}, {"id", attr_id}};
      });

  // --- scoring ---
  json rule_out = Obj(json{{"id", Str("Rule id")},
                           {"name", Str("Name")},
                           {"expression", Str("Expression (docs/SCORING.md)")},
                           {"weight", Num("Weight")},
                           {"priority", Int("Evaluation order")}},
                      {"id", "name", "expression"});
  json rule_in = json{{"name", Str("Rule name")},
                      {"expression", Str("Scoring expression, e.g. \"rating * 20\" or "
                                         "\"(\\\"vip\\\" in tags) * 30\" (docs/SCORING.md)")},
                      {"weight", Num("Multiplier of the expression's value (default 1)")},
                      {"priority", Int("Evaluation order, lower first (default 0)")}};
  add("list_scoring_rules", "List the account's scoring rules in evaluation order (read-only).",
      Obj(json::object()), ListOutput("rules", rule_out),
      Annotations("List scoring rules", true, false, true),
      [&scoring](const domain::Principal& who, const json&) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(auto rules, scoring.ListRules(who));
        json list = json::array();
        for (const auto& r : rules) list.push_back(domain::ScoringRuleToJson(r));
        return Listed("rules", std::move(list));
      });
  add("get_scoring_rule", "Get one scoring rule (read-only).",
      Obj(json{{"id", Str("Rule id")}}, {"id"}), rule_out,
      Annotations("Get scoring rule", true, false, true),
      [&scoring](const domain::Principal& who, const json& args) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(std::string id, StringArg(args, "id"));
        KLOZEO_ASSIGN_OR_RETURN(auto rule, scoring.GetRule(who, id));
        return domain::ScoringRuleToJson(rule);
      });
  add("create_scoring_rule",
      "Create a scoring rule; existing scores change only when leads are written or "
      "recalculated.",
      Obj(rule_in, {"name", "expression"}), rule_out,
      Annotations("Create scoring rule", false, false, false),
      [&scoring](const domain::Principal& who, const json& args) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(auto patch, domain::ParseScoringRulePatch(args, true));
        KLOZEO_ASSIGN_OR_RETURN(auto rule, scoring.CreateRule(who, patch));
        return domain::ScoringRuleToJson(rule);
      });
  {
    json in = rule_in;
    in["id"] = Str("Rule id");
    add("update_scoring_rule", "Change some fields of a scoring rule.", Obj(in, {"id"}), rule_out,
        Annotations("Update scoring rule", false, false, true),
        [&scoring](const domain::Principal& who, const json& args) -> Result<json> {
          KLOZEO_ASSIGN_OR_RETURN(std::string id, StringArg(args, "id"));
          KLOZEO_ASSIGN_OR_RETURN(auto patch,
                                  domain::ParseScoringRulePatch(Without(args, {"id"}), false));
          KLOZEO_ASSIGN_OR_RETURN(auto rule, scoring.UpdateRule(who, id, patch));
          return domain::ScoringRuleToJson(rule);
        });
  }
  add("delete_scoring_rule", "Delete a scoring rule permanently. Requires confirm: true.",
      Obj(json{{"id", Str("Rule id")}, {"confirm", Confirm()}}, {"id", "confirm"}), DeletedOutput(),
      Annotations("Delete scoring rule", false, true, true),
      [&scoring](const domain::Principal& who, const json& args) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(std::string id, StringArg(args, "id"));
        KLOZEO_TRY(Confirmed(args, "delete_scoring_rule", "deletes the rule"));
        KLOZEO_TRY(scoring.DeleteRule(who, id));
        return json{{"deleted", true}, {"id", id}};
      });
  add("recalculate_score",
      "Recompute one lead's score with the current rules and store it; fires lead.scored.",
      Obj(json{{"lead_id", Str("Lead id (cl_...)")}}, {"lead_id"}),
      Obj(json{{"id", Str("Lead id")}, {"score", Num("New score")}}, {"id", "score"}),
      Annotations("Recalculate score", false, false, true),
      [&scoring](const domain::Principal& who, const json& args) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(std::string id, StringArg(args, "lead_id"));
        KLOZEO_ASSIGN_OR_RETURN(double score, scoring.RescoreLead(who, id));
        return json{{"id", id}, {"score", score}};
      });
  {
    auto t = std::make_unique<Tool>();
    t->name = "recalculate_all_scores";
    json annotations = Annotations("Recalculate all scores", false, false, true);
    t->definition =
        json{{"name", t->name},
             {"title", annotations["title"]},
             {"description",
              "Recompute and store the score of every lead with the current rules, 1,000 leads per "
              "transaction; fires one leads.scored. Sends progress notifications when the request "
              "carries a progressToken."},
             {"inputSchema", Obj(json::object())},
             {"outputSchema",
              Obj(json{{"count", Int("Leads scored")}, {"message", Str("Summary")}}, {"count"})},
             {"annotations", std::move(annotations)}};
    t->call = [this](const domain::Principal& who, const json&) -> CallOutcome {
      auto tx = s_.db.Begin(storage::TxMode::kRead);
      if (!tx.ok()) return Done(Fail(tx.error()));
      auto total = (*tx)->leads().Count(who.account_key, std::numeric_limits<int64_t>::max());
      if (!total.ok()) return Done(Fail(total.error()));
      return CallOutcome{std::nullopt, std::make_unique<RescoreRun>(s_.scoring, who, *total)};
    };
    tools_.push_back(std::move(t));
  }
  add("explain_score",
      "Show how the current rules score a lead now, rule by rule (read-only; nothing stored).",
      Obj(json{{"lead_id", Str("Lead id (cl_...)")}}, {"lead_id"}),
      Obj(json{{"id", Str("Lead id")},
               {"score", Num("Score now")},
               {"stored_score", Num("Score stored on the lead")},
               {"total", Num("Sum before clamping")},
               {"rules", Arr(ObjectOutput({"id"}), "Each rule's value and contribution")}},
          {"id", "score", "rules"}),
      Annotations("Explain score", true, false, true),
      [&scoring](const domain::Principal& who, const json& args) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(std::string id, StringArg(args, "lead_id"));
        KLOZEO_ASSIGN_OR_RETURN(auto e, scoring.Explain(who, id));
        return service::ScoreExplanationToJson(e);
      });

  // --- webhooks ---
  json hook_out = Obj(json{{"id", Str("Webhook id")},
                           {"url", Str("Receiver URL")},
                           {"events", Arr(Str("Event"), "Subscribed events (all when empty)")},
                           {"active", Bool("Delivering")}},
                      {"id", "url"});
  json hook_in =
      json{{"url", Str("http(s) URL receiving the events")},
           {"events", Arr(Enum(kEvents, "Event type"), "Events to receive; omitted or empty: all")},
           {"secret", Str("HMAC-SHA256 signing secret (X-Klozeo-Signature)")},
           {"active", Bool("Whether deliveries are sent")}};
  add("list_webhooks", "List the account's webhook subscriptions (read-only).", Obj(json::object()),
      ListOutput("webhooks", hook_out), Annotations("List webhooks", true, false, true),
      [&webhooks](const domain::Principal& who, const json&) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(auto hooks, webhooks.List(who));
        json list = json::array();
        for (const auto& w : hooks) list.push_back(domain::WebhookToJson(w, false));
        return Listed("webhooks", std::move(list));
      });
  add("create_webhook", "Subscribe a URL to lead events; the server will send HTTP requests to it.",
      Obj(hook_in, {"url"}), hook_out, Annotations("Create webhook", false, false, false),
      [&webhooks](const domain::Principal& who, const json& args) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(auto patch, domain::ParseWebhookPatch(args, true));
        KLOZEO_ASSIGN_OR_RETURN(auto w, webhooks.Create(who, patch));
        return domain::WebhookToJson(w, false);
      });
  {
    json in = hook_in;
    in["id"] = Str("Webhook id");
    add("update_webhook", "Change a webhook's URL, events, secret or active flag.", Obj(in, {"id"}),
        hook_out, Annotations("Update webhook", false, false, true),
        [&webhooks](const domain::Principal& who, const json& args) -> Result<json> {
          KLOZEO_ASSIGN_OR_RETURN(std::string id, StringArg(args, "id"));
          KLOZEO_ASSIGN_OR_RETURN(auto patch,
                                  domain::ParseWebhookPatch(Without(args, {"id"}), false));
          KLOZEO_ASSIGN_OR_RETURN(auto w, webhooks.Update(who, id, patch));
          return domain::WebhookToJson(w, false);
        });
  }
  add("delete_webhook",
      "Delete a webhook with its delivery log permanently. Requires confirm: true.",
      Obj(json{{"id", Str("Webhook id")}, {"confirm", Confirm()}}, {"id", "confirm"}),
      DeletedOutput(), Annotations("Delete webhook", false, true, true),
      [&webhooks](const domain::Principal& who, const json& args) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(std::string id, StringArg(args, "id"));
        KLOZEO_TRY(Confirmed(args, "delete_webhook", "deletes the webhook and its deliveries"));
        KLOZEO_TRY(webhooks.Delete(who, id));
        return json{{"deleted", true}, {"id", id}};
      });
  add("list_webhook_deliveries",
      "List a webhook's recent deliveries, newest first, with their attempts (read-only).",
      Obj(json{{"webhook_id", Str("Webhook id")},
               {"limit", Int("At most this many, 1-200 (default 50)")}},
          {"webhook_id"}),
      ListOutput("deliveries", ObjectOutput({"id", "state"})),
      Annotations("List webhook deliveries", true, false, true),
      [&webhooks](const domain::Principal& who, const json& args) -> Result<json> {
        KLOZEO_ASSIGN_OR_RETURN(std::string id, StringArg(args, "webhook_id"));
        int limit = 50;
        if (auto it = args.find("limit"); it != args.end() && !it->is_null()) {
          if (!it->is_number_integer() || it->get<int64_t>() < 1) {
            return Error::BadRequest("parameter 'limit' must be a positive integer");
          }
          limit = static_cast<int>(std::min<int64_t>(it->get<int64_t>(), 200));
        }
        KLOZEO_ASSIGN_OR_RETURN(auto deliveries, webhooks.Deliveries(who, id, limit));
        json list = json::array();
        for (const auto& d : deliveries) list.push_back(service::WebhookDeliveryToJson(d));
        return Listed("deliveries", std::move(list));
      });

  // --- export and statistics ---
  {
    auto t = std::make_unique<Tool>();
    t->name = "export_leads";
    json annotations = Annotations("Export leads", true, false, true);
    json in = ListingProperties();
    in["format"] = Enum({"csv", "json", "xlsx"}, "File format");
    t->definition = json{
        {"name", t->name},
        {"title", annotations["title"]},
        {"description",
         "Export the leads matching the filters as CSV or JSON (returned as text) or XLSX "
         "(returned as an embedded base64 resource), read-only. Exports above 5 MiB are refused "
         "with a message: narrow the filters or use GET /api/v1/leads/export."},
        {"inputSchema", Obj(in, {"format"})},
        {"outputSchema", Obj(json{{"format", Str("csv, json or xlsx")},
                                  {"leads", Int("Leads exported")},
                                  {"bytes", Int("Size of the file")},
                                  {"mime_type", Str("Content type")}},
                             {"format", "leads", "bytes"})},
        {"annotations", std::move(annotations)}};
    t->call = [this](const domain::Principal& who, const json& args) -> CallOutcome {
      auto run = [&]() -> Result<json> {
        std::optional<std::string> format_text;
        if (auto it = args.find("format"); it != args.end() && it->is_string()) {
          format_text = it->get<std::string>();
        }
        KLOZEO_ASSIGN_OR_RETURN(auto format, service::ParseExportFormat(format_text));
        KLOZEO_ASSIGN_OR_RETURN(auto params, ListParamsOf(args));
        service::ExportOptions options;
        options.format = format;
        KLOZEO_ASSIGN_OR_RETURN(auto stream,
                                service::OpenExport(s_.leads, s_.db, who, params, options));
        std::string file;
        while (true) {
          KLOZEO_ASSIGN_OR_RETURN(bool more, stream->Next(file));
          if (file.size() > kMaxExportBytes) {
            return Error::BadRequest(
                "the export is larger than 5 MiB (over " + std::to_string(stream->leads_written()) +
                " leads); narrow it with filters, or download it with GET /api/v1/leads/export");
          }
          if (!more) break;
        }
        const std::string mime(service::ExportContentType(format));
        json structured{{"format", std::string(service::ExportExtension(format))},
                        {"leads", stream->leads_written()},
                        {"bytes", file.size()},
                        {"mime_type", mime}};
        json content = json::array();
        if (format == service::ExportFormat::kXlsx) {
          content.push_back(
              json{{"type", "text"},
                   {"text", "leads.xlsx: " + std::to_string(stream->leads_written()) + " leads, " +
                                std::to_string(file.size()) + " bytes (embedded resource)"}});
          content.push_back(json{{"type", "resource"},
                                 {"resource",
                                  {{"uri", "klozeo://exports/leads.xlsx"},
                                   {"mimeType", mime},
                                   {"blob", Base64(file)}}}});
        } else {
          content.push_back(json{{"type", "text"}, {"text", std::move(file)}});
        }
        return json{{"content", std::move(content)},
                    {"structuredContent", std::move(structured)},
                    {"isError", false}};
      };
      auto r = run();
      return Done(r.ok() ? std::move(*r) : Fail(r.error()));
    };
    tools_.push_back(std::move(t));
  }
  add("get_stats",
      "Pipeline statistics (read-only): total leads, average score, counts by status and "
      "source, top cities, a 10-bucket score histogram and leads created per day.",
      Obj(json{{"days", Int("Days of created_per_day, 1-365 (default 30), including today")}}),
      Obj(json{{"total_leads", Int("Leads")},
               {"average_score", json{{"type", {"number", "null"}}}},
               {"by_status", json{{"type", "object"}}},
               {"by_source", Arr(ObjectOutput({"source", "count"}), "Top 10 sources")},
               {"top_cities", Arr(ObjectOutput({"city", "count"}), "Top 10 cities")},
               {"score_histogram", Arr(ObjectOutput({"from", "to", "count"}), "10 buckets")},
               {"created_per_day", Arr(ObjectOutput({"date", "count"}), "One per day")}},
          {"total_leads", "average_score", "by_status", "by_source", "top_cities",
           "score_histogram", "created_per_day"}),
      Annotations("Pipeline statistics", true, false, true),
      [this](const domain::Principal& who, const json& args) -> Result<json> {
        int days = service::StatsService::kDefaultDays;
        if (auto it = args.find("days"); it != args.end() && !it->is_null()) {
          if (!it->is_number_integer()) {
            return Error::BadRequest("'days' must be an integer from 1 to 365");
          }
          const auto d = it->get<int64_t>();
          days = d < 1 || d > 365 ? 0 : static_cast<int>(d);
        }
        return s_.stats.Get(who, days);
      });
}

}  // namespace klozeo::mcp
