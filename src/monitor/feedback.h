// Priority feedback between containers sharing a GPU (upstream HAMi's `Observe`, hami-wire §6.3):
// the monitor's half of the contract whose other half is libvgpu's launch path (a container whose
// recent_kernel is negative does not launch; utilization_switch = 1 turns its SM limit on).
//
// Pure function over per-container values; the caller reads them from the regions and writes the
// results back. Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hami::monitor {

struct FeedbackInput {
  std::vector<std::string> uuids;  // the region's uuid slots (empty = unset), in slot order
  int32_t priority = 1;            // CUDA_TASK_PRIORITY: smaller = more important
  int32_t recent_kernel = 0;       // libvgpu sets 2 on a launch; < 0 = blocked by the monitor
  int32_t utilization_switch = 0;
};

struct FeedbackOutput {
  int32_t recent_kernel = 0;
  int32_t utilization_switch = 0;
  friend bool operator==(const FeedbackOutput&, const FeedbackOutput&) = default;
};

// One feedback round, exactly upstream's algorithm:
//  1. Each container with recent_kernel > 0 is decremented; if still > 0 it counts as active at
//     its priority on every non-empty uuid of its region.
//  2. Per container, blocking: the FIRST of its uuids (slot order) that has any active container
//     decides — if a container of a numerically smaller priority is active there, recent_kernel
//     becomes -1 (if it was >= 0); otherwise a negative recent_kernel is restored to 0.
//  3. Per container, utilization_switch = 1 if on ANY of its uuids a smaller-priority container is
//     active or more than one container of its own priority is active, else 0.
// Upstream indexes a two-entry array by priority (so only 0 and 1 work there; others panic); here
// any int32 priority works with the same ordering.
std::vector<FeedbackOutput> Observe(const std::vector<FeedbackInput>& containers);

}  // namespace hami::monitor
