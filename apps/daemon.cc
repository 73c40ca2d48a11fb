#include "apps/daemon.h"

#include <pthread.h>

#include <cstdlib>

#include "base/log.h"

namespace hami::apps {

sigset_t BlockTerminationSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

int AwaitTermination(const sigset_t& signals) {
  int signal = 0;
  sigwait(&signals, &signal);
  base::LogInfo("shutting down", {{"signal", std::to_string(signal)}});
  return signal;
}

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace hami::apps
