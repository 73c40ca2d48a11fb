#include "vendor/kunlun/whole_vendor.h"

#include "codec/pod_devices.h"
#include "vendor/common.h"

namespace hami::vendor::kunlun {

sched::DeviceSelector KunlunSelector(const model::Pod& pod) {
  sched::DeviceSelector s;
  ReadUuidSelector(pod, kUseXpuUuid, kNoUseXpuUuid, &s);
  ReadUuidSelector(pod, kUseGpuUuid, kNoUseGpuUuid, &s);
  return s;
}

WholeVendor::WholeVendor(KunlunConfig config)
    : config_(std::move(config)),
      name_(kWholeVendorName),
      keys_{"", "", "", kWholeAllocatedAnnotation} {}

base::Result<NodeDevices> WholeVendor::DevicesFromNode(const codec::NodeObject& node) const {
  HAMI_ASSIGN_OR_RETURN(int32_t cards, CapacityDevices(node, config_.count_name));
  model::DeviceInfo card;
  card.count = kWholeDeviceCount;
  card.devmem = kWholeDeviceMemory;
  card.devcore = kWholeDeviceCores;
  card.type = kWholeVendorName;
  card.health = true;
  card.vendor = name_;
  NodeDevices out;
  out.devices = NumberedCards(node.name, cards, card, kWholeIdInfix);
  // Upstream puts the second half of a node's cards on NUMA node 1.
  for (auto& d : out.devices) d.numa = d.index >= cards / 2 ? 1 : 0;
  return out;
}

base::Result<std::optional<model::DeviceRequest>> WholeVendor::ContainerRequest(
    const model::Pod& pod, const model::Container& c) const {
  HAMI_ASSIGN_OR_RETURN(auto nums, RequestCount(c, config_.count_name));
  if (!nums) return std::optional<model::DeviceRequest>();
  model::DeviceRequest r;
  r.vendor = name_;
  r.nums = *nums;
  r.mem_percentage = 100;  // the whole card; the pick books its memory and cores
  return std::optional<model::DeviceRequest>(r);
}

base::Result<sched::DeviceSelector> WholeVendor::Selector(const model::Pod& pod) const {
  return KunlunSelector(pod);
}

base::Result<bool> WholeVendor::Admit(model::Pod& pod, model::Container& c) const {
  return c.limits.count(config_.count_name) != 0;
}

base::Status WholeVendor::AdmitPod(model::Pod& pod) const {
  std::vector<std::string> users;
  for (const auto* list : {&pod.init_containers, &pod.containers}) {
    for (const auto& c : *list) {
      HAMI_ASSIGN_OR_RETURN(auto nums, RequestCount(c, config_.count_name));
      if (nums) users.push_back(c.name);
    }
  }
  if (users.size() <= 1) return {};
  return base::InvalidArgument("containers " + users[0] + " and " + users[1] + " both ask for " +
                               config_.count_name + "; the Kunlunxin device plugin hands out one " +
                               "device list per pod (" + kDeviceIndexAnnotation +
                               "), so only one container may ask for whole XPUs");
}

base::Result<std::map<std::string, std::string>> WholeVendor::AllocationAnnotations(
    const Allocation& allocation) const {
  HAMI_ASSIGN_OR_RETURN(auto out, Vendor::AllocationAnnotations(allocation));
  // One index list per pod (AdmitPod lets one container ask); the last container's, as upstream.
  for (const auto& container : allocation.devices) {
    if (container.empty()) continue;
    std::string list;
    for (const auto& d : container) {
      if (!list.empty()) list += ",";
      list += std::to_string(d.idx);
    }
    out[kDeviceIndexAnnotation] = list;
  }
  return out;
}

}  // namespace hami::vendor::kunlun
