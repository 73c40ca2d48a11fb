#include "vendor/enflame/gcu_vendor.h"

#include "vendor/common.h"

namespace hami::vendor::enflame {
namespace {

sched::FitRules GcuRules() {
  sched::FitRules r;
  r.check_uuid = false;   // upstream's GCU Fit reads no UUID annotation
  r.check_slots = false;  // a used card counts as ExclusiveDeviceAllocateConflict instead
  r.check_mutex = false;  // ... which every used card already is
  r.whole_device = true;
  r.check_cores = false;
  return r;
}

}  // namespace

GcuVendor::GcuVendor(EnflameConfig config)
    : config_(std::move(config)),
      name_(kGcuVendorName),
      keys_{"", "", kGcuToAllocateAnnotation, kGcuAllocatedAnnotation},
      fit_(GcuRules()) {}

base::Result<NodeDevices> GcuVendor::DevicesFromNode(const codec::NodeObject& node) const {
  HAMI_ASSIGN_OR_RETURN(int32_t cards, CapacityDevices(node, config_.gcu_name));
  model::DeviceInfo card;
  card.count = 1;
  card.devmem = kGcuDeviceMemory;
  card.devcore = kGcuDeviceCores;
  card.type = kGcuVendorName;
  card.health = true;
  card.vendor = name_;
  NodeDevices out;
  out.devices = NumberedCards(node.name, cards, card, kGcuIdInfix);
  return out;
}

base::Result<std::optional<model::DeviceRequest>> GcuVendor::ContainerRequest(
    const model::Pod& pod, const model::Container& c) const {
  HAMI_ASSIGN_OR_RETURN(auto nums, RequestCount(c, config_.gcu_name));
  if (!nums) return std::optional<model::DeviceRequest>();
  model::DeviceRequest r;
  r.vendor = name_;
  r.nums = *nums;
  r.memreq = kGcuDeviceMemory;
  r.mem_percentage = 100;
  r.coresreq = kGcuDeviceCores;
  return std::optional<model::DeviceRequest>(r);
}

base::Result<sched::DeviceSelector> GcuVendor::Selector(const model::Pod& pod) const {
  return sched::DeviceSelector{};
}

base::Result<bool> GcuVendor::Admit(model::Pod& pod, model::Container& c) const {
  return c.limits.count(config_.gcu_name) != 0;
}

}  // namespace hami::vendor::enflame
