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
          s.init.slots = std::max(s.init.slots, d.slots);
          s.init.mem = std::max(s.init.mem, d.usedmem);
          s.init.cores = std::max(s.init.cores, d.usedcores);
        } else {
          s.app.slots += d.slots;
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

PodBooking MakePodBooking(const model::PodDevices& devices,
                          const std::vector<model::PartitionGrant>& partitions,
                          const std::map<std::string, std::vector<std::string>>& tags,
                          size_t init_count) {
  PodBooking b;
  b.devices = CollapseUsage(devices, init_count);
  for (const auto& [vendor, containers] : devices) {
    int64_t mem = 0, cores = 0;
    for (const auto& [uuid, d] : CollapseUsage({{vendor, containers}}, init_count)) {
      mem += d.mem;
      cores += d.cores;
    }
    b.quota[vendor] = {mem, cores};
    auto vt = tags.find(vendor);
    if (vt == tags.end() || vt->second.empty()) continue;
    for (const auto& container : containers) {
      for (const auto& d : container) b.tags[d.uuid] = vt->second;
    }
  }
  for (const auto& p : partitions) b.partitions[p.uuid].push_back({p.shape, p.placement});
  return b;
}

namespace {

// Adds or removes `items` (a multiset) to or from `list`.
template <typename T>
void ApplyMultiset(std::vector<T>& list, const std::vector<T>& items, int sign) {
  for (const auto& item : items) {
    if (sign > 0) {
      list.push_back(item);
    } else if (auto it = std::find(list.begin(), list.end(), item); it != list.end()) {
      list.erase(it);
    }
  }
}

}  // namespace

std::vector<std::string> ApplyBooking(NodeState& node, const PodBooking& booking, int sign) {
  std::vector<std::string> unknown;
  for (const auto& [uuid, b] : booking.devices) {
    bool found = false;
    for (auto& device : node.devices) {
      if (device.info.id != uuid) continue;
      device.usage.used += sign * b.slots;
      device.usage.usedmem += sign * b.mem;
      device.usage.usedcores += sign * b.cores;
      if (auto it = booking.partitions.find(uuid); it != booking.partitions.end()) {
        ApplyMultiset(device.usage.partitions, it->second, sign);
      }
      if (auto it = booking.tags.find(uuid); it != booking.tags.end()) {
        ApplyMultiset(device.usage.tags, it->second, sign);
      }
      found = true;
    }
    if (!found) unknown.push_back(uuid);
  }
  return unknown;
}

}  // namespace hami::sched
