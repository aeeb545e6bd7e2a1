#include "app/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>

#include "http/api.h"

namespace klozeo::app {
namespace {

/// stderr through a fully buffered FILE*.
class BufferedStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  BufferedStderrSink() {
    int fd = dup(STDERR_FILENO);
    file_ = fd >= 0 ? fdopen(fd, "w") : nullptr;
    if (file_ != nullptr) setvbuf(file_, nullptr, _IOFBF, 1 << 16);
  }
  ~BufferedStderrSink() override {
    if (file_ != nullptr) fclose(file_);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (file_ == nullptr) return;
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    fwrite(formatted.data(), 1, formatted.size(), file_);
  }
  void flush_() override {
    if (file_ != nullptr) fflush(file_);
  }

 private:
  FILE* file_ = nullptr;
};

/// `%q` in a text pattern: " request_id=ID" while a request is handled, unless the message
/// already names it.
class RequestIdFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string_view id = http::CurrentRequestId();
    if (id.empty()) return;
    std::string_view text(msg.payload.data(), msg.payload.size());
    if (text.find("request_id=") != std::string_view::npos) return;
    constexpr std::string_view kPrefix = " request_id=";
    dest.append(kPrefix.data(), kPrefix.data() + kPrefix.size());
    dest.append(id.data(), id.data() + id.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<RequestIdFlag>();
  }
};

/// The json format: one object per line.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(millis / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char time[40];
    size_t n = std::strftime(time, sizeof time, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(time + n, sizeof time - n, ".%03dZ", static_cast<int>(millis % 1000));
    auto level = spdlog::level::to_string_view(msg.level);
    std::string line = FormatJsonLine(std::string_view(level.data(), level.size()), time,
                                      std::string_view(msg.payload.data(), msg.payload.size()),
                                      http::CurrentRequestId());
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

bool IsKey(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (!(std::islower(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

}  // namespace

std::string FormatJsonLine(std::string_view level, std::string_view time, std::string_view message,
                           std::string_view request_id) {
  nlohmann::ordered_json line;
  line["time"] = time;
  line["level"] = level;
  line["msg"] = message;
  // Leading "word key=value key=value ..." (the access log and most lines): the first word is
  // the event, the pairs become fields, up to the first token that is not a pair.
  size_t pos = 0;
  bool first = true;
  std::string_view event;
  bool any_pair = false;
  while (pos < message.size()) {
    size_t end = message.find(' ', pos);
    if (end == std::string_view::npos) end = message.size();
    std::string_view token = message.substr(pos, end - pos);
    size_t eq = token.find('=');
    if (eq != std::string_view::npos && IsKey(token.substr(0, eq))) {
      std::string key(token.substr(0, eq));
      if (key != "time" && key != "level" && key != "msg" && key != "event") {
        line[key] = token.substr(eq + 1);
        any_pair = true;
      }
    } else if (first && IsKey(token)) {
      event = token;
    } else {
      break;
    }
    first = false;
    pos = end + 1;
  }
  // A leading word is an event name only when pairs follow it ("access method=..."), not the
  // first word of a sentence.
  if (any_pair && !event.empty()) line["event"] = event;
  if (!request_id.empty() && !line.contains("request_id")) line["request_id"] = request_id;
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void SetUpLogging(const std::string& level, const std::string& format) {
  std::shared_ptr<spdlog::logger> logger;
  const bool tty = isatty(STDERR_FILENO) != 0;
  if (tty && format != "json") {
    logger = std::make_shared<spdlog::logger>(
        "klozeo", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  } else {
    logger = std::make_shared<spdlog::logger>("klozeo", std::make_shared<BufferedStderrSink>());
    logger->flush_on(spdlog::level::warn);
    spdlog::flush_every(std::chrono::seconds(1));
  }
  if (format == "json") {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<RequestIdFlag>('q').set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %v%q");
    logger->set_formatter(std::move(formatter));
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace klozeo::app
