#include "vendor/nvidia/nvidia_vendor.h"

#include "base/strings.h"
#include "model/protocol.h"
#include "vendor/common.h"

namespace hami::vendor::nvidia {

NvidiaVendor::NvidiaVendor(NvidiaConfig config)
    : config_(std::move(config)),
      name_(kVendorName),
      // No handshake: GPU health is in the register annotation (as with upstream HEAD's plugin).
      keys_{kRegisterAnnotation, "", kToAllocateAnnotation, kAllocatedAnnotation},
      fit_() {}

std::vector<std::string> NvidiaVendor::ResourceNames() const {
  return {config_.resource_count_name, config_.resource_memory_name,
          config_.resource_memory_percentage_name, config_.resource_core_name,
          config_.resource_priority_name};
}

QuotaResources NvidiaVendor::Quota() const {
  return {config_.resource_memory_name, config_.resource_core_name,
          config_.EffectiveMemoryFactor()};
}

base::Result<sched::DeviceSelector> NvidiaVendor::Selector(const model::Pod& pod) const {
  sched::DeviceSelector s;
  s.use_types = AnnotationList(pod, kUseGpuType, true);
  s.nouse_types = AnnotationList(pod, kNoUseGpuType, true);
  ReadUuidSelector(pod, kUseGpuUuid, kNoUseGpuUuid, &s);
  if (const std::string* mode = pod.Annotation(kVgpuMode)) s.mode = *mode;
  if (const std::string* bind = pod.Annotation(kNumaBind)) {
    auto value = base::ParseBool(base::Trim(*bind));
    if (!value) {
      return base::InvalidArgument("pod " + pod.Key() + ": annotation " + kNumaBind + " \"" +
                                   *bind + "\" is not a boolean");
    }
    s.numa_bind = *value;
  }
  return s;
}

std::optional<NodeLockSpec> NvidiaVendor::Lock() const {
  if (!config_.node_lock) return std::nullopt;
  return NodeLockSpec{model::kNodeLockAnnotation, true, 0};
}

}  // namespace hami::vendor::nvidia
