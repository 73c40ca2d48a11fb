// The MetaX shared-GPU backend (Metax-SGPU, vendors.md §8.2): devices from the sGPU device plugin's
// `metax-tech.com/node-gpu-devices` (sgpu_register.h); requests from limits only (vcore default
// 100, vmemory a bare number of GiB or a byte quantity); the webhook checks the app class and QoS
// policy annotations and defaults the QoS of non-online pods to best-effort; fit rules and hooks in
// sgpu_fit.h (app class, QoS, MetaXLink, policy-neutral node score); bind writes the device lists,
// metax-tech.com/gpu-devices-allocated and the predicate time (ns); binds take hami.io/mutex.lock.
// Immutable after construction; thread-safe for concurrent const calls.
#pragma once

#include "vendor/metax/config.h"
#include "vendor/metax/sgpu_fit.h"
#include "vendor/vendor.h"

namespace hami::vendor::metax {

// WIRE: metax-tech.com/gpu-devices-allocated for `devices` (one list per container, empty ones
// included): [[{"uuid":"GPU-1","compute":60,"vRam":4096}],[]], zero members omitted.
std::string EncodeSgpuAllocation(const model::PodSingleDevice& devices);

class SgpuVendor final : public Vendor {
 public:
  explicit SgpuVendor(MetaxConfig config);

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
  std::vector<std::string> BookingTags(const model::Pod& pod) const override;
  base::Result<std::map<std::string, std::string>> AllocationAnnotations(
      const Allocation& allocation) const override;
  std::optional<NodeLockSpec> Lock() const override;

 private:
  // The container's vmemory in MiB (0 when absent).
  base::Result<int64_t> MemoryMiB(const model::Container& c) const;
  // True when every container asking for sGPUs takes whole cards (vcore 100).
  bool WholeCards(const model::Pod& pod) const;

  MetaxConfig config_;
  std::string name_;
  VendorKeys keys_;
  SgpuFit fit_;
};

}  // namespace hami::vendor::metax
