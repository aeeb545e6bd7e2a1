#pragma once

#include <string>

namespace klozeo::testing {

/// What a command printed on stdout and how it exited.
struct CmdResult {
  int exit_code = -1;
  std::string out;
};

/// Runs `binary args` through the shell (stderr discarded), with `env` assignments
/// ("NAME=value ...") in front, and captures stdout.
CmdResult RunCommand(const std::string& binary, const std::string& args,
                     const std::string& env = "");

/// The last non-empty line of `text`.
std::string LastLine(const std::string& text);

}  // namespace klozeo::testing
