#include "simulate/simulate.h"

#include "base/quantity.h"
#include "codec/json_util.h"
#include "codec/k8s_object.h"
#include "codec/pod_devices.h"
#include "model/protocol.h"
#include "sched/decide.h"
#include "sched/usage.h"
#include "simulate/workloads.h"
#include "vendor/cluster_state.h"

namespace hami::simulate {
namespace {

std::string Describe(const nlohmann::json& obj) {
  std::string kind = obj.value("kind", "<no kind>");
  std::string name = "<no name>";
  if (obj.contains("metadata") && obj["metadata"].is_object()) {
    name = obj["metadata"].value("name", name);
    if (obj["metadata"].contains("namespace")) {
      name = obj["metadata"].value("namespace", "") + "/" + name;
    }
  }
  return kind + " " + name;
}

class Simulator {
 public:
  Simulator(const Options& options, vendor::Registry registry)
      : options_(options), registry_(std::move(registry)) {
    result_.warnings = registry_.warnings();
  }

  base::Status AddNode(const nlohmann::json& obj) {
    HAMI_ASSIGN_OR_RETURN(auto node, codec::NodeFromJson(obj));
    auto state = vendor::NodeStateFromNode(node, registry_);
    if (!state.ok()) {
      if (state.error().code() != base::StatusCode::kNotFound) return state.error();
      result_.unregistered.push_back(node.name);
      return {};
    }
    result_.nodes.push_back(std::move(*state));
    return {};
  }

  base::Status AddQuota(const nlohmann::json& obj) {
    const std::string where = Describe(obj);
    const std::string ns =
        obj.contains("metadata") ? obj["metadata"].value("namespace", "default") : "default";
    if (!obj.contains("spec") || !obj["spec"].contains("hard")) return {};
    for (const auto& [key, value] : obj["spec"]["hard"].items()) {
      const std::string text =
          value.is_string() ? value.get<std::string>() : codec::DumpJson(value);
      for (const auto& vendor : registry_.vendors()) {
        const vendor::QuotaResources names = vendor->Quota();
        if (!names.memory.empty() && key == "limits." + names.memory) {
          auto mib = base::ParseMemoryMiB(text);
          if (!mib.ok()) return mib.error().WithContext(where + ": spec.hard[\"" + key + "\"]");
          quotas_[ns][vendor->Name()].mem_limit = *mib * names.memory_factor;
        } else if (!names.core.empty() && key == "limits." + names.core) {
          auto cores = base::ParseQuantityInt64(text);
          if (!cores.ok()) return cores.error().WithContext(where + ": spec.hard[\"" + key + "\"]");
          quotas_[ns][vendor->Name()].core_limit = *cores;
        }
      }
    }
    return {};
  }

  // Pods already bound by HAMi: book their devices where they run.
  base::Status AddRunning(const model::Pod& pod, const std::string& node_name) {
    if (pod.phase == "Succeeded" || pod.phase == "Failed") return {};
    sched::NodeState* node = FindNode(node_name);
    if (node == nullptr) {
      return base::InvalidArgument("pod " + pod.Key() + ": annotation hami.io/vgpu-node names " +
                                   "unknown node \"" + node_name + "\"");
    }
    HAMI_ASSIGN_OR_RETURN(auto grants, vendor::GrantedDevices(pod, registry_));
    auto unknown = Book(pod.namespace_name, *node, vendor::BookingOf(pod, grants, registry_));
    if (!unknown.empty()) {
      return base::InvalidArgument("pod " + pod.Key() + ": device " + unknown[0] +
                                   " is not registered on node " + node_name);
    }
    ++result_.running;
    return {};
  }

