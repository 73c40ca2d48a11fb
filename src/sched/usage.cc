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

void ApplyBooking(NodeState& node, const std::map<std::string, DeviceBooking>& booking, int sign) {
  for (auto& device : node.devices) {
    auto it = booking.find(device.info.id);
    if (it == booking.end()) continue;
    device.usage.used += sign * it->second.slots;
    device.usage.usedmem += sign * it->second.mem;
    device.usage.usedcores += sign * it->second.cores;
  }
}

}  // namespace hami::sched
