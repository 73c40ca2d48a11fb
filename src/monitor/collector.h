// Joins region readings, NVML readings and the pod list into a Snapshot. Pure; thread-compatible.
//
// Join rules (hami-wire §6.2, differences in docs/monitor.md):
//  * pods == nullopt (no API configured, or its list not yet synced): every region is exported,
//    with namespace "" and pod = the pod UID from the directory name;
//  * otherwise a region is exported only when its pod is in the list and its container name is one
//    of the pod's containers (upstream: app containers only; we accept init containers too);
//  * either way, only what VerifyRegion (region_trust.h) lets through: faulty device slots are
//    dropped, priority and feedback words are clamped, regions without a grant are not exported.
//  * process samples: a pid a region lists (hostpid, else pid) that NVML's per-process utilization
//    names on one of the container's devices; a pid listed by two exported regions is attributed
//    to neither (a region is written by its container and could claim another's process).
//  * MIG samples come from each listed pod's hami.io/vgpu-mig-allocations entries that are
//    realized (mig uuid and instance ids set); undecodable annotations are skipped.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "monitor/snapshot.h"

namespace hami::monitor {

Snapshot BuildSnapshot(std::string node, int64_t now_unix, std::vector<HostGpu> gpus,
                       const std::vector<RegionSample>& regions,
                       const std::optional<std::vector<PodRef>>& pods, MonitorStats stats);

}  // namespace hami::monitor
