// Fake device address space and allocation bookkeeping of one simulated process.
//
// Device pointers are numbers, never dereferenced: each GPU owns a 1 TiB window starting at
// kDeviceVaBase + ordinal * kDeviceVaSpan (far from where Linux places host memory, so a host
// pointer is never mistaken for a device one), and VMM reservations come from a window above.
// Ranges are handed out first-fit and coalesced when freed, so freed addresses are reused like the
// driver does. Alignment and physical charge follow the driver: 512 B for small allocations,
// 2 MiB (the large-page size) from 2 MiB up.
//
// Thread-compatible: the owning process state serializes access.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

namespace hami::sim {

inline constexpr uint64_t kSmallAlignment = 512;
inline constexpr uint64_t kLargePage = 2ull << 20;
inline constexpr uint64_t kDeviceVaBase = 0x200000000000ull;
inline constexpr uint64_t kDeviceVaSpan = 1ull << 40;
inline constexpr uint64_t kVmmVaBase = kDeviceVaBase + 16 * kDeviceVaSpan;
inline constexpr uint64_t kVmmVaSpan = 16 * kDeviceVaSpan;

// Alignment of an allocation of `bytes` (512 B, or 2 MiB from 2 MiB up).
uint64_t AllocationAlignment(uint64_t bytes);
// Physical bytes an allocation of `bytes` consumes: rounded up to its alignment.
uint64_t PhysicalCharge(uint64_t bytes);
uint64_t RoundUp(uint64_t value, uint64_t multiple);

// A window of addresses from which aligned ranges are carved.
class AddressSpace {
 public:
  AddressSpace(uint64_t base, uint64_t span);

  // Start of a free range of `size` bytes aligned to `alignment` (a power of two); nullopt when
  // the window has no such range.
  std::optional<uint64_t> Allocate(uint64_t size, uint64_t alignment);
  // Returns [start, start + size) to the window; it must have come from Allocate.
  void Free(uint64_t start, uint64_t size);
  uint64_t FreeBytes() const;

 private:
  std::map<uint64_t, uint64_t> free_;  // start -> length, non-overlapping, non-adjacent
};

// kIpc: another process's allocation opened with cuIpcOpenMemHandle; kPoolImport: another
// process's pool allocation imported with cuMemPoolImportPointer (both charged 0: their memory
// is the exporter's).
enum class AllocKind { kDevice, kPitch, kManaged, kAsync, kPool, kIpc, kPoolImport };

struct Allocation {
  uint64_t base = 0;
  uint64_t size = 0;      // as requested
  uint64_t reserved = 0;  // address range length (size rounded to alignment)
  uint64_t charged = 0;   // physical bytes charged to the GPU
  int device = 0;         // CUDA ordinal
  AllocKind kind = AllocKind::kDevice;
  const void* owner = nullptr;  // context (or pool for kPool/kAsync) it belongs to
};

// Live allocations by base address, with lookup of the allocation containing any address.
class AllocationTable {
 public:
  void Insert(const Allocation& a) { by_base_[a.base] = a; }
  // The allocation starting exactly at `base`.
  const Allocation* FindBase(uint64_t base) const;
  // The allocation whose [base, base + size) contains `address`.
  const Allocation* FindContaining(uint64_t address) const;
  void Erase(uint64_t base) { by_base_.erase(base); }
  size_t size() const { return by_base_.size(); }

  template <typename Visit>
  void ForEach(Visit visit) const {
    for (const auto& [base, a] : by_base_) visit(a);
  }

 private:
  std::map<uint64_t, Allocation> by_base_;
};

}  // namespace hami::sim
