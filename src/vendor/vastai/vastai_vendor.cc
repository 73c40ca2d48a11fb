#include "vendor/vastai/vastai_vendor.h"

#include <limits>

#include "base/strings.h"
#include "model/protocol.h"
#include "vendor/common.h"
#include "vendor/vastai/wire.h"

namespace hami::vendor::vastai {

CardSpec VastaiSpec() {
  return {kVendorName,
          {kRegisterAnnotation, kHandshakeAnnotation, kToAllocateAnnotation, kAllocatedAnnotation},
          kUseUuid,
          kNoUseUuid,
          true};
}

VastaiVendor::VastaiVendor(CardSpec spec, CountConfig config)
    : spec_(std::move(spec)),
      config_(std::move(config)),
      type_word_(base::ToUpper(spec_.name)),
      fit_(spec_.name, spec_.die_mode) {}

base::Result<NodeDevices> VastaiVendor::DevicesFromNode(const codec::NodeObject& node) const {
  NodeDevices out;
  HAMI_ASSIGN_OR_RETURN(out.devices,
                        DevicesFromRegister(node, spec_.keys.register_annotation, spec_.name));
  for (auto& d : out.devices) d.devcore = 100;
  if (spec_.die_mode && !out.devices.empty()) {
    const auto& info = out.devices.front().attributes;
    auto it = info.find(kDeviceStrategyInfo);
    if (it != info.end() && it->second == kDieStrategy) {
      out.attributes[DieModeAttribute(spec_.name)] = kDieStrategy;
    }
  }
  return out;
}

base::Result<std::optional<model::DeviceRequest>> VastaiVendor::ContainerRequest(
    const model::Pod& pod, const model::Container& c) const {
  HAMI_ASSIGN_OR_RETURN(auto count, RequestCount(c, config_.resource_count_name));
  if (!count) return std::optional<model::DeviceRequest>();
  const int32_t nums = *count;
  model::DeviceRequest request;
  request.vendor = spec_.name;
  request.nums = nums;
  return std::optional<model::DeviceRequest>(request);
}

base::Result<sched::DeviceSelector> VastaiVendor::Selector(const model::Pod& pod) const {
  sched::DeviceSelector s;
  s.use_types = {type_word_};
  ReadUuidSelector(pod, spec_.use_uuid, spec_.nouse_uuid, &s);
  return s;
}

base::Result<bool> VastaiVendor::Admit(model::Pod& pod, model::Container& c) const {
  if (Quantity(c, config_.resource_count_name) == nullptr) return false;
  HAMI_RETURN_IF_ERROR(ContainerRequest(pod, c).status());
  return true;
}

std::optional<NodeLockSpec> VastaiVendor::Lock() const {
  return NodeLockSpec{model::kNodeLockAnnotation, true, 0};
}

}  // namespace hami::vendor::vastai
