#include "vendor/cluster_state.h"

#include "codec/device_cordon.h"
#include "codec/mig_allocations.h"
#include "codec/pod_devices.h"
#include "vendor/nvidia/nvidia_vendor.h"

namespace hami::vendor {

base::Result<sched::NodeState> NodeStateFromAnnotations(
    const std::string& name, const std::map<std::string, std::string>& annotations,
    const Registry& registry) {
  sched::NodeState node;
  node.name = name;
  bool registered = false;
  for (const auto& vendor : registry.vendors()) {
    auto devices = vendor->DevicesFromAnnotations(annotations);
    if (!devices.ok()) {
      if (devices.error().code() == base::StatusCode::kNotFound) continue;
      return devices.error().WithContext("node " + name);
    }
    registered = true;
    for (auto& info : *devices) node.devices.push_back({{}, std::move(info)});
    auto topology = vendor->TopologyFromAnnotations(annotations);
    if (!topology.ok()) return topology.error().WithContext("node " + name);
    for (auto& [uuid, peers] : *topology) node.topology[uuid] = std::move(peers);
  }
  if (!registered) return base::NotFound("node " + name + ": no device registered");
  if (auto it = annotations.find(kDeviceCordonAnnotation); it != annotations.end()) {
    node.cordoned = codec::DecodeCordonedDevices(it->second);
  }
  return node;
}

base::Result<model::PodDevices> GrantedDevices(const model::Pod& pod, const Registry& registry) {
  model::PodDevices devices;
  for (const auto& vendor : registry.vendors()) {
    const std::string* value = pod.Annotation(vendor->Keys().allocated_annotation);
    if (value == nullptr) continue;
    auto decoded = codec::DecodePodSingleDevice(*value);
    if (!decoded.ok()) {
      return decoded.error().WithContext("pod " + pod.Key() + ": annotation " +
                                         vendor->Keys().allocated_annotation);
    }
    devices[vendor->Name()] = std::move(*decoded);
  }
  return devices;
}

base::Result<std::map<std::string, std::vector<model::MigBooking>>> GrantedMig(
    const model::Pod& pod) {
  std::map<std::string, std::vector<model::MigBooking>> out;
  const std::string* value = pod.Annotation(nvidia::kMigAllocationsAnnotation);
  if (value == nullptr || value->empty()) return out;
  auto entries = codec::DecodeMigAllocations(*value);
  if (!entries.ok()) {
    return entries.error().WithContext("pod " + pod.Key() + ": annotation " +
                                       nvidia::kMigAllocationsAnnotation);
  }
  for (const auto& e : *entries) {
    out[e.gpu_uuid].push_back({e.profile, {e.placement_start, e.placement_size}});
  }
  return out;
}

}  // namespace hami::vendor
