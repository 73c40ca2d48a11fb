// The AWS Neuron backend (vendors.md §11): devices built from the node's capacity
// (`aws.amazon.com/neuron` devices, `aws.amazon.com/neuroncore` cores), whole-device or core
// requests, core bitmasks booked per grant (neuron_fit.h), and the bind annotations AWS's device
// plugin reads (AWS_NEURON_IDS and friends). No handshake, no node lock; devices are always
// healthy. Immutable after construction; thread-safe for concurrent const calls.
#pragma once

#include "vendor/awsneuron/config.h"
#include "vendor/awsneuron/neuron_fit.h"
#include "vendor/awsneuron/wire.h"
#include "vendor/vendor.h"

namespace hami::vendor::awsneuron {

// Bounds on what a node's capacity may describe (hostile input): more is an error naming it.
inline constexpr int64_t kMaxDevicesPerNode = 256;
inline constexpr int64_t kMaxCoresPerDevice = 16;
// Cores per device when the node publishes no core capacity.
inline constexpr int64_t kDefaultCoresPerDevice = 2;

class AwsNeuronVendor final : public Vendor {
 public:
  explicit AwsNeuronVendor(AwsNeuronConfig config);

  const std::string& Name() const override { return name_; }
  const VendorKeys& Keys() const override { return keys_; }
  std::vector<std::string> ResourceNames() const override;
  // Not accounted: a grant's cores are a bitmask, which a core-count quota cannot be compared with.
  QuotaResources Quota() const override { return {}; }
  // One device per `neuron` capacity unit, ID "<node>-AWSNeuron-<i>", Count = cores per device
  // (neuroncore ÷ neuron capacity, 2 when no core capacity is published), Devcore = the full core
  // mask, attribute AWSNodeType = the instance-type label. NotFound without `neuron` capacity.
  base::Result<NodeDevices> DevicesFromNode(const codec::NodeObject& node) const override;
  base::Result<std::optional<model::DeviceRequest>> ContainerRequest(
      const model::Pod& pod, const model::Container& container) const override;
  base::Result<sched::DeviceSelector> Selector(const model::Pod& pod) const override;
  // Validates the request like ContainerRequest (upstream's webhook rejects the same values);
  // mutates nothing.
  base::Result<bool> Admit(model::Pod& pod, model::Container& container) const override;
  const sched::VendorFit& Fit() const override { return fit_; }
  // The allocated annotation plus AWS_NEURON_IDS (every container's ids, in container order),
  // NEURON_RESOURCE_TYPE when cores are listed, NEURON_ALLOC_TIME, NEURON_ALLOCATED=false and
  // aws.amazon.com/predicate-node. A container whose request counted devices lists device
  // indices; one that asked for cores lists (cores per device) × index + bit for each bit of its
  // mask, cores per device read from the device's registration (Allocation::registered). A core
  // grant whose device is not in the registration, or whose mask lies outside the device's cores,
  // is an error naming the container and device.
  base::Result<std::map<std::string, std::string>> AllocationAnnotations(
      const Allocation& allocation) const override;

  const AwsNeuronConfig& config() const { return config_; }

 private:
  // AWS_NEURON_IDS entries of one container's grants.
  base::Result<std::vector<std::string>> ContainerIds(
      const model::Container& container, const model::ContainerDevices& devices,
      const std::map<std::string, model::DeviceInfo>& registered, bool* cores_listed) const;

  AwsNeuronConfig config_;
  std::string name_;
  VendorKeys keys_;
  NeuronFit fit_;
};

}  // namespace hami::vendor::awsneuron
