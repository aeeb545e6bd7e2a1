#include "app/cli_mcp.h"

#include <spdlog/spdlog.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "core/strings.h"
#include "mcp/server.h"

namespace klozeo::app {

using nlohmann::json;

int RunMcpStdio(Services& services, const std::string& account_name, std::istream& in,
                std::ostream& out) {
  auto principal = services.accounts().PrincipalFor(account_name);
  if (!principal.ok()) {
    std::cerr << "klozeo: " << principal.error().message << std::endl;
    return 1;
  }
  mcp::Server server(mcp::ToolServices{services.db(), services.leads(), services.scoring(),
                                       services.webhooks(), services.stats()},
                     services.clock());
  // stdout carries only protocol messages, one per line.
  auto write = [&out](const json& message) {
    out << message.dump(-1, ' ', false, json::error_handler_t::replace) << '\n' << std::flush;
  };
  spdlog::info("mcp: serving account '{}' on stdin/stdout", account_name);
  std::string line;
  while (std::getline(in, line)) {
    if (core::Trim(line).empty()) continue;
    json message = json::parse(line, nullptr, false);
    if (message.is_discarded()) {
      write(mcp::RpcError(nullptr, mcp::kParseError, "Parse error: invalid JSON"));
      continue;
    }
    if (!message.is_array()) {
      mcp::Reply reply = server.Handle(message, *principal);
      if (reply.answers()) write(reply.Finish(write));
      continue;
    }
    if (message.empty()) {
      write(mcp::RpcError(nullptr, mcp::kInvalidRequest, "Invalid Request: empty batch"));
      continue;
    }
    json answers = json::array();
    for (const auto& item : message) {
      mcp::Reply reply = server.Handle(item, *principal);
      if (reply.answers()) answers.push_back(reply.Finish(write));
    }
    if (!answers.empty()) write(answers);
  }
  spdlog::info("mcp: stdin closed, exiting");
  return 0;
}

}  // namespace klozeo::app
