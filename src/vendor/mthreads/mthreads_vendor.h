// The Moore Threads backend (sGPU, vendors.md §7): devices come from the node's capacity of the
// sgpu-core and sgpu-memory resources (16 core units per card, memory in 512 MiB units); the
// webhook turns whole-card requests into explicit cores and memory and checks sGPU memory sizes;
// a request is divided per device; one pod's containers share one card
// (FitRules::one_device_per_pod); bind writes the allocated list, the card indices, the predicate
// time (ns) and node.
// Immutable after construction; thread-safe for concurrent const calls.
#pragma once

#include "vendor/mthreads/config.h"
#include "vendor/vendor.h"

namespace hami::vendor::mthreads {

class MthreadsVendor final : public Vendor {
 public:
  explicit MthreadsVendor(MthreadsConfig config);

  const std::string& Name() const override { return name_; }
  const VendorKeys& Keys() const override { return keys_; }
  std::vector<std::string> ResourceNames() const override;
  QuotaResources Quota() const override;
  base::Result<NodeDevices> DevicesFromNode(const codec::NodeObject& node) const override;
  base::Result<std::optional<model::DeviceRequest>> ContainerRequest(
      const model::Pod& pod, const model::Container& container) const override;
  base::Result<sched::DeviceSelector> Selector(const model::Pod& pod) const override;
  base::Result<bool> Admit(model::Pod& pod, model::Container& container) const override;
  const sched::VendorFit& Fit() const override { return fit_; }
  base::Result<std::map<std::string, std::string>> AllocationAnnotations(
      const Allocation& allocation) const override;

  const MthreadsConfig& config() const { return config_; }

 private:
  // Admission of a container whose count is `nums` (> 0).
  base::Status AdmitCount(model::Pod& pod, model::Container& c, int64_t nums) const;

  MthreadsConfig config_;
  std::string name_;
  VendorKeys keys_;
  sched::VendorFit fit_;
};

}  // namespace hami::vendor::mthreads
