// What the scheduling core needs to know about the pod being placed, already parsed by the
// vendors (requests with defaults applied, selectors from the pod's annotations, each vendor's fit
// hooks, policies).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/device.h"
#include "model/request.h"
#include "sched/policy.h"

namespace hami::sched {

class VendorFit;

// Per-vendor device constraints taken from pod annotations (hami-wire §1.4, vendors.md §1.5).
struct DeviceSelector {
  std::vector<std::string> use_types;    // uppercased; device type must contain one
  std::vector<std::string> nouse_types;  // uppercased; device type must contain none
  // A use-type annotation was given but held only blanks (", "): upstream's CheckType then
  // rejects every card.
  bool no_type_allowed = false;
  std::vector<std::string> use_uuids;    // exact match required (when non-empty)
  std::vector<std::string> nouse_uuids;  // exact match excludes
  std::optional<std::string> mode;       // vgpu-mode: value must contain the device's mode
  bool numa_bind = false;                // all devices of one container on one NUMA node
  // Further pod facts only the vendor's own hooks read (e.g. Metax sGPU app class, QoS policy).
  std::map<std::string, std::string> params;

  // Check 3 (type/mode) of the fit order; false = CardTypeMismatch.
  bool TypeAllowed(const model::DeviceInfo& device) const;
  // Check 5; false = CardUuidMismatch.
  bool UuidAllowed(const model::DeviceInfo& device) const;
  const std::string* Param(const std::string& key) const;
};

// One vendor's part of a pod: its selector and its fit hooks.
struct VendorInput {
  DeviceSelector selector;
  const VendorFit* fit = nullptr;  // nullptr: the standard card loop with default FitRules
};

struct PodInput {
  std::string namespace_name;
  model::PodRequests requests;
  std::map<std::string, VendorInput> vendors;  // by vendor key (absent = no constraint)
  Policy policy;

  const VendorInput& For(const std::string& vendor) const;
};

}  // namespace hami::sched
