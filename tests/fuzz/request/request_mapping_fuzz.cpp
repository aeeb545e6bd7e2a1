// libFuzzer target for the JSON request mapping: arbitrary bytes as a POST/PUT body go through
// the server's body parser (depth guard, number range) and then every domain mapping a route
// applies to a body: lead create and update (ParseLeadPatch), attribute, note and scoring rule.
// Each must return a value or a BadRequest with a message, never crash; a lead built from an
// accepted patch must serialise to valid JSON that reads back with the same name and source.
// Built by tests/fuzz/CMakeLists.txt (CTest `request_mapping_fuzz`, 15 s; `make fuzz`: longer).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/lead_codec.h"
#include "domain/scoring_rule_codec.h"
#include "http/handler_util.h"
#include "http/message.h"

namespace {

using namespace klozeo;
using nlohmann::json;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

template <typename T>
void CheckRefusal(const core::Result<T>& result) {
  if (!result.ok()) {
    Check(result.error().code == core::ErrorCode::kBadRequest);
    Check(!result.error().message.empty());
  }
}

void CheckLead(const json& body, bool create) {
  auto patch = domain::ParseLeadPatch(body, create);
  CheckRefusal(patch);
  if (!patch.ok()) return;
  domain::Lead lead;
  lead.id = "cl_fuzz";
  lead.name = "stored";
  lead.source = "stored";
  domain::Lead merged = lead;
  domain::ApplyPatch(lead, *patch);
  domain::ApplyMerge(merged, *patch);
  for (const domain::Lead* l : {&lead, &merged}) {
    std::string out;
    domain::AppendLeadJson(out, *l);
    json back = json::parse(out, nullptr, /*allow_exceptions=*/false);
    Check(back.is_object());
    Check(back["name"] == l->name);
    Check(back["source"] == l->source);
  }
  if (create) {
    Check(!lead.name.empty());
    Check(!lead.source.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  http::Request request;
  request.method = "POST";
  request.body.assign(reinterpret_cast<const char*>(data), size);
  auto body = http::ParseBody(request);
  CheckRefusal(body);
  if (!body.ok()) return 0;
  CheckLead(*body, /*create=*/true);
  CheckLead(*body, /*create=*/false);
  // A batch body: {"leads": [...]} maps each element as a create.
  if (body->is_object()) {
    auto leads = body->find("leads");
    if (leads != body->end() && leads->is_array()) {
      for (const json& item : *leads) CheckLead(item, /*create=*/true);
    }
  }
  CheckRefusal(domain::ParseAttribute(*body));
  CheckRefusal(domain::ParseNoteContent(*body));
  CheckRefusal(domain::ParseScoringRulePatch(*body, /*require_all=*/true));
  CheckRefusal(domain::ParseScoringRulePatch(*body, /*require_all=*/false));
  return 0;
}
