// The Cambricon MLU backend (dynamic smlu, vendors.md §4): devices come from the node's capacity of
// the vcore and vmemory resources (100 vcore units per card, memory in 256 MiB units), requests
// run the standard card loop without hooks (the core's quota check covers upstream's fit-time
// quota), bind writes the device lists plus CAMBRICON_DSMLU_PROFILE / _ASSIGNED, and binds on a
// node are serialized by its own lock annotation `cambricon.com/dsmlu.lock`.
// Immutable after construction; thread-safe for concurrent const calls.
#pragma once

#include "vendor/cambricon/config.h"
#include "vendor/vendor.h"

namespace hami::vendor::cambricon {

class CambriconVendor final : public Vendor {
 public:
  explicit CambriconVendor(CambriconConfig config);

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
  std::optional<NodeLockSpec> Lock() const override;

  const CambriconConfig& config() const { return config_; }

 private:
  CambriconConfig config_;
  std::string name_;
  VendorKeys keys_;
  sched::VendorFit fit_;
};

}  // namespace hami::vendor::cambricon
