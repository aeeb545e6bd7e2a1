#pragma once

#include <sys/types.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace klozeo::testing {

/// A real `klozeo serve` child process on 127.0.0.1:<free port>: started in the constructor,
/// which returns once the binary printed its "listening" line (port() is 0 if it never did);
/// killed on destruction.
class ServeProcess {
 public:
  ServeProcess(const std::string& binary, const std::string& db,
               const std::vector<std::string>& extra_args = {},
               const std::vector<std::pair<std::string, std::string>>& env = {});
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;
  /// SIGTERM, then the exit code.
  int Terminate();
  uint16_t port() const { return port_; }
  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  uint16_t port_ = 0;
  std::string output_;
};

}  // namespace klozeo::testing
