// Device and node scores (hami-wire §3.3, §3.6), as plain arithmetic on usage numbers.
//
// Difference from upstream (documented in docs/differences-from-upstream.md): the container being
// placed always counts in a device's score (upstream compares the request type "NVIDIA" with the
// model name, so in production it never counts), and the node score is taken *after* placing the
// pod, so binpack prefers the node the pod leaves fullest.
#pragma once

#include <cstdint>

#include "sched/policy.h"

namespace hami::sched {

// Usage numbers of one device, optionally including what is being added.
struct UsageFigures {
  int64_t used = 0;
  int64_t count = 0;
  int64_t usedcores = 0;
  int64_t totalcores = 0;
  int64_t usedmem = 0;
  int64_t totalmem = 0;
};

// 10 × (wSlot·used/count + wCore·usedcores/totalcores + wMem·usedmem/totalmem); 0 when any
// denominator is 0.
inline double WeightedUtilization(const UsageFigures& u, const ScoreWeights& w) {
  if (u.count == 0 || u.totalcores == 0 || u.totalmem == 0) return 0.0;
  return 10.0 * (w.slot * static_cast<double>(u.used) / static_cast<double>(u.count) +
                 w.core * static_cast<double>(u.usedcores) / static_cast<double>(u.totalcores) +
                 w.memory * static_cast<double>(u.usedmem) / static_cast<double>(u.totalmem));
}

}  // namespace hami::sched
