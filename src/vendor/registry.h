// The vendor registry: one explicit line per backend (registry.cc), built from device-config.yaml.
// Also the glue that turns a pod into the scheduling core's PodInput across all vendors.
// Immutable after construction; thread-safe for concurrent const calls.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "model/pod.h"
#include "sched/pod_input.h"
#include "sched/policy.h"
#include "vendor/nvidia/config.h"
#include "vendor/vendor.h"

namespace hami::vendor {

// HAMi's device-config.yaml, one block per vendor.
struct DeviceConfig {
  nvidia::NvidiaConfig nvidia;
};

// `root` is the whole device-config document (YAML converted to JSON); missing blocks keep defaults.
base::Result<DeviceConfig> DeviceConfigFromJson(const nlohmann::json& root);

class Registry {
 public:
  explicit Registry(const DeviceConfig& config);

  const std::vector<std::unique_ptr<Vendor>>& vendors() const { return vendors_; }
  const Vendor* Find(const std::string& name) const;
  // Every resource name owned by some vendor.
  std::vector<std::string> ResourceNames() const;

 private:
  std::vector<std::unique_ptr<Vendor>> vendors_;
};

// Per-container requests (init containers first), selectors and policies of `pod`.
// Errors name the pod and the offending container/resource/annotation.
base::Result<sched::PodInput> BuildPodInput(const model::Pod& pod, const Registry& registry,
                                            const sched::Policy& defaults);

// Applies every vendor's admission defaults (hami-wire §1.3) to `pod` in place.
// Returns whether any container uses some vendor's resources.
base::Result<bool> AdmitPod(model::Pod& pod, const Registry& registry);

}  // namespace hami::vendor
