// Process plumbing shared by the long-running binaries (hami-scheduler, hami-device-plugin,
// hami-monitor): termination signals and environment defaults. Use from main only.
#pragma once

#include <csignal>
#include <string>

namespace hami::apps {

// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts afterwards, so that
// AwaitTermination can take them synchronously. Call before starting any thread.
sigset_t BlockTerminationSignals();

// Waits for one of `signals` and logs "shutting down"; returns the signal number.
int AwaitTermination(const sigset_t& signals);

// The environment variable `name` when set and non-empty, else `fallback`.
std::string EnvOr(const char* name, const std::string& fallback);

}  // namespace hami::apps
