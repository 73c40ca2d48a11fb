#include "vendor/ascend/ascend_vendor.h"

#include "base/strings.h"
#include "model/protocol.h"
#include "vendor/ascend/runtime_info.h"
#include "vendor/common.h"

namespace hami::vendor::ascend {

bool IsHamiCore(const model::Pod& pod) {
  const std::string* mode = pod.Annotation(kVnpuModeAnnotation);
  return mode != nullptr && *mode == kVnpuModeHamiCore;
}

AscendVendor::AscendVendor(AscendChip chip, bool hami_vnpu_core,
                           std::shared_ptr<const std::set<std::string>> count_resources)
    : chip_(std::move(chip)),
      count_resources_(std::move(count_resources)),
      keys_{Join(kRegisterPrefix, chip_.common_word), Join(kHandshakePrefix, chip_.common_word),
            Join(kPodKeyPrefix, chip_.common_word, kToAllocateSuffix),
            Join(kPodKeyPrefix, chip_.common_word, kAllocatedSuffix)},
      use_uuid_(Join(kUseUuidPrefix, chip_.common_word, kUuidSuffix)),
      nouse_uuid_(Join(kNoUseUuidPrefix, chip_.common_word, kUuidSuffix)),
      runtime_info_annotation_(Join(kRuntimeInfoPrefix, chip_.common_word)),
      fit_(chip_.common_word, hami_vnpu_core, base::StartsWith(chip_.common_word, kAscend910Prefix),
           chip_.common_word == kAscend910C || chip_.super_pod) {}

std::vector<std::string> AscendVendor::ResourceNames() const {
  std::vector<std::string> names;
  for (const auto* name :
       {&chip_.resource_name, &chip_.resource_memory_name, &chip_.resource_core_name}) {
    if (!name->empty()) names.push_back(*name);
  }
  return names;
}

QuotaResources AscendVendor::Quota() const {
  return {chip_.resource_memory_name, chip_.resource_core_name, chip_.EffectiveMemoryFactor()};
}

base::Result<NodeDevices> AscendVendor::DevicesFromNode(const codec::NodeObject& node) const {
  NodeDevices out;
  HAMI_ASSIGN_OR_RETURN(out.devices, DevicesFromRegister(node, keys_.register_annotation, Name()));
  auto it = node.annotations.find(kNodeVnpuCoreAnnotation);
  if (it != node.annotations.end()) out.attributes[kNodeVnpuCoreAnnotation] = it->second;
  return out;
}

base::Result<sched::DeviceSelector> AscendVendor::Selector(const model::Pod& pod) const {
  sched::DeviceSelector s;
  ReadUuidSelector(pod, use_uuid_, nouse_uuid_, &s);
  if (const std::string* mode = pod.Annotation(kVnpuModeAnnotation)) {
    s.params[kVnpuModeAnnotation] = *mode;
  }
  return s;
}

base::Result<std::map<std::string, std::string>> AscendVendor::AllocationAnnotations(
    const Allocation& allocation) const {
  HAMI_ASSIGN_OR_RETURN(auto out, Vendor::AllocationAnnotations(allocation));
  const bool hami_core = IsHamiCore(allocation.pod);
  std::vector<RuntimeInfo> infos;
  for (const auto& container : allocation.devices) {
    for (const auto& d : container) {
      RuntimeInfo info{d.uuid, "", d.usedmem, d.usedcores};
      if (!hami_core) {
        if (auto trimmed = chip_.Trim(d.usedmem)) info.temp = trimmed->name;
      }
      infos.push_back(std::move(info));
    }
  }
  out[runtime_info_annotation_] = EncodeRuntimeInfo(infos);
  out[kPredicateTimeAnnotation] = std::to_string(allocation.unix_now);
  return out;
}

std::optional<NodeLockSpec> AscendVendor::Lock() const {
  return NodeLockSpec{model::kNodeLockAnnotation, true, 0};
}

}  // namespace hami::vendor::ascend
