// FakeEnv: a base::Env whose clocks move only when told, for tests of time-dependent code.
//
// Both clocks start at fixed points (steady: 1 h after its epoch; wall: 2025-01-01T00:00:00Z, or
// SetWallTime) and move together by Advance() and by the waits below. Two modes:
//   - auto-advance (the default): SleepFor(d) returns at once with the clock moved by d, and a
//     WaitFor whose condition does not hold returns at once with the clock moved to its deadline.
//     Code that backs off or retries runs instantly and deterministically; sleeps() lists what it
//     asked for.
//   - manual (set_auto_advance(false)): SleepFor and WaitFor block (really) until Advance() moves
//     the clock to their deadline, their condition holds (WaitFor), or their stop token fires. Use
//     it for components with background loops, which would otherwise spin through fake time, and
//     to show that a waiter returns on a signal rather than at its deadline.
// Every SleepFor is recorded, in call order, whatever the mode. WaitForSleeps and WaitForBlocked
// let a test wait (bounded in real time, a safety net only) for another thread to reach a sleep.
// GetEnv answers from SetEnv/UnsetEnv only. Thread-safe.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "base/env.h"

namespace hami::fakes {

class FakeEnv : public base::Env {
 public:
  using Nanoseconds = std::chrono::nanoseconds;
  static constexpr std::chrono::seconds kWallStart{1735689600};  // 2025-01-01T00:00:00Z

  SteadyTime SteadyNow() override {
    std::lock_guard<std::mutex> lock(mu_);
    return SteadyTime(std::chrono::hours(1)) + elapsed_;
  }
  WallTime WallNow() override {
    std::lock_guard<std::mutex> lock(mu_);
    return wall_start_ + std::chrono::duration_cast<WallTime::duration>(elapsed_);
  }
  // Sets the wall clock to `now` (the steady clock does not move).
  void SetWallTime(WallTime now) {
    std::lock_guard<std::mutex> lock(mu_);
    wall_start_ = now - std::chrono::duration_cast<WallTime::duration>(elapsed_);
  }
  void SetUnixSeconds(int64_t seconds) { SetWallTime(WallTime(std::chrono::seconds(seconds))); }

  // How far the clocks have moved since this FakeEnv was made.
  Nanoseconds Elapsed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return elapsed_;
  }

  // Moves both clocks forward and wakes every sleep and wait whose deadline has come.
  void Advance(Nanoseconds duration) {
    std::lock_guard<std::mutex> lock(mu_);
    AdvanceLocked(duration);
  }

  void set_auto_advance(bool on) {
    std::lock_guard<std::mutex> lock(mu_);
    auto_advance_ = on;
  }

  bool SleepFor(Nanoseconds duration, std::stop_token stop = {}) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (stop.stop_requested()) return false;
    sleeps_.push_back(duration);
    changed_.notify_all();
    if (auto_advance_) {
      AdvanceLocked(std::max(duration, Nanoseconds(0)));
      return true;
    }
    const Nanoseconds deadline = elapsed_ + duration;
    ++blocked_;
    changed_.notify_all();
    changed_.wait(lock, stop, [&] { return elapsed_ >= deadline; });
    --blocked_;
    return !stop.stop_requested();
  }

  bool WaitFor(std::condition_variable_any& cv, std::unique_lock<std::mutex>& caller,
               Nanoseconds timeout, const std::function<bool()>& done,
               std::stop_token stop = {}) override {
    if (done()) return true;
    std::unique_lock<std::mutex> lock(mu_);
    if (stop.stop_requested()) return false;
    if (auto_advance_) {
      AdvanceLocked(std::max(timeout, Nanoseconds(0)));
      lock.unlock();
      return done();
    }
    const Nanoseconds deadline = elapsed_ + timeout;
    waiters_.push_back(&cv);
    ++blocked_;
    changed_.notify_all();
    lock.unlock();
    {
      // A stop request is announced under mu_, which the loop holds from its check to its wait.
      std::stop_callback wake(stop, [&] {
        std::lock_guard<std::mutex> guard(mu_);
        cv.notify_all();
      });
      // `done` runs with only the caller's lock held; the clock is read under mu_, which the wait
      // releases together with the caller's lock, so neither a notify nor an Advance is missed.
      while (!done()) {
        lock.lock();
        if (elapsed_ >= deadline || stop.stop_requested()) {
          lock.unlock();
          break;
        }
        BothLocks both{caller, lock};
        cv.wait(both);
        lock.unlock();
      }
    }
    lock.lock();
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &cv));
    --blocked_;
    changed_.notify_all();
    lock.unlock();
    return done();
  }

  std::optional<std::string> GetEnv(const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = env_.find(name);
    if (it == env_.end()) return std::nullopt;
    return it->second;
  }
  void SetEnv(const std::string& name, const std::string& value) {
    std::lock_guard<std::mutex> lock(mu_);
    env_[name] = value;
  }
  void UnsetEnv(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    env_.erase(name);
  }

  // Every SleepFor duration asked for, in call order.
  std::vector<Nanoseconds> sleeps() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sleeps_;
  }
  // Threads blocked now in SleepFor or WaitFor (manual mode).
  int blocked() const {
    std::lock_guard<std::mutex> lock(mu_);
    return blocked_;
  }
  // Waits until at least `count` SleepFor calls were made; false after `real_timeout`.
  bool WaitForSleeps(size_t count,
                     std::chrono::milliseconds real_timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, real_timeout, [&] { return sleeps_.size() >= count; });
  }
  // Waits until at least `count` threads are blocked in SleepFor or WaitFor; false after
  // `real_timeout`.
  bool WaitForBlocked(int count,
                      std::chrono::milliseconds real_timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, real_timeout, [&] { return blocked_ >= count; });
  }

 private:
  // Locks and unlocks the caller's lock and ours as one, so cv.wait releases both atomically.
  struct BothLocks {
    std::unique_lock<std::mutex>& caller;
    std::unique_lock<std::mutex>& ours;
    void lock() {
      caller.lock();
      ours.lock();
    }
    void unlock() {
      ours.unlock();
      caller.unlock();
    }
  };

  void AdvanceLocked(Nanoseconds duration) {
    elapsed_ += duration;
    changed_.notify_all();
    for (std::condition_variable_any* cv : waiters_) cv->notify_all();
  }

  mutable std::mutex mu_;
  std::condition_variable_any changed_;  // the clock, sleeps_ or blocked_ changed
  Nanoseconds elapsed_{0};
  WallTime wall_start_{kWallStart};
  bool auto_advance_ = true;
  std::vector<Nanoseconds> sleeps_;
  int blocked_ = 0;
  std::vector<std::condition_variable_any*> waiters_;  // of WaitFor calls blocked now
  std::map<std::string, std::string> env_;
};

}  // namespace hami::fakes
