// What the node monitor knows at one instant: host GPUs (NVML), the containers' shared regions
// joined to their pods, MIG identities, and the monitor's own counters. Plain values, built by
// collector.h, rendered by metrics.h and by `hami smi`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "monitor/region_format.h"

namespace hami::monitor {

// One physical GPU as NVML reports it.
struct HostGpu {
  int index = 0;
  std::string uuid;
  std::string name;                            // NVML name, e.g. "NVIDIA A100-SXM4-40GB"
  uint64_t memory_total = 0;                   // bytes
  uint64_t memory_used = 0;                    // bytes
  std::optional<unsigned> utilization_gpu;     // percent
  std::optional<unsigned> utilization_memory;  // percent
  std::optional<unsigned> temperature_c;
  std::optional<double> power_watts;
  // nvmlDeviceGetProcessUtilization over NVML's last sample window: SM percent by host pid (empty:
  // no process ran); nullopt when NVML cannot tell (not supported, GPU lost).
  std::optional<std::map<int32_t, unsigned>> process_sm_util = std::nullopt;
};

// What the API server says one container of a pod was granted: the reference a region of that
// container is checked against (region_trust.h). Written by hami-scheduler (annotations) and
// admitted by the webhook (env), never by the container.
struct ContainerGrant {
  std::vector<std::string> uuids;       // hami.io/vgpu-devices-allocated, NVIDIA devices, in order
  std::vector<std::string> mig_uuids;   // realized MIG instances (hami.io/vgpu-mig-allocations)
  std::vector<uint64_t> memory_limits;  // bytes per granted device (usedmem MiB, as the plugin)
  std::vector<uint64_t> sm_limits;      // per granted device as libvgpu stores it (>= 100 -> 0)
  int32_t priority = 1;                 // CUDA_TASK_PRIORITY of the pod spec; libvgpu's default 1
};

// A pod on this node, as the monitor needs it.
struct PodRef {
  std::string uid;
  std::string namespace_name;
  std::string name;
  std::vector<std::string> containers;             // init containers first, then app containers
  std::string mig_allocations;                     // hami.io/vgpu-mig-allocations, "" when absent
  std::map<std::string, ContainerGrant> grants{};  // by container name: containers with NVIDIA GPUs
  std::string grant_error{};     // why the grant annotations did not decode, "" when they did
  std::string scheduler_name{};  // spec.schedulerName
};

// One region found under <hook>/containers/<podUID>_<container>/.
struct RegionSample {
  std::string dir;  // directory name
  std::string pod_uid;
  std::string container;
  RegionReading reading;
};

struct ContainerSample {
  std::string namespace_name;  // "" when the pod is not known (no API)
  std::string pod;             // the pod name, or the pod UID when not known
  std::string pod_uid;
  std::string container;
  bool pod_known = false;
  std::string scheduler;  // Snapshot::unverified only: the pod's spec.schedulerName
  RegionReading reading;
};

// One process of an exported container that NVML saw using one of the container's GPUs.
struct ProcessSample {
  std::string namespace_name, pod, container;
  int vdevice_index = 0;
  std::string device_uuid;  // the region's device_uuid label
  int32_t pid = 0;          // host pid
  unsigned sm_util = 0;     // percent of the GPU
};

struct MigSample {
  std::string namespace_name, pod, container;
  int device_index = 0;
  std::string gpu_uuid, mig_uuid, profile;
  int gpu_instance_id = 0;
  int compute_instance_id = 0;
};

struct MonitorStats {
  std::map<std::string, int> regions_by_layout;   // LayoutName -> mapped regions
  uint64_t region_errors = 0;                     // files skipped (each logged once), cumulative
  std::map<std::string, uint64_t> region_faults;  // fault reason -> times seen (region_trust.h)
  uint64_t dirs_removed = 0;                      // cumulative
  uint64_t feedback_rounds = 0;                   // cumulative
  uint64_t feedback_writes = 0;                   // field changes written, cumulative
  double last_scan_seconds = 0;                   // duration of the last discovery + feedback round
  bool api_configured = false;
  bool pods_synced = false;
};

struct Snapshot {
  std::string node;
  int64_t now_unix = 0;
  std::vector<HostGpu> gpus;
  std::vector<ContainerSample> containers;
  // Regions of pods that carry no grant of ours (placed by another scheduler: Koordinator, KAI),
  // with only the physical checks applied (region_trust.h): exported as hami_unverified_* and
  // nowhere else (no feedback, no `hami smi`, no web UI).
  std::vector<ContainerSample> unverified;
  std::vector<MigSample> migs;
  std::vector<ProcessSample> processes;  // by container, then device, then pid
  MonitorStats stats;
};

// The GPU utilization NVML measured for `c`'s processes on its device `vdevice` (the sum of their
// samples, at most 100), or nullopt where NVML gives no per-process utilization for that GPU
// (then only the region's own figure exists).
std::optional<unsigned> MeasuredContainerUtil(const Snapshot& s, const ContainerSample& c,
                                              size_t vdevice);

}  // namespace hami::monitor
