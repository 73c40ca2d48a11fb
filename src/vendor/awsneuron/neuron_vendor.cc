#include "vendor/awsneuron/neuron_vendor.h"

#include <bit>
#include <string>

#include "base/strings.h"
#include "vendor/awsneuron/request.h"
#include "vendor/common.h"

namespace hami::vendor::awsneuron {
namespace {

const model::Container* ContainerAt(const model::Pod& pod, size_t index) {
  if (index < pod.init_containers.size()) return &pod.init_containers[index];
  index -= pod.init_containers.size();
  return index < pod.containers.size() ? &pod.containers[index] : nullptr;
}

}  // namespace

AwsNeuronVendor::AwsNeuronVendor(AwsNeuronConfig config)
    : config_(std::move(config)), name_(kVendorName), keys_{"", "", "", kAllocatedAnnotation} {}

std::vector<std::string> AwsNeuronVendor::ResourceNames() const {
  return {config_.resource_count_name, config_.resource_core_name};
}

base::Result<NodeDevices> AwsNeuronVendor::DevicesFromNode(const codec::NodeObject& node) const {
  const std::string& count_name = config_.resource_count_name;
  auto it = count_name.empty() ? node.capacity.end() : node.capacity.find(count_name);
  if (it == node.capacity.end()) return base::NotFound("capacity " + count_name + " is absent");
  const std::optional<int64_t> counts = AsInt64(it->second);
  if (!counts || *counts < 0 || *counts > kMaxDevicesPerNode) {
    return base::InvalidArgument("capacity " + count_name + " \"" + it->second +
                                 "\" is not a device count within 0.." +
                                 std::to_string(kMaxDevicesPerNode));
  }
  if (*counts == 0) return base::NotFound("capacity " + count_name + " is 0");
  int64_t per = CapacityOf(node, config_.resource_core_name) / *counts;
  if (per <= 0) per = kDefaultCoresPerDevice;
  if (per > kMaxCoresPerDevice) {
    return base::InvalidArgument(
        "capacity " + config_.resource_core_name + " gives " + std::to_string(per) + " cores per " +
        count_name + " device; at most " + std::to_string(kMaxCoresPerDevice) + " are supported");
  }
  std::string instance_type;
  if (auto label = node.labels.find(kInstanceTypeLabel); label != node.labels.end()) {
    instance_type = label->second;
  }
  NodeDevices out;
  for (int64_t i = 0; i < *counts; ++i) {
    model::DeviceInfo d;
    d.index = static_cast<int32_t>(i);
    d.count = static_cast<int32_t>(per);
    d.devcore = static_cast<int32_t>((uint32_t{1} << per) - 1);
    d.health = true;
    d.vendor = name_;
    d.id = node.name + "-" + kVendorName + "-" + std::to_string(i);
    d.type = kVendorName;
    d.attributes[kNodeTypeAttribute] = instance_type;
    out.devices.push_back(std::move(d));
  }
  return out;
}

base::Result<std::optional<model::DeviceRequest>> AwsNeuronVendor::ContainerRequest(
    const model::Pod& pod, const model::Container& container) const {
  return NeuronRequest(container, config_);
}

base::Result<sched::DeviceSelector> AwsNeuronVendor::Selector(const model::Pod& pod) const {
  sched::DeviceSelector s;
  ReadUuidSelector(pod, kUseUuid, kNoUseUuid, &s);
  return s;
}

base::Result<bool> AwsNeuronVendor::Admit(model::Pod& pod, model::Container& container) const {
  HAMI_ASSIGN_OR_RETURN(auto request, NeuronRequest(container, config_));
  return request.has_value();
}

base::Result<std::vector<std::string>> AwsNeuronVendor::ContainerIds(
    const model::Container& container, const model::ContainerDevices& devices,
    const std::map<std::string, model::DeviceInfo>& registered, bool* cores_listed) const {
  std::vector<std::string> ids;
  const bool whole = Quantity(container, config_.resource_count_name) != nullptr;
  for (const auto& d : devices) {
    if (whole) {
      ids.push_back(std::to_string(d.idx));
      continue;
    }
    auto it = registered.find(d.uuid);
    const std::string where = "container " + container.name + ": device " + d.uuid;
    if (it == registered.end()) {
      return base::InvalidArgument(where + " is not in the node's registration");
    }
    const auto all = static_cast<uint32_t>(it->second.devcore);
    if (d.usedcores < 0 || (static_cast<uint64_t>(d.usedcores) & ~uint64_t{all}) != 0) {
      return base::InvalidArgument(where + " core mask " + std::to_string(d.usedcores) +
                                   " is outside its cores (mask " + std::to_string(all) + ")");
    }
    const int per = std::popcount(all);
    for (int bit = 0; bit < per; ++bit) {
      if ((d.usedcores >> bit & 1) == 0) continue;
      ids.push_back(std::to_string(int64_t{per} * d.idx + bit));
      *cores_listed = true;
    }
  }
  return ids;
}

base::Result<std::map<std::string, std::string>> AwsNeuronVendor::AllocationAnnotations(
    const Allocation& allocation) const {
  HAMI_ASSIGN_OR_RETURN(auto out, Vendor::AllocationAnnotations(allocation));
  std::vector<std::string> ids;
  bool cores_listed = false;
  for (size_t i = 0; i < allocation.devices.size(); ++i) {
    if (allocation.devices[i].empty()) continue;
    const model::Container* container = ContainerAt(allocation.pod, i);
    if (container == nullptr) {
      return base::InvalidArgument("pod " + allocation.pod.Key() + " has no container " +
                                   std::to_string(i) + " for its " + name_ + " devices");
    }
    HAMI_ASSIGN_OR_RETURN(auto more, ContainerIds(*container, allocation.devices[i],
                                                  allocation.registered, &cores_listed));
    ids.insert(ids.end(), more.begin(), more.end());
  }
  if (ids.empty()) return out;
  out[kAssignedIdsAnnotation] = base::Join(ids, ",");
  if (cores_listed) out[kResourceTypeAnnotation] = config_.resource_core_name;
  out[kAllocTimeAnnotation] = std::to_string(allocation.unix_now * 1000000000);
  out[kAllocatedFlagAnnotation] = kAllocatedFlagPending;
  out[kPredicateNodeAnnotation] = allocation.node;
  return out;
}

}  // namespace hami::vendor::awsneuron