  base::Status Place(model::Pod pod) {
    Placement placement;
    placement.pod = pod.Key();
    HAMI_ASSIGN_OR_RETURN(bool uses, vendor::AdmitPod(pod, registry_));
    HAMI_ASSIGN_OR_RETURN(auto input, vendor::BuildPodInput(pod, registry_, options_.defaults));
    placement.requests_devices = uses && !input.requests.Empty();
    if (!placement.requests_devices) {
      result_.placements.push_back(std::move(placement));
      return {};
    }
    std::vector<const sched::NodeState*> nodes;
    for (const auto& n : result_.nodes) nodes.push_back(&n);
    sched::Decision decision = sched::Decide(nodes, input, &quotas_);
    for (const auto& [index, failure] : decision.failures) {
      placement.failed_nodes[nodes[index]->name] = model::RenderReasons(failure);
    }
    for (const auto& name : result_.unregistered)
      placement.failed_nodes[name] = "node unregistered";
    if (decision.chosen) {
      sched::NodeState& node = result_.nodes[*decision.chosen];
      placement.node = node.name;
      for (const auto& [name, devices] : decision.devices) {
        const vendor::Vendor* vendor = registry_.Find(name);
        std::vector<model::PartitionGrant> partitions;
        for (const auto& p : decision.partitions) {
          if (p.vendor == name) partitions.push_back(p);
        }
        HAMI_ASSIGN_OR_RETURN(placement.devices[name], codec::EncodePodSingleDevice(devices));
        HAMI_ASSIGN_OR_RETURN(auto written,
                              vendor->AllocationAnnotations(
                                  {pod, node.name, devices, partitions, decision.registered, 0}));
        placement.annotations.insert(written.begin(), written.end());
      }
      Book(pod.namespace_name, node,
           sched::MakePodBooking(decision.devices, decision.partitions,
                                 vendor::BookingTags(pod, registry_), pod.init_containers.size()));
    }
    result_.placements.push_back(std::move(placement));
    return {};
  }

  Result Take() { return std::move(result_); }

 private:
  sched::NodeState* FindNode(const std::string& name) {
    for (auto& n : result_.nodes) {
      if (n.name == name) return &n;
    }
    return nullptr;
  }

  // Returns the booked UUIDs that the node does not have.
  std::vector<std::string> Book(const std::string& ns, sched::NodeState& node,
                                const sched::PodBooking& booking) {
    for (const auto& [vendor, q] : booking.quota) {
      auto& quota = quotas_[ns][vendor];
      quota.used_mem += q.first;
      quota.used_cores += q.second;
    }
    return sched::ApplyBooking(node, booking, +1);
  }

  const Options& options_;
  vendor::Registry registry_;
  sched::QuotaTable quotas_;
  Result result_;
};

}  // namespace

base::Result<Result> Run(const std::vector<nlohmann::json>& objects, const Options& options) {
  HAMI_ASSIGN_OR_RETURN(vendor::Registry registry,
                        vendor::Registry::Create(options.devices, options.flags));
  Simulator sim(options, std::move(registry));
  std::vector<std::pair<model::Pod, std::string>> running;
  std::vector<model::Pod> pending;
  std::vector<std::string> skipped;
  auto add_pod = [&](const nlohmann::json& object) -> base::Status {
    HAMI_ASSIGN_OR_RETURN(model::Pod pod, codec::PodFromJson(object));
    const std::string* node = pod.Annotation(model::kVgpuNodeAnnotation);
    if (node != nullptr && !node->empty()) {
      running.emplace_back(std::move(pod), *node);
    } else {
      pending.push_back(std::move(pod));
    }
    return {};
  };
  for (const auto& obj : objects) {
    const std::string kind = obj.is_object() ? obj.value("kind", "") : "";
    if (kind.empty()) return base::InvalidArgument(Describe(obj) + ": object without a kind");
    if (kind == "Node") {
      HAMI_RETURN_IF_ERROR(sim.AddNode(obj));
    } else if (kind == "ResourceQuota") {
      HAMI_RETURN_IF_ERROR(sim.AddQuota(obj));
    } else if (kind == "Pod") {
      HAMI_RETURN_IF_ERROR(add_pod(obj));
    } else {
      HAMI_ASSIGN_OR_RETURN(auto pods, ExpandWorkload(obj));
      if (!pods) {
        skipped.push_back(Describe(obj) +
                          ": skipped (not a Node, Pod, ResourceQuota or workload with a pod "
                          "template; DaemonSet pods depend on nodes and are not derived)");
        continue;
      }
      for (const auto& pod : *pods) HAMI_RETURN_IF_ERROR(add_pod(pod));
    }
  }
  for (const auto& [pod, node] : running) HAMI_RETURN_IF_ERROR(sim.AddRunning(pod, node));
  for (auto& pod : pending) HAMI_RETURN_IF_ERROR(sim.Place(std::move(pod)));
  Result result = sim.Take();
  result.warnings.insert(result.warnings.end(), skipped.begin(), skipped.end());
  return result;
}

}  // namespace hami::simulate
