// Structured logging for the edges (apps, adapters). Pure layers never log; they return reasons.
//
// One line per event: `ts=<RFC3339> level=<lvl> msg="<msg>" k1=v1 k2="v 2"` on stderr.
// Values with spaces, quotes or '=' are quoted with escapes. Thread-safe (one write per line).
// The shim does not use this (it must stay quiet and allocation-free); it has its own logger.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace hami::base {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

using LogField = std::pair<std::string_view, std::string>;

// Lines below `level` are dropped. Default kInfo; HAMI_LOG_LEVEL=debug|info|warn|error overrides.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

// Formats one line without writing it (exposed for tests).
std::string FormatLogLine(LogLevel level, std::string_view msg,
                          std::initializer_list<LogField> fields);

void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {});

inline void LogDebug(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kDebug, msg, fields);
}
inline void LogInfo(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kInfo, msg, fields);
}
inline void LogWarn(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kWarn, msg, fields);
}
inline void LogError(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kError, msg, fields);
}

}  // namespace hami::base
