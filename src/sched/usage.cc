#include "sched/usage.h"

#include <algorithm>

namespace hami::sched {

std::map<std::string, DeviceBooking> CollapseUsage(const model::PodDevices& devices,
                                                   size_t init_count) {
  struct Split {
    DeviceBooking init;
    DeviceBooking app;
  };
  std::map<std::string, Split> split;
  for (const auto& [vendor, containers] : devices) {
    for (size_t c = 0; c < containers.size(); ++c) {
      for (const auto& d : containers[c]) {
        Split& s = split[d.uuid];
        if (c < init_count) {
          s.init.slots = 1;
          s.init.mem = std::max(s.init.mem, d.usedmem);
          s.init.cores = std::max(s.init.cores, d.usedcores);
        } else {
          s.app.slots += 1;
          s.app.mem += d.usedmem;
          s.app.cores += d.usedcores;
        }
      }
    }
  }
  std::map<std::string, DeviceBooking> out;
  for (const auto& [uuid, s] : split) {
    out[uuid] = {std::max({s.init.slots, s.app.slots, 1}), std::max(s.init.mem, s.app.mem),
                 std::max(s.init.cores, s.app.cores)};
  }
  return out;
}

std::vector<std::string> ApplyBooking(NodeState& node,
                                      const std::map<std::string, DeviceBooking>& booking, int sign) {
  std::vector<std::string> unknown;
  for (const auto& [uuid, b] : booking) {
    bool found = false;
    for (auto& device : node.devices) {
      if (device.info.id != uuid) continue;
      device.usage.used += sign * b.slots;
      device.usage.usedmem += sign * b.mem;
      device.usage.usedcores += sign * b.cores;
      found = true;
    }
    if (!found) unknown.push_back(uuid);
  }
  return unknown;
}

}  // namespace hami::sched
