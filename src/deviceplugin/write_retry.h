// One API write retried while the API server answers Unavailable (429, 5xx, no connection): the
// device plugin's writes must not fail a pod for a moment of API server overload.
#pragma once

#include <chrono>
#include <functional>
#include <stop_token>
#include <string_view>

#include "base/env.h"
#include "base/log.h"
#include "base/status.h"

namespace hami::deviceplugin {

// Calls `write` until it succeeds, fails with another code, `attempts` calls were made or `stop`
// is requested, sleeping `delay` x the attempt number between calls on `env`'s clock. Returns the
// last call's status. `what` names the write in the warning logged at each retry.
inline base::Status RetryWhileUnavailable(const std::function<base::Status()>& write, int attempts,
                                          std::chrono::milliseconds delay, base::Env& env,
                                          std::string_view what, std::stop_token stop = {}) {
  base::Status status = write();
  for (int attempt = 1; attempt < attempts && status.code() == base::StatusCode::kUnavailable;
       ++attempt) {
    base::LogWarn("API write refused, retrying",
                  {{"write", std::string(what)}, {"error", status.message()}});
    if (!env.SleepFor(delay * attempt, stop)) break;
    status = write();
  }
  return status;
}

}  // namespace hami::deviceplugin
