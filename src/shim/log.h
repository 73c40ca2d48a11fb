// libvgpu's own minimal logger (the shim must not use base's logger or iostreams).
//
// Level from LIBCUDA_LOG_LEVEL, read once at init: 0 silent, 1 errors (default), 2 warnings,
// 3 info, 4 debug. Default output is therefore empty unless something is misconfigured or broken.
// Lines go to stderr as one write(2) each: "[HAMI-core <LEVEL> pid=<pid>] message". Thread-safe.
#pragma once

namespace hami::shim {

enum class LogLevel { kError = 1, kWarn = 2, kInfo = 3, kDebug = 4 };

void SetLogLevel(int level);
bool LogEnabled(LogLevel level);
void Log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace hami::shim

#define HAMI_SHIM_LOG(level, ...)                                               \
  do {                                                                          \
    if (::hami::shim::LogEnabled(level)) ::hami::shim::Log(level, __VA_ARGS__); \
  } while (0)
#define SHIM_ERROR(...) HAMI_SHIM_LOG(::hami::shim::LogLevel::kError, __VA_ARGS__)
#define SHIM_WARN(...) HAMI_SHIM_LOG(::hami::shim::LogLevel::kWarn, __VA_ARGS__)
#define SHIM_INFO(...) HAMI_SHIM_LOG(::hami::shim::LogLevel::kInfo, __VA_ARGS__)
#define SHIM_DEBUG(...) HAMI_SHIM_LOG(::hami::shim::LogLevel::kDebug, __VA_ARGS__)
