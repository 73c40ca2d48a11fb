// Process-local record of what libvgpu accounted: device pointer / array / VMM handle / context
// -> (device, bytes, kind). O(1) per operation whatever the number of live entries (sharded hash
// maps), so allocation cost does not grow with live allocations (upstream walks linked lists).
// Thread-safe: each shard has its own mutex.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace hami::shim {

class AllocTable {
 public:
  struct Entry {
    uint64_t bytes = 0;
    int32_t dev = -1;
    int32_t kind = 0;  // region::UsageKind
  };

  AllocTable();
  void Insert(uint64_t key, const Entry& e);
  // Removes and returns the entry for `key`; false when `key` was never recorded.
  bool Take(uint64_t key, Entry* out);
  size_t Size();
  // Forgets everything (a forked child owns none of its parent's allocations).
  void Clear();

 private:
  static constexpr int kShards = 32;
  struct alignas(64) Shard {
    std::mutex mu;
    std::unordered_map<uint64_t, Entry> map;
  };
  Shard& ShardFor(uint64_t key);
  Shard shards_[kShards];
};

}  // namespace hami::shim
