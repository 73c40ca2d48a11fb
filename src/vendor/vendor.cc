#include "vendor/vendor.h"

#include "codec/pod_devices.h"

namespace hami::vendor {

base::Result<std::map<std::string, std::string>> Vendor::AllocationAnnotations(
    const Allocation& allocation) const {
  HAMI_ASSIGN_OR_RETURN(std::string encoded, codec::EncodePodSingleDevice(allocation.devices));
  std::map<std::string, std::string> out;
  if (!Keys().to_allocate_annotation.empty()) out[Keys().to_allocate_annotation] = encoded;
  if (!Keys().allocated_annotation.empty()) out[Keys().allocated_annotation] = encoded;
  return out;
}

base::Result<std::optional<Granted>> Vendor::GrantedDevices(const model::Pod& pod) const {
  const std::string& key = Keys().allocated_annotation;
  const std::string* value = key.empty() ? nullptr : pod.Annotation(key);
  if (value == nullptr) return std::optional<Granted>();
  auto decoded = codec::DecodePodSingleDevice(*value);
  if (!decoded.ok()) return decoded.error().WithContext("annotation " + key);
  Granted granted;
  granted.devices = std::move(*decoded);
  return std::optional<Granted>(std::move(granted));
}

}  // namespace hami::vendor
