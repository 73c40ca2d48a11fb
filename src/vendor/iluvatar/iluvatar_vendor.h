// One Iluvatar backend per configured chip (vendors.md §6): `iluvatar.ai/<cw>-vgpu` / `.vMem`
// (units of 256 MiB) / `.vCore` (percent), devices from the legacy register annotation
// `hami.io/node-<cw>-register`, the standard card loop, and the shared node lock. A container
// asking for several devices gets each of them whole in compute (cores 100 per device), as
// upstream's webhook arranges with a core limit of count×100.
// Immutable after construction; thread-safe for concurrent const calls.
#pragma once

#include "vendor/iluvatar/config.h"
#include "vendor/iluvatar/wire.h"
#include "vendor/vendor.h"

namespace hami::vendor::iluvatar {

class IluvatarVendor final : public Vendor {
 public:
  explicit IluvatarVendor(IluvatarChip chip);

  const std::string& Name() const override { return chip_.common_word; }
  const VendorKeys& Keys() const override { return keys_; }
  std::vector<std::string> ResourceNames() const override;
  QuotaResources Quota() const override;
  base::Result<NodeDevices> DevicesFromNode(const codec::NodeObject& node) const override;
  std::string HealthResource() const override { return chip_.resource_count_name; }
  base::Result<std::optional<model::DeviceRequest>> ContainerRequest(
      const model::Pod& pod, const model::Container& container) const override;
  base::Result<sched::DeviceSelector> Selector(const model::Pod& pod) const override;
  // Adds the core limit count×100 to a multi-device container (when Kubernetes can take it
  // without a matching request change) and SOL_CONTINER_NAME to every named container.
  base::Result<bool> Admit(model::Pod& pod, model::Container& container) const override;
  const sched::VendorFit& Fit() const override { return fit_; }
  std::optional<NodeLockSpec> Lock() const override;

  const IluvatarChip& chip() const { return chip_; }

 private:
  IluvatarChip chip_;
  VendorKeys keys_;
  std::string use_uuid_;
  std::string nouse_uuid_;
  sched::VendorFit fit_;
};

}  // namespace hami::vendor::iluvatar
