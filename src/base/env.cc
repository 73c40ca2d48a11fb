#include "base/env.h"

#include <algorithm>
#include <cstdlib>

namespace hami::base {
namespace {

// Longer waits are cut to this, so that now() + timeout cannot overflow.
constexpr std::chrono::nanoseconds kMaxWait = std::chrono::hours(24 * 365);

std::chrono::nanoseconds Bounded(std::chrono::nanoseconds duration) {
  return std::clamp(duration, std::chrono::nanoseconds(0), kMaxWait);
}

class RealEnv : public Env {
 public:
  SteadyTime SteadyNow() override { return std::chrono::steady_clock::now(); }
  WallTime WallNow() override { return std::chrono::system_clock::now(); }

  bool SleepFor(std::chrono::nanoseconds duration, std::stop_token stop) override {
    if (duration.count() > 0) {
      std::mutex mu;
      std::condition_variable_any cv;
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, stop, Bounded(duration), [] { return false; });
    }
    return !stop.stop_requested();
  }

  bool WaitFor(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lock,
               std::chrono::nanoseconds timeout, const std::function<bool()>& done,
               std::stop_token stop) override {
    return cv.wait_for(lock, stop, Bounded(timeout), done);
  }

  std::optional<std::string> GetEnv(const std::string& name) override {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  }
};

}  // namespace

Env* Env::Default() {
  static Env* const env = new RealEnv();  // never destroyed: usable from any static destructor
  return env;
}

std::string Env::GetEnvOr(const std::string& name, const std::string& fallback) {
  std::optional<std::string> value = GetEnv(name);
  return value && !value->empty() ? *value : fallback;
}

int64_t Env::UnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(WallNow().time_since_epoch()).count();
}

}  // namespace hami::base
