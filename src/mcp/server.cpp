#include "mcp/server.h"

#include <spdlog/spdlog.h>

#include "core/crypto.h"

namespace klozeo::mcp {

using nlohmann::json;

namespace {

/// Sessions idle longer than this are forgotten (a client then gets 404 and initializes again).
constexpr int64_t kSessionIdleMs = 24LL * 3600 * 1000;
/// Most sessions kept; the least recently used go first when a new one would exceed it.
constexpr size_t kMaxSessions = 10000;

constexpr const char* kInstructions =
    "Klozeo lead database of one account. Use list_leads (filters such as and.eq.city.Paris), "
    "get_stats for pipeline questions, create_lead (deduplicated) to add leads. Tools that "
    "delete need confirm: true.";

json Response(const json& id, json result) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

}  // namespace

bool IsSupportedVersion(std::string_view version) {
  return version == "2025-06-18" || version == "2025-03-26" || version == "2024-11-05";
}

json RpcError(const json& id, int code, std::string_view message) {
  return json{{"jsonrpc", "2.0"},
              {"id", id},
              {"error", {{"code", code}, {"message", std::string(message)}}}};
}

json ProgressNotification(const json& token, double progress, std::optional<double> total,
                          const std::string& message) {
  json params{{"progressToken", token}, {"progress", progress}, {"message", message}};
  if (total) params["total"] = *total;
  return json{{"jsonrpc", "2.0"}, {"method", "notifications/progress"}, {"params", params}};
}

json Reply::Finish(const std::function<void(const json&)>& notify) {
  if (response) return *response;
  if (response_text) {
    response = json::parse(*response_text);
    return *response;
  }
  ProgressSink sink;
  if (!progress_token.is_null() && notify) {
    sink = [&](double progress, std::optional<double> total, const std::string& message) {
      notify(ProgressNotification(progress_token, progress, total, message));
    };
  }
  while (true) {
    if (auto result = run->Step(sink)) {
      response = Response(id, std::move(*result));
      run.reset();
      return *response;
    }
  }
}

Server::Server(ToolServices services, const core::Clock& clock) : tools_(services), clock_(clock) {}

Reply Server::Handle(const json& message, const domain::Principal& who) {
  Reply reply;
  if (!message.is_object()) {
    reply.response = RpcError(nullptr, kInvalidRequest, "a JSON-RPC message must be an object");
    return reply;
  }
  auto jsonrpc = message.find("jsonrpc");
  auto id = message.find("id");
  const json id_value = id == message.end() ? json(nullptr) : *id;
  const bool id_ok = id != message.end() && (id->is_string() || id->is_number_integer());
  if (jsonrpc == message.end() || *jsonrpc != "2.0") {
    reply.response =
        RpcError(id_ok ? id_value : json(nullptr), kInvalidRequest, "\"jsonrpc\" must be \"2.0\"");
    return reply;
  }
  auto method = message.find("method");
  if (method == message.end()) {
    // A response from the client (this server sends no requests): nothing to answer.
    if (message.contains("result") || message.contains("error")) return reply;
    reply.response =
        RpcError(id_ok ? id_value : json(nullptr), kInvalidRequest, "a request needs a \"method\"");
    return reply;
  }
  if (!method->is_string()) {
    reply.response =
        RpcError(id_ok ? id_value : json(nullptr), kInvalidRequest, "\"method\" must be a string");
    return reply;
  }
  static const json kNoParams = json::object();
  auto params_it = message.find("params");
  const json& params = params_it == message.end() ? kNoParams : *params_it;
  if (id == message.end()) return reply;  // a notification: never answered
  if (!id_ok) {
    reply.response = RpcError(nullptr, kInvalidRequest, "\"id\" must be a string or an integer");
    return reply;
  }
  if (!params.is_object()) {
    reply.response = RpcError(id_value, kInvalidParams, "\"params\" must be an object");
    return reply;
  }
  return Request(method->get<std::string>(), id_value, params, who);
}

Reply Server::Request(const std::string& method, const json& id, const json& params,
                      const domain::Principal& who) {
  Reply reply;
  reply.id = id;
  if (method == "initialize") {
    auto version = params.find("protocolVersion");
    if (version == params.end() || !version->is_string()) {
      reply.response = RpcError(id, kInvalidParams, "initialize needs \"protocolVersion\"");
      return reply;
    }
    std::string negotiated = version->get<std::string>();
    if (!IsSupportedVersion(negotiated)) negotiated = std::string(kLatestProtocolVersion);
    reply.initialized_version = negotiated;
    reply.response = Response(
        id, json{{"protocolVersion", negotiated},
                 {"capabilities", {{"tools", {{"listChanged", false}}}}},
                 {"serverInfo", {{"name", "klozeo"}, {"title", "Klozeo"}, {"version", "0.1.0"}}},
                 {"instructions", kInstructions}});
    return reply;
  }
  if (method == "ping") {
    reply.response = Response(id, json::object());
    return reply;
  }
  if (method == "tools/list") {
    reply.response = Response(id, tools_.ListResult());
    return reply;
  }
  if (method == "tools/call") {
    auto name = params.find("name");
    if (name == params.end() || !name->is_string()) {
      reply.response = RpcError(id, kInvalidParams, "tools/call needs a tool \"name\"");
      return reply;
    }
    if (!tools_.Has(name->get_ref<const std::string&>())) {
      reply.response = RpcError(id, kInvalidParams, "Unknown tool: " + name->get<std::string>());
      return reply;
    }
    auto args = params.find("arguments");
    if (args != params.end() && !args->is_null() && !args->is_object()) {
      reply.response = RpcError(id, kInvalidParams, "\"arguments\" must be an object");
      return reply;
    }
    if (auto meta = params.find("_meta"); meta != params.end() && meta->is_object()) {
      auto token = meta->find("progressToken");
      if (token != meta->end() && (token->is_string() || token->is_number_integer())) {
        reply.progress_token = *token;
      }
    }
    static const json kNoArguments = json::object();
    auto outcome = tools_.Call(name->get_ref<const std::string&>(), who,
                               args == params.end() || args->is_null() ? kNoArguments : *args);
    if (outcome.result) {
      reply.response = Response(id, std::move(*outcome.result));
    } else if (outcome.result_text) {
      std::string text = R"({"jsonrpc":"2.0","id":)";
      text += id.dump();
      text += R"(,"result":)";
      text += *outcome.result_text;
      text += '}';
      reply.response_text = std::move(text);
    } else {
      reply.run = std::move(outcome.run);
    }
    return reply;
  }
  reply.response = RpcError(id, kMethodNotFound, "Method not found: " + method);
  return reply;
}

bool Server::MayWrite(const json& message) const {
  if (message.is_array()) {
    for (const auto& m : message) {
      if (MayWrite(m)) return true;
    }
    return false;
  }
  if (!message.is_object()) return false;
  auto method = message.find("method");
  if (method == message.end() || *method != "tools/call") return false;
  auto params = message.find("params");
  if (params == message.end() || !params->is_object()) return false;
  auto name = params->find("name");
  // A call that names no known tool is refused without touching the database.
  if (name == params->end() || !name->is_string() ||
      !tools_.Has(name->get_ref<const std::string&>())) {
    return false;
  }
  return !tools_.IsReadOnly(name->get_ref<const std::string&>());
}

std::string Server::OpenSession(const std::string& account_id,
                                const std::string& protocol_version) {
  std::string id = core::RandomHex(16);
  const int64_t now = clock_.NowMillis();
  std::lock_guard lock(mutex_);
  if (sessions_.size() >= kMaxSessions) {
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      it = now - it->second.last_used_ms > kSessionIdleMs ? sessions_.erase(it) : std::next(it);
    }
    if (sessions_.size() >= kMaxSessions) {
      auto oldest = sessions_.begin();
      for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
        if (it->second.last_used_ms < oldest->second.last_used_ms) oldest = it;
      }
      sessions_.erase(oldest);
    }
  }
  sessions_[id] = Session{account_id, protocol_version, now};
  return id;
}

std::optional<Session> Server::FindSession(const std::string& id, const std::string& account_id) {
  const int64_t now = clock_.NowMillis();
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.account_id != account_id) return std::nullopt;
  if (now - it->second.last_used_ms > kSessionIdleMs) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_used_ms = now;
  return it->second;
}

bool Server::CloseSession(const std::string& id, const std::string& account_id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.account_id != account_id) return false;
  sessions_.erase(it);
  return true;
}

}  // namespace klozeo::mcp
