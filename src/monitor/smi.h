// `hami smi`: an nvidia-smi-like view of GPUs, what is allocated on them and what is really used,
// and the containers sharing each. Pure: the views are built from values (a monitor Snapshot, a
// scraped /metrics text, the cluster's node and pod objects) and rendered to text; the I/O that
// fetches those values lives in apps/smi_command.cc. Thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "monitor/snapshot.h"
#include "vendor/registry.h"

namespace hami::monitor {

struct SmiSlice {
  std::string namespace_name, pod, container;
  uint64_t memory_limit = 0;            // bytes; 0 = unlimited
  std::optional<uint64_t> memory_used;  // bytes; unknown without a region/monitor
  int cores = -1;                       // percent of the GPU allocated; -1 = no SM limit
  std::optional<double> utilization;    // percent
  bool blocked = false;                 // held back by the priority feedback
};

// A MIG instance booked on a GPU in MIG mode (cluster view: a pod's hami.io/vgpu-mig-allocations
// entry, through the vendor's model::PartitionGrant).
struct SmiInstance {
  std::string profile;  // "1g.10gb"
  int32_t placement_start = 0;
  int32_t placement_size = 0;
  std::string instance_uuid;  // the MIG UUID; "" until the device plugin realized it ("pending")
  std::string namespace_name, pod;
  int32_t container = 0;       // index over init containers then app containers
  std::string container_name;  // "" when the index names no container of the pod
};

struct SmiGpu {
  std::string node;
  int index = -1;
  std::string uuid;
  std::string type;
  uint64_t memory_total = 0;            // bytes
  std::optional<uint64_t> memory_used;  // bytes (NVML), unknown when not measured
  std::optional<double> utilization;    // percent
  std::vector<SmiSlice> slices;
  std::string mode;                    // register `mode` (model::kModeMig, ...); "" when unknown
  std::vector<SmiInstance> instances;  // MIG mode: its instances, by placement
  std::string vendor;                  // cluster view: the registering vendor key ("NVIDIA")
  bool healthy = true;                 // cluster view: the register's health

  uint64_t MemoryAllocated() const;  // Σ slice limits (unlimited slices count as the GPU)
  int CoresAllocated() const;        // Σ slice cores (slices without a limit count 0)
};

struct SmiView {
  std::string title;
  std::vector<SmiGpu> gpus;        // in display order
  std::vector<std::string> notes;  // shown under the table (unreachable monitors, ...)
};

// Width of the usage bars.
inline constexpr int kSmiBarWidth = 20;

// The whole text: title, one block per GPU (a GPU line, then one line per slice, then one line
// per MIG instance), notes.
std::string RenderSmi(const SmiView& view);
// "[####====........]": '#' used, '=' allocated but unused, '.' free; '?' fills the allocated
// part when the used amount is unknown.
std::string UsageBar(std::optional<uint64_t> used, uint64_t allocated, uint64_t total, int width);

// Node view from a monitor snapshot: GPUs from NVML, slices from the regions (matched by UUID;
// a region device on a GPU NVML did not report gets a GPU line of its own; a device with neither
// a limit nor usage is skipped: the container merely sees it).
SmiView ViewFromSnapshot(const Snapshot& snapshot, const std::string& title);

// One Prometheus text sample.
struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};
// Parses the text exposition format (comments skipped; escapes in label values decoded).
// Errors name the line number.
base::Result<std::vector<PromSample>> ParsePrometheusText(std::string_view text);
// A Snapshot rebuilt from a monitor's /metrics (hami_host_gpu_*, hami_vgpu_*, hami_container_*).
Snapshot SnapshotFromMetrics(const std::vector<PromSample>& samples, const std::string& node);

// Cluster view from the API: every node some vendor of `registry` registered (its devices, any
// vendor), every pod holding devices there (its slices, from each vendor's allocated annotation;
// pods in phase Succeeded/Failed are skipped); on GPUs registered in MIG mode, the MIG instances
// those pods hold (the vendor's partition grants), ordered by placement. Used values are unknown
// until MergeMonitorSnapshot. Malformed registrations and annotations are reported in `errors`.
SmiView ViewFromCluster(const std::vector<nlohmann::json>& nodes,
                        const std::vector<nlohmann::json>& pods, const vendor::Registry& registry,
                        std::vector<std::string>* errors);
// Fills used memory/utilization of `node`'s GPUs and slices from its monitor's snapshot.
void MergeMonitorSnapshot(const Snapshot& snapshot, const std::string& node, SmiView* view);

// The view inside a container: only the container's slice, from its own region.
SmiView ViewFromRegion(const RegionReading& region, const std::vector<HostGpu>& gpus,
                       const std::string& title);

}  // namespace hami::monitor
