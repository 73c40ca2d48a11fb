#include "vendor/hygon/hygon_vendor.h"

#include <limits>

#include "model/protocol.h"
#include "vendor/common.h"

namespace hami::vendor::hygon {
HygonVendor::HygonVendor(HygonConfig config)
    : config_(std::move(config)),
      name_(kVendorName),
      keys_{kRegisterAnnotation, kHandshakeAnnotation, kToAllocateAnnotation, kAllocatedAnnotation},
      fit_(sched::FitRules{}) {}

std::vector<std::string> HygonVendor::ResourceNames() const {
  return {config_.resource_count_name, config_.resource_memory_name, config_.resource_core_name};
}

QuotaResources HygonVendor::Quota() const {
  return {config_.resource_memory_name, config_.resource_core_name,
          config_.EffectiveMemoryFactor()};
}

base::Result<NodeDevices> HygonVendor::DevicesFromNode(const codec::NodeObject& node) const {
  NodeDevices out;
  HAMI_ASSIGN_OR_RETURN(out.devices, DevicesFromRegister(node, kRegisterAnnotation, name_));
  return out;
}

base::Result<std::optional<model::DeviceRequest>> HygonVendor::ContainerRequest(
    const model::Pod& pod, const model::Container& c) const {
  HAMI_ASSIGN_OR_RETURN(auto nums, RequestCount(c, config_.resource_count_name));
  if (!nums) return std::optional<model::DeviceRequest>();
  HAMI_ASSIGN_OR_RETURN(auto memory, ScaledMemoryMiB(c, config_.resource_memory_name,
                                                     config_.EffectiveMemoryFactor()));
  HAMI_ASSIGN_OR_RETURN(auto cores,
                        BoundedQuantity(c, config_.resource_core_name,
                                        std::numeric_limits<int32_t>::max(), "percent"));
  model::DeviceRequest request;
  request.vendor = name_;
  request.nums = *nums;
  request.memreq = memory.value_or(0);
  if (request.memreq == 0) request.mem_percentage = 100;
  request.coresreq = cores.value_or(kDefaultCores);
  return std::optional<model::DeviceRequest>(request);
}

base::Result<sched::DeviceSelector> HygonVendor::Selector(const model::Pod& pod) const {
  sched::DeviceSelector s;
  ReadTypeSelector(pod, kUseType, kNoUseType, &s);
  ReadUuidSelector(pod, kUseUuid, kNoUseUuid, &s);
  return s;
}

base::Result<bool> HygonVendor::Admit(model::Pod& pod, model::Container& c) const {
  HAMI_ASSIGN_OR_RETURN(auto request, ContainerRequest(pod, c));
  return request.has_value();
}

std::optional<NodeLockSpec> HygonVendor::Lock() const {
  return NodeLockSpec{model::kNodeLockAnnotation, true, 0};
}

}  // namespace hami::vendor::hygon
