#include "daemon/logging.h"

#include <unistd.h>

#include <cstdlib>
#include <memory>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>

namespace journeyd {

namespace {

spdlog::level::level_enum ToSpdlog(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::kTrace: return spdlog::level::trace;
    case config::LogLevel::kDebug: return spdlog::level::debug;
    case config::LogLevel::kInfo: return spdlog::level::info;
    case config::LogLevel::kWarn: return spdlog::level::warn;
    case config::LogLevel::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

void AppendEscaped(std::string_view text, spdlog::memory_buf_t& out, bool json) {
  for (char c : text) {
    switch (c) {
      case '"': out.append(std::string_view("\\\"")); break;
      case '\\': out.append(std::string_view("\\\\")); break;
      case '\n': out.append(std::string_view("\\n")); break;
      case '\r': out.append(std::string_view("\\r")); break;
      case '\t': out.append(std::string_view("\\t")); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, json ? "\\u%04x" : "\\x%02x", c);
          out.append(std::string_view(buf));
        } else {
          out.push_back(c);
        }
    }
  }
}

// One log event per line as logfmt (ts=... level=... msg="...") or a JSON object, so log
// shippers parse it without a regex.
class StructuredFormatter final : public spdlog::formatter {
 public:
  explicit StructuredFormatter(bool json) : json_(json) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto time = std::chrono::system_clock::to_time_t(msg.time);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                            msg.time.time_since_epoch())
                            .count() %
                        1000;
    std::tm utc{};
    gmtime_r(&time, &utc);
    char ts[96];
    std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<int>(millis));
    const auto level = spdlog::level::to_string_view(msg.level);
    const std::string_view text(msg.payload.data(), msg.payload.size());
    if (json_) {
      dest.append(std::string_view("{\"ts\":\""));
      dest.append(std::string_view(ts));
      dest.append(std::string_view("\",\"level\":\""));
      dest.append(level.data(), level.data() + level.size());
      dest.append(std::string_view("\",\"msg\":\""));
      AppendEscaped(text, dest, true);
      dest.append(std::string_view("\"}\n"));
    } else {
      dest.append(std::string_view("ts="));
      dest.append(std::string_view(ts));
      dest.append(std::string_view(" level="));
      dest.append(level.data(), level.data() + level.size());
      dest.append(std::string_view(" msg=\""));
      AppendEscaped(text, dest, false);
      dest.append(std::string_view("\"\n"));
    }
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<StructuredFormatter>(json_);
  }

 private:
  bool json_;
};

}  // namespace

void ConfigureLogging(const config::LogSettings& settings) {
  config::LogFormat format = settings.format;
  std::shared_ptr<spdlog::logger> logger;
  if (format == config::LogFormat::kAuto) {
    // systemd sets JOURNAL_STREAM for services whose output goes to the journal.
    if (std::getenv("JOURNAL_STREAM") != nullptr) {
      logger = std::make_shared<spdlog::logger>(
          "journeyd", std::make_shared<spdlog::sinks::systemd_sink_mt>("journeyd"));
      logger->set_pattern("%v");
    } else {
      format = isatty(STDERR_FILENO) ? config::LogFormat::kText : config::LogFormat::kLogfmt;
    }
  }
  if (!logger) {
    logger = std::make_shared<spdlog::logger>(
        "journeyd", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    if (format == config::LogFormat::kText) {
      logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
    } else {
      logger->set_formatter(
          std::make_unique<StructuredFormatter>(format == config::LogFormat::kJson));
    }
  }
  logger->set_level(ToSpdlog(settings.level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

void SetLogLevel(config::LogLevel level) { spdlog::set_level(ToSpdlog(level)); }

}  // namespace journeyd
