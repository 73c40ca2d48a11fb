#include "shim/limit/token_bucket.h"

#include <algorithm>

namespace hami::shim::limit {
namespace {

// cost / rate seconds, in ns, saturating.
uint64_t CostNs(uint64_t cost, uint64_t rate) {
  if (rate == 0) return 0;
  const unsigned __int128 ns = static_cast<unsigned __int128>(cost) * 1000000000u / rate;
  return ns > UINT64_MAX / 4 ? UINT64_MAX / 4 : static_cast<uint64_t>(ns);
}

}  // namespace

Grant Schedule(uint64_t tat_ns, uint64_t now_ns, uint64_t cost, uint64_t rate, uint64_t burst_ns) {
  const uint64_t start = std::max(tat_ns, now_ns);
  Grant g;
  g.new_tat_ns = start + CostNs(cost, rate);
  const uint64_t allowed_at = g.new_tat_ns > burst_ns ? g.new_tat_ns - burst_ns : 0;
  g.wait_ns = allowed_at > now_ns ? allowed_at - now_ns : 0;
  return g;
}

uint64_t Acquire(std::atomic_ref<uint64_t> tat, uint64_t now_ns, uint64_t cost, uint64_t rate,
                 uint64_t burst_ns) {
  uint64_t cur = tat.load(std::memory_order_relaxed);
  Grant g = Schedule(cur, now_ns, cost, rate, burst_ns);
  while (!tat.compare_exchange_weak(cur, g.new_tat_ns, std::memory_order_acq_rel)) {
    g = Schedule(cur, now_ns, cost, rate, burst_ns);
  }
  return g.wait_ns;
}

uint64_t NextRate(uint64_t rate, uint32_t util, uint32_t target, uint64_t min_rate,
                  uint64_t max_rate) {
  if (rate == 0) rate = min_rate;
  uint64_t next = rate;
  if (util + 1 < target) {
    // Under target: grow in proportion to the gap (x1..x2).
    const uint64_t gap = target - util;
    next = rate + (rate * gap) / std::max<uint32_t>(target, 1);
  } else if (util > target + 1) {
    // Over target: shrink towards target/util (never below half).
    next = std::max<uint64_t>(rate / 2, (rate * target) / std::max<uint32_t>(util, 1));
  }
  return std::clamp(next, min_rate, std::max(min_rate, max_rate));
}

uint64_t InitialRate(uint32_t sm_count, uint32_t max_threads_per_sm, uint32_t target,
                     uint64_t wave_ns) {
  const uint64_t wave = static_cast<uint64_t>(std::max(sm_count, 1u)) *
                        std::max(max_threads_per_sm, 1u);
  const uint64_t waves_per_s = 1000000000ull / std::max<uint64_t>(wave_ns, 1);
  return std::max<uint64_t>(1, wave * waves_per_s * target / 100);
}

}  // namespace hami::shim::limit
