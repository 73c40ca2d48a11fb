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

// Integral feedback on the granted rate: utilization `util` (percent, the last sample) against
// `target` (percent). Multiplicative, bounded steps: at most x2 up, /2 down per sample, with a
// dead band of 1 point; result clamped to [min_rate, max_rate].
uint64_t NextRate(uint64_t rate, uint32_t util, uint32_t target, uint64_t min_rate,
                  uint64_t max_rate);

// The starting rate before any utilization sample: `target` percent of one full wave of threads
// (sm_count x max_threads_per_sm) every `wave_ns`.
uint64_t InitialRate(uint32_t sm_count, uint32_t max_threads_per_sm, uint32_t target,
                     uint64_t wave_ns);

}  // namespace hami::shim::limit
