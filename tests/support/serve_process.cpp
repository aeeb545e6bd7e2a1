#include "support/serve_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace klozeo::testing {

namespace {

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

}  // namespace

ServeProcess::ServeProcess(const std::string& binary, const std::string& db_url,
                           const std::vector<std::pair<std::string, std::string>>& env,
                           const std::string& log_path, const std::vector<std::string>& extra_args,
                           bool wait_listening) {
  std::vector<std::string> args = {binary, "serve", "--listen", "127.0.0.1:0", "--db", db_url};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (pipe(fds) != 0) return;
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    // Dies with the thread that started it: an aborted test must not leave a server behind.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    if (!log_path.empty()) {
      int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (log >= 0) dup2(log, 2);
    }
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  out_fd_ = fds[0];
  if (wait_listening) WaitUntilListening();
}

void ServeProcess::WaitUntilListening() {
  if (out_fd_ < 0 || port_ != 0) return;
  // Read byte-wise up to the listening line, so nothing after it is consumed or buffered.
  std::string line;
  char c = 0;
  while (read(out_fd_, &c, 1) == 1) {
    output_ += c;
    if (c != '\n') {
      line += c;
      continue;
    }
    constexpr std::string_view kListening = "listening on http://127.0.0.1:";
    auto pos = line.find(kListening);
    if (pos != std::string::npos) {
      port_ = static_cast<uint16_t>(std::atoi(line.c_str() + pos + kListening.size()));
      break;
    }
    line.clear();
  }
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
}

int ServeProcess::SignalAndWait(int signo) {
  if (pid_ <= 0) return -1;
  kill(pid_, signo);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return ExitCodeOf(status);
}

int ServeProcess::WaitMillis(int timeout_ms) {
  if (pid_ <= 0) return -1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return ExitCodeOf(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1000;
}

}  // namespace klozeo::testing
