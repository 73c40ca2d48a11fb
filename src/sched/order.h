// The order in which one container's candidate devices are tried (hami-wire §3.6).
//
// Upstream sorts ascending and walks from the end; TriedFirst(a, b) states the same order directly
// (a is tried before b). Equal keys go to the lower NVML index (upstream: the last registered
// device, an artefact of its reverse walk). Pure; inline because it runs per device pair.
#pragma once

#include <cstdint>

#include "sched/policy.h"

namespace hami::sched {

struct Candidate {
  int32_t device = 0;  // position in NodeState::devices
  double score = 0;    // device utilization after taking this container (score.h)
  int32_t numa = 0;
  int32_t index = 0;  // NVML index
  int64_t used = 0;   // slots in use
};

class CandidateOrder {
 public:
  CandidateOrder(const GpuPolicy& policy, bool numa_bind)
      : policy_(policy), numa_bind_(numa_bind), binpack_(policy.IsBinpack()) {}

  bool TriedFirst(const Candidate& a, const Candidate& b) const {
    if (policy_.mode == GpuPolicy::Mode::kChain) return ChainTriedFirst(a, b);
    if (policy_.mutex) {
      if (a.used != b.used) return a.used < b.used;  // idle devices first
      if (a.numa != b.numa) return a.numa > b.numa;
      return a.index < b.index;
    }
    if (numa_bind_) {
      if (a.numa != b.numa) return binpack_ ? a.numa < b.numa : a.numa > b.numa;
      if (a.score != b.score) return binpack_ ? a.score > b.score : a.score < b.score;
      return a.index < b.index;
    }
    if (a.score != b.score) return binpack_ ? a.score > b.score : a.score < b.score;
    if (a.numa != b.numa) return a.numa > b.numa;
    return a.index < b.index;
  }

 private:
  // Keys in written order; numa-bind forces NUMA first.
  bool ChainTriedFirst(const Candidate& a, const Candidate& b) const {
    if (numa_bind_ && a.numa != b.numa) return a.numa > b.numa;
    for (GpuOrderKey key : policy_.chain) {
      switch (key) {
        case GpuOrderKey::kNuma:
          if (a.numa != b.numa) return a.numa > b.numa;
          break;
        case GpuOrderKey::kBinpack:
          if (a.score != b.score) return a.score > b.score;
          break;
        case GpuOrderKey::kSpread:
          if (a.score != b.score) return a.score < b.score;
          break;
      }
    }
    return a.index < b.index;
  }

  const GpuPolicy& policy_;
  bool numa_bind_;
  bool binpack_;
};

}  // namespace hami::sched
