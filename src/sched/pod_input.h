// What the scheduling core needs to know about the pod being placed, already parsed by the
// vendors (requests with defaults applied, selectors from the pod's annotations, policies).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/device.h"
#include "model/request.h"
#include "sched/policy.h"

namespace hami::sched {

// Per-vendor device constraints taken from pod annotations (hami-wire §1.4).
struct DeviceSelector {
  std::vector<std::string> use_types;    // uppercased; device type must contain one
  std::vector<std::string> nouse_types;  // uppercased; device type must contain none
  std::vector<std::string> use_uuids;    // exact match required (when non-empty)
  std::vector<std::string> nouse_uuids;  // exact match excludes
  std::optional<std::string> mode;       // vgpu-mode: value must contain the device's mode
  bool numa_bind = false;                // all devices of one container on one NUMA node

  // Checks 3 (type/mode) of the fit order; false = CardTypeMismatch.
  bool TypeAllowed(const model::DeviceInfo& device) const;
  // Check 5; false = CardUuidMismatch.
  bool UuidAllowed(const model::DeviceInfo& device) const;
};

struct PodInput {
  std::string namespace_name;
  model::PodRequests requests;
  std::map<std::string, DeviceSelector> selectors;  // vendor -> selector (absent = no constraint)
  Policy policy;

  const DeviceSelector& SelectorFor(const std::string& vendor) const;
};

}  // namespace hami::sched
