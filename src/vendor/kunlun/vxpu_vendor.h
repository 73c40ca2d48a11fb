// The Kunlunxin vXPU backend `XPU` (vendors.md §10.2): `kunlunxin.com/vxpu` (+ `vxpu-memory`, MiB,
// rounded up to 24576 / 49152 / 98304; cores follow memory) on devices registered in
// hami.io/node-register-xpu. A card holds vXPUs of one size only; multi-vXPU requests follow the
// board topology. Bind writes the to-allocate and allocated lists; binds take hami.io/mutex.lock.
// Immutable after construction; thread-safe for concurrent const calls.
#pragma once

#include "vendor/kunlun/config.h"
#include "vendor/kunlun/kunlun_fit.h"
#include "vendor/vendor.h"

namespace hami::vendor::kunlun {

class VxpuVendor final : public Vendor {
 public:
  explicit VxpuVendor(KunlunConfig config);

  const std::string& Name() const override { return name_; }
  const VendorKeys& Keys() const override { return keys_; }
  std::vector<std::string> ResourceNames() const override;
  QuotaResources Quota() const override { return {config_.vmemory_name, "", 1}; }
  base::Result<NodeDevices> DevicesFromNode(const codec::NodeObject& node) const override;
  std::string HealthResource() const override { return config_.vcount_name; }
  base::Result<std::optional<model::DeviceRequest>> ContainerRequest(
      const model::Pod& pod, const model::Container& container) const override;
  base::Result<sched::DeviceSelector> Selector(const model::Pod& pod) const override;
  // A vxpu-memory limit is rounded up to a vXPU size and written to limits and requests.
  base::Result<bool> Admit(model::Pod& pod, model::Container& container) const override;
  const sched::VendorFit& Fit() const override { return fit_; }
  std::optional<NodeLockSpec> Lock() const override;

 private:
  KunlunConfig config_;
  std::string name_;
  VendorKeys keys_;
  VxpuFit fit_;
};

}  // namespace hami::vendor::kunlun
