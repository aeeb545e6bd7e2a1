#pragma once

namespace klozeo::app {

/// The `klozeo` command line: serve, accounts, keys. Returns the process exit code
/// (0 success, 1 failure at run time, 2 bad usage or configuration).
int RunCli(int argc, char** argv);

}  // namespace klozeo::app
