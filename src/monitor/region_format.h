// Reading a container's shared-region file as the node monitor sees it: which layout it is
// (upstream HAMi-core's v0 and v1, or ours — v1 plus our control state), and what it says
// (per-device limit, usage and utilization; the priority-feedback fields).
//
// WIRE: offsets below are upstream HAMi's monitor (pkg/monitor/nvidia/v0 and v1, hami-wire §6.3,
// vgpu-core.md §4.2). v1 and ours share src/region/layout.h, whose static_asserts pin them; v0 is
// the older struct without version fields (1168-byte process slots), pinned by kV0* below.
//
// Pure: functions read only the bytes they are given (never past `size`) and do not log. The bytes
// may change underneath (other processes write them): every value is read once, so a reading is a
// consistent-enough snapshot of each field, not of the whole region. Thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace hami::monitor {

enum class Layout { kV0, kV1, kHamiCpp };
// "v0", "v1", "hami-cpp" (metric label and log value).
const char* LayoutName(Layout layout);

// WIRE: upstream v0 (`sharedRegionT` of pkg/monitor/nvidia/v0), x86_64.
inline constexpr size_t kV0Size = 1197896;
inline constexpr size_t kV0DeviceNumOffset = 48;
inline constexpr size_t kV0UuidsOffset = 56;
inline constexpr size_t kV0LimitOffset = 1592;
inline constexpr size_t kV0SmLimitOffset = 1720;
inline constexpr size_t kV0ProcsOffset = 1848;
inline constexpr size_t kV0SlotSize = 1168;
inline constexpr size_t kV0SlotUsedOffset = 8;  // 16 x {context, module, buffer, offset, total}
inline constexpr size_t kV0SlotUsedStride = 40;
inline constexpr size_t kV0SlotUtilOffset = 776;  // 16 x {dec, enc, sm}
inline constexpr size_t kV0SlotUtilStride = 24;
inline constexpr size_t kV0SlotStatusOffset = 1160;
inline constexpr size_t kV0ProcNumOffset = 1197880;
inline constexpr size_t kV0UtilizationSwitchOffset = 1197884;
inline constexpr size_t kV0RecentKernelOffset = 1197888;
inline constexpr size_t kV0PriorityOffset = 1197892;

// The smallest file upstream's monitor looks at: the {magic, major, minor} header.
inline constexpr size_t kHeaderSize = 12;
// Bytes of a uuid slot that become the device_uuid label (upstream: uuid[0:40]).
inline constexpr size_t kUuidLabelBytes = 40;

// Decides the layout from the file's first bytes and its size, as upstream's factories do:
// magic 19920718 first; v1 when major_version == 1 and size >= sizeof(v1); v0 when
// kV0Size <= size < sizeof(v1); ours when v1 and our control magic is set. Errors (InvalidArgument)
// say why: too small, bad magic, unknown version/size, or a device count above 16 (corrupt).
base::Result<Layout> DetectLayout(const void* data, size_t size);

// Bytes of the layout's struct (what must be mapped to read it).
size_t LayoutSize(Layout layout);

struct DeviceReading {
  std::string uuid;         // up to the first NUL of the 96-byte slot
  bool uuid_valid = false;  // first byte set, and the label part is valid UTF-8
  std::string uuid_label;   // first 40 bytes (cut at NUL): upstream's device_uuid label
  uint64_t limit = 0;       // bytes, 0 = unlimited
  uint64_t sm_limit = 0;    // percent
  uint64_t total = 0;       // Σ used[i].total over live slots
  uint64_t context = 0;
  uint64_t module = 0;
  uint64_t buffer = 0;   // data_size
  uint64_t sm_util = 0;  // Σ device_util[i].sm_util over live slots
};

struct RegionReading {
  Layout layout = Layout::kV1;
  uint32_t major_version = 0;  // 0 for v0
  uint32_t minor_version = 0;
  std::vector<DeviceReading> devices;  // the first device_num entries
  std::vector<std::string> all_uuids;  // all 16 uuid slots (empty string = unset), for feedback
  int32_t proc_num = 0;                // clamped to [0, 1024]
  int32_t live_processes = 0;          // slots within proc_num with status != 0
  std::vector<int32_t> pids;           // per live slot: hostpid when set, else pid (as written)
  int32_t priority = 0;
  int32_t recent_kernel = 0;
  int32_t utilization_switch = 0;
  uint64_t last_kernel_time = 0;  // unix seconds; always 0 for v0
};

// Reads a region already accepted by DetectLayout with the same `size`. Sums iterate the first
// proc_num slots and skip status == 0 (hami-wire §6.3); they saturate at UINT64_MAX instead of
// wrapping. Values are as written: region_trust.h decides what may be believed.
RegionReading ReadRegion(const void* data, size_t size, Layout layout);

// WIRE: byte offsets of the two fields the monitor writes (priority feedback).
size_t RecentKernelOffset(Layout layout);
size_t UtilizationSwitchOffset(Layout layout);

// Where the process slots start, their size, and where proc_num lives: the byte ranges a reader
// must copy to read a region (header [0, procs), slots [procs, procs + proc_num x slot), tail
// [proc_num offset, LayoutSize)).
size_t ProcsOffset(Layout layout);
size_t SlotSize(Layout layout);
size_t ProcNumOffset(Layout layout);

}  // namespace hami::monitor
