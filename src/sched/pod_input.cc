#include "sched/pod_input.h"

#include <algorithm>

#include "base/strings.h"

namespace hami::sched {

bool DeviceSelector::TypeAllowed(const model::DeviceInfo& device) const {
  if (no_type_allowed) return false;
  if (!use_types.empty() || !nouse_types.empty()) {
    const std::string type = base::ToUpper(device.type);
    if (!use_types.empty() &&
        std::none_of(use_types.begin(), use_types.end(),
                     [&](const std::string& t) { return base::Contains(type, t); })) {
      return false;
    }
    if (std::any_of(nouse_types.begin(), nouse_types.end(),
                    [&](const std::string& t) { return base::Contains(type, t); })) {
      return false;
    }
  }
  if (mode.has_value() && !base::Contains(*mode, device.mode)) return false;
  return true;
}

bool DeviceSelector::UuidAllowed(const model::DeviceInfo& device) const {
  if (!use_uuids.empty() &&
      std::find(use_uuids.begin(), use_uuids.end(), device.id) == use_uuids.end()) {
    return false;
  }
  return std::find(nouse_uuids.begin(), nouse_uuids.end(), device.id) == nouse_uuids.end();
}

const std::string* DeviceSelector::Param(const std::string& key) const {
  auto it = params.find(key);
  return it == params.end() ? nullptr : &it->second;
}

const VendorInput& PodInput::For(const std::string& vendor) const {
  static const VendorInput kNone;
  auto it = vendors.find(vendor);
  return it == vendors.end() ? kNone : it->second;
}

}  // namespace hami::sched
