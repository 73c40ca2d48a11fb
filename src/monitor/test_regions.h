// Test helpers: region images of each layout, built in memory and written to files.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "monitor/region_format.h"
#include "region/layout.h"
#include "region/region.h"

namespace hami::monitor::testing {

// A v1 image; `ours` adds our control state (InitRegion), otherwise upstream-like fields only.
inline std::vector<char> V1Image(bool ours, const std::vector<std::string>& uuids,
                                 const std::vector<uint64_t>& limits, int32_t priority = 1) {
  auto r = std::make_unique<region::SharedRegion>();
  std::memset(r.get(), 0, sizeof(*r));
  region::RegionConfig config;
  for (size_t i = 0; i < limits.size(); ++i) config.limit[i] = limits[i];
  config.priority = priority;
  region::InitRegion(*r, config);
  if (!ours) region::ControlMagic(*r) = 0;
  r->device_num = uuids.size();
  for (size_t i = 0; i < uuids.size(); ++i) {
    std::strncpy(r->uuids[i], uuids[i].c_str(), region::kUuidLen - 1);
  }
  std::vector<char> bytes(region::kFileSize, 0);
  std::memcpy(bytes.data(), r.get(), sizeof(*r));
  return bytes;
}

// Adds a live process slot using `bytes` of data memory on device 0 (v1/ours image).
inline void AddV1Process(std::vector<char>& image, int slot, int32_t pid, uint64_t context,
                         uint64_t data, uint64_t sm_util) {
  auto* r = reinterpret_cast<region::SharedRegion*>(image.data());
  region::ProcSlot& s = r->procs[slot];
  s.pid = pid;
  s.status = region::kSlotRunning;
  s.used[0].context_size = context;
  s.used[0].data_size = data;
  s.used[0].total = context + data;
  s.device_util[0].sm_util = sm_util;
  if (r->proc_num < slot + 1) r->proc_num = slot + 1;
}

template <typename T>
void Put(std::vector<char>& image, size_t offset, T value) {
  std::memcpy(image.data() + offset, &value, sizeof(T));
}

// A v0 image written through the kV0* offsets.
inline std::vector<char> V0Image(const std::string& uuid, uint64_t limit) {
  std::vector<char> image(kV0Size, 0);
  Put<int32_t>(image, 0, region::kMagic);
  Put<uint64_t>(image, kV0DeviceNumOffset, 1);
  std::memcpy(image.data() + kV0UuidsOffset, uuid.data(), uuid.size());
  Put<uint64_t>(image, kV0LimitOffset, limit);
  Put<uint64_t>(image, kV0SmLimitOffset, 50);
  Put<int32_t>(image, kV0PriorityOffset, 1);
  Put<int32_t>(image, kV0RecentKernelOffset, 2);
  Put<int32_t>(image, kV0UtilizationSwitchOffset, 1);
  return image;
}

inline void AddV0Process(std::vector<char>& image, int slot, uint64_t context, uint64_t data) {
  const size_t base = kV0ProcsOffset + slot * kV0SlotSize;
  Put<int32_t>(image, base, 100 + slot);
  Put<int32_t>(image, base + kV0SlotStatusOffset, 1);
  Put<uint64_t>(image, base + kV0SlotUsedOffset + 0, context);
  Put<uint64_t>(image, base + kV0SlotUsedOffset + 16, data);
  Put<uint64_t>(image, base + kV0SlotUsedOffset + 32, context + data);
  int32_t n;
  std::memcpy(&n, image.data() + kV0ProcNumOffset, 4);
  if (n < slot + 1) Put<int32_t>(image, kV0ProcNumOffset, slot + 1);
}

inline bool WriteFile(const std::string& path, const std::vector<char>& bytes) {
  int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  close(fd);
  return ok;
}

}  // namespace hami::monitor::testing
