// What libvgpu reports for memory info under a limit (pure arithmetic).
//
// Contract: total = the limit (never above the physical total), free = min(limit - used,
// physically free), clamped at 0 — never negative, never wrapped (upstream #200). Oversubscribed
// (CUDA_OVERSUBSCRIBE: what does not fit on the GPU is backed by host memory), total = the limit
// even above the physical total and free = limit - used, clamped at 0: the limit is all that
// bounds an allocation then. Without a limit the driver's numbers pass through. Thread-safe (no
// state).
#pragma once

#include <cstdint>

namespace hami::shim::limit {

struct MemInfo {
  uint64_t free = 0;
  uint64_t total = 0;
};

// `limit` 0 = unlimited. `phys` is what the driver reported.
MemInfo LimitedMemInfo(uint64_t limit, uint64_t used, MemInfo phys, bool oversubscribed = false);

// Rounds `bytes` up to a multiple of `granularity` (0 or 1 = unchanged); saturates.
uint64_t RoundUp(uint64_t bytes, uint64_t granularity);

// The driver's allocation granules: blocks below 2 MiB are 512-byte aligned and sized, larger
// ones take whole 2 MiB pages (also the VMM granularity of every current GPU).
inline constexpr uint64_t kSmallGranule = 512;
inline constexpr uint64_t kLargePage = 2ull << 20;

// Device memory an allocation of `bytes` really takes, i.e. what is charged for it: 1 byte costs
// 512 B, 2 MiB + 1 costs 4 MiB (upstream charged requested bytes: 512x and 2x the limit).
// 0 stays 0; saturates.
uint64_t DeviceFootprint(uint64_t bytes);

}  // namespace hami::shim::limit
