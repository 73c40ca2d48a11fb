// AWS Neuron's fit rules (vendors.md §11 "Fit") as hooks of the generic loop.
//
// A device's `devcore` is a bitmask with one bit per NeuronCore; what a device has booked
// (`usedcores`) is the sum of its bookings' masks, which is their union as long as bookings never
// share a core (ours never do). So the free cores are `devcore & ~usedcores`, and a booking whose
// masks overlap (a sum with bits outside the device) leaves no free core rather than double-booking
// one (vendors.md §17.4).
//
//   CheckDevice  books the lowest free cores the request needs (every core for a whole-device
//                request) and records that mask as the grant's cores; too few free cores is
//                CardInsufficientCore.
//   Select       one device: the first in the policy's order. Several devices: devices idle before
//                this container, contiguous by device index; on "inf" instance types any run, on
//                others only runs of 4, 8 or 16 starting at a multiple of their length (upstream's
//                Trainium groups). None: "1/<devices> NumaNotFit", as upstream.
// Immutable; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sched/vendor_fit.h"

namespace hami::vendor::awsneuron {

// The lowest `count` set bits of `mask` (all of them when it has fewer).
uint32_t LowestBits(uint32_t mask, int count);
// Whether the instance type names an Inferentia instance, whose devices form a ring.
bool IsRingInstance(const std::string& instance_type);

class NeuronFit final : public sched::VendorFit {
 public:
  NeuronFit();

  std::optional<model::Reason> CheckDevice(sched::DeviceCheck& check) const override;
  void Select(const sched::SelectInput& in, std::vector<size_t>* chosen,
              model::NodeFailure* failure) const override;
};

}  // namespace hami::vendor::awsneuron
