// Env: the outside world as a component sees it (clocks, sleeping, timed waits, environment
// variables) behind one small interface, in LevelDB's style.
//
// Code that reads a clock or waits for time to pass takes an `Env*` (in its Config or constructor,
// defaulting to Env::Default()) instead of calling std::chrono clocks, sleep_for or getenv. Tests
// pass a fakes::FakeEnv (test/fakes/fake_env.h) whose clock moves only when told, so timeouts,
// lock expiry, leases, backoff and rate windows run instantly and deterministically. Pure
// functions keep taking `now` as a parameter; Env is for the adapters around them.
//
// Env::Default() is the real one and the only global; it is never destroyed. Every method of every
// Env is thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

namespace hami::base {

class Env {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;
  using WallTime = std::chrono::system_clock::time_point;

  virtual ~Env() = default;

  // The process's real clocks, sleeps and environment.
  static Env* Default();

  // Monotonic time: deadlines, intervals, rate windows, expiry of in-memory state.
  virtual SteadyTime SteadyNow() = 0;
  // Calendar time: what is written for others to read (annotations, lease times, events).
  virtual WallTime WallNow() = 0;
  // WallNow() in whole seconds since the Unix epoch.
  int64_t UnixSeconds();

  // Blocks for `duration` (nothing for <= 0) or until `stop` is requested, whichever comes first.
  // Returns false when `stop` was requested.
  virtual bool SleepFor(std::chrono::nanoseconds duration, std::stop_token stop = {}) = 0;

  // Waits on `cv` until `done()` holds, `timeout` has passed on this Env's steady clock, or `stop`
  // is requested; returns done(). `lock` holds the mutex guarding what `done` reads (as for
  // std::condition_variable_any::wait); whoever changes that state notifies `cv` as usual.
  // `done` runs with `lock` held and must not call into this Env.
  virtual bool WaitFor(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lock,
                       std::chrono::nanoseconds timeout, const std::function<bool()>& done,
                       std::stop_token stop = {}) = 0;

  // The value of environment variable `name`; nullopt when it is not set.
  virtual std::optional<std::string> GetEnv(const std::string& name) = 0;
  // GetEnv(name) when set and not empty, else `fallback`.
  std::string GetEnvOr(const std::string& name, const std::string& fallback);
};

}  // namespace hami::base
