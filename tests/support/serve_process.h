#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace klozeo::testing {

/// The real `klozeo serve` as a child process on 127.0.0.1:<free port>: the constructor waits for
/// the "listening" line on its stdout; stderr (the log) goes to `log_path` when one is given.
/// `extra_args` follow `serve --listen 127.0.0.1:0 --db URL`. The destructor SIGKILLs a child
/// that is still running, and the child is SIGKILLed by the kernel when the thread that started
/// it dies (PR_SET_PDEATHSIG), so a test aborted by a sanitizer leaves no server holding ctest's
/// pipes open. Start it from a thread that lives as long as the test (not a short-lived
/// starter thread): pass `wait_listening = false` and call WaitUntilListening() to start
/// several at once.
class ServeProcess {
 public:
  ServeProcess(const std::string& binary, const std::string& db_url,
               const std::vector<std::pair<std::string, std::string>>& env = {},
               const std::string& log_path = "", const std::vector<std::string>& extra_args = {},
               bool wait_listening = true);
  ~ServeProcess();

  /// Reads the child's stdout up to its "listening" line (done by the constructor unless told
  /// not to); port() stays 0 when the child exits first.
  void WaitUntilListening();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  /// 0 when the server did not come up.
  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  /// What it printed on stdout up to the listening line.
  const std::string& output() const { return output_; }

  /// Sends `signo` and waits for the exit: the exit code, or -signal when a signal ended it.
  int SignalAndWait(int signo);
  /// Waits up to `timeout_ms` for the child to exit after a signal was sent by other means;
  /// returns the exit code as SignalAndWait does, or -1000 on timeout.
  int WaitMillis(int timeout_ms);

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  uint16_t port_ = 0;
  std::string output_;
};

}  // namespace klozeo::testing
