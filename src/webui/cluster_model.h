// ClusterModel: what the web UI shows, built once per change of the cluster (nodes, pods, monitor
// scrapes, pending reasons) and then only read: nodes, GPUs and GPU pods as rows with the numbers
// the API serves, and indexes to find one. Built from hami smi's cluster view
// (monitor::ViewFromCluster + MergeMonitorSnapshot), so the UI and `hami smi --cluster` agree.
// Units: memory in bytes, cores in percent of one GPU (100 per GPU). Pure; an instance is
// immutable once built (share it as std::shared_ptr<const ClusterModel>).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "monitor/smi.h"
#include "monitor/snapshot.h"
#include "vendor/registry.h"
#include "webui/pending.h"

namespace hami::webui {

// One node's monitor as last scraped.
struct MonitorReport {
  std::optional<monitor::Snapshot> snapshot;  // the last good one (kept while unreachable)
  bool reachable = false;                     // the last scrape succeeded
  int64_t scraped_at = 0;                     // unix seconds of the last good scrape; 0 = never
  std::string error;                          // why the last scrape failed
};
using MonitorReports = std::map<std::string, MonitorReport>;  // by node name

enum class MonitorState { kUnknown, kOk, kUnreachable };
const char* MonitorStateName(MonitorState state);

struct GpuRow {
  std::string node, uuid, vendor, type, mode;
  int index = -1;
  bool healthy = true;
  uint64_t memory_total = 0, memory_allocated = 0;
  std::optional<uint64_t> memory_used;
  int cores_allocated = 0;
  std::optional<double> utilization;
  std::vector<monitor::SmiSlice> slices;
  std::vector<monitor::SmiInstance> instances;
};

struct NodeRow {
  std::string name;
  int gpus = 0, healthy_gpus = 0;
  uint64_t memory_total = 0, memory_allocated = 0;
  std::optional<uint64_t> memory_used;  // unknown unless every GPU's is known
  int cores_allocated = 0, cores_total = 0;
  std::optional<double> utilization;  // mean over GPUs with a value
  int pods = 0;                       // GPU pods placed here
  MonitorState monitor = MonitorState::kUnknown;
  std::vector<size_t> gpu_rows;  // indexes into ClusterModel::gpus
};

struct DeviceGrant {
  std::string uuid, vendor, type;
  uint64_t memory = 0;  // bytes
  int cores = 0;
};

struct ContainerRow {
  std::string name;
  std::vector<DeviceGrant> devices;
  std::map<std::string, std::string> limits;  // the env libvgpu enforces (NVIDIA devices)
};

struct PodRow {
  std::string namespace_name, name, uid, node, phase;
  std::vector<std::string> gpus;  // UUIDs granted
  uint64_t memory = 0;            // bytes granted (pending: asked)
  int cores = 0;                  // granted (pending: asked)
  int priority = 1;               // CUDA_TASK_PRIORITY / nvidia.com/priority; libvgpu's default 1
  bool pending = false;           // not bound to a node yet
  std::vector<ContainerRow> containers;
  std::optional<PendingEntry> pending_entry;  // the last /filter failure, when recorded
  std::string Key() const { return namespace_name + "/" + name; }
};

struct ClusterModel {
  uint64_t generation = 0;
  int64_t generated_at = 0;    // unix seconds
  std::vector<NodeRow> nodes;  // by name
  std::vector<GpuRow> gpus;    // by node, then index
  std::vector<PodRow> pods;    // GPU pods, by namespace/name
  std::unordered_map<std::string, size_t> node_by_name, gpu_by_uuid, pod_by_key;
  std::unordered_map<std::string, std::string> node_address;  // GPU node -> InternalIP
  int monitors_reachable = 0;
  std::vector<std::string> monitors_unreachable;  // node names, sorted
  std::vector<std::string> errors;                // malformed annotations, by message

  const NodeRow* Node(const std::string& name) const;
  // The GPU with `uuid`; on `node` when given (UUIDs are unique on real hardware, but simulated
  // nodes of one model share them), else the first listed.
  const GpuRow* Gpu(const std::string& uuid, const std::string& node = "") const;
  const PodRow* Pod(const std::string& key) const;
};

struct ModelInput {
  const std::vector<nlohmann::json>& nodes;
  const std::vector<nlohmann::json>& pods;
  const MonitorReports& monitors;
  const std::map<std::string, PendingEntry>& pending;  // by "ns/name"
  uint64_t generation = 0;
  int64_t now_unix = 0;
};

ClusterModel BuildModel(const ModelInput& input, const vendor::Registry& registry);

// What a pending pod asks for per device (its largest request), to word its reasons.
RequestFacts RequestFactsOf(const nlohmann::json& pod, const vendor::Registry& registry);

}  // namespace hami::webui
