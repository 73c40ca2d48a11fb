#include "shim/alloc_table.h"

namespace hami::shim {

AllocTable::AllocTable() {
  for (Shard& s : shards_) s.map.reserve(64);
}

AllocTable::Shard& AllocTable::ShardFor(uint64_t key) {
  uint64_t x = key;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return shards_[x % kShards];
}

void AllocTable::Insert(uint64_t key, const Entry& e) {
  Shard& s = ShardFor(key);
  std::lock_guard<std::mutex> lock(s.mu);
  s.map[key] = e;
}

bool AllocTable::Take(uint64_t key, Entry* out) {
  Shard& s = ShardFor(key);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.map.find(key);
  if (it == s.map.end()) return false;
  *out = it->second;
  s.map.erase(it);
  return true;
}

bool AllocTable::Find(uint64_t key, Entry* out) {
  Shard& s = ShardFor(key);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.map.find(key);
  if (it == s.map.end()) return false;
  *out = it->second;
  return true;
}

template <typename Pred>
std::vector<AllocTable::Entry> AllocTable::TakeIf(Pred pred) {
  std::vector<Entry> out;
  for (Shard& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    for (auto it = s.map.begin(); it != s.map.end();) {
      if (pred(it->second)) {
        out.push_back(it->second);
        it = s.map.erase(it);
      } else {
        ++it;
      }
    }
  }
  return out;
}

std::vector<AllocTable::Entry> AllocTable::TakeContext(uint64_t ctx) {
  return TakeIf([ctx](const Entry& e) { return e.ctx == ctx; });
}

std::vector<AllocTable::Entry> AllocTable::TakePool(uint64_t pool) {
  return TakeIf([pool](const Entry& e) { return e.pool == pool; });
}

uint64_t AllocTable::BytesOfPool(uint64_t pool) {
  uint64_t sum = 0;
  for (Shard& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    for (const auto& [key, e] : s.map) {
      if (e.pool == pool) sum += e.bytes;
    }
  }
  return sum;
}

size_t AllocTable::Size() {
  size_t n = 0;
  for (Shard& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    n += s.map.size();
  }
  return n;
}

void AllocTable::Clear() {
  for (Shard& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    s.map.clear();
  }
}

}  // namespace hami::shim
