#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/account.h"
#include "service/lead_service.h"
#include "service/scoring_service.h"
#include "service/stats_service.h"
#include "service/webhook_service.h"
#include "storage/store.h"

namespace klozeo::mcp {

/// The use cases the tools call: the same objects the REST routes call.
struct ToolServices {
  storage::Database& db;
  service::LeadService& leads;
  service::ScoringService& scoring;
  service::WebhookService& webhooks;
  service::StatsService& stats;
};

/// Receives progress of a long call (notifications/progress): done so far, total if known.
using ProgressSink =
    std::function<void(double progress, std::optional<double> total, const std::string& message)>;

/// A call that runs in bounded steps (recalculate_all_scores), so a transport can send
/// progress between them and the I/O thread serves other connections meanwhile.
class ToolRun {
 public:
  virtual ~ToolRun() = default;
  /// Does the next unit of work; returns the CallToolResult when the call is over.
  virtual std::optional<nlohmann::json> Step(const ProgressSink& progress) = 0;
};

/// What starting a call gives: its CallToolResult at once (as a JSON value, or as JSON text
/// written directly by tools on a hot path), or a run to step through.
struct CallOutcome {
  std::optional<nlohmann::json> result;
  std::unique_ptr<ToolRun> run;
  std::optional<std::string> result_text;
};

/// The 33 tools (docs/MCP.md): each a name, a description stating its side effects, an input
/// and an output JSON Schema, annotations and a handler over the services. Failures a model
/// can correct (validation, not found, limits) are CallToolResults with `isError: true` and the
/// API's own message; they are never protocol errors.
class Tools {
 public:
  explicit Tools(ToolServices services);
  ~Tools();
  Tools(const Tools&) = delete;
  Tools& operator=(const Tools&) = delete;

  /// The tools/list result: {"tools": [...]}.
  const nlohmann::json& ListResult() const { return list_; }
  bool Has(std::string_view name) const;
  /// True for a tool whose annotations say it only reads (readOnlyHint); false when unknown.
  bool IsReadOnly(std::string_view name) const;
  /// Starts tool `name` (which must exist: Has) for `who` with `arguments` (an object).
  CallOutcome Call(std::string_view name, const domain::Principal& who,
                   const nlohmann::json& arguments);

  struct Tool;

 private:
  void Register();
  ToolServices s_;
  std::vector<std::unique_ptr<Tool>> tools_;
  nlohmann::json list_;
};

}  // namespace klozeo::mcp
