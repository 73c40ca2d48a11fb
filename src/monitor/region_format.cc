#include "monitor/region_format.h"

#include <algorithm>
#include <cstring>

#include "region/layout.h"

namespace hami::monitor {
namespace {

using region::DeviceMemory;
using region::DeviceUtil;
using region::ProcSlot;
using region::SharedRegion;

// Field positions of one layout (v1 and ours come from layout.h; v0 from the constants).
struct Offsets {
  size_t size;
  size_t device_num;
  size_t uuids;
  size_t limit;
  size_t sm_limit;
  size_t procs;
  size_t slot_size;
  size_t slot_used;
  size_t used_stride;
  size_t slot_util;
  size_t util_stride;
  size_t slot_status;
  size_t proc_num;
  size_t utilization_switch;
  size_t recent_kernel;
  size_t priority;
  size_t last_kernel_time;  // 0 = absent
};

constexpr Offsets kV0Offsets{kV0Size,
                             kV0DeviceNumOffset,
                             kV0UuidsOffset,
                             kV0LimitOffset,
                             kV0SmLimitOffset,
                             kV0ProcsOffset,
                             kV0SlotSize,
                             kV0SlotUsedOffset,
                             kV0SlotUsedStride,
                             kV0SlotUtilOffset,
                             kV0SlotUtilStride,
                             kV0SlotStatusOffset,
                             kV0ProcNumOffset,
                             kV0UtilizationSwitchOffset,
                             kV0RecentKernelOffset,
                             kV0PriorityOffset,
                             0};

constexpr Offsets kV1Offsets{sizeof(SharedRegion),
                             offsetof(SharedRegion, device_num),
                             offsetof(SharedRegion, uuids),
                             offsetof(SharedRegion, limit),
                             offsetof(SharedRegion, sm_limit),
                             offsetof(SharedRegion, procs),
                             sizeof(ProcSlot),
                             offsetof(ProcSlot, used),
                             sizeof(DeviceMemory),
                             offsetof(ProcSlot, device_util),
                             sizeof(DeviceUtil),
                             offsetof(ProcSlot, status),
                             offsetof(SharedRegion, proc_num),
                             offsetof(SharedRegion, utilization_switch),
                             offsetof(SharedRegion, recent_kernel),
                             offsetof(SharedRegion, priority),
                             offsetof(SharedRegion, last_kernel_time)};

// v0's device_memory_t is v1's without the trailing unused words: same field order.
static_assert(offsetof(DeviceMemory, total) == 32 && offsetof(DeviceUtil, sm_util) == 16);

const Offsets& OffsetsOf(Layout layout) { return layout == Layout::kV0 ? kV0Offsets : kV1Offsets; }

template <typename T>
T At(const void* data, size_t offset) {
  T value;
  std::memcpy(&value, static_cast<const char*>(data) + offset, sizeof(T));
  return value;
}

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += n;
  }
  return true;
}

std::string CutAtNul(const char* p, size_t max) { return std::string(p, strnlen(p, max)); }

// Sums of values a container wrote saturate instead of wrapping (a wrapped sum could look sane).
void AddSaturating(uint64_t& sum, uint64_t v) { sum = v > UINT64_MAX - sum ? UINT64_MAX : sum + v; }

}  // namespace

const char* LayoutName(Layout layout) {
  switch (layout) {
    case Layout::kV0:
      return "v0";
    case Layout::kV1:
      return "v1";
    case Layout::kHamiCpp:
      return "hami-cpp";
  }
  return "unknown";
}

size_t LayoutSize(Layout layout) { return OffsetsOf(layout).size; }

base::Result<Layout> DetectLayout(const void* data, size_t size) {
  if (data == nullptr || size < kHeaderSize) {
    return base::InvalidArgument("file of " + std::to_string(size) + " bytes is smaller than the " +
                                 std::to_string(kHeaderSize) + "-byte header");
  }
  const auto magic = At<int32_t>(data, 0);
  if (magic != region::kMagic) {
    return base::InvalidArgument("bad magic " + std::to_string(magic) + " (want " +
                                 std::to_string(region::kMagic) + "): not a shared region");
  }
  const auto major = At<uint32_t>(data, 4);
  const auto minor = At<uint32_t>(data, 8);
  Layout layout;
  if (major == region::kMajorVersion && size >= sizeof(SharedRegion)) {
    layout = Layout::kV1;
    const size_t control_magic = offsetof(SharedRegion, procs) +
                                 region::kControlSlot * sizeof(ProcSlot) +
                                 offsetof(ProcSlot, unused);
    if (At<uint64_t>(data, control_magic) == region::kControlMagic) layout = Layout::kHamiCpp;
  } else if (size >= kV0Size && size < sizeof(SharedRegion)) {
    layout = Layout::kV0;
  } else {
    return base::InvalidArgument("unknown region: " + std::to_string(size) + " bytes, version " +
                                 std::to_string(major) + "." + std::to_string(minor) +
                                 " (truncated, or a layout this monitor does not know)");
  }
  const auto device_num = At<uint64_t>(data, OffsetsOf(layout).device_num);
  if (device_num > static_cast<uint64_t>(region::kMaxDevices)) {
    return base::InvalidArgument("corrupt " + std::string(LayoutName(layout)) + " region: " +
                                 std::to_string(device_num) + " devices (at most 16)");
  }
  return layout;
}

