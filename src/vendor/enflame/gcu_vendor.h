// The Enflame whole-card backend `GCU` (vendors.md §9.1): `enflame.com/gcu: N` asks for N whole
// GCUs, built from the node's capacity of that resource. A card holds one container: a used card
// is an ExclusiveDeviceAllocateConflict; no UUID or mutex selection. Bind writes the to-allocate
// and allocated lists. No handshake, no node lock; the node is healthy while the capacity is > 0.
// Immutable after construction; thread-safe for concurrent const calls.
#pragma once

#include "vendor/enflame/config.h"
#include "vendor/vendor.h"

namespace hami::vendor::enflame {

class GcuVendor final : public Vendor {
 public:
  explicit GcuVendor(EnflameConfig config);

  const std::string& Name() const override { return name_; }
  const VendorKeys& Keys() const override { return keys_; }
  std::vector<std::string> ResourceNames() const override { return {config_.gcu_name}; }
  QuotaResources Quota() const override { return {}; }
  base::Result<NodeDevices> DevicesFromNode(const codec::NodeObject& node) const override;
  std::string HealthResource() const override { return config_.gcu_name; }
  base::Result<std::optional<model::DeviceRequest>> ContainerRequest(
      const model::Pod& pod, const model::Container& container) const override;
  base::Result<sched::DeviceSelector> Selector(const model::Pod& pod) const override;
  base::Result<bool> Admit(model::Pod& pod, model::Container& container) const override;
  const sched::VendorFit& Fit() const override { return fit_; }

 private:
  EnflameConfig config_;
  std::string name_;
  VendorKeys keys_;
  sched::VendorFit fit_;
};

}  // namespace hami::vendor::enflame
