#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "domain/account.h"
#include "mcp/tools.h"

// The Model Context Protocol (revision 2025-06-18; 2025-03-26 and 2024-11-05 accepted) over
// JSON-RPC 2.0, independent of the transport: http/api_mcp.cpp serves it as Streamable HTTP,
// app/cli_mcp.cpp over stdio. docs/MCP.md.
namespace klozeo::mcp {

/// The revision answered to clients asking for one this server does not know.
inline constexpr std::string_view kLatestProtocolVersion = "2025-06-18";
/// The revision assumed when an HTTP client sends no MCP-Protocol-Version header.
inline constexpr std::string_view kDefaultHttpProtocolVersion = "2025-03-26";

/// True for the revisions this server speaks.
bool IsSupportedVersion(std::string_view version);

/// JSON-RPC 2.0 error codes.
enum RpcCode : int {
  kParseError = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kInternalError = -32603,
  kServerError = -32000,     ///< transport-level refusals (missing session, bad header)
  kSessionNotFound = -32001  ///< HTTP 404: unknown or ended session
};

/// A JSON-RPC error response.
nlohmann::json RpcError(const nlohmann::json& id, int code, std::string_view message);

/// A notifications/progress message.
nlohmann::json ProgressNotification(const nlohmann::json& token, double progress,
                                    std::optional<double> total, const std::string& message);

/// The answer to one JSON-RPC message.
struct Reply {
  /// The response to send; absent for notifications and client responses, and while `run` is
  /// pending.
  std::optional<nlohmann::json> response;
  /// The response as JSON text instead, when the tool wrote its result directly (get_lead):
  /// a transport sends it as it is; Finish parses it when a JSON value is needed.
  std::optional<std::string> response_text;
  /// A tools/call still running: step it (Finish or a streaming transport), then answer `id`.
  std::unique_ptr<ToolRun> run;
  nlohmann::json id;
  /// The request's _meta.progressToken (null: the client wants no progress).
  nlohmann::json progress_token;
  /// Set by a successful `initialize`: the negotiated revision.
  std::optional<std::string> initialized_version;

  /// Whether there is something to answer (a response, its text, or a run).
  bool answers() const { return response || response_text || run; }

  /// Steps `run` to its end, handing each progress notification (only when the client sent a
  /// progressToken) to `notify`; returns the response.
  nlohmann::json Finish(const std::function<void(const nlohmann::json&)>& notify);
};

/// One client session (Streamable HTTP): the account that opened it and its revision.
struct Session {
  std::string account_id;
  std::string protocol_version;
  int64_t last_used_ms = 0;
};

/// Dispatches MCP requests to the tools, and keeps the HTTP sessions. Thread-safe.
class Server {
 public:
  Server(ToolServices services, const core::Clock& clock);

  /// Handles one JSON-RPC message (any JSON value) for `who`.
  Reply Handle(const nlohmann::json& message, const domain::Principal& who);

  /// Whether handling `message` (one JSON-RPC message or a batch) may write to the database:
  /// a tools/call of a tool that is not read-only. Transports run writes apart from reads.
  bool MayWrite(const nlohmann::json& message) const;

  /// Opens a session for `account_id` and returns its id (128 random bits, hex).
  std::string OpenSession(const std::string& account_id, const std::string& protocol_version);
  /// The session `id` when it exists and belongs to `account_id` (else nullopt: a 404).
  std::optional<Session> FindSession(const std::string& id, const std::string& account_id);
  /// Ends a session; false when there was none for this account.
  bool CloseSession(const std::string& id, const std::string& account_id);

  Tools& tools() { return tools_; }

 private:
  Reply Request(const std::string& method, const nlohmann::json& id, const nlohmann::json& params,
                const domain::Principal& who);

  Tools tools_;
  const core::Clock& clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, Session> sessions_;
};

}  // namespace klozeo::mcp
