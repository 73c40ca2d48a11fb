#include "vendor/nvidia/nvidia_vendor.h"

#include "base/strings.h"

namespace hami::vendor::nvidia {
namespace {

// Comma list, trimmed, empty entries dropped; uppercased when `upper`.
std::vector<std::string> List(const model::Pod& pod, const char* key, bool upper) {
  std::vector<std::string> out;
  const std::string* value = pod.Annotation(key);
  if (value == nullptr) return out;
  for (std::string_view part : base::Split(*value, ',')) {
    part = base::Trim(part);
    if (part.empty()) continue;
    out.push_back(upper ? base::ToUpper(part) : std::string(part));
  }
  return out;
}

}  // namespace

NvidiaVendor::NvidiaVendor(NvidiaConfig config)
    : config_(std::move(config)),
      name_(model::kVendorNvidia),
      keys_{kRegisterAnnotation, kScoreAnnotation, kToAllocateAnnotation, kAllocatedAnnotation} {}

std::vector<std::string> NvidiaVendor::ResourceNames() const {
  return {config_.resource_count_name, config_.resource_memory_name,
          config_.resource_memory_percentage_name, config_.resource_core_name,
          config_.resource_priority_name};
}

base::Result<sched::DeviceSelector> NvidiaVendor::Selector(const model::Pod& pod) const {
  sched::DeviceSelector s;
  s.use_types = List(pod, kUseGpuType, true);
  s.nouse_types = List(pod, kNoUseGpuType, true);
  s.use_uuids = List(pod, kUseGpuUuid, false);
  s.nouse_uuids = List(pod, kNoUseGpuUuid, false);
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

}  // namespace hami::vendor::nvidia
