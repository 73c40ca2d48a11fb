// MIG facts of the simulated GPU models: GPU-instance profiles, their placements, the
// compute-instance profiles inside a GPU instance, instance ids and MIG device UUIDs.
//
// Everything here is pure (tables and arithmetic), thread-safe, and shared by the simulated NVML
// (which creates instances) and CUDA (which runs on them). Placements of GPU instances are in
// memory slices (8 on the A100/H100, 4 on the A30); placements of compute instances are in compute
// slices of their GPU instance. The numbers come from `nvidia-smi mig -lgip / -lgipp` of the real
// GPUs (see docs/sim.md); engine counts other than copy engines are illustrative.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "sim/config.h"

namespace hami::sim {

// GPU-instance ids are heap indices of the placement in the binary tree of memory slices (below),
// so 15 cover 8 memory slices; a GPU instance holds at most 7 compute instances.
inline constexpr int kMaxGpuInstances = 16;
inline constexpr int kMaxComputeInstances = 8;

struct MigPlacement {
  unsigned start = 0;
  unsigned size = 0;
  friend bool operator==(const MigPlacement&, const MigPlacement&) = default;
};

// True when the slice ranges of `a` and `b` intersect.
bool Overlaps(MigPlacement a, MigPlacement b);

struct GiProfile {
  unsigned constant;  // NVML_GPU_INSTANCE_PROFILE_*
  unsigned id;        // the id NVML reports in info.id and create calls take
  const char* name;   // "1g.5gb"
  unsigned slices;    // compute slices
  unsigned instance_count;
  uint64_t memory_mib;
  unsigned sms;
  unsigned placement_size;   // memory slices
  unsigned placement_count;  // placements start at 0, placement_size, 2 * placement_size, ...
  unsigned copy_engines;
  unsigned decoders;
  unsigned jpegs;
  unsigned ofas;
};

struct MigModel {
  const char* family;       // "A100": found in the GPU's name
  unsigned memory_gib;      // nominal memory the table is for
  unsigned memory_slices;   // 8 or 4
  unsigned compute_slices;  // 7 or 4
  std::span<const GiProfile> profiles;
};

// The MIG table for `gpu`: a MIG-capable GPU whose name names a family with a table and whose
// memory is within 10% of the table's. nullptr otherwise (such GPUs cannot enable MIG).
const MigModel* FindMigModel(const GpuSpec& gpu);

const GiProfile* GiProfileByConstant(const MigModel& model, unsigned constant);
const GiProfile* GiProfileById(const MigModel& model, unsigned id);

// The k-th possible placement of `profile` (k < placement_count).
MigPlacement GiPlacementAt(const GiProfile& profile, unsigned k);
bool IsPossiblePlacement(const GiProfile& profile, MigPlacement placement);

// The GPU-instance id of an instance at `placement`: its heap index in the binary tree of memory
// slices, (memory_slices / size - 1) + start / size. On 8 slices: 0 for {0}:8, 1-2 for the halves,
// 3-6 for the quarters, 7-14 for single slices. Two instances never share an id (they would
// overlap), and an instance always gets the same id at the same place.
unsigned GpuInstanceId(const MigModel& model, MigPlacement placement);

// The first possible placement of `profile` that overlaps none of `used`; nullopt when none does.
std::optional<MigPlacement> FirstFreePlacement(const GiProfile& profile,
                                               std::span<const MigPlacement> used);

// How many more instances of `profile` can be created next to `used` (every existing instance's
// placement), `existing` of which are of this profile: non-overlapping free placements taken in
// order, capped by the profile's instance count.
unsigned RemainingGpuInstances(const GiProfile& profile, std::span<const MigPlacement> used,
                               unsigned existing);

// A compute-instance profile inside a GPU instance. Its id is its NVML constant.
struct CiProfile {
  unsigned id;      // NVML_COMPUTE_INSTANCE_PROFILE_*
  unsigned slices;  // compute slices
  unsigned instance_count;
  unsigned sms;
  unsigned align;  // placements start at multiples of the power of two >= slices
};

// The compute-instance profile `constant` of a GPU instance of `gi`: slices 1, 2, 3, 4 or 7 no
// larger than the GPU instance's (the full one, slices == gi.slices, always exists); nullopt for
// others (8 and 6 slices, REV1).
std::optional<CiProfile> ComputeInstanceProfile(const GiProfile& gi, unsigned constant);
MigPlacement CiPlacementAt(const CiProfile& profile, unsigned k);
std::optional<MigPlacement> FirstFreeCiPlacement(const CiProfile& profile,
                                                 std::span<const MigPlacement> used);
unsigned RemainingComputeInstances(const CiProfile& profile, std::span<const MigPlacement> used,
                                   unsigned existing);
// "MIG 3g.20gb" for the full compute instance, "MIG 1c.3g.20gb" for a smaller one.
std::string CiProfileName(const GiProfile& gi, const CiProfile& ci);

// "MIG-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", deterministic from the parent UUID and the ids.
std::string MigUuid(std::string_view parent_uuid, unsigned gi, unsigned ci);

// The MIG device (compute instance `ci_id` of GPU instance `gi_id`) of `parent` as CUDA and NVML
// describe it: "<parent name> MIG 1g.5gb", its MIG UUID, the GPU instance's memory and the
// compute instance's SMs.
GpuSpec MigDeviceSpec(const GpuSpec& parent, const GiProfile& gi, const CiProfile& ci,
                      unsigned gi_id, unsigned ci_id);

// HAMI_SIM_MIG: GPUs that start in MIG mode, as a bit mask over GPU indices. "" = none; "all" =
// every GPU with a MIG table; otherwise comma-separated indices, each of which must have one.
base::Result<uint32_t> ParseMigGpus(std::string_view text, const std::vector<GpuSpec>& gpus);

}  // namespace hami::sim
