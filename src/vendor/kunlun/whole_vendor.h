// The Kunlunxin whole-card backend `kunlun` (vendors.md §10.1): `kunlunxin.com/xpu` asks for whole
// XPUs, built from the node's capacity (NUMA 1 for the upper half), chosen by the board topology
// and scored by wing bubbles. Bind writes hami.io/kunlun-allocated and BAIDU_COM_DEVICE_IDX. No
// handshake, no node lock.
// Immutable after construction; thread-safe for concurrent const calls.
#pragma once

#include "vendor/kunlun/config.h"
#include "vendor/kunlun/kunlun_fit.h"
#include "vendor/vendor.h"

namespace hami::vendor::kunlun {

class WholeVendor final : public Vendor {
 public:
  explicit WholeVendor(KunlunConfig config);

  const std::string& Name() const override { return name_; }
  const VendorKeys& Keys() const override { return keys_; }
  std::vector<std::string> ResourceNames() const override { return {config_.count_name}; }
  QuotaResources Quota() const override { return {}; }
  base::Result<NodeDevices> DevicesFromNode(const codec::NodeObject& node) const override;
  base::Result<std::optional<model::DeviceRequest>> ContainerRequest(
      const model::Pod& pod, const model::Container& container) const override;
  base::Result<sched::DeviceSelector> Selector(const model::Pod& pod) const override;
  base::Result<bool> Admit(model::Pod& pod, model::Container& container) const override;
  // Refuses a pod whose containers ask for whole XPUs more than once: the device plugin reads one
  // index list per pod (BAIDU_COM_DEVICE_IDX), so a second container would get the wrong cards.
  base::Status AdmitPod(model::Pod& pod) const override;
  const sched::VendorFit& Fit() const override { return fit_; }
  base::Result<std::map<std::string, std::string>> AllocationAnnotations(
      const Allocation& allocation) const override;

 private:
  KunlunConfig config_;
  std::string name_;
  VendorKeys keys_;
  WholeFit fit_;
};

// Both UUID annotation pairs (hami.io/use-xpu-uuid and baidu.com/use-gpuuuid, with their no-use
// keys) into one selector; shared by both Kunlunxin backends.
sched::DeviceSelector KunlunSelector(const model::Pod& pod);

}  // namespace hami::vendor::kunlun
