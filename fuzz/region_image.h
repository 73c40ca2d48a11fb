// Builds a shared-region image (src/region/layout.h, upstream's v0) from a small fuzz input, for
// the targets that read region bytes (region_file_fuzz, monitor_region_fuzz). Test-only.
//
// A region is 2 MB; a fuzz input is a few hundred bytes that say how to change a valid one:
//   byte 0     bits 0-1: the base image: 0 all zero, 1 ours (InitRegion: control state, two
//              devices with UUIDs and limits, two live slots), 2 upstream's v1 (ours without the
//              control magic), 3 upstream's v0;
//              bits 2-4: the file size (kSizes below: exact, one short, v0's, header only, ...).
//   then records, each [area][index: 2 bytes][word: 2 bytes][n][n % 16 + 1 bytes] written at
//   area base + index * stride + 4 * word (index and word taken modulo the area's counts):
//   header, v1 slot, v1 tail, v0 slot, v0 tail, or anywhere (index:word as a 32-bit offset).
//   A record whose area byte has bit 7 set is deferred when Build is asked to: it is not written
//   into the image but kept for Tamper (a container writing while a process uses the region).
// Writes past the image's size are cut. The image is 8-byte aligned (it holds a pthread mutex).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "monitor/region_format.h"
#include "region/layout.h"
#include "region/region.h"

namespace hami::fuzz {

inline constexpr size_t kRegionSizes[8] = {
    region::kFileSize,
    sizeof(region::SharedRegion),
    monitor::kV0Size,
    sizeof(region::SharedRegion) - 1,
    monitor::kHeaderSize,
    monitor::kV0Size - 1,
    0,
    region::kFileSize + 4096,
};
inline constexpr size_t kRegionBufferBytes = region::kFileSize + 4096;

// The limits of the base images and of the config the file target attaches with.
inline constexpr uint64_t kImageLimit0 = 1ull << 30;
inline constexpr uint64_t kImageLimit1 = 2ull << 30;

class RegionImage {
 public:
  RegionImage() : words_((kRegionBufferBytes + 7) / 8) {}

  // Rebuilds the image from `data`; returns false when the input is empty. With `defer`, records
  // marked deferred are kept for Tamper instead of being written.
  bool Build(const uint8_t* data, size_t size, bool defer = false) {
    deferred_.clear();
    if (size == 0) return false;
    const uint8_t selector = data[0];
    size_ = kRegionSizes[(selector >> 2) & 7];
    std::memset(words_.data(), 0, kRegionBufferBytes);
    const std::vector<char>& base = Base(selector & 3);
    if (!base.empty()) std::memcpy(bytes(), base.data(), std::min(base.size(), size_));
    for (size_t i = 1; i + 6 <= size;) {
      const uint8_t area = data[i];
      const size_t index = data[i + 1] | (data[i + 2] << 8);
      const size_t word = data[i + 3] | (data[i + 4] << 8);
      size_t n = data[i + 5] % 16 + 1;
      i += 6;
      n = std::min(n, size - i);
      if (defer && (area & 0x80) != 0) {
        deferred_.emplace_back(Offset(area, index, word),
                               std::vector<uint8_t>(data + i, data + i + n));
      } else {
        Write(Offset(area, index, word), data + i, n);
      }
      i += n;
    }
    return true;
  }

  size_t deferred() const { return deferred_.size(); }
  // Writes deferred record `i` into the region at `r`, except over the region mutex (a mutex
  // written over makes every lock wait kLockTimeoutNs: region_tamper_test covers it).
  void Tamper(size_t i, region::SharedRegion& r) const {
    if (i >= deferred_.size()) return;
    constexpr size_t kMutexBegin = offsetof(region::SharedRegion, owner_pid);
    constexpr size_t kMutexEnd = offsetof(region::SharedRegion, device_num);
    const auto& [offset, bytes] = deferred_[i];
    auto* base = reinterpret_cast<unsigned char*>(&r);
    for (size_t k = 0; k < bytes.size() && offset + k < sizeof(region::SharedRegion); ++k) {
      if (offset + k >= kMutexBegin && offset + k < kMutexEnd) continue;
      std::atomic_ref<unsigned char>(base[offset + k]).store(bytes[k]);
    }
  }

