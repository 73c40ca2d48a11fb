// /filter: decide a pod's node and devices against the SchedulerCache and assume the result
// (hami-wire §3.2, with the annotation write moved to /bind; see scheduler_cache.h).
// No I/O: the caller sends the events returned here. Thread-safe through the cache.
#pragma once

#include <chrono>
#include <string>

#include "extender/scheduler_cache.h"
#include "extender/wire.h"
#include "sched/policy.h"
#include "vendor/registry.h"

namespace hami::extender {

struct FilterConfig {
  sched::Policy defaults;  // --node-scheduler-policy / --gpu-scheduler-policy
  std::chrono::seconds assume_ttl{std::chrono::seconds(120)};  // filter -> bind deadline
};

// WIRE: the reasons of the events /filter records on a pod, upstream's spelling.
inline constexpr char kFilteringSucceed[] = "FilteringSucceed";  // Normal
inline constexpr char kFilteringFailed[] = "FilteringFailed";    // Warning

struct FilterOutcome {
  FilterResult result;
  // Event to record on the pod: "" (none), kFilteringSucceed or kFilteringFailed, with
  // upstream's message formats.
  std::string event_reason;
  std::string event_message;
};

// A pod that asks for no device is passed through (the candidates returned as given) and
// recorded as such (SchedulerCache::PassThroughPod) so that /bind may bind it; one that asks for
// devices is decided and assumed. `args.pod` must be the API server's copy (pod_identity.h).
FilterOutcome Filter(SchedulerCache& cache, const vendor::Registry& registry,
                     const FilterConfig& config, const FilterArgs& args, Clock::time_point now);

}  // namespace hami::extender
