// The AMD backend (vendors.md §12): devices from the JSON register annotation
// hami.io/node-amd-register (devcore = compute units), `amd.com/gpu` / `amd.com/gpumem` (MiB) /
// `amd.com/gpucores` (percent of the device's CUs) read from limits only, type and UUID selectors,
// the hami.io/mutex.lock node lock, and the standard to-allocate/allocated annotations at bind.
// No handshake: a node whose count capacity is not above 0 has its AMD devices unhealthy (upstream
// then deletes the register annotation).
// Immutable after construction; thread-safe for concurrent const calls.
#pragma once

#include "vendor/amd/amd_fit.h"
#include "vendor/amd/config.h"
#include "vendor/amd/wire.h"
#include "vendor/vendor.h"

namespace hami::vendor::amd {

class AmdVendor final : public Vendor {
 public:
  explicit AmdVendor(AmdConfig config);

  const std::string& Name() const override { return name_; }
  const VendorKeys& Keys() const override { return keys_; }
  std::vector<std::string> ResourceNames() const override;
  // Memory in MiB; cores in the unit grants book, compute units.
  QuotaResources Quota() const override;
  base::Result<NodeDevices> DevicesFromNode(const codec::NodeObject& node) const override;
  std::string HealthResource() const override { return config_.resource_count_name; }
  // From limits only: count n in 1..2^31-1 (0 = none), memory MiB (0 or absent = the whole
  // device's memory), cores 1..100 percent (absent = 100). Anything else is an InvalidArgument
  // naming the container and resource.
  base::Result<std::optional<model::DeviceRequest>> ContainerRequest(
      const model::Pod& pod, const model::Container& container) const override;
  base::Result<sched::DeviceSelector> Selector(const model::Pod& pod) const override;
  // Uses AMD when its limits name the count, memory or core resource (upstream's webhook); with a
  // count the request must be valid (the cores error quotes upstream's message). Mutates nothing.
  base::Result<bool> Admit(model::Pod& pod, model::Container& container) const override;
  const sched::VendorFit& Fit() const override { return fit_; }
  std::optional<NodeLockSpec> Lock() const override;

  const AmdConfig& config() const { return config_; }

 private:
  AmdConfig config_;
  std::string name_;
  VendorKeys keys_;
  AmdFit fit_;
};

}  // namespace hami::vendor::amd
