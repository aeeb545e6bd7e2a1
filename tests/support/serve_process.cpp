#include "support/serve_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

namespace klozeo::testing {

ServeProcess::ServeProcess(const std::string& binary, const std::string& db,
                           const std::vector<std::string>& extra_args,
                           const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<std::string> args = {binary, "serve", "--listen", "127.0.0.1:0", "--db", db};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  int fds[2];
  if (pipe(fds) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  out_ = fdopen(fds[0], "r");
  char line[4096];
  const std::string marker = "listening on http://127.0.0.1:";
  while (fgets(line, sizeof line, out_) != nullptr) {
    std::string l(line);
    output_ += l;
    auto pos = l.find(marker);
    if (pos != std::string::npos) {
      port_ = static_cast<uint16_t>(std::stoi(l.substr(pos + marker.size())));
      break;
    }
  }
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_ != nullptr) fclose(out_);
}

int ServeProcess::Terminate() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace klozeo::testing
