// The compute budget: a GCRA ("virtual scheduling") token bucket whose whole state is ONE 64-bit
// word (the theoretical arrival time, TAT), so every process of a container shares a single
// bucket per device by CAS on a word in the shared region — no lock, no per-process pools
// (upstream keeps one bucket per process driven by the container-wide sum, which over-grants).
//
// Cost units are "threads launched" (grid blocks x threads per block); the rate (units per
// second) is set by RateController. Pure: the caller supplies time and the word; thread- and
// process-safe through std::atomic_ref.
#pragma once

#include <atomic>
#include <cstdint>

namespace hami::shim::limit {

struct Grant {
  uint64_t new_tat_ns;  // the TAT after this launch
  uint64_t wait_ns;     // how long the caller must wait before launching (0 = go now)
};

// One step of the algorithm: a launch of `cost` units at `now_ns` under `rate` units/s with a
// burst tolerance of `burst_ns`. The launch is always admitted (debt is bounded by the wait).
Grant Schedule(uint64_t tat_ns, uint64_t now_ns, uint64_t cost, uint64_t rate, uint64_t burst_ns);

// Applies Schedule to the shared word with a CAS loop; returns the wait in ns.
uint64_t Acquire(std::atomic_ref<uint64_t> tat, uint64_t now_ns, uint64_t cost, uint64_t rate,
                 uint64_t burst_ns);

// ---- Duration model -------------------------------------------------------------------------
// A launch's GPU time is not known when it is submitted, so the bucket charges cost units
// (threads) and its rate converts units to GPU time: rate = target% x 1 s / (GPU ns per unit).
// GPU ns per unit is *measured*: the device's busy time over the utilization window
// (util% x window) divided by the units the container launched over that same window (a shared
// counter in the region, read through LaunchHistory). Because both numbers cover the same span,
// the estimate does not lag behind rate changes the way an integral loop on utilization does, and
// it stays right while the application launches less than its budget (no wind-up). No host PID
// is involved.

// A process-local history of the container's cumulative unit counter, so the counter's value
// one utilization window ago can be looked up. Not thread-safe (callers serialise).
class LaunchHistory {
 public:
  static constexpr int kSize = 256;
  // Records counter value `cum` at `now_ns` unless the last record is younger than `min_gap_ns`.
  void Record(uint64_t now_ns, uint64_t cum, uint64_t min_gap_ns);
  // The counter at `t_ns`, interpolated linearly between the records around it. Before the first
  // record it is known only when that record saw a fresh counter (0: nothing launched before).
  // False when unknown.
  bool CumAt(uint64_t t_ns, uint64_t* cum) const;
  uint64_t last_ns() const { return count_ == 0 ? 0 : t_[(head_ + kSize - 1) % kSize]; }

 private:
  uint64_t t_[kSize] = {};
  uint64_t cum_[kSize] = {};
  int head_ = 0;   // next write position
  int count_ = 0;  // valid records
  bool origin_zero_ = false;
};

// The rate (units/s) that yields `target` percent given that the device was `util` percent busy
// over `window_ns` while the container launched `units` units. Returns `rate` unchanged without
// information (no units); an idle device despite launches (util 0) quadruples it. The step is
// bounded to x4 / /4 of `rate` and the result clamped to [min_rate, max_rate].
uint64_t RateFromUtilization(uint64_t rate, uint32_t util, uint64_t window_ns, uint64_t units,
                             uint32_t target, uint64_t min_rate, uint64_t max_rate);

// The starting rate before any utilization sample: `target` percent of one full wave of threads
// (sm_count x max_threads_per_sm) every `wave_ns`.
uint64_t InitialRate(uint32_t sm_count, uint32_t max_threads_per_sm, uint32_t target,
                     uint64_t wave_ns);

}  // namespace hami::shim::limit
