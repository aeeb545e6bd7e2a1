#include "support/command.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>

namespace klozeo::testing {

CmdResult RunCommand(const std::string& binary, const std::string& args, const std::string& env) {
  std::string cmd = env + " " + binary + " " + args + " 2>/dev/null";
  CmdResult run;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return run;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) run.out.append(buf.data(), n);
  int status = pclose(p);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

std::string LastLine(const std::string& text) {
  std::string t = text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  auto nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

}  // namespace klozeo::testing
