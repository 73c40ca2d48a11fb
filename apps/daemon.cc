#include "apps/daemon.h"

#include <pthread.h>

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

}  // namespace hami::apps
