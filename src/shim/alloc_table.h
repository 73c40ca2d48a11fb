// Process-local record of what libvgpu accounted: device pointer / array / context -> (device,
// bytes, kind, owning context, pool). O(1) per operation whatever the number of live entries
// (sharded hash maps), so allocation cost does not grow with live allocations (upstream walks
// linked lists). Thread-safe: each shard has its own mutex.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace hami::shim {

class AllocTable {
 public:
  struct Entry {
    uint64_t bytes = 0;
    int32_t dev = -1;
    int32_t kind = 0;      // region::UsageKind
    uint64_t ctx = 0;      // context it was made in (freed with it), 0 = none
    uint64_t pool = 0;     // memory pool it came from, 0 = none
    bool spilled = false;  // backed by host memory (oversubscription): managed, never a pool's
  };

  AllocTable();
  void Insert(uint64_t key, const Entry& e);
  // Removes and returns the entry for `key`; false when `key` was never recorded.
  bool Take(uint64_t key, Entry* out);
  // Copies the entry for `key` without removing it.
  bool Find(uint64_t key, Entry* out);
  // Removes and returns every entry made in context `ctx`.
  std::vector<Entry> TakeContext(uint64_t ctx);
  // Removes and returns every entry that came from `pool`.
  std::vector<Entry> TakePool(uint64_t pool);
  // Sum of the bytes of the entries that came from `pool`.
  uint64_t BytesOfPool(uint64_t pool);
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
  template <typename Pred>
  std::vector<Entry> TakeIf(Pred pred);
  Shard shards_[kShards];
};

}  // namespace hami::shim
