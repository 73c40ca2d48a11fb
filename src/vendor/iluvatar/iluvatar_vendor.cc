#include "vendor/iluvatar/iluvatar_vendor.h"

#include <limits>

#include "model/protocol.h"
#include "vendor/common.h"

namespace hami::vendor::iluvatar {
namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

}  // namespace

IluvatarVendor::IluvatarVendor(IluvatarChip chip)
    : chip_(std::move(chip)),
      keys_{Join(kRegisterPrefix, chip_.common_word, kRegisterSuffix),
            Join(kHandshakePrefix, chip_.common_word),
            Join(kPodKeyPrefix, chip_.common_word, kToAllocateSuffix),
            Join(kPodKeyPrefix, chip_.common_word, kAllocatedSuffix)},
      use_uuid_(Join(kUseUuidPrefix, chip_.common_word, kUuidSuffix)),
      nouse_uuid_(Join(kNoUseUuidPrefix, chip_.common_word, kUuidSuffix)),
      fit_(sched::FitRules{}) {}

std::vector<std::string> IluvatarVendor::ResourceNames() const {
  std::vector<std::string> names;
  for (const auto* name :
       {&chip_.resource_count_name, &chip_.resource_memory_name, &chip_.resource_core_name}) {
    if (!name->empty()) names.push_back(*name);
  }
  return names;
}

QuotaResources IluvatarVendor::Quota() const {
  return {chip_.resource_memory_name, chip_.resource_core_name, kMemoryUnitMiB};
}

base::Result<NodeDevices> IluvatarVendor::DevicesFromNode(const codec::NodeObject& node) const {
  NodeDevices out;
  HAMI_ASSIGN_OR_RETURN(out.devices, DevicesFromRegister(node, keys_.register_annotation, Name()));
  return out;
}

base::Result<std::optional<model::DeviceRequest>> IluvatarVendor::ContainerRequest(
    const model::Pod& pod, const model::Container& c) const {
  HAMI_ASSIGN_OR_RETURN(auto count, RequestCount(c, chip_.resource_count_name));
  if (!count) return std::optional<model::DeviceRequest>();
  const int32_t nums = *count;
  model::DeviceRequest request;
  request.vendor = Name();
  request.nums = nums;

  HAMI_ASSIGN_OR_RETURN(auto units,
                        BoundedQuantity(c, chip_.resource_memory_name, kInt32Max / kMemoryUnitMiB,
                                        "of 256 MiB units"));
  request.memreq = units.value_or(0) * kMemoryUnitMiB;
  if (request.memreq == 0) request.mem_percentage = 100;

  HAMI_ASSIGN_OR_RETURN(auto cores,
                        BoundedQuantity(c, chip_.resource_core_name, kInt32Max, "of card percent"));
  request.coresreq = cores.value_or(0);
  if (request.nums > 1) request.coresreq = kCoresPerDevice;
  return std::optional<model::DeviceRequest>(request);
}

base::Result<sched::DeviceSelector> IluvatarVendor::Selector(const model::Pod& pod) const {
  sched::DeviceSelector s;
  ReadUuidSelector(pod, use_uuid_, nouse_uuid_, &s);
  return s;
}

base::Result<bool> IluvatarVendor::Admit(model::Pod& pod, model::Container& c) const {
  HAMI_ASSIGN_OR_RETURN(auto request, ContainerRequest(pod, c));
  if (!request) return false;
  const std::string& core_name = chip_.resource_core_name;
  if (request->nums > 1 && !core_name.empty() && c.requests.count(core_name) == 0) {
    c.limits[core_name] = std::to_string(int64_t{request->nums} * kCoresPerDevice);
  }
  if (!c.name.empty() && c.env.count(kContainerNameEnv) == 0) {
    c.env[kContainerNameEnv] = c.name;
  }
  return true;
}

std::optional<NodeLockSpec> IluvatarVendor::Lock() const {
  return NodeLockSpec{model::kNodeLockAnnotation, true, 0};
}

}  // namespace hami::vendor::iluvatar