  char* bytes() { return reinterpret_cast<char*>(words_.data()); }
  size_t size() const { return size_; }
  // The image as a region; meaningful only when size() >= sizeof(SharedRegion).
  region::SharedRegion* region() { return reinterpret_cast<region::SharedRegion*>(words_.data()); }

 private:
  static size_t Offset(uint8_t area, size_t index, size_t word) {
    constexpr size_t kProcs = offsetof(region::SharedRegion, procs);
    constexpr size_t kSlot = sizeof(region::ProcSlot);
    constexpr size_t kTail = offsetof(region::SharedRegion, proc_num);
    switch (area % 6) {
      case 0:
        return 4 * (word % (kProcs / 4));
      case 1:
        return kProcs + (index % region::kMaxSlots) * kSlot + 4 * (word % (kSlot / 4));
      case 2:
        return kTail + 4 * (word % ((sizeof(region::SharedRegion) - kTail) / 4));
      case 3:
        return monitor::kV0ProcsOffset + (index % region::kMaxSlots) * monitor::kV0SlotSize +
               4 * (word % (monitor::kV0SlotSize / 4));
      case 4:
        return monitor::kV0ProcNumOffset + 4 * (word % 4);
      default:
        return ((index << 16) | word) % kRegionBufferBytes;
    }
  }

  void Write(size_t offset, const uint8_t* src, size_t n) {
    if (offset >= size_) return;
    std::memcpy(bytes() + offset, src, std::min(n, size_ - offset));
  }

  static const std::vector<char>& Base(int kind) {
    static const std::vector<char> kBases[4] = {std::vector<char>(), MakeV1(true), MakeV1(false),
                                                MakeV0()};
    return kBases[kind];
  }

  static std::vector<char> MakeV1(bool ours) {
    auto r = std::make_unique<region::SharedRegion>();
    region::RegionConfig config;
    config.limit[0] = kImageLimit0;
    config.limit[1] = kImageLimit1;
    config.sm_limit[0] = 30;
    region::InitRegion(*r, config);
    r->device_num = 2;
    std::strcpy(r->uuids[0], "GPU-00000000-1111-2222-3333-444444444444");
    std::strcpy(r->uuids[1], "GPU-55555555-6666-7777-8888-999999999999");
    for (int i = 0; i < 2; ++i) {
      region::ProcSlot& s = r->procs[i];
      s.pid = 100 + 2 * i;
      s.status = region::kSlotRunning;
      s.used[0].data_size = 100u << 20;
      s.used[0].context_size = 10u << 20;
      s.used[0].total = 110u << 20;
      s.device_util[0].sm_util = 20;
    }
    r->proc_num = 2;
    region::HighWater(*r) = 2;
    region::Reserved(*r, 0) = 220u << 20;
    if (!ours) region::ControlMagic(*r) = 0;
    std::vector<char> bytes(sizeof(region::SharedRegion));
    std::memcpy(bytes.data(), r.get(), bytes.size());
    return bytes;
  }

  static std::vector<char> MakeV0() {
    std::vector<char> image(monitor::kV0Size, 0);
    auto put32 = [&](size_t off, int32_t v) { std::memcpy(image.data() + off, &v, 4); };
    auto put64 = [&](size_t off, uint64_t v) { std::memcpy(image.data() + off, &v, 8); };
    put32(0, region::kMagic);
    put64(monitor::kV0DeviceNumOffset, 1);
    std::memcpy(image.data() + monitor::kV0UuidsOffset, "GPU-abcdef", 10);
    put64(monitor::kV0LimitOffset, kImageLimit0);
    put64(monitor::kV0SmLimitOffset, 50);
    const size_t slot = monitor::kV0ProcsOffset;
    put32(slot, 100);
    put32(slot + monitor::kV0SlotStatusOffset, 1);
    put64(slot + monitor::kV0SlotUsedOffset + 32, 5u << 20);
    put32(monitor::kV0ProcNumOffset, 1);
    put32(monitor::kV0PriorityOffset, 1);
    put32(monitor::kV0RecentKernelOffset, 2);
    put32(monitor::kV0UtilizationSwitchOffset, 1);
    return image;
  }

  std::vector<uint64_t> words_;
  size_t size_ = 0;
  std::vector<std::pair<size_t, std::vector<uint8_t>>> deferred_;
};

}  // namespace hami::fuzz
