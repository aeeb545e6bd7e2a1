#pragma once

#include <string>

namespace klozeo::app {

/// Sets up the process logger on stderr. `format` "text": human-readable, in colour on a
/// terminal; "json": one JSON object per line (`time`, `level`, `msg`, the message's leading
/// `key=value` pairs as fields, and `request_id` whenever the line is written while a request
/// is handled). Off a terminal the sink is buffered, flushed every second and at once for
/// warnings and errors (a write per access-log line would cost more than the request it logs).
/// `level`: trace, debug, info, warn, error, off.
void SetUpLogging(const std::string& level, const std::string& format);

/// One log line as JSON (the json format's formatter; exposed for tests).
std::string FormatJsonLine(std::string_view level, std::string_view time, std::string_view message,
                           std::string_view request_id);

}  // namespace klozeo::app
