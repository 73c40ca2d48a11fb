#include "vendor/cambricon/cambricon_vendor.h"

#include <limits>

#include "vendor/cambricon/wire.h"
#include "vendor/common.h"

namespace hami::vendor::cambricon {
namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

}  // namespace

CambriconVendor::CambriconVendor(CambriconConfig config)
    : config_(std::move(config)),
      name_(kVendorName),
      keys_{"", "", kToAllocateAnnotation, kAllocatedAnnotation},
      fit_(sched::FitRules{}) {}

std::vector<std::string> CambriconVendor::ResourceNames() const {
  return {config_.resource_count_name, config_.resource_memory_name, config_.resource_core_name};
}

QuotaResources CambriconVendor::Quota() const {
  return {config_.resource_memory_name, config_.resource_core_name, kMemoryFactor};
}

base::Result<NodeDevices> CambriconVendor::DevicesFromNode(const codec::NodeObject& node) const {
  model::DeviceInfo card;
  card.count = kDeviceCount;
  card.type = kVendorName;
  card.vendor = name_;
  card.health = true;
  NodeDevices out;
  HAMI_ASSIGN_OR_RETURN(out.devices, CardsFromSharedCapacity(
                                         node,
                                         {config_.resource_core_name, config_.resource_memory_name,
                                          kCoresPerCard, kMemoryFactor},
                                         card, kDeviceIdInfix));
  return out;
}

base::Result<std::optional<model::DeviceRequest>> CambriconVendor::ContainerRequest(
    const model::Pod& pod, const model::Container& c) const {
  HAMI_ASSIGN_OR_RETURN(auto count, RequestCount(c, config_.resource_count_name));
  if (!count) return std::optional<model::DeviceRequest>();
  const int32_t nums = *count;
  HAMI_ASSIGN_OR_RETURN(auto mem, BoundedQuantity(c, config_.resource_memory_name,
                                                  kInt32Max / kMemoryFactor, "of 256 MiB units"));
  HAMI_ASSIGN_OR_RETURN(
      auto cores, BoundedQuantity(c, config_.resource_core_name, kInt32Max, "of card percent"));
  model::DeviceRequest request;
  request.vendor = name_;
  request.nums = nums;
  request.memreq = mem.value_or(0) * kMemoryFactor;
  request.mem_percentage = request.memreq == 0 ? 100 : 0;
  request.coresreq = cores.value_or(kDefaultCores);
  return std::optional<model::DeviceRequest>(request);
}

base::Result<sched::DeviceSelector> CambriconVendor::Selector(const model::Pod& pod) const {
  sched::DeviceSelector s;
  ReadUuidSelector(pod, kUseUuid, kNoUseUuid, &s);
  return s;
}

base::Result<bool> CambriconVendor::Admit(model::Pod& pod, model::Container& c) const {
  return LimitQuantity(c, config_.resource_count_name) != nullptr;
}

base::Result<std::map<std::string, std::string>> CambriconVendor::AllocationAnnotations(
    const Allocation& allocation) const {
  HAMI_ASSIGN_OR_RETURN(auto out, Vendor::AllocationAnnotations(allocation));
  for (const auto& container : allocation.devices) {
    if (container.empty()) continue;
    const model::ContainerDevice& first = container.front();
    out[kProfileAnnotation] = std::to_string(first.idx) + "_" + std::to_string(first.usedcores) +
                              "_" + std::to_string(first.usedmem / kMemoryFactor);
    out[kAssignedAnnotation] = kAssignedFalse;
    break;
  }
  return out;
}

std::optional<NodeLockSpec> CambriconVendor::Lock() const {
  return NodeLockSpec{kLockAnnotation, false, kLockTimeoutSeconds};
}

}  // namespace hami::vendor::cambricon
