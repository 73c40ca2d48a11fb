#include "vendor/hygon/hygon_vendor.h"

#include <limits>

#include "base/quantity.h"
#include "model/protocol.h"
#include "vendor/common.h"

namespace hami::vendor::hygon {
namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

base::Status OutOfRange(const model::Container& c, const std::string& name,
                        const std::string& text, const std::string& why) {
  return base::InvalidArgument("container " + c.name + ": resource " + name + " \"" + text +
                               "\" " + why);
}

}  // namespace

HygonVendor::HygonVendor(HygonConfig config)
    : config_(std::move(config)),
      name_(kVendorName),
      keys_{kRegisterAnnotation, kHandshakeAnnotation, kToAllocateAnnotation,
            kAllocatedAnnotation},
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
  const std::string& count_name = config_.resource_count_name;
  const std::string* count_text = Quantity(c, count_name);
  if (count_text == nullptr) return std::optional<model::DeviceRequest>();
  HAMI_ASSIGN_OR_RETURN(int64_t nums, IntQuantity(c, count_name, *count_text));
  if (nums <= 0) return std::optional<model::DeviceRequest>();
  if (nums > kInt32Max) return OutOfRange(c, count_name, *count_text, "is out of range");
  model::DeviceRequest request;
  request.vendor = name_;
  request.nums = static_cast<int32_t>(nums);

  const std::string& mem_name = config_.resource_memory_name;
  if (const std::string* mem = Quantity(c, mem_name)) {
    auto mib = base::ParseMemoryMiB(*mem);
    if (!mib.ok()) return mib.error().WithContext("container " + c.name + ": resource " + mem_name);
    const int64_t factor = config_.EffectiveMemoryFactor();
    if (*mib > kInt32Max / factor) {
      return OutOfRange(c, mem_name, *mem,
                        "exceeds the largest request with memoryFactor " + std::to_string(factor));
    }
    request.memreq = *mib * factor;
  }
  if (request.memreq == 0) request.mem_percentage = 100;

  request.coresreq = kDefaultCores;
  const std::string& core_name = config_.resource_core_name;
  if (const std::string* cores = Quantity(c, core_name)) {
    HAMI_ASSIGN_OR_RETURN(request.coresreq, IntQuantity(c, core_name, *cores));
    if (request.coresreq < 0 || request.coresreq > kInt32Max) {
      return OutOfRange(c, core_name, *cores, "must be within 0.." + std::to_string(kInt32Max));
    }
  }
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
