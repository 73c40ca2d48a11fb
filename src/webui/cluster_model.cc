#include "webui/cluster_model.h"

#include <algorithm>
#include <set>
#include <utility>

#include "base/quantity.h"
#include "codec/k8s_object.h"
#include "vendor/cluster_state.h"
#include "vendor/nvidia/wire.h"

namespace hami::webui {
namespace {

constexpr uint64_t kMiB = 1 << 20;

bool AsksForDevices(const model::Pod& pod, const std::set<std::string>& resources) {
  for (const auto* list : {&pod.init_containers, &pod.containers}) {
    for (const model::Container& c : *list) {
      for (const auto& [name, value] : c.limits) {
        if (resources.count(name)) return true;
      }
      for (const auto& [name, value] : c.requests) {
        if (resources.count(name)) return true;
      }
    }
  }
  return false;
}

// CUDA_TASK_PRIORITY as admitted (a literal value), else nvidia.com/priority, else libvgpu's 1.
int PriorityOf(const model::Pod& pod) {
  for (const model::Container& c : pod.containers) {
    if (auto it = c.env.find(vendor::nvidia::kTaskPriorityEnv); it != c.env.end()) {
      if (auto v = base::ParseQuantityInt64(it->second); v.ok()) return static_cast<int>(*v);
    }
    if (auto it = c.limits.find(vendor::nvidia::kDefaultPriorityResource); it != c.limits.end()) {
      if (auto v = base::ParseQuantityInt64(it->second); v.ok()) return static_cast<int>(*v);
    }
  }
  return 1;
}

// Containers (init first) with their granted devices and the limits libvgpu sees.
void FillGrants(const model::Pod& pod, const vendor::PodGrants& grants, PodRow* row) {
  std::vector<std::string> names;
  for (const auto& c : pod.init_containers) names.push_back(c.name);
  for (const auto& c : pod.containers) names.push_back(c.name);
  std::vector<ContainerRow> containers(names.size());
  for (size_t i = 0; i < names.size(); ++i) containers[i].name = names[i];
  std::set<std::string> uuids;
  for (const auto& [vendor_name, per_container] : grants.devices) {
    for (size_t i = 0; i < per_container.size() && i < containers.size(); ++i) {
      ContainerRow& c = containers[i];
      int nvidia_index = 0;
      for (const model::ContainerDevice& d : per_container[i]) {
        const uint64_t memory = static_cast<uint64_t>(std::max<int64_t>(d.usedmem, 0)) * kMiB;
        c.devices.push_back({d.uuid, vendor_name, d.type, memory, static_cast<int>(d.usedcores)});
        row->memory += memory;
        row->cores += static_cast<int>(d.usedcores);
        if (uuids.insert(d.uuid).second) row->gpus.push_back(d.uuid);
        if (vendor_name != "NVIDIA") continue;
        c.limits[vendor::nvidia::kMemoryLimitEnvPrefix + std::to_string(nvidia_index++)] =
            std::to_string(d.usedmem) + "m";
        if (!c.limits.count(vendor::nvidia::kSmLimitEnv)) {
          c.limits[vendor::nvidia::kSmLimitEnv] = std::to_string(d.usedcores);
        }
      }
    }
  }
  for (ContainerRow& c : containers) {
    if (!c.devices.empty()) row->containers.push_back(std::move(c));
  }
}

// What a pending pod asks for, summed over its containers.
void FillAsked(const model::Pod& pod, const vendor::Registry& registry, PodRow* row) {
  auto input = vendor::BuildPodInput(pod, registry, sched::Policy{});
  if (!input.ok()) return;
  for (const auto* list : {&input->requests.init, &input->requests.app}) {
    for (const model::ContainerRequests& c : *list) {
      for (const auto& [vendor_name, r] : c) {
        row->memory += static_cast<uint64_t>(std::max<int64_t>(r.memreq, 0)) * kMiB * r.nums;
        row->cores += static_cast<int>(r.coresreq) * r.nums;
      }
    }
  }
}

// The GPU pods among `pods` (rows, by key) and their objects (for the smi view).
std::vector<nlohmann::json> CollectPods(const ModelInput& in, const vendor::Registry& registry,
                                        ClusterModel* model) {
  const std::vector<std::string> names = registry.ResourceNames();
  const std::set<std::string> resources(names.begin(), names.end());
  std::vector<nlohmann::json> gpu_pods;
  for (const nlohmann::json& j : in.pods) {
    auto pod = codec::PodFromJson(j);
    if (!pod.ok() || pod->phase == "Succeeded" || pod->phase == "Failed") continue;
    auto grants = vendor::GrantedDevices(*pod, registry);
    const bool granted = grants.ok() && !grants->Empty();
    if (!granted && !AsksForDevices(*pod, resources)) continue;
    PodRow row;
    row.namespace_name = pod->namespace_name;
    row.name = pod->name;
    row.uid = pod->uid;
    row.node = pod->node_name;
    row.phase = pod->phase.empty() ? "Pending" : pod->phase;
    row.priority = PriorityOf(*pod);
    row.pending = pod->node_name.empty();
    if (granted) {
      FillGrants(*pod, *grants, &row);
    } else {
      FillAsked(*pod, registry, &row);
    }
    if (auto it = in.pending.find(row.Key()); row.pending && it != in.pending.end()) {
      row.pending_entry = it->second;
    }
    model->pods.push_back(std::move(row));
    gpu_pods.push_back(j);
  }
  std::sort(model->pods.begin(), model->pods.end(), [](const PodRow& a, const PodRow& b) {
    return std::tie(a.namespace_name, a.name) < std::tie(b.namespace_name, b.name);
  });
  for (size_t i = 0; i < model->pods.size(); ++i) model->pod_by_key[model->pods[i].Key()] = i;
  return gpu_pods;
}

// Used values of each node's GPUs from its monitor's last good snapshot.
void MergeMonitors(const MonitorReports& monitors, monitor::SmiView* view) {
  size_t begin = 0;
  while (begin < view->gpus.size()) {
    size_t end = begin;
    while (end < view->gpus.size() && view->gpus[end].node == view->gpus[begin].node) ++end;
    auto it = monitors.find(view->gpus[begin].node);
    if (it != monitors.end() && it->second.snapshot) {
      monitor::SmiView one;
      std::move(view->gpus.begin() + begin, view->gpus.begin() + end, std::back_inserter(one.gpus));
      monitor::MergeMonitorSnapshot(*it->second.snapshot, it->first, &one);
      std::move(one.gpus.begin(), one.gpus.end(), view->gpus.begin() + begin);
    }
    begin = end;
  }
}

GpuRow RowOf(monitor::SmiGpu& g) {
  GpuRow r;
  r.node = g.node;
  r.uuid = g.uuid;
  r.vendor = g.vendor;
  r.type = g.type;
  r.mode = g.mode;
  r.index = g.index;
  r.healthy = g.healthy;
  r.memory_total = g.memory_total;
  r.memory_allocated = g.MemoryAllocated();
  r.memory_used = g.memory_used;
  r.cores_allocated = g.CoresAllocated();
  r.utilization = g.utilization;
  r.slices = std::move(g.slices);
  r.instances = std::move(g.instances);
  return r;
}

void AddGpuToNode(const GpuRow& g, size_t row, NodeRow* n, int* with_used, double* util_sum,
                  int* util_count) {
  n->gpus++;
  n->healthy_gpus += g.healthy ? 1 : 0;
  n->memory_total += g.memory_total;
  n->memory_allocated += g.memory_allocated;
  n->cores_allocated += g.cores_allocated;
  n->cores_total += 100;
  if (g.memory_used) {
    n->memory_used = n->memory_used.value_or(0) + *g.memory_used;
    (*with_used)++;
  }
  if (g.utilization) {
    *util_sum += *g.utilization;
    (*util_count)++;
  }
  n->gpu_rows.push_back(row);
}

void BuildNodes(const MonitorReports& monitors, ClusterModel* model) {
  for (size_t i = 0; i < model->gpus.size();) {
    NodeRow n;
    n.name = model->gpus[i].node;
    int with_used = 0, util_count = 0;
    double util_sum = 0;
    for (; i < model->gpus.size() && model->gpus[i].node == n.name; ++i) {
      AddGpuToNode(model->gpus[i], i, &n, &with_used, &util_sum, &util_count);
    }
    if (with_used != n.gpus) n.memory_used.reset();
    if (util_count > 0) n.utilization = util_sum / util_count;
    if (auto it = monitors.find(n.name); it != monitors.end()) {
      n.monitor = it->second.reachable ? MonitorState::kOk : MonitorState::kUnreachable;
    }
    if (n.monitor == MonitorState::kOk) model->monitors_reachable++;
    if (n.monitor == MonitorState::kUnreachable) model->monitors_unreachable.push_back(n.name);
    model->node_by_name[n.name] = model->nodes.size();
    model->nodes.push_back(std::move(n));
  }
  for (const PodRow& p : model->pods) {
    if (auto it = model->node_by_name.find(p.node);
        !p.node.empty() && it != model->node_by_name.end())
      model->nodes[it->second].pods++;
  }
}

}  // namespace

const char* MonitorStateName(MonitorState state) {
  switch (state) {
    case MonitorState::kOk:
      return "ok";
    case MonitorState::kUnreachable:
      return "unreachable";
    case MonitorState::kUnknown:
      break;
  }
  return "unknown";
}

const NodeRow* ClusterModel::Node(const std::string& name) const {
  auto it = node_by_name.find(name);
  return it == node_by_name.end() ? nullptr : &nodes[it->second];
}
const GpuRow* ClusterModel::Gpu(const std::string& uuid, const std::string& node) const {
  auto it = gpu_by_uuid.find(uuid);
  if (it == gpu_by_uuid.end()) return nullptr;
  if (node.empty() || gpus[it->second].node == node) return &gpus[it->second];
  for (const GpuRow& g : gpus) {
    if (g.uuid == uuid && g.node == node) return &g;
  }
  return nullptr;
}
const PodRow* ClusterModel::Pod(const std::string& key) const {
  auto it = pod_by_key.find(key);
  return it == pod_by_key.end() ? nullptr : &pods[it->second];
}

ClusterModel BuildModel(const ModelInput& in, const vendor::Registry& registry) {
  ClusterModel model;
  model.generation = in.generation;
  model.generated_at = in.now_unix;
  const std::vector<nlohmann::json> gpu_pods = CollectPods(in, registry, &model);
  monitor::SmiView view = monitor::ViewFromCluster(in.nodes, gpu_pods, registry, &model.errors);
  MergeMonitors(in.monitors, &view);
  model.gpus.reserve(view.gpus.size());
  for (monitor::SmiGpu& g : view.gpus) {
    model.gpu_by_uuid.emplace(g.uuid, model.gpus.size());
    model.gpus.push_back(RowOf(g));
  }
  BuildNodes(in.monitors, &model);
  for (const nlohmann::json& n : in.nodes) {
    const std::string name = n.value("metadata", nlohmann::json::object()).value("name", "");
    if (!model.node_by_name.count(name)) continue;
    const nlohmann::json status = n.value("status", nlohmann::json::object());
    for (const nlohmann::json& a : status.value("addresses", nlohmann::json::array())) {
      if (a.is_object() && a.value("type", "") == "InternalIP") {
        model.node_address[name] = a.value("address", "");
        break;
      }
    }
  }
  return model;
}

RequestFacts RequestFactsOf(const nlohmann::json& object, const vendor::Registry& registry) {
  RequestFacts facts;
  auto pod = codec::PodFromJson(object);
  if (!pod.ok()) return facts;
  auto input = vendor::BuildPodInput(*pod, registry, sched::Policy{});
  if (!input.ok()) return facts;
  for (const auto* list : {&input->requests.init, &input->requests.app}) {
    for (const model::ContainerRequests& c : *list) {
      for (const auto& [vendor_name, r] : c) {
        facts.memory_mib = std::max(facts.memory_mib, r.memreq);
        facts.cores = std::max(facts.cores, r.coresreq);
        facts.devices = std::max(facts.devices, r.nums);
      }
    }
  }
  return facts;
}

}  // namespace hami::webui
