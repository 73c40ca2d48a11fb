// Plain values describing physical devices as a node registers them, and what is booked on them.
//
// Units (WIRE, as upstream HAMi): memory in MiB; cores in the vendor's core unit (NVIDIA: percent
// of one GPU × deviceCoreScaling; AMD: compute units; Mthreads: sGPU cores; AWS: a core bitmask).
// No behaviour here beyond trivial helpers; codec/ parses and prints these, sched/ reasons on them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hami::model {

// WIRE: device `mode` values in the register annotation.
inline constexpr char kModeHamiCore[] = "hami-core";
inline constexpr char kModeMig[] = "mig";
inline constexpr char kModeMps[] = "mps";

// Where an instance of a partition sits on its device, in the vendor's slice units.
struct Placement {
  int32_t start = 0;
  int32_t size = 0;
  friend bool operator==(const Placement&, const Placement&) = default;
};

// One fixed shape a device can be cut into: a MIG profile, an Ascend vNPU template, an Enflame DRS
// profile, a Kunlunxin vXPU size. A device that lists partitions only hands out these shapes: a
// request is rounded up to the smallest shape that holds it and books the shape's numbers.
struct Partition {
  std::string name;  // WIRE: "1g.5gb", "vir02", "3g.20gb"; "" for the whole device
  std::string id;    // the vendor's id of the shape (Enflame profile ID); "" when none
  int32_t memory_mib = 0;
  int32_t core = -1;   // cores one instance books; -1 = the request's own cores
  int32_t slices = 1;  // size in the device's slices (MIG sliceCount, Enflame slice count)
  int32_t slots = 1;   // how much of the device's `count` one instance takes
  // Where an instance may start; empty = anywhere (only memory, cores and slots limit it).
  std::vector<Placement> placements;
  friend bool operator==(const Partition&, const Partition&) = default;
};

// One physical device as registered by a node (register annotation entry, or built from the
// node's capacity for vendors whose device plugin publishes only counts).
// Numeric fields come first so the scheduler's per-device loop touches one cache line.
struct DeviceInfo {
  int32_t index = 0;    // vendor's device index (NVML index)
  int32_t count = 0;    // split count: how many containers may share it
  int32_t devmem = 0;   // MiB (already scaled by deviceMemoryScaling)
  int32_t devcore = 0;  // in the vendor's core unit
  int32_t numa = 0;
  bool health = false;
  std::string vendor;  // not on the wire: the vendor key of the backend that registered it
  std::string mode;    // kModeHamiCore, kModeMig, kModeMps, or a vendor's own mode
  std::string id;      // device UUID
  std::string type;    // model, e.g. "NVIDIA-Tesla T4"
  std::vector<Partition> partitions;  // non-empty: the fixed shapes this device is cut into
  // Vendor facts the vendor's own hooks read (register `custominfo`, e.g. NetworkID, LinkZone).
  std::map<std::string, std::string> attributes;
  friend bool operator==(const DeviceInfo&, const DeviceInfo&) = default;
};

// Topology pair scores of one node: uuid -> (peer uuid -> score). From hami.io/node-nvidia-score.
using TopologyScores = std::map<std::string, std::map<std::string, int32_t>>;

// An instance of a partition booked on a device (by a running or assumed pod).
struct PartitionBooking {
  std::string shape;  // Partition::name
  Placement placement;
  friend bool operator==(const PartitionBooking&, const PartitionBooking&) = default;
};

// What is already booked on one device by running/assumed pods.
struct DeviceUsage {
  int32_t used = 0;       // slots taken
  int64_t usedmem = 0;    // MiB
  int64_t usedcores = 0;  // vendor core unit
  std::vector<PartitionBooking> partitions;
  // One entry per booking pod that declared tags (e.g. Metax sGPU app class); a multiset.
  std::vector<std::string> tags;
  friend bool operator==(const DeviceUsage&, const DeviceUsage&) = default;
};

}  // namespace hami::model
