#pragma once

#include <string>

namespace klozeo::app {

/// Sets up the process logger on stderr: colours on a terminal; otherwise a buffered sink
/// flushed every second and at once for warnings and errors (a write per access-log line
/// would cost more than the request it logs). `level`: trace, debug, info, warn, error, off.
void SetUpLogging(const std::string& level);

}  // namespace klozeo::app
