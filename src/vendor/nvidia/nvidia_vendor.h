// The NVIDIA backend: HAMi's `nvidia.com/*` resources and annotations (hami-wire §1-§3). It runs
// the standard card loop without hooks; MIG-mode GPUs are partitioned devices (their MIG profiles
// are model::Partition shapes), and static MIG resources (`nvidia.com/mig-1g.5gb`) ask for a shape
// by name.
// Immutable after construction; thread-safe for concurrent const calls.
#pragma once

#include "vendor/nvidia/config.h"
#include "vendor/nvidia/wire.h"
#include "vendor/vendor.h"

namespace hami::vendor::nvidia {

// The standard card loop (no per-device hooks), plus static MIG: a request for a MIG profile
// (`nvidia.com/mig-<profile>`) on a node whose allocatable has that resource (the device plugin's
// migStrategy mixed, or NVIDIA's own plugin) and none of whose GPUs offers the profile for
// dynamic MIG is served by the node: kube-scheduler counts the resource, nothing is booked here.
class NvidiaFit final : public sched::VendorFit {
 public:
  NvidiaFit();
  bool ServedByNode(const sched::NodeState& node,
                    const model::DeviceRequest& request) const override;
};

class NvidiaVendor final : public Vendor {
 public:
  explicit NvidiaVendor(NvidiaConfig config);

  const std::string& Name() const override { return name_; }
  const VendorKeys& Keys() const override { return keys_; }
  std::vector<std::string> ResourceNames() const override;
  QuotaResources Quota() const override;
  // The register annotation's GPUs, and as attributes the node's allocatable static MIG resources
  // (kMigResourcePrefix + profile -> count > 0). A node with such resources and no GPU registered
  // (annotation absent or an empty list) is served for those alone.
  base::Result<NodeDevices> DevicesFromNode(const codec::NodeObject& node) const override;
  std::string HealthResource() const override { return config_.resource_count_name; }
  base::Result<std::optional<model::DeviceRequest>> ContainerRequest(
      const model::Pod& pod, const model::Container& container) const override;
  base::Result<sched::DeviceSelector> Selector(const model::Pod& pod) const override;
  base::Result<bool> Admit(model::Pod& pod, model::Container& container) const override;
  base::Status AdmitPod(model::Pod& pod) const override;
  const sched::VendorFit& Fit() const override { return fit_; }
  base::Result<std::map<std::string, std::string>> AllocationAnnotations(
      const Allocation& allocation) const override;
  base::Result<std::optional<Granted>> GrantedDevices(const model::Pod& pod) const override;
  std::optional<NodeLockSpec> Lock() const override;

  const NvidiaConfig& config() const { return config_; }

 private:
  // The static MIG resource a container asks for (`nvidia.com/mig-<profile>`), if any.
  base::Result<std::optional<model::DeviceRequest>> StaticMigRequest(
      const model::Container& container) const;

  NvidiaConfig config_;
  std::string name_;
  VendorKeys keys_;
  NvidiaFit fit_;
};

}  // namespace hami::vendor::nvidia
