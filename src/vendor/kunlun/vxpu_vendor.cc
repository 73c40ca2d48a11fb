#include "vendor/kunlun/vxpu_vendor.h"

#include "model/protocol.h"
#include "vendor/common.h"
#include "vendor/kunlun/quantities.h"
#include "vendor/kunlun/whole_vendor.h"

namespace hami::vendor::kunlun {

VxpuVendor::VxpuVendor(KunlunConfig config)
    : config_(std::move(config)),
      name_(kVxpuVendorName),
      keys_{kVxpuRegisterAnnotation, kVxpuHandshakeAnnotation, kVxpuToAllocateAnnotation,
            kVxpuAllocatedAnnotation} {}

std::vector<std::string> VxpuVendor::ResourceNames() const {
  return {config_.vcount_name, config_.vmemory_name};
}

base::Result<NodeDevices> VxpuVendor::DevicesFromNode(const codec::NodeObject& node) const {
  NodeDevices out;
  HAMI_ASSIGN_OR_RETURN(out.devices, DevicesFromRegister(node, kVxpuRegisterAnnotation, name_));
  return out;
}

base::Result<std::optional<model::DeviceRequest>> VxpuVendor::ContainerRequest(
    const model::Pod& pod, const model::Container& c) const {
  HAMI_ASSIGN_OR_RETURN(auto nums, RequestCount(c, config_.vcount_name));
  if (!nums) return std::optional<model::DeviceRequest>();
  model::DeviceRequest r;
  r.vendor = name_;
  r.nums = *nums;
  if (const std::string* mem = Quantity(c, config_.vmemory_name)) {
    HAMI_ASSIGN_OR_RETURN(r.memreq, VxpuMemory(c, config_.vmemory_name, *mem));
    r.mem_percentage = 0;
  } else {
    r.memreq = kVxpuMaxMemory;
    r.mem_percentage = 100;
  }
  r.coresreq = r.memreq * 100 / kVxpuMaxMemory;
  return std::optional<model::DeviceRequest>(r);
}

base::Result<sched::DeviceSelector> VxpuVendor::Selector(const model::Pod& pod) const {
  return KunlunSelector(pod);
}

base::Result<bool> VxpuVendor::Admit(model::Pod& pod, model::Container& c) const {
  if (c.limits.count(config_.vcount_name) == 0) return false;
  auto it = c.limits.find(config_.vmemory_name);
  if (it == c.limits.end()) return true;
  HAMI_ASSIGN_OR_RETURN(int64_t mib, VxpuMemory(c, config_.vmemory_name, it->second));
  it->second = std::to_string(mib);
  c.requests[config_.vmemory_name] = it->second;
  return true;
}

std::optional<NodeLockSpec> VxpuVendor::Lock() const {
  return NodeLockSpec{model::kNodeLockAnnotation, true, 0};
}

}  // namespace hami::vendor::kunlun
