// The MetaX whole-card backend (Metax-GPU, vendors.md §8.1): cards come from the node's capacity of
// `metax-tech.com/gpu` (each a whole card: count 1, 64 GiB, 100 cores); a request takes whole
// cards; one pod's containers share one card; UUID annotations are not read. The node score adds
// the MetaXLink figure the device plugin publishes for the pod's card count: under binpack
// 2000 − losses[k] (metax-tech.com/gpu.topology.losses), under spread 2000 − scores[k]
// (…gpu.topology.scores); 0 without the annotation, 2000 when it lacks k or is not JSON.
// Immutable after construction; thread-safe for concurrent const calls.
#pragma once

#include "vendor/metax/config.h"
#include "vendor/vendor.h"

namespace hami::vendor::metax {

// Node attribute holding the published value for `k` cards (parsed once per node update).
std::string TopologyAttribute(const std::string& annotation, int64_t k);

class GpuFit final : public sched::VendorFit {
 public:
  GpuFit();
  double ScoreNode(const sched::NodeState& node, const sched::PodInput& pod,
                   std::span<const sched::PendingGrant> grants,
                   sched::NodePolicy policy) const override;
};

class GpuVendor final : public Vendor {
 public:
  explicit GpuVendor(MetaxConfig config);

  const std::string& Name() const override { return name_; }
  const VendorKeys& Keys() const override { return keys_; }
  std::vector<std::string> ResourceNames() const override;
  QuotaResources Quota() const override { return {}; }
  base::Result<NodeDevices> DevicesFromNode(const codec::NodeObject& node) const override;
  std::string HealthResource() const override { return config_.resource_count_name; }
  base::Result<std::optional<model::DeviceRequest>> ContainerRequest(
      const model::Pod& pod, const model::Container& container) const override;
  base::Result<sched::DeviceSelector> Selector(const model::Pod& pod) const override;
  base::Result<bool> Admit(model::Pod& pod, model::Container& container) const override;
  const sched::VendorFit& Fit() const override { return fit_; }

 private:
  MetaxConfig config_;
  std::string name_;
  VendorKeys keys_;
  GpuFit fit_;
};

}  // namespace hami::vendor::metax
