// The pure core of dynamic MIG on the node (mode "mig", hami-wire §2.1, §3.7, §5.2): which MIG
// profiles a GPU registers, and how a booked (GPU, profile, placement) meets the instances NVML
// reports: reuse one at exactly that place, destroy stale ones in the way, or refuse when a live
// booking holds the overlapping instance. No I/O (MigManager applies the decisions). Pure;
// thread-compatible.
//
// An instance "matches" a booking when GPU, profile name and placement are equal; the realized
// ids written back on the pod are not needed to match, so a booking is honoured whether or not
// its write-back happened (a plugin restart between creation and patch reuses the instance).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "deviceplugin/inventory.h"
#include "model/grant.h"
#include "vendor/nvidia/config.h"

namespace hami::deviceplugin {

// One GPU instance on a MIG-mode GPU, as NVML lists it.
struct MigInstance {
  std::string gpu_uuid;
  std::string profile;  // "1g.10gb"; "" when NVML's profile id is not in the GPU's table
  model::Placement placement;
  uint32_t gpu_instance_id = 0;
  // The compute instance spanning the GPU instance, and its MIG device UUID; absent when the GPU
  // instance has none yet (created, then its compute instance failed).
  std::optional<uint32_t> compute_instance_id;
  std::string mig_uuid;
  friend bool operator==(const MigInstance&, const MigInstance&) = default;
};

// The profiles of `gpu` that `allowlist` lets it register: the union of the profiles of every entry
// one of whose `models` is a substring of the GPU's NVML name (case-insensitive). An empty
// allowlist allows every profile; a non-empty one that names no model of this GPU allows none.
std::vector<MigProfileInfo> AllowedMigProfiles(
    const GpuInfo& gpu, const std::vector<vendor::nvidia::MigAllowlistEntry>& allowlist);

// WIRE: a profile as registered (hami-wire §2.1 migProfiles): memory, slices, placements, and
// core = ceil(SMs x 100 / the GPU's SMs), the GPU's SMs being the largest profile's.
model::Partition RegisteredMigProfile(const MigProfileInfo& profile, int32_t gpu_sms);

bool Matches(const MigInstance& instance, const model::MigAllocation& booking);
bool Overlaps(const model::Placement& a, const model::Placement& b);

// What realizing `want` takes, given the instances on its GPU and the live bookings of the node
// (every non-terminal pod's entries, `want`'s own pod included).
struct MigRealizePlan {
  std::optional<MigInstance> reuse;        // an instance exactly at the booking
  std::vector<MigInstance> destroy_first;  // overlapping instances no live booking holds
  std::vector<MigInstance> blocked_by;     // overlapping instances a live booking holds
};
MigRealizePlan PlanMigRealize(const model::MigAllocation& want,
                              const std::vector<MigInstance>& on_gpu,
                              const std::vector<model::MigAllocation>& live);

// The instances no live booking matches: what the reconciler destroys.
std::vector<MigInstance> UnbookedMigInstances(const std::vector<MigInstance>& instances,
                                              const std::vector<model::MigAllocation>& live);

// `entries` with the realized MIG UUID and instance ids of `instance` copied into the one entry
// equal to `booking` (first match).
void RecordRealized(std::vector<model::MigAllocation>& entries, const model::MigAllocation& booking,
                    const MigInstance& instance);

}  // namespace hami::deviceplugin
