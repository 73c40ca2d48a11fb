// Grants: which physical devices a pod's containers got (the decoded form of
// hami.io/vgpu-devices-allocated, hami-wire §3.7). Plain values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/device.h"

namespace hami::model {

// One device given to one container. WIRE: encoded as `UUID,Type,usedmem,usedcores`.
struct ContainerDevice {
  int32_t idx = 0;  // vendor's device index (not on the wire)
  std::string uuid;
  std::string type;       // vendor key, e.g. "NVIDIA" (AMD: the registered product type)
  int64_t usedmem = 0;    // MiB (scaled units when memoryFactor > 1)
  int64_t usedcores = 0;  // vendor core unit
  int32_t slots = 1;      // slots of the device's count this grant takes (not on the wire)
  friend bool operator==(const ContainerDevice&, const ContainerDevice&) = default;
};

using ContainerDevices = std::vector<ContainerDevice>;
// Per container (init containers first, then app containers; empty entries keep alignment).
using PodSingleDevice = std::vector<ContainerDevices>;
// Per vendor.
using PodDevices = std::map<std::string, PodSingleDevice>;

// A partition instance granted to one container on one device (model::Partition).
struct PartitionGrant {
  std::string vendor;
  int32_t container = 0;     // index over init containers then app containers
  int32_t device_index = 0;  // DeviceInfo::index
  std::string uuid;          // the device's UUID
  std::string shape;         // Partition::name
  std::string shape_id;      // Partition::id
  Placement placement;
  // The realized instance once the node's device plugin has created it (NVIDIA: migUUID,
  // gpuInstanceID, computeInstanceID of hami.io/vgpu-mig-allocations); "" and -1 until then, and
  // always for a grant the scheduler decides.
  std::string instance_uuid = {};
  int32_t gpu_instance_id = -1;
  int32_t compute_instance_id = -1;
  bool Realized() const { return !instance_uuid.empty(); }
  friend bool operator==(const PartitionGrant&, const PartitionGrant&) = default;
};

// One entry of hami.io/vgpu-mig-allocations (WIRE JSON).
struct MigAllocation {
  int32_t container_index = 0;
  int32_t device_index = 0;
  std::string gpu_uuid;
  std::string profile;
  int32_t placement_start = 0;
  int32_t placement_size = 0;
  // Filled by the device plugin after realization (all or none).
  std::string mig_uuid;
  int32_t gpu_instance_id = -1;
  int32_t compute_instance_id = -1;
  friend bool operator==(const MigAllocation&, const MigAllocation&) = default;
};

}  // namespace hami::model
