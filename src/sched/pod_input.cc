#include "sched/pod_input.h"

#include <algorithm>

#include "base/strings.h"

namespace hami::sched {

bool DeviceSelector::TypeAllowed(const model::DeviceInfo& device) const {
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

const DeviceSelector& PodInput::SelectorFor(const std::string& vendor) const {
  static const DeviceSelector kNone;
  auto it = selectors.find(vendor);
  return it == selectors.end() ? kNone : it->second;
}

}  // namespace hami::sched
