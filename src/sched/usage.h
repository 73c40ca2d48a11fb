// How much a placed pod books on each device ("collapsed" usage, hami-wire §3.7): per device,
// memory and cores are max(peak over init containers, sum over app containers) and slots are
// max(1 if any init container uses it, number of app containers using it).
//
// Used by every adapter that rebuilds node usage from pod annotations (extender cache,
// `hami simulate`), and by NodeFitter's node score. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <string>
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

// Adds (sign = +1) or removes (sign = -1) a pod's bookings on a node. Returns the UUIDs of the
// booking that are not on the node (nothing is booked for them; the caller decides how to report).
std::vector<std::string> ApplyBooking(NodeState& node,
                                      const std::map<std::string, DeviceBooking>& booking, int sign);

}  // namespace hami::sched
