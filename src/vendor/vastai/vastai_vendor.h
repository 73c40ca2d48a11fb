// The Vastai backend (vendors.md §13), also run by vendors that follow its card mode with keys of
// their own (Biren, §14): devices from a JSON register annotation with Devcore forced to 100, a
// generic handshake, a count-only request {N, 0 MiB, 0 cores} read from limits then requests, UUID
// selectors, the hami.io/mutex.lock node lock, and the standard to-allocate/allocated annotations
// at bind. Die mode (vastai_fit.h) only for specs that enable it.
// Immutable after construction; thread-safe for concurrent const calls.
#pragma once

#include "vendor/vastai/config.h"
#include "vendor/vastai/vastai_fit.h"
#include "vendor/vendor.h"

namespace hami::vendor::vastai {

// What one vendor running this backend names its things.
struct CardSpec {
  std::string name;      // WIRE: the vendor key
  VendorKeys keys;       // register, handshake, to-allocate, allocated
  std::string use_uuid;  // WIRE: pod annotations selecting devices by UUID
  std::string nouse_uuid;
  bool die_mode = false;  // honour register custominfo DeviceStrategy "die" / AIC
};

// Vastai's own spec.
CardSpec VastaiSpec();

class VastaiVendor final : public Vendor {
 public:
  VastaiVendor(CardSpec spec, CountConfig config);

  const std::string& Name() const override { return spec_.name; }
  const VendorKeys& Keys() const override { return spec_.keys; }
  std::vector<std::string> ResourceNames() const override { return {config_.resource_count_name}; }
  QuotaResources Quota() const override { return {}; }
  // The register annotation's devices, Devcore 100 (upstream: "only for calscore use"); a die-mode
  // node (first device's DeviceStrategy "die") is marked with DieModeAttribute(name).
  base::Result<NodeDevices> DevicesFromNode(const codec::NodeObject& node) const override;
  std::string HealthResource() const override { return config_.resource_count_name; }
  // The count as a whole number (0 = none; a fraction, a negative or more than 2^31-1 is an
  // InvalidArgument naming the container and resource).
  base::Result<std::optional<model::DeviceRequest>> ContainerRequest(
      const model::Pod& pod, const model::Container& container) const override;
  // UUID selectors; a device's registered type must contain the vendor key (upstream's type
  // filter), expressed as a use-type so it costs nothing extra.
  base::Result<sched::DeviceSelector> Selector(const model::Pod& pod) const override;
  // Uses this vendor when the count resource is present (validated as ContainerRequest does).
  base::Result<bool> Admit(model::Pod& pod, model::Container& container) const override;
  const sched::VendorFit& Fit() const override { return fit_; }
  std::optional<NodeLockSpec> Lock() const override;

  const CountConfig& config() const { return config_; }

 private:
  CardSpec spec_;
  CountConfig config_;
  std::string type_word_;  // the vendor key, uppercased
  VastaiFit fit_;
};

}  // namespace hami::vendor::vastai
