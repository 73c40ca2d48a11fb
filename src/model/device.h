// Plain values describing physical devices as a node registers them, and what is booked on them.
//
// Units (WIRE, as upstream HAMi): memory in MiB, cores in percent of one GPU (100 × coreScaling).
// No behaviour here beyond trivial helpers; codec/ parses and prints these, sched/ reasons on them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hami::model {

// WIRE: vendor key ("CommonWord") used in pod-device encodings and requests.
inline constexpr char kVendorNvidia[] = "NVIDIA";

// WIRE: device `mode` values in the register annotation.
inline constexpr char kModeHamiCore[] = "hami-core";
inline constexpr char kModeMig[] = "mig";
inline constexpr char kModeMps[] = "mps";

struct MigPlacement {
  int32_t start = 0;
  int32_t size = 0;
  friend bool operator==(const MigPlacement&, const MigPlacement&) = default;
};

// One MIG profile a GPU can be cut into (register JSON `migProfiles[]`).
struct MigProfile {
  std::string name;        // e.g. "1g.5gb"
  int32_t memory_mib = 0;  // `memoryMB`
  int32_t core = 0;        // percent of the full GPU's SMs
  int32_t slice_count = 0;
  std::vector<MigPlacement> placements;
  friend bool operator==(const MigProfile&, const MigProfile&) = default;
};

// One physical device as registered by a node's device plugin (register annotation entry).
// Numeric fields come first so the scheduler's per-device loop touches one cache line.
struct DeviceInfo {
  int32_t index = 0;       // NVML index
  int32_t count = 0;       // split count: how many containers may share it
  int32_t devmem = 0;      // MiB (already scaled by deviceMemoryScaling)
  int32_t devcore = 0;     // 100 × deviceCoreScaling
  int32_t numa = 0;
  bool health = false;
  std::string vendor = kVendorNvidia;  // not on the wire: which backend registered it
  std::string mode;        // kModeHamiCore, kModeMig, kModeMps
  std::string id;          // GPU UUID
  std::string type;        // model, e.g. "NVIDIA-Tesla T4"
  std::vector<MigProfile> mig_profiles;
  friend bool operator==(const DeviceInfo&, const DeviceInfo&) = default;
};

// Topology pair scores of one node: uuid -> (peer uuid -> score). From hami.io/node-nvidia-score.
using TopologyScores = std::map<std::string, std::map<std::string, int32_t>>;

// A MIG instance booked on a device (restored from hami.io/vgpu-mig-allocations).
struct MigBooking {
  std::string profile;
  MigPlacement placement;
  friend bool operator==(const MigBooking&, const MigBooking&) = default;
};

// What is already booked on one device by running/assumed pods.
struct DeviceUsage {
  int32_t used = 0;       // slots taken
  int64_t usedmem = 0;    // MiB
  int64_t usedcores = 0;  // percent
  std::vector<MigBooking> mig;
  friend bool operator==(const DeviceUsage&, const DeviceUsage&) = default;
};

}  // namespace hami::model
