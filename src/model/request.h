// What one container asks of one vendor, after the vendor has parsed the pod's quantities and
// applied defaults (hami-wire §1.2). Plain value.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hami::model {

// WIRE-adjacent: upstream's sentinel for "no memory percentage given".
inline constexpr int32_t kMemPercentageUnset = 101;

struct DeviceRequest {
  std::string vendor;  // the vendor key ("NVIDIA", "DCU", ...)
  int32_t nums = 0;    // devices wanted; each on a distinct physical device (except partitions)
  int64_t memreq = 0;  // MiB per device (already × memoryFactor); 0 = use mem_percentage
  int32_t mem_percentage = kMemPercentageUnset;  // 1..100, or kMemPercentageUnset
  int64_t coresreq = 0;  // per device, in the vendor's core unit (percent for most)
  // Partitioned devices only (model::Partition): a shape of this name (`nvidia.com/mig-1g.5gb`),
  // and/or of exactly this many slices (`enflame.com/drs-gcu: 3`); empty/0 = the smallest shape
  // that holds memreq and coresreq. A request naming a shape fits only partitioned devices.
  std::string partition;
  int32_t partition_slices = 0;

  // Memory this request books on a device with `totalmem` MiB (upstream fit-time rule).
  int64_t MemoryOn(int64_t totalmem) const {
    if (memreq > 0) return memreq;
    if (mem_percentage != kMemPercentageUnset) return totalmem * mem_percentage / 100;
    return 0;
  }
  friend bool operator==(const DeviceRequest&, const DeviceRequest&) = default;
};

// One container's requests, keyed by vendor. Empty map = the container wants no device.
using ContainerRequests = std::map<std::string, DeviceRequest>;

// The whole pod: init containers first (in order), then app containers.
struct PodRequests {
  std::vector<ContainerRequests> init;
  std::vector<ContainerRequests> app;
  bool Empty() const {
    for (const auto& c : init)
      if (!c.empty()) return false;
    for (const auto& c : app)
      if (!c.empty()) return false;
    return true;
  }
};

}  // namespace hami::model
