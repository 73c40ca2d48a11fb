#include "vendor/amd/amd_vendor.h"

#include <limits>

#include "base/quantity.h"
#include "model/protocol.h"
#include "vendor/common.h"

namespace hami::vendor::amd {

AmdVendor::AmdVendor(AmdConfig config)
    : config_(std::move(config)),
      name_(kVendorName),
      keys_{kRegisterAnnotation, "", kToAllocateAnnotation, kAllocatedAnnotation} {}

std::vector<std::string> AmdVendor::ResourceNames() const {
  return {config_.resource_count_name, config_.resource_memory_name, config_.resource_core_name};
}

QuotaResources AmdVendor::Quota() const {
  return {config_.resource_memory_name, config_.resource_core_name, 1};
}

base::Result<NodeDevices> AmdVendor::DevicesFromNode(const codec::NodeObject& node) const {
  NodeDevices out;
  HAMI_ASSIGN_OR_RETURN(out.devices, DevicesFromRegister(node, kRegisterAnnotation, name_));
  const bool plugin_alive =
      config_.resource_count_name.empty() || CapacityOf(node, config_.resource_count_name) > 0;
  if (!plugin_alive) {
    for (auto& d : out.devices) d.health = false;
  }
  return out;
}

base::Result<std::optional<model::DeviceRequest>> AmdVendor::ContainerRequest(
    const model::Pod& pod, const model::Container& c) const {
  HAMI_ASSIGN_OR_RETURN(auto count,
                        RequestCount(c, config_.resource_count_name, QuantitySource::kLimitsOnly));
  if (!count) return std::optional<model::DeviceRequest>();
  const int32_t nums = *count;
  model::DeviceRequest request;
  request.vendor = name_;
  request.nums = nums;
  if (const std::string* mem = LimitQuantity(c, config_.resource_memory_name)) {
    auto mib = base::ParseMemoryMiB(*mem);
    if (!mib.ok()) {
      return mib.error().WithContext("container " + c.name + ": resource " +
                                     config_.resource_memory_name);
    }
    request.memreq = *mib;
  }
  if (request.memreq == 0) request.mem_percentage = 100;
  request.coresreq = 100;
  if (const std::string* cores = LimitQuantity(c, config_.resource_core_name)) {
    const std::optional<int64_t> pct = AsInt64(*cores);
    if (!pct || *pct < 1 || *pct > 100) {
      return base::InvalidArgument("container " + c.name + ": " + config_.resource_core_name +
                                   " must be an integer percentage between 1 and 100, got \"" +
                                   *cores + "\"");
    }
    request.coresreq = *pct;
  }
  return std::optional<model::DeviceRequest>(request);
}

base::Result<sched::DeviceSelector> AmdVendor::Selector(const model::Pod& pod) const {
  sched::DeviceSelector s;
  ReadTypeSelector(pod, kUseGpuType, kNoUseGpuType, &s);
  ReadUuidSelector(pod, kUseGpuUuid, kNoUseGpuUuid, &s);
  return s;
}

base::Result<bool> AmdVendor::Admit(model::Pod& pod, model::Container& c) const {
  if (LimitQuantity(c, config_.resource_count_name) != nullptr) {
    HAMI_RETURN_IF_ERROR(ContainerRequest(pod, c).status());
    return true;
  }
  return LimitQuantity(c, config_.resource_memory_name) != nullptr ||
         LimitQuantity(c, config_.resource_core_name) != nullptr;
}

std::optional<NodeLockSpec> AmdVendor::Lock() const {
  return NodeLockSpec{model::kNodeLockAnnotation, true, 0};
}

}  // namespace hami::vendor::amd
