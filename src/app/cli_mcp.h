#pragma once

#include <iosfwd>
#include <string>

#include "app/wiring.h"

namespace klozeo::app {

/// `klozeo mcp`: speaks MCP (JSON-RPC 2.0, one message per line) on `in`/`out` for account
/// `account_name`, until `in` ends. Logs go to stderr only. Returns the exit code (1 when the
/// account does not exist).
int RunMcpStdio(Services& services, const std::string& account_name, std::istream& in,
                std::ostream& out);

}  // namespace klozeo::app
