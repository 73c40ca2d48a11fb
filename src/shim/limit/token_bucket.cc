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

void LaunchHistory::Record(uint64_t now_ns, uint64_t cum, uint64_t min_gap_ns) {
  if (count_ == 0) {
    origin_zero_ = (cum == 0);
  } else if (now_ns < last_ns() + min_gap_ns) {
    return;
  }
  t_[head_] = now_ns;
  cum_[head_] = cum;
  head_ = (head_ + 1) % kSize;
  if (count_ < kSize) ++count_;
}

bool LaunchHistory::CumAt(uint64_t t_ns, uint64_t* cum) const {
  if (count_ == 0) return false;
  const int oldest = (head_ + kSize - count_) % kSize;
  if (t_ns < t_[oldest]) {
    // Before our first record: known only for a counter that started at 0 with us (and was
    // never overwritten by the ring).
    if (!origin_zero_ || count_ == kSize) return false;
    *cum = 0;
    return true;
  }
  // Newest record at or before t_ns, then the one after it (if any).
  for (int k = count_ - 1; k >= 0; --k) {
    const int i = (oldest + k) % kSize;
    if (t_[i] > t_ns) continue;
    if (k == count_ - 1) {
      *cum = cum_[i];
      return true;
    }
    const int j = (i + 1) % kSize;
    const uint64_t span = t_[j] - t_[i];
    const uint64_t grew = cum_[j] - cum_[i];
    *cum = cum_[i] + (span == 0 ? 0
                                : static_cast<uint64_t>(static_cast<unsigned __int128>(grew) *
                                                        (t_ns - t_[i]) / span));
    return true;
  }
  return false;
}

uint64_t RateFromUtilization(uint64_t rate, uint32_t util, uint64_t window_ns, uint64_t units,
                             uint32_t target, uint64_t min_rate, uint64_t max_rate) {
  const uint64_t hi = std::max(min_rate, max_rate);
  if (rate == 0) rate = min_rate;
  if (units == 0 || window_ns == 0) return std::clamp(rate, min_rate, hi);
  uint64_t next;
  if (util == 0) {
    next = rate > UINT64_MAX / 4 ? UINT64_MAX : rate * 4;
  } else {
    // units/s at 100 % = units x 1e9 / (util% x window); scaled to the target.
    const unsigned __int128 est = static_cast<unsigned __int128>(units) * target * 1000000000u /
                                  (static_cast<unsigned __int128>(util) * window_ns);
    next = est > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(est);
    next = std::clamp(next, rate / 4, rate > UINT64_MAX / 4 ? UINT64_MAX : rate * 4);
  }
  return std::clamp(next, min_rate, hi);
}

uint64_t InitialRate(uint32_t sm_count, uint32_t max_threads_per_sm, uint32_t target,
                     uint64_t wave_ns) {
  const uint64_t wave =
      static_cast<uint64_t>(std::max(sm_count, 1u)) * std::max(max_threads_per_sm, 1u);
  const uint64_t waves_per_s = 1000000000ull / std::max<uint64_t>(wave_ns, 1);
  return std::max<uint64_t>(1, wave * waves_per_s * target / 100);
}

}  // namespace hami::shim::limit
