#include "sim/address_space.h"

namespace hami::sim {

uint64_t RoundUp(uint64_t value, uint64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

uint64_t AllocationAlignment(uint64_t bytes) {
  return bytes >= kLargePage ? kLargePage : kSmallAlignment;
}

uint64_t PhysicalCharge(uint64_t bytes) { return RoundUp(bytes, AllocationAlignment(bytes)); }

AddressSpace::AddressSpace(uint64_t base, uint64_t span) { free_[base] = span; }

std::optional<uint64_t> AddressSpace::Allocate(uint64_t size, uint64_t alignment) {
  if (size == 0) return std::nullopt;
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    uint64_t start = it->first;
    uint64_t end = start + it->second;
    uint64_t aligned = RoundUp(start, alignment);
    if (aligned < start || aligned > end || end - aligned < size) continue;
    free_.erase(it);
    if (aligned > start) free_[start] = aligned - start;
    if (aligned + size < end) free_[aligned + size] = end - (aligned + size);
    return aligned;
  }
  return std::nullopt;
}

void AddressSpace::Free(uint64_t start, uint64_t size) {
  uint64_t end = start + size;
  auto next = free_.lower_bound(start);
  if (next != free_.end() && next->first == end) {  // merge with the following range
    end += next->second;
    next = free_.erase(next);
  }
  if (next != free_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == start) {  // merge with the preceding range
      prev->second = end - prev->first;
      return;
    }
  }
  free_[start] = end - start;
}

uint64_t AddressSpace::FreeBytes() const {
  uint64_t total = 0;
  for (const auto& [start, length] : free_) total += length;
  return total;
}

const Allocation* AllocationTable::FindBase(uint64_t base) const {
  auto it = by_base_.find(base);
  return it == by_base_.end() ? nullptr : &it->second;
}

const Allocation* AllocationTable::FindContaining(uint64_t address) const {
  auto it = by_base_.upper_bound(address);
  if (it == by_base_.begin()) return nullptr;
  --it;
  const Allocation& a = it->second;
  return address - a.base < a.size ? &a : nullptr;
}

}  // namespace hami::sim
