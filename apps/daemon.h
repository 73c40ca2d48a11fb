// Process plumbing shared by the long-running binaries (hami-scheduler, hami-device-plugin,
// hami-monitor): termination signals and environment defaults. Use from main only.
#pragma once

#include <csignal>
#include <string>

#include "base/log.h"

namespace hami::apps {

// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts afterwards, so that
// AwaitTermination can take them synchronously. Call before starting any thread.
sigset_t BlockTerminationSignals();

// Waits for one of `signals` and logs "shutting down"; returns the signal number.
int AwaitTermination(const sigset_t& signals);

// Starts `service` (its Start() returns a base::Status), runs `on_started`, waits for one of
// `signals`, then stops it. Returns main's exit code: 1 when Start() failed (logged), else 0.
template <class Service, class OnStarted>
int ServeUntilTerminated(Service& service, const sigset_t& signals, OnStarted on_started) {
  if (auto status = service.Start(); !status.ok()) {
    base::LogError("start", {{"error", status.message()}});
    return 1;
  }
  on_started();
  AwaitTermination(signals);
  service.Stop();
  return 0;
}
template <class Service>
int ServeUntilTerminated(Service& service, const sigset_t& signals) {
  return ServeUntilTerminated(service, signals, [] {});
}

}  // namespace hami::apps
