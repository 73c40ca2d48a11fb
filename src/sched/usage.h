// How much a placed pod books on each device ("collapsed" usage, hami-wire §3.7): per device,
// memory and cores are max(peak over init containers, sum over app containers) and slots are
// max(largest init grant's slots, sum of app grants' slots), at least 1 (a grant takes one slot
// unless it is a partition that takes several, model::ContainerDevice::slots).
//
// Used by every adapter that rebuilds node usage from pod annotations (extender cache,
// `hami simulate`), and by NodeFitter's node score. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "model/device.h"
#include "model/grant.h"
#include "sched/snapshot.h"

namespace hami::sched {

struct DeviceBooking {
  int32_t slots = 0;
  int64_t mem = 0;
  int64_t cores = 0;
  friend bool operator==(const DeviceBooking&, const DeviceBooking&) = default;
};

// Keyed by device UUID. `init_count` = how many leading entries of each vendor list belong to init
// containers (pass 0 once all init containers have terminated successfully).
std::map<std::string, DeviceBooking> CollapseUsage(const model::PodDevices& devices,
                                                   size_t init_count);

// Everything one pod books, ready to add to (and later remove from) its node's state.
struct PodBooking {
  std::map<std::string, DeviceBooking> devices;                            // by device UUID
  std::map<std::string, std::vector<model::PartitionBooking>> partitions;  // by device UUID
  std::map<std::string, std::vector<std::string>> tags;                    // by device UUID
  std::map<std::string, std::pair<int64_t, int64_t>> quota;  // vendor -> (memory, cores)
};

// `tags`: per vendor key, what the pod's bookings on that vendor's devices carry.
PodBooking MakePodBooking(const model::PodDevices& devices,
                          const std::vector<model::PartitionGrant>& partitions,
                          const std::map<std::string, std::vector<std::string>>& tags,
                          size_t init_count);

// Adds (sign = +1) or removes (sign = -1) a pod's booking on a node. Returns the UUIDs of the
// booking that are not on the node (nothing is booked for them; the caller decides how to report).
std::vector<std::string> ApplyBooking(NodeState& node, const PodBooking& booking, int sign);

}  // namespace hami::sched