RegionReading ReadRegion(const void* data, size_t size, Layout layout) {
  const Offsets& o = OffsetsOf(layout);
  RegionReading r;
  r.layout = layout;
  if (size < o.size) return r;
  if (layout != Layout::kV0) {
    r.major_version = At<uint32_t>(data, 4);
    r.minor_version = At<uint32_t>(data, 8);
    r.last_kernel_time = At<uint64_t>(data, o.last_kernel_time);
  }
  r.priority = At<int32_t>(data, o.priority);
  r.recent_kernel = At<int32_t>(data, o.recent_kernel);
  r.utilization_switch = At<int32_t>(data, o.utilization_switch);
  r.proc_num = std::clamp(At<int32_t>(data, o.proc_num), 0, region::kMaxSlots);
  const auto device_num =
      static_cast<int>(std::min<uint64_t>(At<uint64_t>(data, o.device_num), region::kMaxDevices));
  const char* base = static_cast<const char*>(data);
  r.all_uuids.resize(region::kMaxDevices);
  for (int d = 0; d < region::kMaxDevices; ++d) {
    r.all_uuids[d] = CutAtNul(base + o.uuids + d * region::kUuidLen, region::kUuidLen);
  }
  r.devices.resize(device_num);
  for (int d = 0; d < device_num; ++d) {
    DeviceReading& dev = r.devices[d];
    const char* slot = base + o.uuids + d * region::kUuidLen;
    dev.uuid = r.all_uuids[d];
    dev.uuid_label = CutAtNul(slot, kUuidLabelBytes);
    dev.uuid_valid = slot[0] != 0 && ValidUtf8(dev.uuid_label);
    dev.limit = At<uint64_t>(data, o.limit + d * 8);
    dev.sm_limit = At<uint64_t>(data, o.sm_limit + d * 8);
  }
  for (int i = 0; i < r.proc_num; ++i) {
    const size_t slot = o.procs + static_cast<size_t>(i) * o.slot_size;
    if (At<int32_t>(data, slot + o.slot_status) == 0) continue;
    ++r.live_processes;
    // WIRE: a slot starts with pid, then hostpid (both layouts).
    const int32_t hostpid = At<int32_t>(data, slot + sizeof(int32_t));
    r.pids.push_back(hostpid > 0 ? hostpid : At<int32_t>(data, slot));
    for (int d = 0; d < device_num; ++d) {
      const size_t used = slot + o.slot_used + d * o.used_stride;
      DeviceReading& dev = r.devices[d];
      AddSaturating(dev.context, At<uint64_t>(data, used + offsetof(DeviceMemory, context_size)));
      AddSaturating(dev.module, At<uint64_t>(data, used + offsetof(DeviceMemory, module_size)));
      AddSaturating(dev.buffer, At<uint64_t>(data, used + offsetof(DeviceMemory, data_size)));
      AddSaturating(dev.total, At<uint64_t>(data, used + offsetof(DeviceMemory, total)));
      AddSaturating(dev.sm_util, At<uint64_t>(data, slot + o.slot_util + d * o.util_stride +
                                                        offsetof(DeviceUtil, sm_util)));
    }
  }
  return r;
}

size_t RecentKernelOffset(Layout layout) { return OffsetsOf(layout).recent_kernel; }
size_t UtilizationSwitchOffset(Layout layout) { return OffsetsOf(layout).utilization_switch; }
size_t ProcsOffset(Layout layout) { return OffsetsOf(layout).procs; }
size_t SlotSize(Layout layout) { return OffsetsOf(layout).slot_size; }
size_t ProcNumOffset(Layout layout) { return OffsetsOf(layout).proc_num; }

}  // namespace hami::monitor
