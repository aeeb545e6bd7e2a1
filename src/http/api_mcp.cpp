// The MCP Streamable HTTP transport (revision 2025-06-18) at /mcp: JSON-RPC over POST, answered
// with application/json, or with text/event-stream when a tool call reports progress; sessions
// (Mcp-Session-Id), the MCP-Protocol-Version header and Origin checks. docs/MCP.md.
#include <nlohmann/json.hpp>

#include "http/api.h"
#include "http/handler_util.h"

namespace klozeo::http {

using core::Result;
using nlohmann::json;

namespace {

/// POST /mcp bodies up to this size are decoded before the key check to tell reads from
/// writes (RunsOnWriteThreads); a tool call is a few hundred bytes.
constexpr size_t kMaxPeekedMcpBytes = 64 * 1024;

Response Rpc(int status, const json& body) { return Json(status, body); }

Response RpcRefusal(int status, int code, std::string_view message) {
  return Rpc(status, mcp::RpcError(nullptr, code, message));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// DNS-rebinding protection: requests without an Origin (non-browser clients) pass, and so do
/// browser pages served from a loopback host or an origin listed in the allow-list.
bool OriginAllowed(std::string_view origin, const std::vector<std::string>& allowed) {
  if (origin.empty()) return true;
  const std::string o = Lower(origin);
  for (const auto& a : allowed) {
    if (a == "*" || Lower(a) == o) return true;
  }
  auto scheme = o.find("://");
  if (scheme == std::string::npos) return false;
  std::string_view host = std::string_view(o).substr(scheme + 3);
  if (host.starts_with("[::1]")) {
    host.remove_prefix(5);
  } else {
    auto colon = host.find(':');
    std::string_view name = host.substr(0, colon);
    if (name != "localhost" && name != "127.0.0.1") return false;
    host.remove_prefix(name.size());
  }
  // What may follow the host: nothing, or a port.
  if (host.empty()) return true;
  if (host.front() != ':' || host.size() == 1) return false;
  for (char c : host.substr(1)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool AcceptsEventStream(const Request& req) {
  return req.Header("accept").find("text/event-stream") != std::string_view::npos;
}

std::string SseEvent(const json& message) {
  return "event: message\ndata: " + Dump(message) + "\n\n";
}

bool IsInitialize(const json& message) {
  if (!message.is_object()) return false;
  auto method = message.find("method");
  return method != message.end() && *method == "initialize";
}

}  // namespace

bool Api::RunsOnWriteThreads(Request& request) const {
  const std::string& m = request.method;
  if (m != "POST" && m != "PUT" && m != "PATCH" && m != "DELETE") return false;
  // Larger bodies are not decoded ahead of the key check: they run where writes do.
  if (mcp_ == nullptr || m != "POST" || request.path != "/mcp" ||
      request.body.size() > kMaxPeekedMcpBytes) {
    return true;
  }
  auto parsed = ParseBody(request);
  if (!parsed.ok()) return false;  // answered with a parse error, nothing written
  const bool writes = mcp_->MayWrite(*parsed);
  request.decoded_body = std::move(*parsed);
  return writes;
}

void Api::AddMcpRoutes(mcp::Server& server, std::vector<std::string> allowed_origins) {
  mcp_ = &server;
  auto origins = std::make_shared<const std::vector<std::string>>(std::move(allowed_origins));

  Add("POST", "/mcp", true, [&server, origins](Context& c) -> Result<Response> {
    if (!OriginAllowed(c.request.Header("origin"), *origins)) {
      return RpcRefusal(403, mcp::kServerError,
                        "Forbidden: origin '" + std::string(c.request.Header("origin")) +
                            "' is not allowed (see mcp_allowed_origins)");
    }
    const json* decoded = std::any_cast<json>(&c.request.decoded_body);
    Result<json> parsed = decoded != nullptr ? Result<json>(json()) : ParseBody(c.request);
    if (!parsed.ok()) {
      return RpcRefusal(400, mcp::kParseError, "Parse error: " + parsed.error().message);
    }
    const json& body = decoded != nullptr ? *decoded : *parsed;
    const bool batch = body.is_array();
    if (batch && body.empty()) {
      return RpcRefusal(400, mcp::kInvalidRequest, "Invalid Request: empty batch");
    }
    const size_t count = batch ? body.size() : 1;
    auto message = [&](size_t i) -> const json& { return batch ? body[i] : body; };

    // initialize opens a session and must come alone.
    for (size_t i = 0; i < count; ++i) {
      if (!IsInitialize(message(i))) continue;
      if (batch) {
        return RpcRefusal(400, mcp::kInvalidRequest,
                          "Invalid Request: initialize must not be part of a batch");
      }
      mcp::Reply reply = server.Handle(body, c.principal);
      Response r = Rpc(200, *reply.response);
      if (reply.initialized_version) {
        r.SetHeader("Mcp-Session-Id",
                    server.OpenSession(c.principal.account_id, *reply.initialized_version));
      }
      return r;
    }

    const std::string session_id(c.request.Header("mcp-session-id"));
    if (session_id.empty()) {
      return RpcRefusal(400, mcp::kServerError,
                        "Bad Request: Mcp-Session-Id header is required (send initialize "
                        "first)");
    }
    if (!server.FindSession(session_id, c.principal.account_id)) {
      return RpcRefusal(404, mcp::kSessionNotFound, "Session not found");
    }
    std::string_view version = c.request.Header("mcp-protocol-version");
    if (!version.empty() && !mcp::IsSupportedVersion(version)) {
      return RpcRefusal(400, mcp::kServerError,
                        "Bad Request: unsupported MCP-Protocol-Version '" + std::string(version) +
                            "' (supported: 2025-06-18, 2025-03-26, 2024-11-05)");
    }

    std::vector<mcp::Reply> replies;
    replies.reserve(count);
    bool any_request = false;
    for (size_t i = 0; i < count; ++i) {
      replies.push_back(server.Handle(message(i), c.principal));
      any_request = any_request || replies.back().answers();
    }
    if (!any_request) {  // notifications and responses only
      Response r;
      r.status = 202;
      r.SetHeader("Mcp-Session-Id", session_id);
      return r;
    }
    // A single call that runs in steps is streamed when the client takes SSE: each step's
    // progress goes out as it happens, then the response.
    if (!batch && replies[0].run && AcceptsEventStream(c.request)) {
      auto state = std::make_shared<mcp::Reply>(std::move(replies[0]));
      Response r;
      r.content_type = "text/event-stream";
      r.SetHeader("Cache-Control", "no-cache");
      r.SetHeader("Mcp-Session-Id", session_id);
      r.stream = [state](std::string& out) -> Result<bool> {
        mcp::ProgressSink sink;
        if (!state->progress_token.is_null()) {
          sink = [&](double progress, std::optional<double> total, const std::string& text) {
            out +=
                SseEvent(mcp::ProgressNotification(state->progress_token, progress, total, text));
          };
        }
        if (auto result = state->run->Step(sink)) {
          out += SseEvent(json{{"jsonrpc", "2.0"}, {"id", state->id}, {"result", *result}});
          return false;
        }
        return true;
      };
      return r;
    }
    if (!batch && replies[0].response_text) {  // written directly by the tool (get_lead)
      Response r;
      r.body = std::move(*replies[0].response_text);
      r.SetHeader("Mcp-Session-Id", session_id);
      return r;
    }
    json answers = json::array();
    for (auto& reply : replies) {
      if (reply.answers()) answers.push_back(reply.Finish(nullptr));
    }
    Response r = Rpc(200, batch ? answers : answers[0]);
    r.SetHeader("Mcp-Session-Id", session_id);
    return r;
  });

  // No server-initiated messages: there is no stream to open (the specification's 405).
  Add("GET", "/mcp", true, [](Context&) -> Result<Response> {
    Response r = RpcRefusal(405, mcp::kServerError,
                            "Method Not Allowed: this server sends no messages outside a "
                            "response; POST requests to /mcp");
    r.SetHeader("Allow", "POST, DELETE");
    return r;
  });

  Add("DELETE", "/mcp", true, [&server, origins](Context& c) -> Result<Response> {
    if (!OriginAllowed(c.request.Header("origin"), *origins)) {
      return RpcRefusal(403, mcp::kServerError, "Forbidden: origin not allowed");
    }
    const std::string session_id(c.request.Header("mcp-session-id"));
    if (session_id.empty()) {
      return RpcRefusal(400, mcp::kServerError, "Bad Request: Mcp-Session-Id header is required");
    }
    if (!server.CloseSession(session_id, c.principal.account_id)) {
      return RpcRefusal(404, mcp::kSessionNotFound, "Session not found");
    }
    return NoContent();
  });
}

}  // namespace klozeo::http
