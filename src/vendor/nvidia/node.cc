// NvidiaVendor: node registration (register + topology scores + static MIG resources), the static
// MIG fit rule and the allocation annotations (device lists + MIG allocations).
#include "base/strings.h"
#include "codec/mig_allocations.h"
#include "codec/topology_score.h"
#include "vendor/common.h"
#include "vendor/nvidia/nvidia_vendor.h"

namespace hami::vendor::nvidia {

namespace {

sched::FitRules NvidiaRules() {
  sched::FitRules rules;
  rules.node_served_hook = true;
  return rules;
}

// The register annotation names no GPU: absent, empty, or an empty JSON list.
bool RegistersNothing(const codec::NodeObject& node) {
  auto it = node.annotations.find(kRegisterAnnotation);
  if (it == node.annotations.end()) return true;
  const std::string_view text = base::Trim(it->second);
  return text.empty() || text == "[]" || text == "null";
}

}  // namespace

NvidiaFit::NvidiaFit() : sched::VendorFit(NvidiaRules()) {}

bool NvidiaFit::ServedByNode(const sched::NodeState& node,
                             const model::DeviceRequest& request) const {
  if (request.partition.empty()) return false;
  if (node.Attribute(kMigResourcePrefix + request.partition) == nullptr) return false;
  for (const auto& device : node.devices) {
    if (device.info.vendor != kVendorName) continue;
    for (const auto& shape : device.info.partitions) {
      if (shape.name == request.partition) return false;  // dynamic MIG offers it: book there
    }
  }
  return true;
}

base::Result<NodeDevices> NvidiaVendor::DevicesFromNode(const codec::NodeObject& node) const {
  NodeDevices out;
  for (const auto& [resource, value] : node.allocatable) {
    if (!base::StartsWith(resource, kMigResourcePrefix)) continue;
    const int64_t count = AllocatableOf(node, resource);
    if (count <= 0) continue;
    out.attributes[resource] = std::to_string(count);
    out.serves_extended_resources = true;
  }
  if (out.serves_extended_resources && RegistersNothing(node)) return out;
  HAMI_ASSIGN_OR_RETURN(out.devices, DevicesFromRegister(node, kRegisterAnnotation, name_));
  auto it = node.annotations.find(kScoreAnnotation);
  if (it != node.annotations.end() && !it->second.empty()) {
    auto scores = codec::DecodeTopologyScores(it->second);
    if (!scores.ok()) {
      return scores.error().WithContext(std::string("annotation ") + kScoreAnnotation);
    }
    out.topology = std::move(*scores);
  }
  return out;
}

base::Result<std::map<std::string, std::string>> NvidiaVendor::AllocationAnnotations(
    const Allocation& allocation) const {
  HAMI_ASSIGN_OR_RETURN(auto out, Vendor::AllocationAnnotations(allocation));
  if (allocation.partitions.empty()) return out;
  std::vector<model::MigAllocation> mig;
  for (const auto& p : allocation.partitions) {
    model::MigAllocation m;
    m.container_index = p.container;
    m.device_index = p.device_index;
    m.gpu_uuid = p.uuid;
    m.profile = p.shape;
    m.placement_start = p.placement.start;
    m.placement_size = p.placement.size;
    mig.push_back(std::move(m));
  }
  HAMI_ASSIGN_OR_RETURN(out[kMigAllocationsAnnotation], codec::EncodeMigAllocations(mig));
  return out;
}

base::Result<std::optional<Granted>> NvidiaVendor::GrantedDevices(const model::Pod& pod) const {
  HAMI_ASSIGN_OR_RETURN(auto granted, Vendor::GrantedDevices(pod));
  const std::string* value = pod.Annotation(kMigAllocationsAnnotation);
  if (!granted || value == nullptr || value->empty()) return granted;
  auto entries = codec::DecodeMigAllocations(*value);
  if (!entries.ok()) {
    return entries.error().WithContext(std::string("annotation ") + kMigAllocationsAnnotation);
  }
  for (const auto& e : *entries) {
    granted->partitions.push_back({name_,
                                   e.container_index,
                                   e.device_index,
                                   e.gpu_uuid,
                                   e.profile,
                                   "",
                                   {e.placement_start, e.placement_size},
                                   e.mig_uuid,
                                   e.gpu_instance_id,
                                   e.compute_instance_id});
  }
  return granted;
}

}  // namespace hami::vendor::nvidia
