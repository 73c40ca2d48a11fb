// The Hygon DCU backend (vendors.md §5): `hygon.com/dcunum` / `dcumem` / `dcucores`, devices from
// the legacy register annotation `hami.io/node-dcu-register`, the standard card loop with the DCU
// type selectors, and the shared node lock. A container that names no memory gets the whole
// device's memory; one that names no cores gets 100 % (so `dcunum` alone is an exclusive card).
// Immutable after construction; thread-safe for concurrent const calls.
#pragma once

#include "vendor/hygon/config.h"
#include "vendor/hygon/wire.h"
#include "vendor/vendor.h"

namespace hami::vendor::hygon {

class HygonVendor final : public Vendor {
 public:
  explicit HygonVendor(HygonConfig config);

  const std::string& Name() const override { return name_; }
  const VendorKeys& Keys() const override { return keys_; }
  std::vector<std::string> ResourceNames() const override;
  QuotaResources Quota() const override;
  base::Result<NodeDevices> DevicesFromNode(const codec::NodeObject& node) const override;
  std::string HealthResource() const override { return config_.resource_count_name; }
  base::Result<std::optional<model::DeviceRequest>> ContainerRequest(
      const model::Pod& pod, const model::Container& container) const override;
  base::Result<sched::DeviceSelector> Selector(const model::Pod& pod) const override;
  base::Result<bool> Admit(model::Pod& pod, model::Container& container) const override;
  const sched::VendorFit& Fit() const override { return fit_; }
  std::optional<NodeLockSpec> Lock() const override;

  const HygonConfig& config() const { return config_; }

 private:
  HygonConfig config_;
  std::string name_;
  VendorKeys keys_;
  sched::VendorFit fit_;
};

}  // namespace hami::vendor::hygon
